-- The sandbox server: the nginx entry points (see the config written by growatt.sandbox),
-- inside nginx (LuaJIT, Lua 5.1 API), and the table the API families work with.
--
-- A request under /__sandbox/ goes to the control API (control.lua). Any other is recorded
-- (http.lua, control.lua's log), goes through the fault rules (faults.lua) and, unless a
-- fault answers, to the handler its path and op/action are routed to (router.lua), which
-- the API families registered (legacy.lua, v1.lua, settings.lua).
--
-- State: the request log, the fault rules and the world (world.lua) live in the worker's
-- memory; sessions, locks and counters live in the shared dict (session.lua), so logins
-- work on any worker. With the default single worker everything is consistent; with more
-- workers each has its own log, faults and world (use that for load only).
local control = require("growatt.sandbox.control")
local faults = require("growatt.sandbox.faults")
local http = require("growatt.sandbox.http")
local json = require("growatt.sandbox.json")
local router = require("growatt.sandbox.router")
local session = require("growatt.sandbox.session")
local world = require("growatt.sandbox.world")

-- What a family's register(server) and its handlers (ctx.server) use.
local M = {
  -- routes
  route = router.route, family = router.family, not_logged_in = router.not_logged_in,
  -- replies
  reply = http.reply, html = http.html, escape_html = http.escape_html, encode = json.encode,
  params = http.params,
  -- sessions, locks and counters
  count = session.count, new_session = session.new_session, end_session = session.end_session,
  session_cookie = session.session_cookie, session_of = session.session_of, lock_of = session.lock_of,
  login_failed = session.login_failed, login_succeeded = session.login_succeeded,
  -- faults
  knob = faults.knob, matcher = faults.matcher, expect = faults.expect,
}

-- init_by_lua: registers the families and seeds the world, once, before the workers fork.
function M.init(opts)
  router.register_families(M)
  world.reset(opts and opts.seed or world.seed)
end

function M.init_worker()
  -- Session ids are the one random thing; workers must not share a sequence.
  math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
end

-- Requests being answered right now by this worker (a stall yields to the others). Each
-- record keeps the count seen when it arrived, itself included: its `in_flight`.
local in_flight = 0

function M.handle()
  local path = ngx.var.uri:sub(2)
  local control_name = path:match("^__sandbox/(.*)$")
  if control_name then return http.send(control.handle(control_name)) end
  local req = http.request(path)
  control.record(req)
  session.count("requests")
  in_flight = in_flight + 1
  req.in_flight = in_flight
  local ok, close = pcall(function()
    local res = faults.run(req) or router.dispatch(req)
    return res.close or http.send(res)
  end)
  in_flight = in_flight - 1
  if not ok then error(close, 0) end
  if close then return ngx.exit(444) end -- nginx drops the connection without a word
end

return M
