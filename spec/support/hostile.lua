-- Small hostile servers on 127.0.0.1, for the specs of what a server can do to the client:
-- a child lua5.4 with LuaSocket (the core blocks in libcurl, so the server cannot run in the
-- spec's process) answers every request with what a reply function makes, and logs each
-- request it received.
--
--   local server = hostile.start([[ return function(n, head, body) return "HTTP/1.1 ..." end ]])
--   ... server.url ...
--   server:requests()  -- { { head = "POST /x HTTP/1.1\r\n...", path = "x", body = "..." }, ... }
--   server:stop()
--
-- The reply function runs in the child: n counts the requests from 1, head is the request
-- head (request line and headers, CRLF-separated), body the request body. Each reply is sent
-- on its own connection, which is then closed.
local load = rawget(_G, "loadstring") or load -- PUC Lua 5.1's load takes a function, not text
local hostile = {}

local SERVER = [[
local socket = require("socket")
local reply = assert(loadfile(arg[1]))()
local log = arg[2]
local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local pid = io.open("/proc/self/stat"):read("*l"):match("^%d+")
print(port .. " " .. pid)
io.stdout:flush()
server:settimeout(60) -- a server left behind ends by itself
local n = 0
while true do
  local c = server:accept()
  if not c then break end
  c:settimeout(5)
  local lines, length = {}, 0
  repeat
    local line = c:receive("*l")
    if line and line ~= "" then
      lines[#lines + 1] = line
      length = tonumber(line:lower():match("^content%-length:%s*(%d+)")) or length
    end
  until not line or line == ""
  local head = table.concat(lines, "\r\n")
  local body = length > 0 and c:receive(length) or ""
  n = n + 1
  local f = assert(io.open(log, "ab"))
  f:write(string.format("{ head = %q, body = %q },\n", head, body or ""))
  f:close()
  c:send(reply(n, head, body or ""))
  c:close()
end
]]

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local Server = {}
Server.__index = Server

--- Starts a server whose replies come from `source`, Lua 5.4 code that returns the reply
-- function. Returns the server, with its base URL in server.url.
function hostile.start(source)
  local p = assert(io.popen("mktemp -d"))
  local dir = p:read("*l")
  p:close()
  write(dir .. "/server.lua", SERVER)
  write(dir .. "/reply.lua", source)
  write(dir .. "/log", "")
  local pipe = assert(io.popen(("exec lua5.4 %s/server.lua %s/reply.lua %s/log"):format(dir, dir, dir)))
  local port, pid = (pipe:read("*l") or ""):match("^(%d+) (%d+)$")
  assert(port, "the hostile server did not start")
  return setmetatable({ dir = dir, pipe = pipe, pid = pid, url = "http://127.0.0.1:" .. port .. "/" }, Server)
end

--- The requests received so far: { head, body, path } each, path without the leading "/"
-- and the query.
function Server:requests()
  local f = assert(io.open(self.dir .. "/log", "rb"))
  local list = assert(load("return {" .. f:read("*a") .. "}"))()
  f:close()
  for _, r in ipairs(list) do r.path = r.head:match("^%u+ /([^ ?]*)") end
  return list
end

--- Stops the server; idempotent.
function Server:stop()
  if self.stopped then return end
  self.stopped = true
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  self.pipe:close()
  os.execute("rm -rf '" .. self.dir .. "'")
end

--- A complete HTTP/1.1 reply: status 200 unless given, extra header lines, a JSON body.
function hostile.reply_source(body, headers)
  return ("return function() return %q end"):format("HTTP/1.1 200 OK\r\n" .. (headers or "") ..
    "Content-Type: application/json\r\nContent-Length: " .. #body .. "\r\nConnection: close\r\n\r\n" .. body)
end

return hostile
