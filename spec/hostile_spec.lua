-- What a hostile server can do to the library, against small servers of spec.support.hostile:
-- a login reply with a user id that names no user, a giant response header line, text with
-- terminal control characters, and a flood of cookies. Each spec checks what the server
-- received as well as what the caller got.
local growatt = require("growatt")
local hostile = require("spec.support.hostile")

local LOGIN_PATH = "newTwoLoginAPI.do"

-- A server that answers a login with `back` (a JSON text) and anything else with an empty
-- plant list; `headers` are extra header lines for every reply.
local function login_server(back, headers)
  return hostile.start(([[
local login = %q
local other = '{"back":{"success":true,"data":[]}}'
local headers = %q
return function(_, head)
  local body = head:find("^POST /newTwoLoginAPI.do") and login or other
  return "HTTP/1.1 200 OK\r\n" .. headers .. "Content-Type: application/json\r\nContent-Length: " .. #body
    .. "\r\nConnection: close\r\n\r\n" .. body
end]]):format('{"back":' .. back .. '}', headers or ""))
end

local function paths(server)
  local list = {}
  for i, r in ipairs(server:requests()) do list[i] = r.path end
  return list
end

describe("a hostile server", function()
  describe("a login reply's user id", function()
    local started -- the servers a spec started, stopped however it ends
    before_each(function() started = {} end)
    after_each(function()
      for _, server in ipairs(started) do server:stop() end
    end)

    -- JSON texts of ids that name no user; 2^53 + 1 as a number and as digits.
    local BAD = { "1e400", "1.5", "-3", "0", '"abc"', '""', '"-3"', '"1.5"', '" 12"', "9007199254740993",
      '"9007199254740993"', "9007199254740992", "true", "null", "{}", "[1]" }

    it("is a protocol error at login when it is not a positive integer below 2^53", function()
      for _, id in ipairs(BAD) do
        local server = login_server('{"success":true,"user":{"id":' .. id .. ',"rightlevel":1}}')
        started[#started + 1] = server
        local api = growatt.new({ server_url = server.url })
        local ok, back, err = pcall(api.login, api, "someone", "pw")
        assert.is_true(ok, id .. ": " .. tostring(back))
        assert.is_nil(back, id)
        assert.equal("protocol", err.kind, id)
        assert.matches("user id", err.message)
        assert.is_nil(api.user_id, id)
        -- what the server got: the login, and nothing after it
        assert.same({ LOGIN_PATH }, paths(server), id)
        assert.matches("userName=someone", server:requests()[1].body, 1, true)
        api:close()
        server:stop()
      end
    end)

    it("is taken as it is when it is one, a number or a string of digits", function()
      for id, want in pairs({ ["1234567"] = 1234567, ['"1234567"'] = "1234567", ["9007199254740991"] = 2 ^ 53 - 1 }) do
        local server = login_server('{"success":true,"user":{"id":' .. id .. ',"rightlevel":1}}')
        started[#started + 1] = server
        local api = growatt.new({ server_url = server.url })
        local back = assert(api:login("someone", "pw"))
        assert.equal(want, back.userId)
        assert(api:plant_list(back.userId))
        assert.same({ LOGIN_PATH, "PlantListAPI.do" }, paths(server))
        assert.matches("userId=" .. id:gsub('"', "") .. " ", server:requests()[2].head, 1, true)
        api:close()
        server:stop()
      end
    end)
  end)

  describe("a 10 MB response header line", function()
    local server
    before_each(function()
      server = hostile.start([[
return function()
  return "HTTP/1.1 200 OK\r\nX-Big: " .. string.rep("a", 10 * 1024 * 1024) .. "\r\nContent-Length: 2\r\n\r\n{}"
end]])
    end)
    after_each(function() server:stop() end)

    it("is a protocol error, not retried", function()
      local api = growatt.new({ server_url = server.url })
      local v, err = api:plant_list(1)
      assert.is_nil(v)
      assert.equal("protocol", err.kind)
      assert.equal("a response header line is too long", err.message)
      assert.equal(0, api:stats().retries)
      assert.same({ "PlantListAPI.do" }, paths(server))
      api:close()
    end)

    it("is a protocol error of the C session", function()
      local s = require("growatt.core").session({ timeout = 10 })
      local res, err = s:request("GET", server.url .. "x")
      assert.is_nil(res)
      assert.equal("protocol", err.kind)
      assert.equal("a response header line is too long", err.message)
      assert.same({ "x" }, paths(server))
      s:close()
    end)
  end)

  describe("control characters in what a server says", function()
    -- An OSC that sets the terminal's title, a bell, colours, a carriage return that
    -- overwrites the line, a new line, a C1 CSI (U+009B) and DEL.
    local EVIL = [[\u001b]0;pwned\u0007\u001b[31mRED\u001b[0m\rOVERWRITTEN\nsecond line\u009b2J\u007f]]

    it("stay in the error's message, and tostring(err) is one line without them", function()
      local server = login_server('{"success":false,"msg":"599","error":"' .. EVIL .. '"}')
      finally(function() server:stop() end)
      local api = growatt.new({ server_url = server.url })
      local back, err = api:login("someone", "pw")
      assert.is_nil(back)
      assert.equal("api", err.kind)
      assert.matches("\27]0;pwned\7", err.message, 1, true) -- the data, as the server sent it
      local s = tostring(err)
      assert.is_nil(s:find("%c"), s)
      assert.is_nil(s:find("\194[\128-\159]"), s)
      assert.equal([[growatt: api: login refused: \x1B]0;pwned\x07\x1B[31mRED\x1B[0m\x0DOVERWRITTEN]]
        .. [[\x0Asecond line\u009B2J\x7F (code 599)]], s)
      assert.same({ LOGIN_PATH }, paths(server))
      api:close()
    end)

    it("in an error code are escaped too", function()
      local server = login_server('{"success":false,"msg":"5\\r\\n07"}')
      finally(function() server:stop() end)
      local api = growatt.new({ server_url = server.url })
      local _, err = api:login("someone", "pw")
      assert.equal("5\r\n07", err.code)
      assert.equal([[growatt: api: login refused: 5\x0D\x0A07 (code 5\x0D\x0A07)]], tostring(err))
      api:close()
    end)
  end)

  describe("a server that sets 50 new 4 KB cookies on every reply", function()
    local server, dir
    before_each(function()
      server = hostile.start([[
return function(n, head)
  local lines = {}
  for i = 1, 50 do lines[i] = ("Set-Cookie: c%d_%d=%s; Path=/\r\n"):format(n, i, string.rep("v", 4000)) end
  local body = '{"back":{"success":true,"data":[]}}'
  if head:find("^POST /newTwoLoginAPI.do") then
    lines = { "Set-Cookie: JSESSIONID=session1; Path=/\r\n" }
    body = '{"back":{"success":true,"user":{"id":1234567}}}'
  end
  return "HTTP/1.1 200 OK\r\n" .. table.concat(lines) .. "Content-Type: application/json\r\nContent-Length: "
    .. #body .. "\r\nConnection: close\r\n\r\n" .. body
end]])
      local p = io.popen("mktemp -d")
      dir = p:read("*l")
      p:close()
    end)
    after_each(function()
      server:stop()
      os.execute("rm -rf '" .. dir .. "'")
    end)

    it("fills the jar to its caps (50 cookies, 16 KiB), keeping the oldest, and counts the rest", function()
      local state = dir .. "/state.json"
      local api = growatt.new({ server_url = server.url, state_file = state })
      assert(api:login("someone", "pw"))
      local sizes = {}
      for i = 1, 5 do
        assert(api:plant_list(1234567))
        sizes[i] = #io.open(state):read("*a")
      end
      local jar = api.session:cookies()
      local count = select(2, jar:gsub("[^\n]+", ""))
      assert.is_true(count >= 2 and count <= 50, tostring(count))
      assert.is_true(#jar <= 16384, tostring(#jar))
      assert.matches("\tJSESSIONID\tsession1", jar, 1, true) -- the oldest stays
      -- every cookie set (1 + 5 x 50) is in the jar or counted as dropped
      assert.equal(1 + 5 * 50, count + api:stats().cookies_dropped)
      -- the state file stays small, and stops growing
      assert.is_true(sizes[5] < 24 * 1024, tostring(sizes[5]))
      assert.equal(sizes[2], sizes[5])
      -- what the server got: the login, then each call with at most the capped jar
      local reqs = server:requests()
      assert.same({ LOGIN_PATH, "PlantListAPI.do", "PlantListAPI.do", "PlantListAPI.do", "PlantListAPI.do",
        "PlantListAPI.do" }, paths(server))
      for i = 2, #reqs do
        local cookie = reqs[i].head:match("\r\nCookie: ([^\r]*)")
        assert.matches("^JSESSIONID=session1", cookie)
        assert.is_true(#cookie <= 16384, tostring(#cookie))
      end
      api:close()
    end)

    it("fills no more than the caps when a stored jar is taken up", function()
      local s = require("growatt.core").session({})
      local lines = {}
      for i = 1, 80 do lines[i] = "127.0.0.1\tFALSE\t/\tFALSE\t0\tk" .. i .. "\tv" end
      s:set_cookies(table.concat(lines, "\n"))
      local jar = s:cookies()
      assert.equal(50, select(2, jar:gsub("[^\n]+", "")))
      assert.matches("^127.0.0.1\tFALSE\t/\tFALSE\t0\tk1\tv\n", jar)
      assert.equal(30, s:cookies_dropped())
      local res = assert(s:request("GET", server.url .. "x"))
      assert.equal(200, res.status)
      local sent = server:requests()[1].head:match("\r\nCookie: ([^\r]*)")
      assert.equal(50, select(2, sent:gsub("k%d+=v", "")))
      assert.matches("k1=v", sent, 1, true)
      s:close()
    end)
  end)
end)
