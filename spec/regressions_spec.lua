-- growatt.core: one spec per defect that the sanitizers, valgrind, cppcheck or the fuzzers
-- (fuzz/, HACKING.md "Hardening") found, with the input that showed it, so that it stays fixed.
local core = require("growatt.core")

-- A one-shot server for a raw reply: a child lua5.4 with luasocket (the core blocks in libcurl,
-- so the server cannot run in this process) that sends what it reads from stdin to the first
-- connection and writes the request head it received to stderr.
local SERVER = [[
local socket = require("socket")
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
print(port)
io.stdout:flush()
server:settimeout(10)
local c = assert(server:accept())
c:settimeout(2)
local head = {}
repeat
  local line = c:receive("*l")
  head[#head + 1] = line
until not line or line == ""
c:send(io.read("*a"))
c:close()
io.stderr:write(table.concat(head, "\n"))
]]

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- s:request(method, path, opts) with s's base_url pointing at a server that sends `reply`
-- (raw bytes of an HTTP response); returns res, err and the request head the server got.
local function exchange(s, reply, method, path, opts)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir " .. dir))
  write(dir .. "/reply", reply)
  write(dir .. "/server.lua", SERVER)
  local pipe = assert(io.popen(("lua5.4 %s/server.lua < %s/reply 2> %s/request"):format(dir, dir, dir)))
  local port = assert(tonumber(pipe:read("*l")), "the reply server did not start")
  s:configure({ base_url = "http://127.0.0.1:" .. port .. "/" })
  local res, err = s:request(method, path, opts)
  pipe:close()
  local f = assert(io.open(dir .. "/request", "rb"))
  local request = f:read("*a")
  f:close()
  os.execute("rm -rf " .. dir)
  return res, err, request
end

describe("regressions", function()
  local s
  before_each(function() s = core.session({ timeout = 5 }) end)
  after_each(function() s:close() end)

  describe("response headers", function()
    -- fuzz/response: the line ":empty" came back as headers[""] = "empty"
    it("a header line without a name, or with a name that is no HTTP token, is not a header", function()
      local res, err = exchange(s, "HTTP/1.1 200 OK\r\n:empty\r\nBad Name: x\r\nX-Ok:  kept \r\n" ..
        "Content-Length: 2\r\n\r\nok", "GET", "")
      assert.is_nil(err)
      assert.equal(200, res.status)
      assert.equal("ok", res.body)
      assert.same({ ["x-ok"] = "kept", ["content-length"] = "2" }, res.headers)
    end)
  end)

  describe("status line", function()
    -- fuzz/response: curl read "HTTP/21310 . Found" as the status 1310, which came back as a
    -- reply
    it("a status outside 100..999 is a protocol error, and the session goes on", function()
      local res, err = exchange(s, "HTTP/21310 . Found\r\nLocation: /x\r\n\r\n", "GET", "")
      assert.is_nil(res)
      assert.equal("protocol", err.kind)
      assert.equal("malformed status line", err.message)
      res, err = exchange(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET", "")
      assert.is_nil(err)
      assert.equal("ok", res.body)
    end)
  end)

  describe("request URLs", function()
    -- fuzz/request: with a "#" in the path, the query was appended after it, inside the
    -- fragment, which curl drops: the parameters were never sent
    it("puts the query before a fragment, which is not sent", function()
      local res, err, request = exchange(s, "HTTP/1.1 204 No Content\r\n\r\n", "GET", "plant.do?op=x#part",
        { query = { { "plantId", 1 }, { "d", "a#b" } } })
      assert.is_nil(err)
      assert.equal(204, res.status)
      assert.equal("GET /plant.do?op=x&plantId=1&d=a%23b HTTP/1.1", request:match("^[^\r\n]*"))
    end)
  end)

  describe("request headers", function()
    -- fuzz/request: a content_type of form feeds went to curl, which took it as blank and sent
    -- the body without a Content-Type; a header value of them vanished the same way, and a
    -- user_agent with CR LF could add a header of its own
    it("a header value with a control character other than tab raises; a tab is sent", function()
      for _, bad in ipairs({ "\f\f", "a\vb", "a\127", "a\27[0m" }) do
        assert.has_error(function() s:request("POST", "x", { body = "b", content_type = bad }) end,
          "request option content_type must not contain control characters")
        assert.has_error(function() s:request("GET", "x", { headers = { { "X-A", bad } } }) end,
          "header 'X-A': value must not contain control characters")
        assert.has_error(function() core.session({ user_agent = bad }) end,
          "session option 'user_agent' must not contain control characters")
      end
      assert.has_error(function() core.session({ user_agent = "a\r\nX-Evil: 1" }) end,
        "session option 'user_agent' must not contain control characters")
      s:configure({ user_agent = "agent\t1" })
      local res, err, request = exchange(s, "HTTP/1.1 204 No Content\r\n\r\n", "POST", "x",
        { body = "b", content_type = "text/plain;\tq=1", headers = { { "X-A", "a\tb\xff" } } })
      assert.is_nil(err)
      assert.equal(204, res.status)
      assert.matches("\nContent%-Type: text/plain;\tq=1\r?\n", request)
      assert.matches("\nX%-A: a\tb\xff\r?\n", request)
      assert.matches("\nUser%-Agent: agent\t1\r?\n", request)
    end)
  end)

  describe("json_decode", function()
    -- fuzz/json_jit (the JSON target under LuaJIT, against lua-cjson): LuaJIT cannot convert
    -- an exponent of more than about ten digits, and such numbers decoded as 0
    it("decodes numbers with huge exponents to infinities and zeros, as strtod does", function()
      local v = core.json_decode("[1e99999999999999999999, -1E+99999999999999999999, 2e-99999999999999999999," ..
        " 0e99999999999999999999, 1e400, 1.5e2147483648]")
      assert.same({ math.huge, -math.huge, 0, 0, math.huge, math.huge }, v)
    end)
  end)

  describe("cookies", function()
    local LIVE = "127.0.0.1\tFALSE\t/\tFALSE\t0\tJSESSIONID\tlive"
    local EXPIRED = "127.0.0.1\tFALSE\t/api\tFALSE\t1\told\texpired"

    -- fuzz/cookies: an expired cookie imported last stayed in curl's jar until the next cookie
    -- was added, so the export held it, and importing that export gave another set
    it("the export leaves expired cookies out and imports back to itself", function()
      s:set_cookies(LIVE .. "\n" .. EXPIRED .. "\n")
      assert.equal(LIVE, s:cookies())
      local again = core.session()
      again:set_cookies(s:cookies())
      assert.equal(s:cookies(), again:cookies())
      s:set_cookies(EXPIRED)
      assert.equal("", s:cookies())
      again:close()
    end)

    -- fuzz/cookies: curl took ".Set-Cookie: a=b" (or "...x") as a domain from an imported line,
    -- and listed the cookie as a line that reads back as a Set-Cookie header (or as "..x")
    it("the export leaves out cookies whose domain is no host name", function()
      s:set_cookies(table.concat({
        ".Set-Cookie: a=b\t/\tTRUE\t0\tn\tv",
        "bad host\tFALSE\t/\tFALSE\t0\tn\tv",
        "...dots.test\tFALSE\t/\tFALSE\t0\tn\tv", -- read back with one dot less each time
        "a..b\tFALSE\t/\tFALSE\t0\tn\tv",
        "..est\tFALSE\t/\tFALSE\t0\tn\tv", -- kept as ".est", not tail-matching: read back as "est"
        "[::1]\tFALSE\t/\tFALSE\t0\tv6\tx",
        "#HttpOnly_.growatt.com\tTRUE\t/\tTRUE\t0\tSERVERID\ty",
      }, "\n"))
      local lines = {}
      for line in s:cookies():gmatch("[^\n]+") do lines[#lines + 1] = line end
      table.sort(lines)
      assert.same({ "#HttpOnly_.growatt.com\tTRUE\t/\tTRUE\t0\tSERVERID\ty", "[::1]\tFALSE\t/\tFALSE\t0\tv6\tx" },
        lines)
    end)

    -- fuzz/cookies: curl also took Set-Cookie headers, where "path=" gave an empty path field
    -- that read back (curl takes a run of tabs as one) as another cookie, and a line with no
    -- path, for which it made one up and kept a second cookie beside an equal one
    it("set_cookies takes only the lines cookies() lists, and the export imports back to itself", function()
      local kept = "fuzz.test\tFALSE\t/p\tTRUE\t0\te\t"
      s:set_cookies(table.concat({
        "Set-Cookie: a=b; domain=fuzz.test; path=/",
        "fuzz.test\tTRUE\t\tFALSE\t0\ta\tb", -- empty path
        "fuzz.test\tTRUE\tTRUE\tFALSE\t0\ta\tb", -- path TRUE
        "gom\tFALSE\t/\tFALSE\t0\tn", -- six fields
        "gom\tT\tFALSE\t0\tn", -- no path
        "gom\tFALSE\t/\tFALSE\t0\t\tv", -- no name
        "gom\tFALSE\t/\tmaybe\t0\tn\tv",
        "gom\tFALSE\t/\tFALSE\t-1\tn\tv",
        "gom\tFALSE\t/\tFALSE\t0\tn\tv\tw",
        "gom\tFALSE\t/\tFALSE\t0\tn\tv\rw",
        "ALL", "SESS", "FLUSH", "RELOAD",
        kept,
      }, "\n"))
      assert.equal(kept, s:cookies())
      local again = core.session()
      again:set_cookies(s:cookies())
      assert.equal(kept, again:cookies())
      again:close()
    end)
  end)
end)
