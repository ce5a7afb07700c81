-- The sandbox itself, over real HTTP with the system curl (no C core involved).
local S = require("spec.support.sandbox")
local sandbox = require("growatt.sandbox")

-- Growatt's password hash (protocol.md §1.2), computed with the system md5sum so that this
-- spec does not depend on the code under test.
local function hash_password(password)
  local pipe = assert(io.popen("printf '%s' '" .. password:gsub("'", "'\\''") .. "' | md5sum"))
  local hex = pipe:read("*a"):match("^(%x+)")
  pipe:close()
  return (hex:gsub("()0", function(pos) if pos % 2 == 1 then return "c" end end))
end

local function login(user, password)
  return S.http("POST", "newTwoLoginAPI.do", {
    form = "userName=" .. user .. "&password=" .. hash_password(password),
  })
end

local function session_cookie(res)
  return (res.headers["set-cookie"] or ""):match("^(JSESSIONID=[^;]+)")
end

local function sh_ok(cmd)
  local a, _, code = os.execute(cmd)
  if type(a) == "number" then return a == 0 end
  return a == true and (code == nil or code == 0)
end

describe("sandbox", function()
  local url
  setup(function() url = S.start() end)
  teardown(S.stop)
  before_each(S.reset)

  it("answers on 127.0.0.1 at the url it reports", function()
    assert.matches("^http://127%.0%.0%.1:%d+/$", url)
    assert.equal(S.sandbox().port, tonumber(url:match(":(%d+)/")))
    assert.same({ requests = 0, logins = 0, login_ok = 0, login_failed = 0 }, S.stats())
  end)

  it("hashes as protocol.md says (the spec's own hash function)", function()
    assert.equal("c98f6bcd4621d373cade4e832627b4f6", hash_password("test"))
    assert.equal("e1cadc3949ba59abbe56e057f2cf883e", hash_password("123456"))
    assert.equal("5f4dcc3b5aa765d61d8327deb882cf99", hash_password("password"))
  end)

  describe("login", function()
    it("accepts the demo account's hashed password, sets a session cookie and returns back", function()
      local res = login("demo", "demo-password")
      assert.equal(200, res.status)
      assert.matches("^application/json", res.headers["content-type"])
      assert.matches("^JSESSIONID=%x+; Path=/; HttpOnly$", res.headers["set-cookie"])
      local back = res.json.back
      assert.is_true(back.success)
      assert.equal("", back.msg)
      assert.equal(1234567, back.user.id)
      if math.type then assert.equal("integer", math.type(back.user.id)) end
      assert.matches('"id":1234567,', res.body, 1, true)
      assert.equal("demo", back.user.accountName)
      assert.equal(1, back.user.rightlevel)
      assert.equal(hash_password("demo-password"), back.user.password)
      assert.same({}, back.user.inverterList)
      assert.matches('"inverterList":[]', res.body, 1, true)
      assert.same({ { plantId = "2222207", plantName = "Garden mix + storage" },
                    { plantId = "2222208", plantName = "Roof MIN hybrid" },
                    { plantId = "2222209", plantName = "Shed classic + Noah" } }, back.data)
      assert.same({ requests = 1, logins = 1, login_ok = 1, login_failed = 0 }, S.stats())
    end)

    it("refuses a wrong password with 502 and no cookie", function()
      local res = login("demo", "wrong")
      assert.equal(200, res.status)
      assert.is_nil(res.headers["set-cookie"])
      assert.same({ success = false, msg = "502", error = "Password is incorrect" }, res.json.back)
    end)

    it("refuses the plain password: it checks the hash", function()
      local res = S.http("POST", "newTwoLoginAPI.do", { form = "userName=demo&password=demo-password" })
      assert.equal("502", res.json.back.msg)
    end)

    it("refuses an unknown user with 501", function()
      local res = login("nobody", "x")
      assert.is_false(res.json.back.success)
      assert.equal("501", res.json.back.msg)
      assert.is_nil(res.headers["set-cookie"])
    end)

    it("refuses the locked account with 507 and lockDuration 24, whatever the password", function()
      for _, password in ipairs({ "locked-password", "anything" }) do
        local back = login("locked", password).json.back
        assert.same({ success = false, msg = "507", error = "Current account has been locked for 24 hours",
                      lockDuration = 24 }, back)
      end
      assert.same({ requests = 2, logins = 2, login_ok = 0, login_failed = 2 }, S.stats())
    end)

    it("gives each login its own session", function()
      assert.are_not.equal(session_cookie(login("demo", "demo-password")),
        session_cookie(login("demo", "demo-password")))
    end)
  end)

  describe("sessions", function()
    it("redirects PlantListAPI.do without a cookie to the login error page", function()
      local res = S.http("GET", "PlantListAPI.do", { query = "userId=1234567" })
      assert.equal(302, res.status)
      assert.equal("/error.do?errorMess=errorNoLogin", res.headers.location)
      assert.matches("^text/html", res.headers["content-type"])
      assert.matches("<html>", res.body, 1, true)
    end)

    it("redirects an unknown session id the same way", function()
      local res = S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = "JSESSIONID=ABC123" })
      assert.equal(302, res.status)
    end)

    it("serves the error page", function()
      local res = S.http("GET", "error.do", { query = "errorMess=errorNoLogin" })
      assert.equal(200, res.status)
      assert.matches("^text/html", res.headers["content-type"])
      assert.matches("errorNoLogin", res.body, 1, true)
    end)

    it("finds JSESSIONID among other cookies", function()
      local cookie = "lang=en; " .. session_cookie(login("demo", "demo-password")) .. "; theme=dark"
      assert.equal(200, S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = cookie }).status)
    end)
  end)

  describe("PlantListAPI.do", function()
    local cookie
    before_each(function() cookie = session_cookie(login("demo", "demo-password")) end)

    it("lists the session user's plants with strings and units", function()
      local res = S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = cookie })
      assert.equal(200, res.status)
      local back = res.json.back
      assert.is_true(back.success)
      assert.same({
        plantId = "2222207", plantName = "Garden mix + storage", currentPower = "2.4 kW",
        todayEnergy = "12.6 kWh", totalEnergy = "10.5 MWh", plantMoneyText = "3.1 EUR", isHaveStorage = "true",
      }, back.data[1])
      assert.equal("2222208", back.data[2].plantId)
      assert.equal("false", back.data[2].isHaveStorage)
      assert.equal("650 W", back.data[3].currentPower)
      assert.equal("812.4 kWh", back.data[3].totalEnergy)
      assert.same({
        currentPowerSum = "4.9 kW", todayEnergySum = "25.1 kWh", totalEnergySum = "18.1 MWh",
        CO2Sum = "18.1 T", eTotalMoneyText = "4535.7 EUR", isHaveStorage = "true",
        storagePCharge = "1.2 kW", storagePDisCharge = "0 W", storagePacToUser = "300 W", storageCapacity = "61%",
      }, back.totalData)
    end)

    it("gives the same bytes every time", function()
      local a = S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = cookie })
      local b = S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = cookie })
      assert.equal(a.body, b.body)
    end)

    it("refuses another user's id or a float-looking id", function()
      for _, query in ipairs({ "userId=7654321", "userId=1234567.0", "x=1" }) do
        local back = S.http("GET", "PlantListAPI.do", { query = query, cookie = cookie }).json.back
        assert.is_false(back.success)
        assert.is_nil(back.data)
      end
    end)
  end)

  describe("request log", function()
    it("records query pairs in order, with duplicates, decoded", function()
      S.http("GET", "PlantListAPI.do", { query = "b=2&a=1&b=3&x=a%20b+c&empty=&flag&pct=100%25" })
      local r = S.last()
      assert.equal("GET", r.method)
      assert.equal("PlantListAPI.do", r.path)
      assert.same({ { "b", "2" }, { "a", "1" }, { "b", "3" }, { "x", "a b c" }, { "empty", "" }, { "flag", "" },
                    { "pct", "100%" } }, r.query)
      assert.same({}, r.form)
      assert.same({}, r.multipart)
      assert.is_nil(r.op)
    end)

    it("records a urlencoded form in order, with the op from the query", function()
      S.http("POST", "newTwoPlantAPI.do", {
        query = "op=getAllPlantListTwo",
        form = "language=1&nominalPower=&order=1&pageSize=15&plantName=a%2Bb&plantStatus=&toPageNum=1",
        headers = { ["User-Agent"] = "spec-agent/1.0" },
        cookie = "JSESSIONID=XYZ",
      })
      local r = S.last()
      assert.equal("POST", r.method)
      assert.equal("getAllPlantListTwo", r.op)
      assert.same({ { "op", "getAllPlantListTwo" } }, r.query)
      assert.same({ { "language", "1" }, { "nominalPower", "" }, { "order", "1" }, { "pageSize", "15" },
                    { "plantName", "a+b" }, { "plantStatus", "" }, { "toPageNum", "1" } }, r.form)
      assert.equal("language=1&nominalPower=&order=1&pageSize=15&plantName=a%2Bb&plantStatus=&toPageNum=1", r.body)
      assert.equal("application/x-www-form-urlencoded", r.content_type)
      assert.equal("spec-agent/1.0", r.user_agent)
      assert.equal("spec-agent/1.0", r.headers["user-agent"])
      assert.equal("JSESSIONID=XYZ", r.cookie)
      assert.equal("JSESSIONID=XYZ", r.headers.cookie)
    end)

    it("takes the op from action, or from the form when the query has none", function()
      S.http("POST", "newPlantAPI.do", { query = "action=getEnergyStorageData&plantId=1" })
      assert.equal("getEnergyStorageData", S.last().op)
      S.http("POST", "newTlxApi.do", { form = "op=getBatInfo&serialNum=X" })
      assert.equal("getBatInfo", S.last().op)
    end)

    it("records multipart fields in order", function()
      S.http("POST", "newTwoPlantAPI.do", { query = "op=updatePlant", multipart = {
        { "plantCoal", "0.4" }, { "plantName", "My plant; \"quoted\"" }, { "plantID", "2222207" }, { "empty", "" },
        { "lines", "a\r\nb" },
      } })
      local r = S.last()
      assert.matches("^multipart/form%-data; boundary=", r.content_type)
      assert.equal("updatePlant", r.op)
      assert.same({ { "plantCoal", "0.4" }, { "plantName", "My plant; \"quoted\"" }, { "plantID", "2222207" },
                    { "empty", "" }, { "lines", "a\r\nb" } }, r.multipart)
      assert.same({}, r.form)
    end)

    it("keeps a body it does not parse as raw bytes", function()
      S.http("POST", "x/y", { body = '{"a":[1,2]}\0\1\255', content_type = "application/json" })
      local r = S.last()
      assert.equal("x/y", r.path)
      assert.equal('{"a":[1,2]}\0\1\255', r.body)
    end)

    it("lists requests oldest first and leaves out control requests", function()
      S.http("GET", "a.do")
      S.stats()
      S.http("GET", "b.do")
      local list = S.requests()
      assert.equal(2, #list)
      assert.equal("a.do", list[1].path)
      assert.equal("b.do", list[2].path)
      assert.equal(2, S.stats().requests)
    end)

    it("answers 404 for a path it does not serve", function()
      local res = S.http("GET", "noSuchAPI.do", { query = "op=x" })
      assert.equal(404, res.status)
      assert.matches("noSuchAPI.do op=x", res.body, 1, true)
    end)
  end)

  describe("faults", function()
    local cookie
    before_each(function() cookie = session_cookie(login("demo", "demo-password")) end)
    local function plant_list()
      return S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = cookie })
    end

    it("stall delays the answer", function()
      S.faults({ { path = "PlantListAPI.do", stall = 0.4 } })
      local res = plant_list()
      assert.equal(200, res.status)
      assert.is_true(res.time >= 0.4)
      assert.is_true(res.json.back.success)
    end)

    it("status answers with that status and a small HTML page", function()
      S.faults({ { path = "PlantListAPI.do", status = 503 } })
      local res = plant_list()
      assert.equal(503, res.status)
      assert.matches("^text/html", res.headers["content-type"])
      assert.matches("503", res.body, 1, true)
    end)

    it("status with body answers that body", function()
      S.faults({ { status = 500, body = '{"error":"x"}' } })
      local res = plant_list()
      assert.equal(500, res.status)
      assert.equal('{"error":"x"}', res.body)
    end)

    it("html answers 200 with an HTML page where JSON is due", function()
      S.faults({ { path = "PlantListAPI.do", html = true } })
      local res = plant_list()
      assert.equal(200, res.status)
      assert.matches("^text/html", res.headers["content-type"])
      assert.matches("^<!DOCTYPE html>", res.body)
    end)

    it("body answers exactly that body as JSON", function()
      S.faults({ { path = "PlantListAPI.do", body = '{"back": {"data": [' } })
      local res = plant_list()
      assert.equal(200, res.status)
      assert.matches("^application/json", res.headers["content-type"])
      assert.equal('{"back": {"data": [', res.body)
    end)

    it("size answers a JSON body of exactly that many bytes", function()
      for _, n in ipairs({ 100000, 64, 3 }) do
        S.faults({ { path = "PlantListAPI.do", size = n } })
        local res = plant_list()
        assert.equal(n, #res.body)
        assert.equal(tostring(n), res.headers["content-length"])
        assert.truthy(res.json)
      end
    end)

    it("times makes a rule fire that many times, then disappear", function()
      S.faults({ { path = "PlantListAPI.do", status = 502, times = 2 } })
      assert.equal(502, plant_list().status)
      assert.equal(502, plant_list().status)
      assert.equal(200, plant_list().status)
    end)

    it("matches on path and op; without a path a rule hits every path but the control API", function()
      S.faults({ { path = "newTlxApi.do", op = "getTlxData", status = 500 } })
      assert.equal(500, S.http("GET", "newTlxApi.do", { query = "op=getTlxData" }).status)
      assert.equal(404, S.http("GET", "newTlxApi.do", { query = "op=noSuchOp" }).status)
      assert.equal(200, plant_list().status)
      S.faults({ { status = 418 } })
      assert.equal(418, plant_list().status)
      assert.equal(418, login("demo", "demo-password").status)
      assert.equal(1, S.stats().login_ok) -- only before_each's login got through; the control API is never faulted
    end)

    it("still records a faulted request", function()
      S.faults({ { status = 503 } })
      plant_list()
      assert.equal("PlantListAPI.do", S.last().path)
    end)

    it("stall then status: the answer comes late and fails", function()
      S.faults({ { path = "PlantListAPI.do", stall = 0.3, status = 504 } })
      local res = plant_list()
      assert.equal(504, res.status)
      assert.is_true(res.time >= 0.3)
    end)

    it("[] clears the rules; a rule list comes back from the POST", function()
      local rules = { { path = "PlantListAPI.do", status = 500 } }
      assert.same(rules, S.faults(rules))
      assert.same({}, S.faults({}))
      assert.equal(200, plant_list().status)
    end)

    it("refuses unknown fields and bad values with 400", function()
      assert.has_error(function() S.faults({ { path = "PlantListAPI.do", stal = 1 } }) end)
      assert.has_error(function() S.faults({ { status = "503" } }) end)
      assert.has_error(function() S.faults({ { times = 0, status = 500 } }) end)
      local res = S.http("POST", "__sandbox/faults", { body = "not json", content_type = "application/json" })
      assert.equal(400, res.status)
      assert.matches("bad JSON", res.json.error, 1, true)
      assert.equal(200, plant_list().status)
    end)
  end)

  describe("API families", function()
    -- v1 registers through server.family("v1/", gate): the method is checked before the gate,
    -- and the gate (token, page limits, 5-minute rule) before any handler.
    it("answers a gated family's route with 405 for another method, before its gate", function()
      local res = S.http("POST", "v1/plant/list", { headers = { token = "no-such-token" } })
      assert.equal(405, res.status)
      assert.matches("use GET", res.body, 1, true)
      assert.is_nil(res.json)
      local r = S.last()
      assert.equal("POST", r.method)
      assert.equal("v1/plant/list", r.path)
    end)

    it("lets the gate refuse before the handler, and the handler answer once the gate agrees", function()
      local refused = S.http("GET", "v1/plant/list", { headers = { token = "no-such-token" } })
      assert.equal(200, refused.status)
      assert.equal('{"data":null,"error_code":10011,"error_msg":"error_permission_denied"}', refused.body)
      local served = S.http("GET", "v1/plant/list", { headers = { token = "demo-token" } })
      assert.equal(0, served.json.error_code)
      assert.equal(3, served.json.data.count)
      assert.equal("demo-token", S.last().headers.token)
    end)

    it("answers a path no family routes with a 404 page that names it, escaped", function()
      local res = S.http("GET", "v4/new-api/noSuchEndpoint", { query = "op=%3Cb%3E" })
      assert.equal(404, res.status)
      assert.matches("no handler for v4/new-api/noSuchEndpoint op=&lt;b&gt;", res.body, 1, true)
    end)
  end)

  describe("reset", function()
    it("clears the log, counters, faults and sessions", function()
      local cookie = session_cookie(login("demo", "demo-password"))
      S.faults({ { path = "error.do", status = 500 } })
      S.reset()
      assert.same({}, S.requests())
      assert.same({ requests = 0, logins = 0, login_ok = 0, login_failed = 0 }, S.stats())
      assert.equal(200, S.http("GET", "error.do").status)
      assert.equal(302, S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = cookie }).status)
    end)

    it("restores the data changed through the state API", function()
      S.state({ accounts = { demo = { locked = true } } })
      assert.equal("507", login("demo", "demo-password").json.back.msg)
      S.reset()
      assert.is_true(login("demo", "demo-password").json.back.success)
    end)
  end)

  describe("state", function()
    it("shows the seeded data and merges changes into it", function()
      local state = S.state()
      assert.equal(1, state.seed)
      assert.equal(1234567, state.accounts.demo.id)
      assert.same({ "2222207", "2222208", "2222209" }, state.accounts.demo.plants)
      assert.equal("mix", state.devices.SPH6K00207.type)
      local changed = S.state({ plants = { ["2222207"] = { name = "Renamed" } } })
      assert.equal("Renamed", changed.plants["2222207"].name)
      assert.equal(2400, changed.plants["2222207"].current_power)
      local cookie = session_cookie(login("demo", "demo-password"))
      local back = S.http("GET", "PlantListAPI.do", { query = "userId=1234567", cookie = cookie }).json.back
      assert.equal("Renamed", back.data[1].plantName)
    end)
  end)

  describe("launcher", function()
    it("runs a second sandbox next to the first and stops it without leftovers", function()
      local sb = assert(sandbox.start())
      assert.are_not.equal(url, sb.url)
      local f = assert(io.open(sb.prefix .. "/nginx.pid"))
      local pid = f:read("*n")
      f:close()
      assert.is_true(sh_ok("curl -sf -o /dev/null " .. sb.url .. "__sandbox/stats"))
      assert.is_true(sh_ok("curl -sf -o /dev/null " .. url .. "__sandbox/stats"))
      sb:stop()
      assert.is_true(sb:stop()) -- twice is fine
      assert.is_nil(io.open(sb.prefix .. "/nginx.conf"))
      assert.is_false(sh_ok("curl -sf -o /dev/null " .. sb.url .. "__sandbox/stats"))
      -- the master is gone (at most a zombie waiting for init), and so are its workers
      assert.is_false(sh_ok("grep -qsv '^[0-9]* (.*) Z' /proc/" .. pid .. "/stat"))
      assert.is_false(sh_ok("ps -o pid= --ppid " .. pid .. " | grep -q ."))
    end)

    it("uses the port it is given and reports a taken one", function()
      local port = S.sandbox().port
      local sb, err = sandbox.start({ port = port })
      assert.is_nil(sb)
      assert.equal("growatt.sandbox: port " .. port .. " is already in use", err)
    end)

    it("starts from a given prefix, seeds, and leaves the prefix in place", function()
      local dir = os.tmpname()
      os.remove(dir)
      local sb = assert(sandbox.start({ prefix = dir, seed = 7 }))
      assert.equal(dir, sb.prefix)
      assert.is_true(sh_ok("curl -s " .. sb.url .. "__sandbox/state | grep -q '\"seed\":7'"))
      sb:stop()
      assert.is_true(sh_ok("test -f '" .. dir .. "/nginx.conf'"))
      assert.is_true(sh_ok("rm -rf '" .. dir .. "'"))
    end)

    it("says how to install nginx when it is missing", function()
      local sb, err = sandbox.start({ nginx = "/nonexistent/nginx" })
      assert.is_nil(sb)
      assert.matches("apt-get install nginx libnginx-mod-http-lua", err, 1, true)
    end)

    it("raises on unknown options", function()
      assert.has_error(function() sandbox.start({ prot = 1 }) end, "growatt.sandbox.start: unknown option 'prot'")
      assert.has_error(function() sandbox.start({ port = "1" }) end,
        "growatt.sandbox.start: option 'port' must be an integer in 1..65535")
      assert.has_error(function() sandbox.start({ workers = 0 }) end,
        "growatt.sandbox.start: option 'workers' must be an integer in 1..64")
    end)

    it("stops the nginx of a Lua process that dies without stop()", function()
      local out = os.tmpname()
      local lua = arg and arg[-1] or "lua5.4"
      -- a child Lua starts a sandbox, prints its url and dies without stopping it
      assert.is_true(sh_ok(("LUA_PATH='lua/?.lua;lua/?/init.lua;;' %s -e " ..
        "'print(assert(require(\"growatt.sandbox\").start()).url) os.exit(0)' > %s"):format(lua, out)))
      local child_url = assert(io.open(out)):read("*l")
      os.remove(out)
      assert.matches("^http://127%.0%.0%.1:%d+/$", child_url)
      local stopped = false
      for _ = 1, 40 do -- the watchdog looks once a second
        if not sh_ok("curl -sf -o /dev/null -m 1 " .. child_url .. "__sandbox/stats") then stopped = true break end
        sh_ok("sleep 0.1")
      end
      assert.is_true(stopped)
    end)
  end)
end)
