--- The worker-thread side of growatt.ngx. nginx runs `call` in a VM of its thread pool
-- (ngx.run_worker_thread), where blocking in libcurl stalls no event loop. Only plain data
-- comes in and goes out. The Api made here keeps its session state in the lua_shared_dict
-- (growatt.store_shdict; worker threads can reach shared dicts), so the session policy
-- (login guard, budget, lock state: growatt.policy) holds across every worker and thread.
--
--   job = {
--     options   growatt.new options (plain values only)
--     shdict    the lua_shared_dict's name
--     username  the account
--     redis     growatt.store_redis options, when the state lives in Redis instead
--     hash      the password hash, when the job may log in (policy.login: the stored
--               session if there is one, else a login, under the login guard)
--     method, args = { n = k, ... }   the Api method to run and its arguments (optional)
--   }
--   -> {
--     results   what api:method(...) returned (without a method: the login's reply, with no
--               password hash and no token), as { n = count, ... }; error values in them
--               (anywhere: walk's tree, batch's errs) are plain tables marked
--               `__growatt_error`, since metatables do not cross into the event loop
--     raised    the message of an error the call raised (misuse), if it did
--     expired   true when any error in the results says the session has expired
--     used      the cookies of the session the job ended with (so that a dead one is known)
--     requests  how many HTTP requests the job sent
--   }

local growatt = require("growatt")
local errors = require("growatt.errors")
local store_shdict = require("growatt.store_shdict")
local store_redis = require("growatt.store_redis")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local M = {}

-- Error values as plain marked tables, wherever they are in `v`.
local function export(v, out)
  if errors.is(v) then
    local t = { __growatt_error = true }
    for k, x in pairs(v) do t[k] = x end
    if v.kind == "session_expired" then out.expired = true end
    return t
  end
  if type(v) == "table" then
    for k, x in pairs(v) do
      if type(x) == "table" then v[k] = export(x, out) end
    end
  end
  return v
end

local function pack(...) return { n = select("#", ...), ... } end

local function run(api, job, out)
  if job.hash then
    local back, err = api:login(job.username, job.hash, true)
    if not back then
      out.results = pack(nil, err)
      return
    end
    if type(back.user) == "table" then back.user.password, back.user.token = nil, nil end
    out.results = pack(back)
  else
    -- the shared session without credentials: an expiry comes back to the event loop, which
    -- makes sure that one worker at a time logs in again
    local back, err = api:resume(job.username)
    if not back then
      out.results = pack(nil, err)
      return
    end
  end
  if job.method then
    local args = job.args or {}
    out.results = pack(api[job.method](api, unpack(args, 1, args.n or #args)))
  end
end

--- Runs one job (see above) and returns its answer.
function M.call(job)
  local options = {}
  for k, v in pairs(job.options or {}) do options[k] = v end
  options.store = job.redis and store_redis.shared(job.redis) or store_shdict.new(job.shdict, job.username)
  local api = growatt.new(options)
  local out = {}
  local ok, msg = pcall(run, api, job, out)
  if not ok then out.raised = tostring(msg) end
  out.requests = api:stats().requests -- every request goes through the session policy, which counts it
  out.used = api.session:cookies()
  out.results = export(out.results or pack(), out)
  api:close()
  return out
end

return M
