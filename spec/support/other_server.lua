-- A second, minimal Growatt server on its own port, in a child process, that writes down
-- every Cookie header it receives, so that specs can tell whether a session made with
-- another server (the sandbox) was ever sent to it.
--
--   local O = require("spec.support.other_server")
--   local other = O.start()          -- other.url: "http://127.0.0.1:<port>/"
--   other:requests()                 -- { { method, path, cookie }, ... } in the order received
--   other:login_reply(body)          -- what later logins get (a JSON text), instead of success
--   other:stop()
--
-- It answers a login (POST newTwoLoginAPI.do) for any user and password with its own
-- session cookie, "JSESSIONID=other-<n>" (or with the body login_reply set, as it is); any
-- other request with that cookie gets
-- {"back":{"data":[]}}, and without it the redirect to the login page that Growatt sends
-- for an expired session. Run as a script: lua other_server.lua PORT_FILE LOG_FILE.
local O = {}

local LOGIN_REPLY = '{"back":{"success":true,"user":{"id":1234567,"accountName":"demo",' ..
  '"rightlevel":1}}}'

-- The child: accepts connections one at a time, one request each.
local function serve(port_file, log_file)
  local socket = require("socket")
  local server = assert(socket.bind("127.0.0.1", 0))
  local _, port = server:getsockname()
  local f = assert(io.open(port_file, "w"))
  f:write(port)
  f:close()
  local sessions = 0
  while true do
    local c = server:accept()
    c:settimeout(5)
    local line = c:receive("*l") or ""
    local method, target = line:match("^(%u+) (%S+)")
    local cookie, length = "", 0
    while true do
      local h = c:receive("*l")
      if not h or h == "" then break end
      local name, value = h:match("^([^:]+):%s*(.*)$")
      name = name and name:lower()
      if name == "cookie" then cookie = value end
      if name == "content-length" then length = tonumber(value) or 0 end
    end
    if length > 0 then c:receive(length) end
    local path = (target or ""):gsub("^https?://[^/]*", ""):gsub("%?.*$", "")
    local log = assert(io.open(log_file, "a"))
    log:write(tostring(method), "\t", path, "\t", cookie, "\n")
    log:close()
    local status, headers, body = "200 OK", "", '{"back":{"data":[]}}'
    local reply = io.open(log_file .. ".login", "rb")
    if path:find("newTwoLoginAPI.do", 1, true) and reply then
      body = reply:read("*a")
    elseif path:find("newTwoLoginAPI.do", 1, true) then
      sessions = sessions + 1
      headers, body = "Set-Cookie: JSESSIONID=other-" .. sessions .. "; Path=/\r\n", LOGIN_REPLY
    elseif not cookie:find("JSESSIONID=other-", 1, true) then
      status, headers, body = "302 Found", "Location: /login.do?errorNoLogin\r\n", ""
    end
    if reply then reply:close() end
    c:send("HTTP/1.1 " .. status .. "\r\n" .. headers .. "Content-Type: application/json\r\n" ..
      "Content-Length: " .. #body .. "\r\nConnection: close\r\n\r\n" .. body)
    c:close()
  end
end

if arg and arg[0] and arg[0]:find("other_server%.lua$") and arg[1] then serve(arg[1], arg[2]) end

local H = require("spec.support.session")

local Other = {}
Other.__index = Other

--- Starts the server; returns { url, stop, requests }.
function O.start()
  local dir = H.tempdir()
  local port_file, log_file = dir .. "/port", dir .. "/log"
  local pid = H.sh(string.format("%s spec/support/other_server.lua '%s' '%s' >/dev/null 2>&1 & echo $!",
    H.LUA, port_file, log_file))
  local port
  for _ = 1, 500 do
    port = H.read(port_file)
    if port and port ~= "" then break end
    require("growatt.core").sleep(0.01)
  end
  assert(port and port ~= "", "the other server did not start")
  return setmetatable({ url = "http://127.0.0.1:" .. port .. "/", pid = pid, dir = dir, log = log_file }, Other)
end

--- The requests received so far: { method, path, cookie } each.
function Other:requests()
  local out = {}
  for line in (H.read(self.log) or ""):gmatch("[^\n]+") do
    local method, path, cookie = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    out[#out + 1] = { method = method, path = path, cookie = cookie }
  end
  return out
end

function Other:login_reply(body)
  H.write(self.log .. ".login", body)
end

function Other:stop()
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  H.remove(self.dir)
end

return O
