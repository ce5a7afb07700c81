-- A recording server whose replies the spec sets as it goes (spec/support/hostile.lua
-- underneath): each request is answered by the function in a script file, read again at
-- every request, so one server serves a whole spec file.
--
--   local server = scripted.start()
--   server:reply('{"code":0,"data":40,"message":"success"}')      -- every request, this body
--   server:script([[ return function(n, path, body) return "..." end ]])  -- a JSON body per request
--   server:requests()   -- as hostile's, since the last reply()/script()
local hostile = require("spec.support.hostile")

local scripted = {}

local SOURCE = [[
local file = %q
return function(n, head, body)
  local reply = assert(loadfile(file))()
  local path = head:match("^%%u+ /([^ ?]*)")
  local text, status = reply(n, path, body, head)
  return "HTTP/1.1 " .. (status or "200 OK") .. "\r\nContent-Type: application/json;charset=UTF-8\r\n" ..
    "Content-Length: " .. #text .. "\r\nConnection: close\r\n\r\n" .. text
end
]]

local Server = {}
Server.__index = Server

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

function scripted.start()
  local p = assert(io.popen("mktemp"))
  local file = p:read("*l")
  p:close()
  write(file, "return function() return '{}' end")
  local server = hostile.start(SOURCE:format(file))
  return setmetatable({ server = server, file = file, url = server.url, seen = 0 }, Server)
end

--- Every request from now on gets the JSON text `body` (and HTTP `status`, default "200 OK").
function Server:reply(body, status)
  self:script(("return function() return %q, %s end"):format(body, status and ("%q"):format(status) or "nil"))
end

--- Requests from now on are answered by the function `source` returns:
-- function(n, path, body, head) -> body text [, status line].
function Server:script(source)
  write(self.file, source)
  self.seen = #self.server:requests()
end

--- The requests received since the last reply()/script().
function Server:requests()
  local all, out = self.server:requests(), {}
  for i = self.seen + 1, #all do out[#out + 1] = all[i] end
  return out
end

--- The header `name` of a logged request, or nil.
function scripted.header(r, name)
  for line in r.head:gmatch("[^\r\n]+") do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k and k:lower() == name then return v end
  end
end

function Server:stop()
  self.server:stop()
  os.remove(self.file)
end

return scripted
