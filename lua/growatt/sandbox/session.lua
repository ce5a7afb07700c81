-- What the sandbox keeps in the shared dict, because every worker must agree on it: the
-- counters (/__sandbox/stats), the sessions (JSESSIONID -> user id) and the account locks
-- (the 507 answer) with the runs of refused passwords that lead to them.
-- Runs inside nginx (LuaJIT, Lua 5.1 API).
local M = {}

local SESSION_TTL = 12 * 3600 -- Growatt sessions die after about 12 h (protocol.md §1.3)
local DEFAULT_LOCK_SECONDS = 24 * 3600

local function dict() return ngx.shared.growatt_sandbox end

---------------------------------------------------------------------------
-- Counters

function M.count(name)
  dict():incr("stat:" .. name, 1, 0)
end

local STATS = { "requests", "logins", "login_ok", "login_failed" } -- always there; others once counted

function M.stats()
  local out = {}
  for _, name in ipairs(STATS) do out[name] = 0 end
  for _, key in ipairs(dict():get_keys(0)) do
    local name = key:match("^stat:(.*)$")
    if name then out[name] = dict():get(key) end
  end
  return out
end

---------------------------------------------------------------------------
-- Sessions

local session_counter = 0
local issued = {} -- every JSESSIONID this worker issued since the last reset

-- Starts a session for the user; returns the JSESSIONID value. Its birth time serves the
-- expire_seconds fault; the list of issued ids serves specs that look for leaked cookies.
function M.new_session(user_id)
  session_counter = session_counter + 1
  local id = ngx.md5(table.concat({ ngx.now(), ngx.worker.pid(), session_counter, math.random() }, ":")):upper()
  dict():set("session:" .. id, user_id, SESSION_TTL)
  dict():set("born:" .. id, ngx.now(), SESSION_TTL)
  issued[#issued + 1] = id
  return id
end

function M.end_session(id)
  for _, key in ipairs({ "session:", "born:", "served:" }) do dict():delete(key .. id) end
end

function M.session_cookie(id)
  return "JSESSIONID=" .. id .. "; Path=/; HttpOnly"
end

-- The live session named by the request's JSESSIONID cookie: { id, user_id } or nil.
function M.session_of(req)
  local id = req.cookie and (";" .. req.cookie):match(";%s*JSESSIONID=([^;%s]+)")
  local user_id = id and dict():get("session:" .. id)
  if user_id then return { id = id, user_id = user_id } end
end

-- How long the session has lived (s), and how many requests a knob has counted for it.
function M.age(id) return ngx.now() - (dict():get("born:" .. id) or 0) end
function M.served(id) return dict():incr("served:" .. id, 1, 0) end

-- The ids issued by this worker since the last reset (specs look for leaked cookies).
function M.issued() return issued end

-- Forgets every session, lock and counter.
function M.reset()
  issued = {}
  dict():flush_all()
end

---------------------------------------------------------------------------
-- Account locks. An account is locked when its data says so (`locked`, `lock_hours`) or when
-- a lock rule tripped; then "lock:<userName>" holds the lock's length in hours (what the 507
-- reply calls lockDuration) until the lock ends.

--- The lock of an account: its length in hours, or nil when it is not locked.
function M.lock_of(account)
  if account.locked then return account.lock_hours or 24 end
  return dict():get("lock:" .. account.name)
end

-- Locks the account `name` for `seconds` (default 24 h), unless it is locked already.
function M.lock(name, seconds)
  seconds = seconds or DEFAULT_LOCK_SECONDS
  if dict():get("lock:" .. name) then return end
  dict():set("lock:" .. name, seconds / 3600, seconds)
  dict():delete("failures:" .. name) -- the lock starts a new count
  M.count("locks")
end

--- The login handler reports every refused password (consecutive failures lock an account)
-- and every success (which ends the run of failures).
function M.login_failed(account) dict():incr("failures:" .. account.name, 1, 0) end
function M.login_succeeded(account) dict():delete("failures:" .. account.name) end

-- How many passwords in a row were refused for the account `name`.
function M.failures(name) return dict():get("failures:" .. name) or 0 end

return M
