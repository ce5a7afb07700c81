-- The growatt module against the sandbox, over real HTTP.
local growatt = require("growatt")
local S = require("spec.support.sandbox")
local pairs_of = S.pairs_of

describe("growatt", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function() S.reset() end)

  local function api(opts)
    opts = opts or {}
    opts.server_url = opts.server_url or url
    return growatt.new(opts)
  end

  describe("module", function()
    it("exports Timespan, null and the battery modes", function()
      assert.same({ hour = 0, day = 1, month = 2 }, growatt.Timespan)
      assert.equal(require("cjson").null, growatt.null)
      assert.equal(0, growatt.BATT_MODE_LOAD_FIRST)
      assert.equal(2, growatt.BATT_MODE_GRID_FIRST)
    end)

    it("defaults to Growatt's official server and lets server_url change at any time", function()
      local a = growatt.new()
      assert.equal("https://openapi.growatt.com/", a.server_url)
      a.server_url = url
      assert.truthy(a:login("demo", "demo-password"))
      assert.equal("newTwoLoginAPI.do", S.last().path)
    end)

    it("loads the token clients and the readings only when first used", function()
      local H = require("spec.support.session")
      local dir = H.tempdir()
      H.write(dir .. "/lazy.lua", H.script({
        "local growatt = require('growatt')",
        "local function loaded(m) return package.loaded[m] ~= nil end",
        "local out = { loaded('growatt.v4.client'), loaded('growatt.openapi.v1'), loaded('growatt.readings') }",
        "local v4, v1, types = growatt.v4, growatt.openapi, growatt.DeviceType",
        "out[#out + 1] = loaded('growatt.v4.client') and loaded('growatt.openapi.v1') and type(v4) == 'function'",
        "out[#out + 1] = v1 == require('growatt.openapi').new and types.MIN == 7",
        "out[#out + 1] = loaded('growatt.readings')",
        "local readings = growatt.Api.readings",
        "out[#out + 1] = loaded('growatt.readings') and readings == require('growatt.readings').for_api",
        "for i, v in ipairs(out) do out[i] = tostring(v) end",
        "io.write(table.concat(out, ' '))",
      }))
      local out = H.sh(H.LUA .. " " .. dir .. "/lazy.lua")
      H.remove(dir)
      assert.equal("false false false true true false true", out)
    end)

    it("hashes passwords as Growatt does", function()
      assert.equal("c98f6bcd4621d373cade4e832627b4f6", growatt.hash_password("test"))
    end)
  end)

  describe("new()", function()
    it("raises on an unknown option or a wrong option type", function()
      assert.has_error(function() growatt.new({ serverurl = url }) end,
        "growatt.new: unknown option 'serverurl'")
      assert.has_error(function() growatt.new({ timeout = "5" }) end,
        "growatt.new: option 'timeout' must be a number, got string")
      assert.has_error(function() growatt.new("x") end)
    end)

    it("sends the reference's user agent with our name, or the caller's, with a random suffix", function()
      api():login("demo", "demo-password")
      assert.equal(growatt.DEFAULT_USER_AGENT, S.last().headers["user-agent"])
      api({ agent_identifier = "my-script" }):login("demo", "demo-password")
      assert.equal("my-script", S.last().headers["user-agent"])
      api({ agent_identifier = "my-script", add_random_user_id = true }):login("demo", "demo-password")
      assert.matches("^my%-script %- %d%d%d%d%d$", S.last().headers["user-agent"])
      local positional = growatt.new(true, "pos")
      positional.server_url = url
      positional:login("demo", "demo-password")
      assert.matches("^pos %- %d%d%d%d%d$", S.last().headers["user-agent"])
    end)
  end)

  describe("login", function()
    it("posts the user name and the hashed password as a form and returns back with userId", function()
      local a = api()
      local back = assert(a:login("demo", "demo-password"))
      local r = S.last()
      assert.equal("POST", r.method)
      assert.equal("newTwoLoginAPI.do", r.path)
      assert.equal("userName=demo&password=" .. growatt.hash_password("demo-password"), pairs_of(r.form))
      assert.same({}, r.query)
      assert.is_true(back.success)
      assert.equal(1234567, back.userId)
      assert.equal(back.user.rightlevel, back.userLevel)
      if math.type then assert.equal("integer", math.type(back.user.id)) end
    end)

    it("sends an already hashed password as given", function()
      api():login("demo", growatt.hash_password("demo-password"), true)
      assert.equal("userName=demo&password=" .. growatt.hash_password("demo-password"), pairs_of(S.last().form))
      assert.equal(1, S.stats().login_ok)
    end)

    it("returns nil and an auth error for a wrong password, with the server's code and reply", function()
      local back, err = api():login("demo", "wrong")
      assert.is_nil(back)
      assert.equal("auth", err.kind)
      assert.equal("502", err.code)
      assert.is_false(err.response.success)
      assert.matches("^growatt: auth: ", tostring(err))
      assert.not_matches(growatt.hash_password("wrong"), tostring(err))
      assert.equal(1, S.stats().login_failed)
    end)

    it("returns an auth error with code 501 for an unknown user", function()
      local _, err = api():login("nobody", "x")
      assert.equal("auth", err.kind)
      assert.equal("501", err.code)
      assert.equal("userName=nobody&password=" .. growatt.hash_password("x"), pairs_of(S.last().form))
    end)

    it("returns a locked error with locked_until from lockDuration", function()
      local before = os.time()
      local _, err = api():login("locked", "whatever")
      assert.equal("locked", err.kind)
      assert.equal("507", err.code)
      assert.equal(24, err.response.lockDuration)
      assert.is_true(err.locked_until >= before + 24 * 3600 and err.locked_until <= os.time() + 24 * 3600)
    end)

    it("raises on wrong argument types and sends nothing", function()
      local a = api()
      assert.has_error(function() a:login(nil, "x") end,
        "bad argument 'username' to 'login' (string expected, got nil)")
      assert.has_error(function() a:login("demo", 42) end,
        "bad argument 'password' to 'login' (string expected, got number)")
      assert.equal(0, #S.requests())
    end)
  end)

  describe("plant_list", function()
    it("carries the session cookie and sends the user id as an integer", function()
      local a = api()
      local login = assert(a:login("demo", "demo-password"))
      local back = assert(a:plant_list(login.user.id))
      local r = S.last()
      assert.equal("GET", r.method)
      assert.equal("PlantListAPI.do", r.path)
      assert.equal("userId=1234567", pairs_of(r.query))
      assert.matches("JSESSIONID=", r.headers.cookie)
      assert.is_true(back.success)
      assert.is_true(#back.data >= 3)
      assert.equal("string", type(back.data[1].plantId))
      assert.truthy(back.totalData)
    end)

    it("without a login, reports the redirect to the login page as session_expired", function()
      local plants, err = api():plant_list(1234567)
      assert.is_nil(plants)
      assert.equal("session_expired", err.kind)
      assert.equal(302, err.status)
      local r = S.last()
      assert.equal("PlantListAPI.do", r.path)
      assert.is_nil(r.headers.cookie)
    end)

    it("raises on a wrong user id type and sends nothing", function()
      assert.has_error(function() api():plant_list({}) end,
        "bad argument 'user_id' to 'plant_list' (string or number expected, got table)")
      assert.equal(0, #S.requests())
    end)

    it("returns the request instead of sending it in a dry run", function()
      local req = api({ dry_run = true }):plant_list(1234567)
      assert.equal("GET", req.method)
      assert.equal(url .. "PlantListAPI.do", req.url)
      assert.same({ { "userId", 1234567 } }, req.query)
      assert.equal(0, #S.requests())
    end)
  end)

  describe("errors from the world", function()
    local a
    before_each(function()
      a = api({ timeout = 1 })
      assert(a:login("demo", "demo-password"))
    end)

    it("an unreachable host is a network error", function()
      a.server_url = "http://127.0.0.1:1/"
      local _, err = a:plant_list(1234567)
      assert.equal("network", err.kind)
    end)

    it("a stalled endpoint is a timeout", function()
      S.faults({ { path = "PlantListAPI.do", stall = 3 } })
      local _, err = a:plant_list(1234567)
      assert.equal("timeout", err.kind)
    end)

    it("HTML where JSON was due is a protocol error", function()
      S.faults({ { path = "PlantListAPI.do", html = true } })
      local _, err = a:plant_list(1234567)
      assert.equal("protocol", err.kind)
      assert.equal("HTML where JSON was expected", err.message)
    end)

    it("a malformed JSON body is a protocol error", function()
      S.faults({ { path = "PlantListAPI.do", body = '{"back": {"data": [' } })
      local _, err = a:plant_list(1234567)
      assert.equal("protocol", err.kind)
      assert.matches("^malformed JSON", err.message)
    end)

    it("a body over max_body is a protocol error", function()
      local small = api({ max_body = 4096 })
      assert(small:login("demo", "demo-password"))
      S.faults({ { path = "PlantListAPI.do", size = 100000 } })
      local _, err = small:plant_list(1234567)
      assert.equal("protocol", err.kind)
      assert.matches("exceeds", err.message)
    end)

    it("a 5xx status is an http error with the status", function()
      S.faults({ { path = "PlantListAPI.do", status = 503 } })
      local _, err = a:plant_list(1234567)
      assert.equal("http", err.kind)
      assert.equal(503, err.status)
    end)

    it("the session still works for the next call after each failure", function()
      S.faults({ { path = "PlantListAPI.do", html = true, times = 1 } })
      assert.is_nil((a:plant_list(1234567)))
      assert.truthy(a:plant_list(1234567))
    end)
  end)
end)
