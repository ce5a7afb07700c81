-- growatt.core, the C module, for everything that needs no HTTP server: the password hash,
-- form encoding, misuse, closed sessions, cookies, and network/TLS/timeout failures.
-- Request and response behaviour over real HTTP is covered by the specs run against the sandbox.
local core = require("growatt.core")

local socket = require("socket") -- lua-socket, installed by tools/deps

-- A TCP listener that never answers (the kernel still completes connections into its
-- backlog): for timeouts, and to prove that a request that raises sent nothing.
local function silent_listener()
  local server = assert(socket.bind("127.0.0.1", 0))
  local _, port = server:getsockname()
  return server, "http://127.0.0.1:" .. port .. "/"
end

local sh = require("spec.support.session").sh

describe("growatt.core", function()
  describe("hash_password", function()
    it("is Growatt's modified MD5", function()
      assert.equal("5f4dcc3b5aa765d61d8327deb882cf99", core.hash_password("password"))
      assert.equal("c98f6bcd4621d373cade4e832627b4f6", core.hash_password("test"))
      assert.equal("21232f297a57a5a743894ace4a801fc3", core.hash_password("admin"))
      assert.equal("e1cadc3949ba59abbe56e057f2cf883e", core.hash_password("123456"))
      assert.equal("ccc175b9c0f1b6a831c399e269772661", core.hash_password("a"))
    end)

    it("hashes every byte, NUL included, and the empty string", function()
      assert.equal("7035cf6027bce3713f6b76473084309b", core.hash_password("a\0b"))
      assert.equal("d41d8cd98fc0b2c4e980c998ecf8427e", core.hash_password(""))
    end)

    it("raises on a non-string", function()
      assert.has_error(function() core.hash_password() end)
      assert.has_error(function() core.hash_password({}) end)
      assert.has_error(function() core.hash_password(true) end)
    end)
  end)

  describe("encode", function()
    local function enc(name, value) return core.encode({ { name, value } }) end

    it("keeps unreserved bytes and joins pairs with & in order", function()
      assert.equal("AZaz09-._~=x", enc("AZaz09-._~", "x"))
      assert.equal("b=2&a=1&b=3", core.encode({ { "b", "2" }, { "a", "1" }, { "b", "3" } }))
      assert.equal("", core.encode({}))
    end)

    it("turns spaces into + and every other byte into uppercase %XX", function()
      assert.equal("a+b=c+d", enc("a b", "c d"))
      assert.equal("k=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25",
        enc("k", "!*'();:@&=+$,/?#[]%"))
      assert.equal("k=%0D%0A%00%FF", enc("k", "\r\n\0\255"))
      assert.equal("%3D=%26", enc("=", "&"))
    end)

    it("encodes UTF-8 byte by byte", function()
      assert.equal("u=%C3%A9%E6%97%A5", enc("u", "é日"))
    end)

    it("sends an empty value as key=", function()
      assert.equal("key=", enc("key", ""))
      assert.equal("=v", enc("", "v"))
    end)

    it("writes integral numbers without a decimal point", function()
      assert.equal("userId=1234567", enc("userId", 1234567))
      assert.equal("userId=1234567", enc("userId", 1234567.0))
      assert.equal("n=-5", enc("n", -5))
      assert.equal("n=0", enc("n", -0.0))
      assert.equal("n=9007199254740992", enc("n", 2 ^ 53))
      assert.equal("n=1000000000000000", enc("n", 1e15))
      if math.maxinteger then
        assert.equal("n=9223372036854775807", enc("n", math.maxinteger))
      end
    end)

    it("writes other numbers as %.14g", function()
      assert.equal("f=1.5", enc("f", 1.5))
      assert.equal("f=0.1", enc("f", 0.1))
      assert.equal("f=0.33333333333333", enc("f", 1 / 3))
      assert.equal("f=1e%2B20", enc("f", 1e20))
    end)

    it("raises on anything but a list of {string, string|number} pairs", function()
      assert.has_error(function() core.encode() end,
        "encode: expected a list of {name, value} pairs, got no value")
      assert.has_error(function() core.encode("a=1") end,
        "encode: expected a list of {name, value} pairs, got string")
      assert.has_error(function() core.encode({ { "a", "1" }, "b=2" }) end,
        "encode pair 2: must be a table {name, value}, got string")
      assert.has_error(function() core.encode({ { 1, "x" } }) end,
        "encode pair 1: name must be a string, got number")
      assert.has_error(function() core.encode({ { "a", "1" }, { "b", true } }) end,
        "encode pair 2: value must be a string or number, got boolean")
      assert.has_error(function() core.encode({ { "a" } }) end,
        "encode pair 1: value must be a string or number, got nil")
      assert.has_error(function() core.encode({ { "a", {} } }) end,
        "encode pair 1: value must be a string or number, got table")
    end)
  end)

  describe("session()", function()
    it("makes a Session with defaults or options", function()
      local s = core.session()
      assert.matches("^growatt%.Session %(0x%x+%)$", tostring(s))
      s:close()
      s = core.session({
        base_url = "http://127.0.0.1:1/", user_agent = "x", connect_timeout = 1.5, timeout = 2,
        ca_file = "/nonexistent", proxy = "", max_body = 1024,
      })
      s:close()
      s = core.session({ max_body = 1024.0 })
      s:close()
    end)

    it("raises on an unknown option or a wrong type", function()
      assert.has_error(function() core.session("x") end)
      assert.has_error(function() core.session({ bogus = 1 }) end, "unknown session option 'bogus'")
      assert.has_error(function() core.session({ "x" }) end)
      assert.has_error(function() core.session({ base_url = 5 }) end,
        "session option 'base_url' must be a string, got number")
      assert.has_error(function() core.session({ user_agent = "a\0b" }) end)
      assert.has_error(function() core.session({ timeout = "5" }) end,
        "session option 'timeout' must be a number of seconds, got string")
      assert.has_error(function() core.session({ connect_timeout = -1 }) end)
      assert.has_error(function() core.session({ timeout = 0 / 0 }) end)
      assert.has_error(function() core.session({ max_body = 1.5 }) end)
      assert.has_error(function() core.session({ max_body = -1 }) end)
      assert.has_error(function() core.session({ max_body = "1" }) end)
    end)

    it("configure takes the same options and raises the same way", function()
      local s = core.session()
      s:configure({ base_url = "http://127.0.0.1:1/", timeout = 1 })
      s:configure(nil)
      assert.has_error(function() s:configure({ base_uri = "x" }) end, "unknown session option 'base_uri'")
      assert.has_error(function() s:configure("x") end)
      s:close()
    end)
  end)

  describe("request misuse", function()
    local s
    before_each(function() s = core.session({ base_url = "http://127.0.0.1:1/" }) end)
    after_each(function() s:close() end)

    local function raises(msg, method, url, opts)
      assert.has_error(function() s:request(method, url, opts) end, msg)
    end

    it("raises on a bad method, url or options table", function()
      raises(nil, nil, "x")
      raises(nil, 1, "x")
      raises(nil, "", "x")
      raises(nil, "GE T", "x")
      raises(nil, "GET\r\n", "x")
      raises(nil, "GET", nil)
      raises(nil, "GET", 5)
      raises(nil, "GET", "x", "opts")
      raises("url must not contain NUL bytes", "GET", "x\0y")
    end)

    it("raises on an unknown request option", function()
      raises("unknown request option 'params'", "GET", "x", { params = {} })
      raises(nil, "GET", "x", { [1] = "x" })
    end)

    it("raises on a bad pair, naming the option and the pair", function()
      raises("query: expected a list of {name, value} pairs, got string", "GET", "x", { query = "a=1" })
      raises("query pair 2: value must be a string or number, got boolean", "GET", "x",
        { query = { { "a", 1 }, { "b", false } } })
      raises("form pair 1: name must be a string, got number", "POST", "x", { form = { { 1, "a" } } })
      raises("multipart pair 1: must be a table {name, value}, got string", "POST", "x",
        { multipart = { "a" } })
      raises("multipart pair 1: value must be a string or number, got table", "POST", "x",
        { multipart = { { "a", {} } } })
    end)

    it("raises on more than one body, or a body of the wrong type", function()
      raises("request options form, multipart and body exclude each other", "POST", "x",
        { form = {}, body = "" })
      raises(nil, "POST", "x", { form = {}, multipart = {} })
      raises("request option body must be a string, got table", "POST", "x", { body = {} })
      raises("request option content_type goes with body", "POST", "x",
        { form = {}, content_type = "text/plain" })
      raises(nil, "POST", "x", { body = "", content_type = 5 })
      raises(nil, "POST", "x", { body = "", content_type = "text/plain\r\nX-Injected: 1" })
      raises("a HEAD request cannot have a body", "HEAD", "x", { body = "" })
    end)

    it("raises on bad headers without showing their values", function()
      raises(nil, "GET", "x", { headers = "token: x" })
      raises(nil, "GET", "x", { headers = { ["bad name"] = "x" } })
      raises(nil, "GET", "x", { headers = { ["X-A:"] = "x" } })
      raises(nil, "GET", "x", { headers = { { "X-A", true } } })
      raises(nil, "GET", "x", { headers = { [2] = { "X-A", "1" } } })
      local ok, err = pcall(s.request, s, "GET", "x", { headers = { token = "s3cret\r\nX-Injected: 1" } })
      assert.is_false(ok)
      assert.matches("header 'token': value must not contain control characters", err, 1, true)
      assert.is_nil(err:find("s3cret", 1, true))
    end)

    it("raises on a bad timeout", function()
      raises("request option timeout must be a number of seconds, got string", "GET", "x",
        { timeout = "1" })
      raises(nil, "GET", "x", { timeout = -1 })
    end)

    it("sends nothing when it raises", function()
      local server, url = silent_listener()
      s:configure({ base_url = url })
      raises(nil, "POST", "x", { form = { { "password", "p" } }, headers = { { "X", false } } })
      raises(nil, "POST", "x", { body = "b", content_type = "\f\f" })
      raises(nil, "GET", "x", { headers = { { "X-A", "a\vb" } } })
      server:settimeout(0)
      assert.is_nil(server:accept())
      server:close()
    end)
  end)

  describe("a closed session", function()
    it("returns a closed error, exports no cookies and can be closed again", function()
      local s = core.session()
      s:set_cookies("127.0.0.1\tFALSE\t/\tFALSE\t0\tJSESSIONID\tabc")
      s:close()
      s:close()
      assert.equal("growatt.Session (closed)", tostring(s))
      local res, err = s:request("GET", "http://127.0.0.1:1/")
      assert.is_nil(res)
      assert.equal("closed", err.kind)
      assert.equal("session is closed", err.message)
      assert.is_nil(err.curl_code)
      assert.equal("growatt: closed: session is closed", tostring(err))
      assert.equal("", s:cookies())
      s:set_cookies("127.0.0.1\tFALSE\t/\tFALSE\t0\tJSESSIONID\tabc")
      s:clear_cookies()
      assert.equal("", s:cookies())
      s:configure({ timeout = 1 })
    end)

    it("still raises on misuse", function()
      local s = core.session()
      s:close()
      assert.has_error(function() s:request("GET", "x", { bogus = 1 }) end, "unknown request option 'bogus'")
      assert.has_error(function() s:set_cookies(5) end)
      assert.has_error(function() s:configure({ bogus = 1 }) end)
    end)

    it("is closed by __close in a to-be-closed variable (Lua 5.4)", function()
      if _VERSION ~= "Lua 5.4" then return pending("Lua 5.4 only") end
      local chunk = assert((loadstring or load)([[
        local core, out = ...
        do
          local s <close> = core.session()
          out.s = s
        end
      ]]))
      local out = {}
      chunk(core, out)
      assert.equal("growatt.Session (closed)", tostring(out.s))
    end)
  end)

  describe("cookies", function()
    local line = "127.0.0.1\tFALSE\t/\tFALSE\t0\tJSESSIONID\tabc"
    local other = "#HttpOnly_.example.com\tTRUE\t/app\tTRUE\t4102444800\tSERVERID\tsrv-1"

    local function sorted_lines(text)
      local t = {}
      for l in text:gmatch("[^\n]+") do t[#t + 1] = l end
      table.sort(t)
      return t
    end

    it("start empty", function()
      assert.equal("", core.session():cookies())
    end)

    it("round-trip Netscape lines through set_cookies and cookies", function()
      local s = core.session()
      s:set_cookies(line)
      assert.equal(line, s:cookies())
      s:set_cookies(line .. "\r\n\n" .. other .. "\n")
      assert.same(sorted_lines(line .. "\n" .. other), sorted_lines(s:cookies()))
      local s2 = core.session()
      s2:set_cookies(s:cookies())
      assert.same(sorted_lines(s:cookies()), sorted_lines(s2:cookies()))
    end)

    it("are replaced by set_cookies and emptied by clear_cookies or \"\"", function()
      local s = core.session()
      s:set_cookies(other)
      s:set_cookies(line)
      assert.equal(line, s:cookies())
      s:clear_cookies()
      assert.equal("", s:cookies())
      s:set_cookies(line)
      s:set_cookies("")
      assert.equal("", s:cookies())
    end)

    it("set_cookies raises on a non-string", function()
      local s = core.session()
      assert.has_error(function() s:set_cookies() end)
      assert.has_error(function() s:set_cookies(5) end)
      assert.has_error(function() s:set_cookies({ line }) end)
    end)
  end)

  describe("failures", function()
    it("an unreachable host is a network error", function()
      local s = core.session({ base_url = "http://127.0.0.1:1/" })
      local res, err = s:request("GET", "x", { query = { { "userId", 1 } } })
      assert.is_nil(res)
      assert.equal("network", err.kind)
      assert.equal(7, err.curl_code)
      assert.is_string(err.message)
      assert.matches("^growatt: network: ", tostring(err))
      s:close()
    end)

    it("a server that does not answer in time is a timeout", function()
      local server, url = silent_listener()
      local s = core.session({ base_url = url, timeout = 5 })
      local t0 = socket.gettime()
      local res, err = s:request("GET", "x", { timeout = 0.2 })
      assert.is_nil(res)
      assert.equal("timeout", err.kind)
      assert.equal(28, err.curl_code)
      assert.is_true(socket.gettime() - t0 < 3)
      s:close()
      server:close()
    end)

    describe("TLS", function()
      local dir, pid, url

      setup(function()
        dir = sh("mktemp -d")
        sh(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2" ..
          " -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1" ..
          " -keyout %s/key.pem -out %s/cert.pem 2>&1"):format(dir, dir))
        assert(io.open(dir .. "/cert.pem"), "the openssl command (tools/deps) made no certificate"):close()
        local probe = assert(socket.bind("127.0.0.1", 0))
        local port = select(2, probe:getsockname())
        probe:close()
        pid = sh(("openssl s_server -quiet -www -accept 127.0.0.1:%d -cert %s/cert.pem -key %s/key.pem" ..
          " >/dev/null 2>&1 & echo $!"):format(port, dir, dir))
        url = "https://127.0.0.1:" .. port .. "/"
        -- wait until it listens
        local s = core.session({ timeout = 1 })
        for _ = 1, 50 do
          local _, err = s:request("GET", url)
          if not err or err.curl_code ~= 7 then break end
          os.execute("sleep 0.1")
        end
        s:close()
      end)

      teardown(function()
        if pid and pid:match("^%d+$") then os.execute("kill " .. pid) end
        if dir then os.execute("rm -rf '" .. dir .. "'") end
      end)

      it("an untrusted certificate is a tls error: verification has no off switch", function()
        local s = core.session({ base_url = url })
        local res, err = s:request("GET", "")
        assert.is_nil(res)
        assert.equal("tls", err.kind)
        assert.equal(60, err.curl_code)
        s:close()
      end)

      it("ca_file makes a private certificate trusted", function()
        local s = core.session({ base_url = url, ca_file = dir .. "/cert.pem" })
        local res, err = s:request("GET", "")
        assert.is_nil(err)
        assert.equal(200, res.status)
        assert.equal(url, res.url)
        s:close()
      end)

      it("a missing ca_file is a tls error", function()
        local s = core.session({ base_url = url, ca_file = dir .. "/missing.pem" })
        local res, err = s:request("GET", "")
        assert.is_nil(res)
        assert.equal("tls", err.kind)
        s:close()
      end)
    end)
  end)

  describe("its error values", function()
    local errors = require("growatt.errors")

    it("are the one error type: adopted in place, made plain for a thread and adopted back", function()
      local session = core.session({ connect_timeout = 2 })
      local res, e = session:request("GET", "http://127.0.0.1:1/")
      session:close()
      assert.is_nil(res)
      local adopted = errors.from_core(e)
      assert.is_true(rawequal(e, adopted)) -- the C core's table, not a copy
      assert.is_true(errors.is(adopted, "network"))
      assert.equal(7, adopted.curl_code)
      local plain = errors.plain(adopted)
      assert.is_true(rawequal(e, plain))
      assert.is_nil(getmetatable(plain))
      assert.is_true(errors.is_plain(plain))
      local back = errors.adopt(plain)
      assert.is_true(rawequal(e, back))
      assert.is_nil(back.__growatt_error)
      assert.matches("^growatt: network: ", tostring(back))
      -- what a thread hands back is untrusted: an unknown kind and a huge message are mended
      local odd = errors.adopt({ __growatt_error = true, kind = "nonsense", message = ("x"):rep(10000) })
      assert.is_true(errors.is(odd, "network"))
      assert.is_true(#odd.message < 300)
    end)
  end)
end)
