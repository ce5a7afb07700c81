--- lua-growatt: the Growatt solar-inverter cloud client.
--
--   local growatt = require("growatt")
--   local api = growatt.new()                        -- or growatt.new{ server_url = ... }
--   local login = assert(api:login(username, password))
--   local plants = assert(api:plant_list(login.user.id))
--
-- Methods keep the reference library's (growattServer) names and argument order.
-- Misuse raises; everything the network or the server can do returns `nil, err`
-- (see growatt.errors).

local core = require("growatt.core")
local errors = require("growatt.errors")
local json = require("growatt.json")
local client = require("growatt.client")
local endpoints = require("growatt.endpoints")
local policy = require("growatt.policy")
local regions = require("growatt.regions")

local VERSION = "0.1.0" -- the release's (rockspecs/, CHANGELOG.md); the C core says the same

local growatt = {
  _VERSION = VERSION,
  null = json.null,
  errors = errors,
  hash_password = core.hash_password,
  Timespan = { hour = 0, day = 1, month = 2 },
  BATT_MODE_LOAD_FIRST = 0,
  BATT_MODE_BATTERY_FIRST = 1,
  BATT_MODE_GRID_FIRST = 2,
  DEFAULT_SERVER_URL = "https://openapi.growatt.com/",
  DEFAULT_USER_AGENT = "Dalvik/2.1.0 (Linux; U; Android 12; lua-growatt/" .. VERSION .. ")",
  -- OpenAPI v1 device types (device_list's `type`); api:device() has classes for MIN and SPH
  DeviceType = { INVERTER = 1, STORAGE = 2, OTHER = 3, MAX = 4, SPH = 5, SPA = 6, MIN = 7, PCS = 8, HPS = 9, PBD = 10 },
  regions = regions.servers, -- name -> { url, label, deprecated }
}

--- Options of growatt.new and their Lua types.
growatt.OPTIONS = {
  server_url = "string",
  region = "string", -- a name of growatt.regions, instead of server_url
  agent_identifier = "string",
  add_random_user_id = "boolean",
  timeout = "number",
  connect_timeout = "number",
  ca_file = "string",
  proxy = "string",
  max_body = "number",
  dry_run = "boolean",
  -- session safety (growatt.policy, growatt.store)
  state_file = "string",
  store = "table",
  login_interval = "number",
  budget = "table",
  retries = "table or boolean",
  on_request = "function",
}

local Api = {}
Api.__index = Api
growatt.Api = Api

-- Five random digits for add_random_user_id, from the system's entropy where there is one.
local function random_digits(n)
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(n)
  if f then f:close() end
  local out = {}
  for i = 1, n do
    local b = bytes and bytes:byte(i) or math.random(0, 255)
    out[i] = tostring(b % 10)
  end
  return table.concat(out)
end

local function check_options(opts)
  for k, v in pairs(opts) do
    local want = growatt.OPTIONS[k]
    if not want then error("growatt.new: unknown option '" .. tostring(k) .. "'", 3) end
    if not (" " .. want .. " "):find(" " .. type(v) .. " ", 1, true) then
      error(string.format("growatt.new: option '%s' must be a %s, got %s", k, want, type(v)), 3)
    end
  end
  for _, k in ipairs({ "server_url", "agent_identifier" }) do -- a URL and a header line
    if opts[k] and opts[k]:find("%c") then
      error("growatt.new: option '" .. k .. "' must not contain control characters", 3)
    end
  end
  if opts.agent_identifier and #opts.agent_identifier > 512 then -- see growatt.client.MAX_URL
    error("growatt.new: option 'agent_identifier' must be at most 512 bytes", 3)
  end
  if opts.region ~= nil then
    if opts.server_url ~= nil then error("growatt.new: options 'server_url' and 'region' exclude each other", 3) end
    local _, unknown = regions.url(opts.region)
    if unknown then error("growatt.new: " .. unknown, 3) end
  end
  local settings, problem = policy.options(opts)
  if not settings then error("growatt.new: " .. problem, 3) end
  return settings
end

--- Makes an API object. `opts` is a table of options (growatt.OPTIONS); as in the
-- reference, `growatt.new(add_random_user_id, agent_identifier)` also works.
function growatt.new(opts, agent_identifier)
  if type(opts) == "boolean" then
    opts = { add_random_user_id = opts, agent_identifier = agent_identifier }
  end
  opts = opts == nil and {} or errors.check(opts, "table", "opts", "growatt.new")
  local settings = check_options(opts)
  local ua = opts.agent_identifier or growatt.DEFAULT_USER_AGENT
  if opts.add_random_user_id then ua = ua .. " - " .. random_digits(5) end
  local self = setmetatable({
    server_url = opts.server_url or (opts.region and regions.url(opts.region)) or growatt.DEFAULT_SERVER_URL,
    user_agent = ua,
    dry_run = opts.dry_run or false,
    options = opts,
    policy = settings,
    store = settings.store,
    _stats = policy.new_stats(),
  }, Api)
  local ok, session = pcall(core.session, {
    user_agent = ua,
    timeout = opts.timeout,
    connect_timeout = opts.connect_timeout,
    ca_file = opts.ca_file,
    proxy = opts.proxy,
    max_body = opts.max_body,
  })
  if not ok then -- an option's value the C session refuses: raised at the caller's line
    error("growatt.new: " .. tostring(session):gsub("^[^\n]-:%d+: ", ""), 2)
  end
  self.session = session
  policy.attach(self)
  return self
end

--- The request a call would send, as a plain table (also what dry runs return).
function Api:_prepare(req)
  req.url = client.url(self.server_url, req.path)
  return req
end

--- Sends a prepared request and returns the part of the reply the call wants. Every call
-- comes through here and so through the session policy (growatt.policy): login guard,
-- re-login on expiry, budget, retries, the on_request hook.
function Api:_send(req)
  return policy.send(self, req)
end

--- One HTTP exchange for a prepared request: the C session's res, or nil and err.
function Api:_transmit(req)
  return self.session:request(client.session_args(req))
end

--- What a call returns for the C session's answer (res, or nil and err) to its request;
-- shared by _send and batch.
function Api:_receive(req, res, err) -- luacheck: ignore 212/self
  if not res then return nil, errors.from_core(err) end
  local v
  v, err = client.classify(res, req.expect)
  if v == nil then return nil, err end
  if req.expect == "text" then -- an HTML page: the entry's result function reads it
    if type(req.result) == "function" then return req.result(v) end
    return v
  end
  return client.extract(v, req.result)
end

-- The per-call options of a write (its argument after its own): nil or { dry_run = boolean }.
-- Returns the dry_run in force for the call.
local function call_options(fname, dry_run, opts)
  if opts == nil then return dry_run end
  -- levels: call_options < _complete < the method < the caller's line
  errors.check(opts, "table", "options", fname, 3)
  for k, v in pairs(opts) do
    if k ~= "dry_run" then error(fname .. ": unknown option '" .. tostring(k) .. "'", 4) end
    errors.check(v, "boolean", "options.dry_run", fname, 3)
  end
  if opts.dry_run == nil then return dry_run end
  return opts.dry_run
end

--- Completes the request `req` that client.build made for a call to the entry `ep` (named
-- `name`): the prepared request, or nil and an error (a refused value: nothing may be
-- sent); the third value is whether the call is a dry run. A write entry (`write = true`)
-- takes one more, optional argument: per-call options, { dry_run = true }. An entry's
-- `finish(api, ep, req, dry_run, ...)` completes the request built from its data (the
-- settings writes: merged parameters, validation). Shared by the methods and batch, so a batched
-- call is the very request the method sends.
function Api:_complete(name, ep, req, ...)
  local dry_run = self.dry_run
  if ep.write then dry_run = call_options(name, dry_run, select(#(ep.args or {}) + 1, ...)) end
  if ep.finish then
    local err
    req, err = ep.finish(self, ep, req, dry_run, ...)
    if not req then return nil, err end
  end
  return self:_prepare(req), nil, dry_run
end

--- The method of the endpoint entry `ep` (named `name`): runs the entry with the caller's
-- arguments; an empty result goes on to the entry's `fallback`, if it has one. The method
-- calls client.build itself, so that its misuse errors name the caller's line (a method
-- that tail-called a shared runner would not: PUC Lua 5.1 counts a tail call as a level).
local function method(name, ep)
  local fallback = ep.fallback and method(name, ep.fallback)
  return function(self, ...)
    local req, err, dry_run = self:_complete(name, ep, client.build(ep, name, ...), ...)
    if not req then return nil, err end
    if dry_run then return req end
    local v
    v, err = self:_send(req)
    if fallback and type(v) == "table" and next(v) == nil then return fallback(self, ...) end
    return v, err
  end
end

--- Adds one method per endpoint entry to a class: the entries are the API. The class's
-- `_endpoints` maps the names to their entries (for batch).
function growatt.install(class, entries)
  class._endpoints = rawget(class, "_endpoints") or {}
  for name, ep in pairs(entries) do
    class._endpoints[name] = ep
    class[name] = method(name, ep)
  end
end
growatt.install(Api, endpoints.legacy)
growatt.install(Api, require("growatt.settings").endpoints)
growatt.install(Api, regions.endpoints) -- discover_server

--- The OpenAPI v1 client: growatt.openapi{ token = ..., server_url | region = ... }
-- (see growatt.openapi).
function growatt.openapi(opts)
  -- not a tail call, and openapi.new told where the caller is: PUC Lua 5.1 counts a tail
  -- call as a level, and a misuse error must name the caller's line in every Lua
  local api = require("growatt.openapi").new(opts, 3)
  return api
end

--- Logs in with a user name and password (or, with is_password_hashed, the hash).
-- Returns the server's `back` table with `userId` and `userLevel` added, or nil and an
-- error of kind `auth` (502/501; with `retry_after` when the password was refused before
-- and waits its back-off), `locked` (507, with `locked_until`), `rate_limited` (the login
-- guard, with `retry_after`) or `api`. When the store holds a live session of the same user
-- at the same server (e.g. from the previous run of a cron script) made with this password
-- (it proves itself against the stored verifier), no request is made: the stored copy of
-- the login reply comes back, without user.password and user.token. A dry run returns the
-- request with "***" where the hash goes.
function Api:login(username, password, is_password_hashed)
  errors.check(username, "string", "username", "login")
  errors.check(password, "string", "password", "login")
  if is_password_hashed ~= nil then errors.check(is_password_hashed, "boolean", "is_password_hashed", "login") end
  local hash = is_password_hashed and password or core.hash_password(password)
  if self.dry_run then return self:_login_request(username, "***") end -- no secret in output
  return policy.login(self, username, hash)
end

--- The prepared login request.
function Api:_login_request(username, hash)
  return self:_prepare({
    method = "POST", path = "newTwoLoginAPI.do", name = "login", write = false,
    form = { { "userName", username }, { "password", hash } }, result = client.login_result,
  })
end

--- Takes up the session of `username` kept in the store (state_file, store) by an earlier
-- login, without credentials: no login is ever sent, so an expiry comes back as
-- session_expired. Returns the stored login reply (without user.password and user.token),
-- or nil and a session_expired error when there is no live stored session.
function Api:resume(username)
  errors.check(username, "string", "username", "resume")
  return policy.resume(self, username)
end

--- What the session policy counted: requests, logins, relogins, reused (logins answered
-- from the store), retries, hook_errors, errors[kind] = { count, last = { message, at } },
-- cookies_dropped (the cookies a server set past the jar's caps: 50 cookies, 16 KiB), and
-- store = { count, last = { message, at } } when the store dropped a part of what it read
-- (a state file of the wrong shape, too large or not JSON: see growatt.store).
function Api:stats()
  local stats = policy.stats(self)
  stats.cookies_dropped = self.session:cookies_dropped()
  return stats
end

local batch = require("growatt.batch")
batch.Api = Api -- the class whose _send batch may replace by the multi interface
Api.batch = batch.batch
Api.walk = batch.walk
Api.readings = require("growatt.readings").for_api

--- Closes the HTTP session, and writes what the store still holds back (request counts);
-- the object cannot make calls afterwards.
function Api:close()
  self.session:close()
  if self.store.flush then self.store:flush() end
end
Api.__close = Api.close

return growatt
