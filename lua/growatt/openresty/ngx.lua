--- growatt.ngx: the Growatt client inside OpenResty/nginx, never blocking the event loop.
--
--   # nginx.conf, main level:  thread_pool growatt threads=4;
--   # http level:              lua_shared_dict growatt 1m;
--   local gngx = require("growatt.ngx")
--   local api = gngx.new{ username = "demo", password = "demo-password", server_url = "..." }
--   local login, err = api:login()                  -- one login shared by every worker
--   local plants, err = api:plant_list(login.user.id)
--
-- The methods are growatt.Api's, with the same arguments and `res, err` results. Each call runs
-- in nginx's thread pool (ngx.run_worker_thread with growatt.openresty.thread); only plain data
-- crosses. The session state (cookies, user id, last login, lock end, request counts) lives
-- in the lua_shared_dict through growatt.store_shdict, under the session policy
-- (growatt.engine.policy: login guard, budget, retries), so all worker processes share one login
-- and one lock state. A login is made by one worker at a time (a lock key in the dict); the
-- others wait for it without blocking, then use the session it made; a session that expires
-- is replaced the same way. The shared session is the user's at the client's server only,
-- and a client uses it only when its password hash proves itself against the session's
-- verifier (growatt.store): a client configured with another password logs in itself,
-- under the login guard. The password is hashed at once and only the hash is kept. Calls
-- work where ngx.run_worker_thread does: rewrite, access and content phases, ngx.timer
-- callbacks (tested with lua-nginx-module 0.10.23, Debian 12).
--
-- With `token` (and `api` = "v4", the default, or "v1") the client has the token API's
-- methods instead, and no login: its intervals and budget are kept in the dict under the
-- token's account, so every worker keeps them together.

local growatt = require("growatt")
local errors = require("growatt.errors")
local store = require("growatt.engine.store")
local store_shdict = require("growatt.openresty.store_shdict")
local store_redis = require("growatt.engine.store_redis")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local gngx = {}

gngx.THREAD_MODULE = "growatt.openresty.thread"

--- Options of gngx.new besides growatt.new's (growatt.OPTIONS), and their Lua types.
gngx.OPTIONS = {
  username = "string",
  password = "string",       -- hashed at once
  password_hash = "string",  -- or the hash itself
  shdict = "string",         -- the lua_shared_dict's name (default "growatt")
  pool = "string",           -- the thread_pool's name (default "growatt")
  wait = "number",           -- seconds a call may wait for another worker's login or a free
                             -- thread VM (lua_worker_thread_vm_pool_size) (default: timeout + 5)
  keepalive = "number",      -- seconds a thread VM keeps an unused session open, with its
                             -- connection and TLS session (default 60; 0: none is kept)
  redis = "table",           -- growatt.store_redis options: the session state (and the login
                             -- lock) in Redis, shared by several nginx hosts (docs/several-hosts.md)
  token = "string",          -- a token API instead of username and password: growatt.v4's
                             -- methods (or growatt.openapi's, with api = "v1")
  api = "string",            -- with a token: "v4" (default) or "v1"
}

-- The token families: the constructor the thread makes an object with, by `api`.
local FAMILIES = require("growatt.openresty.thread").FAMILIES

-- growatt.new options that cannot cross into a worker thread, or that this module sets.
local NOT_HERE = {
  store = "the session state lives in the lua_shared_dict (option shdict)",
  state_file = "the session state lives in the lua_shared_dict (option shdict)",
  on_request = "a function cannot cross into a worker thread",
}

gngx.DEFAULTS = { shdict = "growatt", pool = "growatt", timeout = 30 }

-- The password hash of each client, kept out of the client table (which users may print);
-- so are its Redis options, which may hold a password.
local hashes = setmetatable({}, { __mode = "k" })
local tokens = setmetatable({}, { __mode = "k" })
local redis_options = setmetatable({}, { __mode = "k" })

local Client = {}
gngx.Client = Client

-- Methods of growatt.Api that do not become thread calls here.
-- (set_token would change one thread VM's object; a device object cannot cross back.)
local LOCAL = { close = true, login = true, set_token = true, device = true, get_device = true }

-- Error values back from their plain, marked form (growatt.openresty.thread), wherever they are.
local function import(v)
  if type(v) ~= "table" then return v end
  if errors.is_plain(v) then return errors.adopt(v) end
  for k, x in pairs(v) do
    if type(x) == "table" then v[k] = import(x) end
  end
  return v
end

-- A dry-run Api of this Lua VM (options only, nothing per request): it checks the arguments
-- of a call, raising on misuse as growatt.Api does, before anything is sent.
local checkers = {}

local function check_arguments(family, name, args)
  local checker = checkers[family or "shinephone"]
  if not checker then
    checker = family and growatt[FAMILIES[family]]({ token = "-", dry_run = true }) or growatt.new({ dry_run = true })
    checkers[family or "shinephone"] = checker
  end
  if not (checker._endpoints[name] or name == "batch") then return end
  local ok, msg = pcall(checker[name], checker, unpack(args, 1, args.n))
  if not ok then error(msg, 0) end -- the method's boundary drops its position
end

-- What a thread job returned, as the method returns it; counted. A misuse the thread reported
-- is raised again (the method's boundary puts it at the user's line, without the thread's
-- position).
local function finish(self, out)
  local failed = out.failed or out.raised
  if failed then error(failed, 0) end
  self:_count("calls")
  if out.requests > 0 then self:_count("requests", out.requests) end
  local results = import(out.results)
  local err = results[1] == nil and results[2]
  if errors.is(err) then self:_count("errors:" .. err.kind) end
  return results
end

-- The methods of a client class: those of the family's class `of` (growatt.Api, or a token
-- family's), made on first use: client:<name>(...) runs it in a thread.
local function methods_of(of, family)
  return function(class, name)
    if type(name) ~= "string" or name:sub(1, 1) == "_" or LOCAL[name] then return nil end
    if type(of[name]) ~= "function" then return nil end
    local method = errors.boundary(function(self, ...)
      local args = { n = select("#", ...), ... }
      check_arguments(family, name, args)
      local results = finish(self, self:_run(name, args))
      return unpack(results, 1, results.n)
    end)
    rawset(class, name, method)
    return method
  end
end

setmetatable(Client, { __index = methods_of(growatt.Api) })
Client.__index = Client

-- A token family's own options (its constructor checks which it takes).
local FAMILY_OPTIONS = { cache = "boolean", timezone = "number", intervals = "boolean", min_interval = "number" }

local function check_options(opts)
  for k in pairs(opts) do
    if NOT_HERE[k] then errors.misuse("growatt.ngx.new: option '%s' is not available: %s", k, NOT_HERE[k]) end
  end
  local types = setmetatable({}, { __index = function(_, k)
    return gngx.OPTIONS[k] or growatt.OPTIONS[k] or (opts.token and FAMILY_OPTIONS[k])
  end })
  errors.check_options("growatt.ngx.new", opts, types)
  if opts.keepalive and not (opts.keepalive >= 0 and opts.keepalive < math.huge) then
    errors.misuse("growatt.ngx.new: option 'keepalive' must be a number >= 0")
  end
  if opts.token then
    for _, k in ipairs({ "username", "password", "password_hash" }) do
      if opts[k] then errors.misuse("growatt.ngx.new: options 'token' and '%s' exclude each other", k) end
    end
    if not FAMILIES[opts.api or "v4"] then errors.misuse("growatt.ngx.new: option 'api' must be 'v4' or 'v1'") end
    return
  end
  if opts.api then errors.misuse("growatt.ngx.new: option 'api' goes with option 'token'") end
  if not opts.username then errors.misuse("growatt.ngx.new: option 'username' (or 'token') is required") end
  if not opts.password and not opts.password_hash then
    errors.misuse("growatt.ngx.new: option 'password' (or 'password_hash') is required")
  end
end

-- The client class of each token family: its methods are the family's; it has no login.
local TokenClients = {}

--- Makes a client. It holds options only (no connection, no per-request data), so one made
-- at module level can serve every request of the worker.
local function new(opts)
  errors.check(opts, "table", "opts", "growatt.ngx.new")
  check_options(opts)
  local api_options = {}
  for k, v in pairs(opts) do
    if not gngx.OPTIONS[k] then api_options[k] = v end
  end
  local family = opts.token and (opts.api or "v4")
  -- The User-Agent is fixed once, so that a random suffix stays the same on every call.
  local probe
  if family then
    api_options.token = opts.token
    probe = growatt[FAMILIES[family]](api_options)
    api_options.token = nil -- it crosses into the thread as the job's token, never as an option
  else
    probe = growatt.new(api_options)
  end
  api_options.agent_identifier, api_options.add_random_user_id = probe.user_agent, nil
  local name = opts.username or probe.account -- a token's account: a digest, never the token
  local account = store.key(probe.server_url, name)
  probe:close()
  local shdict = opts.shdict or gngx.DEFAULTS.shdict
  local redis_ok, redis = pcall(function() return opts.redis and store_redis.new(opts.redis) end)
  if not redis_ok then
    errors.misuse("growatt.ngx.new: option 'redis': %s", (errors.strip(redis):gsub("^store_redis%.new: ", "")))
  end
  local client = setmetatable({
    username = name,
    family = family,
    account = account, -- the user (or token) at the server: the key of the shared state
    pool = opts.pool or gngx.DEFAULTS.pool,
    shdict = shdict,
    dict = ngx.shared[shdict],
    store = redis or store_shdict.new(shdict, account),
    options = api_options,
    wait = opts.wait or (opts.timeout or gngx.DEFAULTS.timeout) + 5,
    keepalive = opts.keepalive,
  }, family and TokenClients[family] or Client)
  if family then
    tokens[client] = opts.token
  else
    hashes[client] = opts.password_hash or growatt.hash_password(opts.password)
  end
  redis_options[client] = opts.redis
  return client
end
gngx.new = errors.boundary(new)

---------------------------------------------------------------------------
-- Shared state

function Client:_account()
  return (self.store:load_account(self.account)) -- {} from a store that cannot be read
end

-- The cross-worker login lock: the store's own (Redis: one for every host) or the shared
-- dict's. Returns a true value when taken, false when another holds it, or nil and an error.
function Client:_lock(name)
  if not self.store.lock then return (self.dict:add(name, ngx.worker.pid(), self.wait)) end
  local token, err = self.store:lock(name, self.wait)
  if token == nil then return nil, errors.new("store", "no login while the login lock cannot be taken: " .. err) end
  return token
end

function Client:_unlock(name, token)
  if self.store.unlock then self.store:unlock(name, token) else self.dict:delete(name) end
end

-- The shared account when it holds a live session (as the session policy takes one up)
-- other than `stale`, made with this client's password (its verifier proves it); else nil.
function Client:_session(stale)
  local account, state = store.load_account(self.store, self.account)
  if account and type(account.cookies) == "string" and account.cookies ~= ""
    and account.cookies ~= stale and type(account.login) == "table" and store.valid_salt(state.salt)
    and account.verifier == store.verifier(state, hashes[self]) then
    return account
  end
end

-- The client's counters in the dict: "stat:<username>:<name>".
function Client:_count(name, n)
  self.dict:incr("stat:" .. self.username .. ":" .. name, n or 1, 0)
end

--- The client's own counters, shared by all workers: { calls (method calls), requests
-- (HTTP requests sent to Growatt), logins (login requests sent, as the session policy
-- counts them), errors = { kind = calls that ended in an error of that kind } }.
function Client:stats()
  local function get(name) return self.dict:get("stat:" .. self.username .. ":" .. name) or 0 end
  local out = { calls = get("calls"), requests = get("requests"), logins = self:_account().logins or 0, errors = {} }
  for kind in pairs(errors.kinds) do out.errors[kind] = get("errors:" .. kind) end
  return out
end

---------------------------------------------------------------------------
-- Calls

-- Runs one job in the thread pool; returns its answer (see growatt.openresty.thread), or
-- { failed = message } when nginx cannot run it (no such thread pool, a value that cannot
-- cross into a thread). When every thread VM of this worker is busy (at most
-- lua_worker_thread_vm_pool_size, 10 by default), the call waits for one.
function Client:_thread(job)
  job.options, job.shdict, job.username, job.account = self.options, self.shdict, self.username, self.account
  job.family, job.token = self.family, tokens[self]
  job.keepalive = self.keepalive
  job.redis = redis_options[self]
  local deadline = ngx.now() + self.wait
  while true do
    local ok, done, out = pcall(ngx.run_worker_thread, self.pool, gngx.THREAD_MODULE, "call", job)
    if ok and done then return out end
    local message = tostring(ok and out or done)
    if message ~= "no available Lua vm" then
      return { requests = 0, failed = "growatt.ngx: the worker thread failed (is there a 'thread_pool " ..
        self.pool .. "' at nginx.conf's main level?): " .. message }
    end
    if ngx.now() >= deadline then
      local err = errors.new("timeout", "no worker-thread Lua VM was free for " .. self.wait ..
        " s (lua_worker_thread_vm_pool_size)")
      return { requests = 0, results = { n = 2, nil, err } }
    end
    ngx.sleep(0.005)
  end
end

-- Runs the job with a session: the shared one if there is one (other than `stale`, a
-- session that has just expired), else after a login. One worker at a time logs in; the
-- others wait here without blocking and then use the session it made. The login itself is
-- the session policy's (growatt.engine.policy, in the thread): its guard may refuse it, without a
-- request, while the account is locked or when the last login is too recent.
function Client:_login_and_call(job, stale)
  local lock = "login:" .. self.account
  local deadline = ngx.now() + self.wait
  while true do
    local account = self:_session(stale)
    if account then
      if not job.method then return { requests = 0, results = { n = 1, account.login } } end
      return self:_thread(job)
    end
    local held, lerr = self:_lock(lock)
    if held then
      -- a login may have ended between our look and the lock: look again
      if not self:_session(stale) then
        job.hash = hashes[self]
        local out = self:_thread(job)
        self:_unlock(lock, held)
        return out
      end
      self:_unlock(lock, held)
    elseif lerr then
      return { results = { n = 2, nil, lerr }, requests = 0 }
    elseif ngx.now() >= deadline then
      local err = errors.new("timeout", "waited " .. self.wait .. " s for another worker's login")
      return { results = { n = 2, nil, err }, requests = 0 }
    else
      ngx.sleep(0.02)
    end
  end
end

function Client:_run(method, args)
  if not self:_session() then return self:_login_and_call({ method = method, args = args }) end
  local out = self:_thread({ method = method, args = args })
  if out.expired then
    local first = out.requests
    out = self:_login_and_call({ method = method, args = args }, out.used)
    out.requests = out.requests + first
  end
  return out
end

--- Makes sure there is a session shared by the workers, logging in only when there is none,
-- and returns the login reply (without the password hash and token): the stored one when
-- another call or worker has logged in already. Refusals come back as `nil, err`, as from
-- growatt's login (and its guard: `locked`, `rate_limited` with `retry_after`).
Client.login = errors.boundary(function(self, ...)
  if select("#", ...) > 0 then
    errors.misuse("growatt.ngx: login takes no arguments (the credentials are given to growatt.ngx.new)")
  end
  local account = self:_session()
  if account then return account.login end
  local results = finish(self, self:_login_and_call({}))
  return results[1], results[2]
end)

--- Forgets the shared session: the next call of any worker logs in again.
function Client:logout()
  local ok, err = self.store:update_account(self.account, function(account)
    account.cookies, account.login, account.verifier = nil, nil, nil
  end)
  if not ok then ngx.log(ngx.WARN, "growatt: cannot save the session state: ", err) end
end

-- A token client's call: no session to share, only the state in the dict (windows, budget).
local function run_alone(self, method, args)
  return self:_thread({ method = method, args = args })
end

-- A token client has the plumbing of a client (threads, counters, stats) and its family's
-- methods.
for family, of in pairs({ v4 = require("growatt.v4.client").V4, v1 = require("growatt.openapi.v1").OpenApi }) do
  local class = { _run = run_alone }
  for _, k in ipairs({ "_thread", "_count", "_account", "stats" }) do class[k] = Client[k] end
  class.__index = class
  TokenClients[family] = setmetatable(class, { __index = methods_of(of, family) })
end
gngx.TokenClients = TokenClients

return gngx
