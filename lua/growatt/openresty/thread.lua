--- The worker-thread side of growatt.ngx. nginx runs `call` in a VM of its thread pool
-- (ngx.run_worker_thread), where blocking in libcurl stalls no event loop. Only plain data
-- comes in and goes out. The Api made here keeps its session state in the lua_shared_dict
-- (growatt.store_shdict; worker threads can reach shared dicts), so the session policy
-- (login guard, budget, lock state: growatt.engine.policy) holds across every worker and thread.
--
-- Warm sessions: each thread VM keeps its Apis (and so their C sessions: the open
-- connections and the TLS sessions) from one job to the next, one per identity: the
-- lua_shared_dict, the account, the API family and every option (server origin, ca_file, proxy, timeouts,
-- User-Agent). A job takes up its account's stored session from the dict before it sends
-- anything (api:login or api:resume set the cookies), so cookies never pass from one
-- account to another. An Api unused for `keepalive` seconds (default 60; 0: none is kept)
-- is closed at the VM's next job, the least recently used beyond thread.MAX_KEPT too, and the
-- rest when nginx closes the VM (the C session's __gc).
--
--   job = {
--     options   growatt.new options (plain values only)
--     shdict    the lua_shared_dict's name
--     username  the user
--     account   the user at the server (growatt.store.key): the shared session's key
--     redis     growatt.store_redis options, when the state lives in Redis instead
--     family    "v4" or "v1": a token API's job (no login: the method alone), with
--     token     its token
--     hash      the password hash, when the job may log in (policy.login: the stored
--               session if there is one, else a login, under the login guard)
--     method, args = { n = k, ... }   the Api method to run and its arguments (optional)
--     keepalive seconds the Api may stay unused in this VM before it is closed (default 60)
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
local core = require("growatt.core")
local errors = require("growatt.errors")
local store_shdict = require("growatt.openresty.store_shdict")
local store_redis = require("growatt.engine.store_redis")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local thread = {}

--- The token families' constructors in growatt, by the job's `family`.
thread.FAMILIES = { v4 = "v4", v1 = "openapi" }

thread.KEEPALIVE = 60 -- seconds an unused Api stays open in a thread VM
thread.MAX_KEPT = 8   -- Apis kept open per thread VM at most

-- The Apis kept in this VM: key -> { api = Api, used = time of its last job }.
local kept = {}

-- Error values as plain marked tables, wherever they are in `v`.
local function export(v, out)
  if errors.is(v) then
    if v.kind == "session_expired" then out.expired = true end
    return errors.plain(v)
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
  if job.family then -- a token API: no session, the method alone
    local args = job.args or {}
    out.results = pack(api[job.method](api, unpack(args, 1, args.n or #args)))
    return
  end
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

-- A value as text, tables with their keys sorted: equal options give equal text.
local function canonical(v)
  if type(v) ~= "table" then return type(v) .. ":" .. tostring(v) end
  local parts = {}
  for k, x in pairs(v) do parts[#parts + 1] = canonical(k) .. "=" .. canonical(x) end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Closes the kept Apis unused for their keepalive at `now`, then the least recently used
-- beyond MAX_KEPT - 1 (room for one more).
local function evict(now)
  local list = {}
  for key, entry in pairs(kept) do
    if now - entry.used >= entry.keepalive then
      kept[key] = nil
      entry.api:close()
    else
      list[#list + 1] = { key = key, used = entry.used }
    end
  end
  table.sort(list, function(a, b) return a.used < b.used end)
  for i = 1, #list - (thread.MAX_KEPT - 1) do
    kept[list[i].key].api:close()
    kept[list[i].key] = nil
  end
end

-- The kept Api of the job's identity (taken out of the cache while it runs), or a new one.
local function api_for(job, key)
  local entry = kept[key]
  if entry then
    kept[key] = nil
    return entry.api
  end
  local options = {}
  for k, v in pairs(job.options or {}) do options[k] = v end
  options.store = job.redis and store_redis.shared(job.redis) or store_shdict.new(job.shdict, job.account)
  if job.family then
    options.token = job.token
    return growatt[thread.FAMILIES[job.family]](options)
  end
  return growatt.new(options)
end

--- Runs one job (see above) and returns its answer.
function thread.call(job)
  local keepalive = job.keepalive or thread.KEEPALIVE
  evict(core.now())
  local key = canonical({ job.shdict, job.account, job.family or false, job.options or {}, job.redis or false })
  local api = api_for(job, key)
  local before = api._stats.requests
  local out = {}
  local ok, msg = pcall(run, api, job, out)
  if not ok then out.raised = tostring(msg) end
  out.requests = api._stats.requests - before -- every request goes through the session policy, which counts it
  out.used = api.session:cookies()
  out.results = export(out.results or pack(), out)
  if ok and keepalive > 0 then
    kept[key] = { api = api, used = core.now(), keepalive = keepalive }
  else
    api:close()
  end
  return out
end

return thread
