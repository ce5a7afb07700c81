-- The HTML pages Growatt's front ends answer with where JSON is due (protocol.md §8), as the
-- fault knobs serve them. Runs inside nginx (LuaJIT, Lua 5.1 API).
local M = {}

local function request_id() return ngx.md5(ngx.now() .. ":" .. math.random()):sub(1, 26) end

-- The web login page served in place of data once a session has died.
M.LOGIN = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>ShineServer - Login</title></head>' ..
  '<body><form id="loginForm" action="/login" method="post"><input name="account" type="text">' ..
  '<input name="password" type="password"><button type="submit">Login</button></form></body></html>\n'

-- The Tengine CDN's user-agent blacklist (403).
function M.ua_acl()
  return '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head><title>403 Forbidden</title></head>' ..
    "<body><h1>403 Forbidden</h1><p>You don't have permission to access the URL on this server.</p>" ..
    "<p>denied by UA ACL = blacklist</p><hr/>Powered by Tengine <br/>CDN Request Id: " .. request_id() ..
    "</body></html>"
end

-- The web application firewall (405).
function M.waf()
  return '<!doctype html><html lang="zh-cn"><head><meta charset="utf-8"><title>405</title></head><body>' ..
    "<h1>405</h1><p>Sorry, your request has been blocked as it may cause potential threats to the " ..
    "server's security.</p><p>Your request ID is : " .. request_id() .. "</p></body></html>"
end

-- A maintenance page: HTML where JSON is due, and not a login page.
M.MAINTENANCE = "<!DOCTYPE html><html><head><title>Growatt</title></head><body>" ..
  "<h1>System upgrade</h1><p>The server is being upgraded. Please try again later.</p></body></html>\n"

-- A body of exactly n bytes that looks like a reply, to test the client's size cap.
function M.of_size(n)
  local head, tail = '{"back":{"success":true,"padding":"', '"}}'
  if n < #head + #tail then return ("1"):rep(n) end -- still a valid JSON number for n >= 1
  return head .. ("x"):rep(n - #head - #tail) .. tail
end

return M
