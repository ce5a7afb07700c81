-- The sandbox's routes and the API families that fill them, inside nginx (LuaJIT, Lua 5.1 API).
--
-- An API family is one module with register(server) and one line in FAMILIES below. It
-- registers its handlers with server.route (a path, and an op/action or nil), or, for an API
-- whose every request passes one gate under one path prefix (the OpenAPI v1 `v1/`, the v4
-- `v4/new-api/`), with the function server.family(prefix, gate) returns.
--
-- A handler is called as handler(req, ctx) with
--   req  the recorded request (http.lua: method, path, op, query, form, multipart, headers, ...)
--   ctx  { params = name->value, state = the world, session = {id, user_id} or nil,
--          account = the session's account or nil, server = the server table (server.lua) }
-- and returns body[, status[, headers]] (body a table for JSON or a string), or a reply
-- made with server.reply / server.html.
local data = require("growatt.sandbox.data")
local http = require("growatt.sandbox.http")
local session = require("growatt.sandbox.session")
local world = require("growatt.sandbox.world")

local M = {}

M.FAMILIES = {
  "growatt.sandbox.legacy",   -- ShinePhone: login, plants and devices
  "growatt.sandbox.v1",       -- OpenAPI v1 (token header)
  "growatt.sandbox.settings", -- ShinePhone: settings reads and writes
  "growatt.sandbox.v4.api",   -- OpenAPI v4 "new-api" (token header)
}

-- path -> { ops = { [op] = route }, default = route }, where route = { handler, session }.
local routes = {}
local server -- the table handlers find in ctx.server (register_families)

-- op nil: the handler for requests to the path whose op has no handler of its own.
-- opts.session: answer 302 to the login error page unless the request has a live session.
function M.route(path, op, handler, opts)
  local entry = routes[path] or { ops = {} }
  routes[path] = entry
  local route = { handler = handler, session = opts and opts.session or false }
  if op == nil then entry.default = route else entry.ops[op] = route end
end

-- For a family under `prefix` whose requests all pass `gate`: returns route(method, name,
-- handler), which answers `prefix .. name` for that method only (405 otherwise) and calls
-- gate(handler)(req, ctx), so the gate decides (token, limits, envelope) before the handler.
function M.family(prefix, gate)
  return function(method, name, handler)
    local gated = gate(handler)
    M.route(prefix .. name, nil, function(req, ctx)
      if req.method ~= method then return http.html(405, "Method Not Allowed", "use " .. method) end
      return gated(req, ctx)
    end)
  end
end

local function find_route(req)
  local entry = routes[req.path]
  return entry and (req.op and entry.ops[req.op] or entry.default)
end

-- What Growatt answers on a session route without a live session (protocol.md §9).
function M.not_logged_in()
  local res = http.html(302, "Found", 'Please <a href="/login">log in</a>.')
  res.headers.Location = "/error.do?errorMess=errorNoLogin"
  return res
end

-- The reply of the route for the request.
function M.dispatch(req)
  local route = find_route(req)
  if not route then
    return http.html(404, "Not Found", "The sandbox has no handler for " ..
      http.escape_html(req.path .. (req.op and (" op=" .. req.op) or "")) .. ".")
  end
  local live = session.session_of(req)
  if route.session and not live then return M.not_logged_in() end
  local state = world.state
  local ctx = { params = http.params(req), state = state, session = live, server = server,
                account = live and data.account_by_id(state, live.user_id) }
  local ok, body, status, headers = xpcall(function() return route.handler(req, ctx) end, debug.traceback)
  if not ok then
    ngx.log(ngx.ERR, "sandbox handler failed: ", body)
    return http.html(500, "Internal Server Error", "sandbox handler failed (see the sandbox error log)")
  end
  if http.is_reply(body) then return body end
  return http.reply(status, body, headers)
end

-- Lets every family register its routes with `server_table`.
function M.register_families(server_table)
  server = server_table
  for _, name in ipairs(M.FAMILIES) do require(name).register(server) end
end

return M
