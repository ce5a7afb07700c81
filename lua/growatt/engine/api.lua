--- The engine every API family shares: construction of a client object (options, the C
-- session, the store and its policy), the call path of an endpoint entry (build, complete,
-- admit and send, classify) and the methods every family has (batch, stats, close).
--
-- A family makes its class with engine.class() and adds its endpoint tables with
-- engine.install(); each class holds exactly its own methods (no family inherits another's).

local core = require("growatt.core")
local errors = require("growatt.errors")
local client = require("growatt.engine.client")
local reply = require("growatt.engine.reply")
local policy = require("growatt.engine.policy")
local regions = require("growatt.engine.regions")
local batch = require("growatt.engine.batch")

local engine = {}

engine.VERSION = "0.1.0" -- the release's (rockspecs/, CHANGELOG.md); the C core says the same
engine.DEFAULT_SERVER_URL = "https://openapi.growatt.com/"
engine.DEFAULT_USER_AGENT = "Dalvik/2.1.0 (Linux; U; Android 12; lua-growatt/" .. engine.VERSION .. ")"

--- Options of growatt.new (and of every family's constructor) and their Lua types.
engine.OPTIONS = {
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
  -- session safety (growatt.engine.policy, growatt.store)
  state_file = "string",
  store = "table",
  login_interval = "number",
  budget = "table",
  retries = "table or boolean",
  on_request = "function",
}

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

-- The policy settings of `opts`; raises (errors.misuse) on a wrong option.
local function check_options(fname, opts)
  errors.check_options(fname, opts, engine.OPTIONS)
  for _, k in ipairs({ "server_url", "agent_identifier" }) do -- a URL and a header line
    if opts[k] and opts[k]:find("%c") then
      errors.misuse("%s: option '%s' must not contain control characters", fname, k)
    end
  end
  if opts.agent_identifier and #opts.agent_identifier > 512 then -- see growatt.engine.client.MAX_URL
    errors.misuse("%s: option 'agent_identifier' must be at most 512 bytes", fname)
  end
  if opts.region ~= nil then
    if opts.server_url ~= nil then errors.misuse("%s: options 'server_url' and 'region' exclude each other", fname) end
    local _, unknown = regions.url(opts.region)
    if unknown then errors.misuse("%s: %s", fname, unknown) end
  end
  local settings, problem = policy.options(opts)
  if not settings then errors.misuse("%s: %s", fname, problem) end
  return settings
end

--- The transport the policy sends an Api's prepared requests with and classifies their
-- answers by (see policy.attach): its C session, the family's `authorize(api, headers) ->
-- headers`, which puts on the wire what prepared requests only mark (a token), at the last
-- moment, and the family's `receive(req, res, err)`, or growatt.engine.reply's.
function engine.transport(api, family)
  local session, authorize = api.session, family and family.authorize
  local function wire(req)
    local method, url, opts = client.session_args(req)
    if authorize then opts.headers = authorize(api, opts.headers) end
    return method, url, opts
  end
  return {
    one = function(req) return session:request(wire(req)) end,
    many = function(list, concurrency)
      local wired = {}
      for i, req in ipairs(list) do wired[i] = { wire(req) } end
      return session:perform_many(wired, { concurrency = concurrency })
    end,
    receive = family and family.receive or reply.receive,
  }
end

--- A new object of `class` for the options `opts` (already checked to be a table), named
-- `fname` in misuse errors; raises errors.misuse (call it inside an errors.boundary).
-- `cache`: reads refused inside their request window answer with their last good value.
function engine.open(class, fname, opts, cache)
  local settings = check_options(fname, opts)
  local ua = opts.agent_identifier or engine.DEFAULT_USER_AGENT
  if opts.add_random_user_id then ua = ua .. " - " .. random_digits(5) end
  local self = setmetatable({
    server_url = opts.server_url or (opts.region and regions.url(opts.region)) or engine.DEFAULT_SERVER_URL,
    user_agent = ua,
    dry_run = opts.dry_run or false,
    options = opts,
    policy = settings,
    store = settings.store,
    _stats = policy.new_stats(),
  }, class)
  local ok, session = pcall(core.session, {
    user_agent = ua,
    timeout = opts.timeout,
    connect_timeout = opts.connect_timeout,
    ca_file = opts.ca_file,
    proxy = opts.proxy,
    max_body = opts.max_body,
  })
  if not ok then errors.misuse("%s: %s", fname, errors.strip(session)) end -- an option the C session refuses
  self.session = session
  policy.attach(self, engine.transport(self, class._family), cache)
  return self
end

---------------------------------------------------------------------------
-- The methods every family has

local shared = {}

--- The request a call would send, as a plain table (also what dry runs return): the
-- URL joined, then the family's own part (a token family marks where its header goes).
function shared:_prepare(req)
  req.url = client.url(self.server_url, req.path)
  local family = self._family
  if family and family.prepare then return family.prepare(self, req) end
  return req
end

--- Sends a prepared request and returns the part of the reply the call wants, through
-- the session policy (growatt.engine.policy): login guard, re-login on expiry, budget,
-- request windows, retries, the on_request hook.
function shared:_send(req)
  return policy.send(self, req)
end

local dry_run_of = errors.method_boundary(client.dry_run_of) -- for the methods: misuse at the caller's line

--- Completes the request `req` that client.build made for a call to the entry `ep`:
-- the prepared request, or nil and an error (a refused value: nothing may be
-- sent). `dry_run` is client.dry_run_of's. An entry's `finish(api, ep, req, dry_run, ...)`
-- completes the request built from its data (the settings writes: merged parameters,
-- validation). Shared by the methods and batch, so a batched call is the very request the
-- method sends.
function shared:_complete(ep, req, dry_run, ...)
  if ep.finish then
    local err
    req, err = ep.finish(self, ep, req, dry_run, ...)
    if not req then return nil, err end
  end
  return self:_prepare(req)
end

--- What the session policy counted: requests, logins, relogins, reused (logins answered
-- from the store), retries, hook_errors, errors[kind] = { count, last = { message, at } },
-- cookies_dropped (the cookies a server set past the jar's caps: 50 cookies, 16 KiB), and
-- store = { count, last = { message, at } } when the store dropped a part of what it read
-- (a state file of the wrong shape, too large or not JSON: see growatt.store).
function shared:stats()
  local stats = policy.stats(self)
  stats.cookies_dropped = self.session:cookies_dropped()
  return stats
end

--- Closes the HTTP session, and writes what the store still holds back (request counts);
-- the object cannot make calls afterwards.
function shared:close()
  self.session:close()
  if self.store.flush then self.store:flush() end
end

shared.batch = batch.batch

--- A new class table of a family: the shared methods, its own `__index`, `__close` and
-- then `methods` (the family's own). `family` is the family's adapter, or nil:
--   prepare(api, req) -> req        completes every prepared request (marks a token header)
--   authorize(api, headers) -> headers   puts the secret on the wire (see engine.transport)
--   receive(req, res, err) -> value, err  classifies an answer (default: growatt.engine.reply's)
function engine.class(methods, family)
  local class = { _family = family }
  for k, v in pairs(shared) do class[k] = v end
  for k, v in pairs(methods or {}) do class[k] = v end
  class.__index = class
  class.__close = class.close
  return class
end

-- Lazy methods by class: name -> { module, field }.
local lazy = setmetatable({}, { __mode = "k" })

local function load_lazy(class, name)
  local m = lazy[class][name]
  if not m then return nil end
  local fn = require(m[1])[m[2]]
  rawset(class, name, fn)
  return fn
end

--- Makes class[name] the function require(module)[field], loaded when first used: a script
-- that never calls it does not pay for loading its module (readings, the exporters'
-- parsers) at start.
function engine.lazy(class, name, module, field)
  if not lazy[class] then
    lazy[class] = {}
    setmetatable(class, { __index = load_lazy })
  end
  lazy[class][name] = { module, field }
end

--- The method of the endpoint entry `ep` (named `name`): runs the entry with the caller's
-- arguments; an empty result goes on to the entry's `fallback`, if it has one. The method
-- calls client.build itself, so that its misuse errors name the caller's line (a method
-- that tail-called a shared runner would not: PUC Lua 5.1 counts a tail call as a level).
local function method(name, ep)
  local fallback = ep.fallback and method(name, ep.fallback)
  return function(self, ...)
    local built = client.build(ep, name, ...)
    local dry_run = dry_run_of(self.dry_run, name, ep, ...)
    local req, err = self:_complete(ep, built, dry_run, ...)
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
function engine.install(class, entries)
  class._endpoints = rawget(class, "_endpoints") or {}
  for name, ep in pairs(entries) do
    class._endpoints[name] = ep
    class[name] = method(name, ep)
  end
end

return engine
