--- A state store over Redis (the growatt.store interface), so that every process on every
-- host that uses one Growatt account shares one session, one login guard, one lock and one
-- request budget.
--
--   local store_redis = require("growatt.store_redis")
--   local api = growatt.new{ store = store_redis.new{ host = "10.0.0.5", password = "..." } }
--
-- Each account (a user at one server, growatt.store.key) is one JSON document under its
-- own key, `<prefix>account:<origin>/<user>`
-- (growatt:account:https://openapi.growatt.com:443/demo, say),
-- and the salt of the verifiers is under `<prefix>salt`. update_account(key, fn) is one
-- optimistic transaction on the account's key alone (WATCH, GET, fn, MULTI, SET EX, EXEC),
-- tried again while another host changed it in between, until `timeout` has passed. Every
-- write sets the account's TTL from what it holds (Redis:ttl_of): a session lives `ttl`
-- (7 days) after the last write, request counts and windows `window` (a day) after the
-- newest, a lock until its end; so a dead session and old windows expire by themselves.
-- The salt has no TTL. What a key holds is untrusted: a value that is not a JSON object
-- loads as an empty account, and growatt.store's sanitiser checks the rest. The single
-- document `<prefix>state` of earlier versions is ignored (it expires by its own TTL).
--
-- The Redis client is a small one of our own (growatt.engine.redis: RESP2 over LuaSocket,
-- or over nginx's cosockets in nginx's event loop), so the store runs the same under Lua
-- 5.1 to 5.4, LuaJIT, nginx worker threads and nginx's event loop. No TLS: neither
-- LuaSocket nor the worker threads' VMs have it (see docs/several-hosts.md).
--
-- Failures come back as `nil, message` from update_account, salt, save, lock and unlock,
-- as `{}, nil, message` from load_account and `{}, message` from load; the session policy
-- turns them into errors of kind `store`.

local core = require("growatt.core")
local json = require("growatt.json")
local store = require("growatt.engine.store")
local redis = require("growatt.engine.redis")

local NULL, pause, with_conn = redis.NULL, redis.pause, redis.with_conn

local store_redis = {}

--- Options of store_redis.new, their Lua types and defaults.
store_redis.OPTIONS = {
  host = "string", port = "number", user = "string", password = "string", db = "number",
  prefix = "string", timeout = "number", ttl = "number", window = "number", grace = "number",
}
store_redis.DEFAULTS = {
  host = "127.0.0.1", port = 6379, db = 0, prefix = "growatt:",
  timeout = 1,          -- seconds: every connect, send and receive; update tries this long
  ttl = 7 * 24 * 3600,  -- seconds a stored session lives after its account's last write
  window = 24 * 3600,   -- seconds: the longest window an account counts in (budget, request
                        -- windows, a refused password remembered past its back-off)
  grace = 30,           -- seconds reads with a session in hand go on while Redis is away
}

---------------------------------------------------------------------------
-- The store

local Redis = {}
Redis.__index = Redis
store_redis.Redis = Redis

--- A store over the Redis at opts.host:opts.port (see store_redis.OPTIONS); raises on a wrong option.
function store_redis.new(opts)
  if type(opts) ~= "table" then error("store_redis.new: opts must be a table", 2) end
  local o = {}
  for k, v in pairs(opts) do
    local want = store_redis.OPTIONS[k]
    if not want then error("store_redis.new: unknown option '" .. tostring(k) .. "'", 2) end
    if type(v) ~= want then error(("store_redis.new: option '%s' must be a %s, got %s"):format(k, want, type(v)), 2) end
    o[k] = v
  end
  for k, v in pairs(store_redis.DEFAULTS) do
    if o[k] == nil then o[k] = v end
  end
  for _, k in ipairs({ "port", "db", "ttl", "window" }) do
    if o[k] ~= math.floor(o[k]) or o[k] < (k == "db" and 0 or 1) then
      error("store_redis.new: option '" .. k .. "' must be a whole number" .. (k == "db" and " >= 0" or " > 0"), 2)
    end
  end
  if not (o.timeout > 0 and o.timeout < math.huge) then error("store_redis.new: option 'timeout' must be > 0", 2) end
  if o.grace < 0 or o.grace ~= o.grace then error("store_redis.new: option 'grace' must be >= 0", 2) end
  if o.user and not o.password then error("store_redis.new: option 'user' needs option 'password'", 2) end
  -- the password stays out of the object, which users may print
  local secret = o.password
  o.password = nil
  local self = setmetatable(o, Redis)
  redis.secret(self, secret)
  return self
end

-- The stores of store_redis.shared, by their options as text.
local shared = {}

--- The store of these options in this Lua VM, made on first use and kept (with its open
-- connection), so that jobs that run one after another in one VM (an nginx worker
-- thread's) share one connection.
function store_redis.shared(opts)
  local names = {}
  for k in pairs(type(opts) == "table" and opts or {}) do names[#names + 1] = tostring(k) end
  table.sort(names)
  local parts = {}
  for i, k in ipairs(names) do parts[i] = k .. "=" .. tostring(opts[k]) end
  local key = table.concat(parts, "\0")
  shared[key] = shared[key] or store_redis.new(opts)
  return shared[key]
end

-- A GET's reply, where a key of another type (a list, say) reads as no account at all.
local function unshaped(text, err, server)
  if text == nil and server and tostring(err):find("WRONGTYPE", 1, true) then return NULL end
  return text, err
end

-- The account in `text` (a GET reply), checked (growatt.store's sanitiser: what has the
-- wrong shape is dropped and noted in self.problems); {} when there is none.
local function decode(self, text)
  if type(text) ~= "string" then return {} end -- no key (or one of another type)
  local acc = json.decode(text)
  if acc == nil then acc = false end -- not JSON: said as such
  return store.checked_account(self, acc, "redis")
end

--- The Redis key of the account `key` (store.key, "user@origin"): `<prefix>account:<origin>/<user>`.
function Redis:account_key(key)
  local user, origin = key:match("^(.*)@([^@]*)$")
  if not user then user, origin = key, "" end
  return self.prefix .. "account:" .. origin .. "/" .. user
end

-- The store.key of a Redis key made by account_key, or nil.
local function store_key(self, rkey)
  local rest = rkey:sub(#self.prefix + #"account:" + 1)
  local origin, user = rest:match("^(%a[%w+.-]*://[^/]*)/(.*)$")
  if not origin then origin, user = rest:match("^([^/]*)/(.*)$") end
  return origin and user .. "@" .. origin
end

--- The Redis key of the store's salt: `<prefix>salt`.
function Redis:salt_key() return self.prefix .. "salt" end

local function finite(t) return type(t) == "number" and t == t and t > -math.huge and t < math.huge end

--- Seconds the account `acc` is kept after a write at `now`: until the latest of the end of
-- its session's life (`ttl` after the write, when it holds a session), the end of its lock,
-- `window` past its newest request count, request window, login and refused password's
-- next try; `window` when it holds none of these; never over ttl + window.
function Redis:ttl_of(acc, now)
  local last, window = now, self.window
  local function at(t) if finite(t) and t > last then last = t end end
  local function each(t, f)
    if type(t) == "table" then for k, v in pairs(t) do f(k, v) end end
  end
  if type(acc.cookies) == "string" and acc.cookies ~= "" then at(now + self.ttl) end
  if finite(acc.locked_until) then at(acc.locked_until + 1) end
  if finite(acc.last_login) then at(acc.last_login + window) end
  each(acc.requests, function(k) at((tonumber(k) or 0) + window + window / 24) end)
  each(acc.windows, function(_, t) if finite(t) then at(t + window) end end)
  each(acc.refused, function(_, r) if type(r) == "table" and finite(r.next_try) then at(r.next_try + window) end end)
  if last == now then return window end
  return math.max(1, math.min(math.ceil(last - now), self.ttl + window))
end

-- The command that writes `acc` under the Redis key `rkey` with its TTL (a DEL when the
-- account is empty), or nil and a message.
local function write_command(self, rkey, acc)
  if type(acc) ~= "table" or next(acc) == nil then return { "DEL", rkey } end
  local text, err = json.encode(acc)
  if not text then return nil, "state is not plain data: " .. err end
  return { "SET", rkey, text, "EX", self:ttl_of(acc, core.now()) }
end

--- The account under `key` (store.key), {} when there is none, and the store's salt (nil
-- when none); {} and a message when Redis cannot be read. One round trip (MGET).
function Redis:load_account(key)
  local got, err = with_conn(self, function(c) return c:call({ "MGET", self:account_key(key), self:salt_key() }) end)
  if got == nil then return {}, nil, err end
  return decode(self, got[1]), store.valid_salt(got[2]) and got[2] or nil
end

--- The store's salt; `fresh` is saved first when it has none (SET NX), so the first stays.
function Redis:salt(fresh)
  local k = self:salt_key()
  local salt, err = with_conn(self, function(c)
    if fresh then return c:call({ "SET", k, fresh, "NX" }, { "GET", k }) end
    return c:call({ "GET", k })
  end)
  if salt == nil then return nil, err end
  return store.valid_salt(salt) and salt or nil
end

-- One optimistic round on the account key `rkey`: the new account, or NULL when another
-- writer came between, or nil and a message.
local function attempt(self, c, rkey, fn)
  local text, err = unshaped(c:call({ "WATCH", rkey }, { "GET", rkey }))
  if text == nil then return nil, err end
  local acc = decode(self, text)
  local ok, out = pcall(fn, acc)
  local command, eerr
  if ok then
    acc = out or acc
    command, eerr = write_command(self, rkey, acc)
  end
  if not command then
    c:call({ "UNWATCH" })
    if not ok then error(out, 0) end
    return nil, eerr
  end
  local done, xerr = c:call({ "MULTI" }, command, { "EXEC" })
  if done == nil then return nil, xerr end
  if done == NULL then return NULL end
  if type(done[1]) == "table" then return nil, command[1] .. ": " .. tostring(done[1].error) end
  return acc
end

--- load_account, acc = fn(acc) or acc, save with its TTL, as one transaction on the
-- server (WATCH, GET, fn, MULTI, SET EX, EXEC) on the account's key alone; tried again
-- while other writers come between, for `timeout` seconds. Returns the new account, or nil
-- and a message. fn may run more than once, each time on a freshly loaded account.
function Redis:update_account(key, fn)
  local rkey = self:account_key(key)
  return with_conn(self, function(c)
    local deadline = core.now() + self.timeout
    while true do
      local acc, err = attempt(self, c, rkey, fn)
      if acc ~= NULL then return acc, err end
      if core.now() > deadline then
        return nil, "the account kept changing under concurrent writers for " .. self.timeout .. " s"
      end
      pause(0.001 + math.random() * 0.004)
    end
  end)
end

--- The whole state (growatt.store's interface): the salt and every account under the
-- prefix (SCAN, then GET each); {} and a message when Redis cannot be read. For tools:
-- the policy reads one account at a time (load_account).
function Redis:load()
  local state, err = with_conn(self, function(c)
    local out, cursor = { accounts = {} }, "0"
    out.salt = c:call({ "GET", self:salt_key() })
    repeat
      local page, serr = c:call({ "SCAN", cursor, "MATCH", self.prefix .. "account:*", "COUNT", 100 })
      if not page then return nil, serr end
      cursor = page[1]
      for _, rkey in ipairs(page[2]) do
        local key, text = store_key(self, rkey), unshaped(c:call({ "GET", rkey }))
        if key and text then out.accounts[key] = decode(self, text) end
      end
    until cursor == "0"
    out.salt = store.valid_salt(out.salt) and out.salt or nil
    return out
  end)
  if not state then return {}, err end
  return state
end

--- Saves the state's salt (when the store has none) and each of its accounts, with its
-- TTL; deletes nothing. Returns true, or nil and a message.
function Redis:save(state)
  if type(state) ~= "table" then return nil, "state is not a table" end
  if store.valid_salt(state.salt) then
    local ok, err = self:salt(state.salt)
    if ok == nil and err then return nil, err end
  end
  local commands = {}
  for key, acc in pairs(type(state.accounts) == "table" and state.accounts or {}) do
    local command, err = write_command(self, self:account_key(key), acc)
    if not command then return nil, err end
    commands[#commands + 1] = command
  end
  if #commands == 0 then return true end
  local unpack_ = table.unpack or unpack -- luacheck: ignore 143
  local ok, err = with_conn(self, function(c) return c:call(unpack_(commands)) end)
  if not ok then return nil, err end
  return true
end

-- 16 random bytes as hex, from the system's entropy (LuaJIT's math.random repeats per process).
local function random_token()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(16) or string.format("%.6f%d", core.now(), math.random(1e9))
  if f then f:close() end
  return (bytes:gsub(".", function(ch) return string.format("%02x", ch:byte()) end))
end

-- Compare-and-delete: only the holder's own token frees a lock.
local UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

--- Takes the lock `name` (key `<prefix>lock:<name>`) for `ttl` seconds unless another holds
-- it: returns a token for unlock, false when it is held, or nil and a message.
function Redis:lock(name, ttl)
  local token = random_token()
  local key = self.prefix .. "lock:" .. name
  local ms = math.max(1, math.floor(ttl * 1000))
  local ok, err = with_conn(self, function(c)
    local r, cerr = c:call({ "SET", key, token, "NX", "PX", ms })
    if r == nil then return nil, cerr end
    return r ~= NULL
  end)
  if ok == nil then return nil, err end
  return ok and token
end

--- Frees the lock `name` when `token` still holds it. Returns true, or nil and a message.
function Redis:unlock(name, token)
  local ok, err = with_conn(self, function(c)
    return c:call({ "EVAL", UNLOCK, 1, self.prefix .. "lock:" .. name, token })
  end)
  if ok == nil then return nil, err end
  return true
end

--- Closes this store's connection (the next call opens a new one).
function Redis:close()
  if self.conn then
    self.conn.sock:close()
    self.conn = nil
  end
end

return store_redis
