--- A state store over Redis (the growatt.store interface), so that every process on every
-- host that uses one Growatt account shares one session, one login guard, one lock and one
-- request budget.
--
--   local store_redis = require("growatt.store_redis")
--   local api = growatt.new{ store = store_redis.new{ host = "10.0.0.5", password = "..." } }
--
-- The whole state is one JSON document under the key `<prefix>state`; update(fn) is one
-- optimistic transaction on the server (WATCH, GET, fn, MULTI, SET, EXEC), tried again
-- while another host changed the document in between, until `timeout` has passed. Every
-- write sets the key's TTL again, so the state of an account nobody uses any more expires
-- by itself. What the key holds is untrusted: a value that is not a JSON object loads as
-- empty state, and growatt.store's sanitiser (where there is one) checks the rest.
--
-- The Redis client is a small one of our own (RESP2 over LuaSocket, or over nginx's
-- cosockets in nginx's event loop, where LuaSocket would block), so the store runs the same
-- under Lua 5.1 to 5.4, LuaJIT, nginx worker threads and nginx's event loop. No TLS:
-- neither LuaSocket nor the worker threads' VMs have it (see docs/several-hosts.md).
--
-- Failures come back as `nil, message` from save, update, lock and unlock, and as
-- `{}, message` from load; the session policy turns them into errors of kind `store`.

local core = require("growatt.core")
local json = require("growatt.json")
local store = require("growatt.engine.store")

local M = {}

--- Options of store_redis.new, their Lua types and defaults.
M.OPTIONS = {
  host = "string", port = "number", user = "string", password = "string", db = "number",
  prefix = "string", timeout = "number", ttl = "number", grace = "number",
}
M.DEFAULTS = {
  host = "127.0.0.1", port = 6379, db = 0, prefix = "growatt:",
  timeout = 1,          -- seconds: every connect, send and receive; update tries this long
  ttl = 7 * 24 * 3600,  -- seconds the state lives after its last write (over a lock's 24 h)
  grace = 30,           -- seconds reads with a session in hand go on while Redis is away
}

-- The kinds of socket: nginx's cosockets where the running phase has them, else LuaSocket.
local COSOCKET_PHASES = { rewrite = true, access = true, content = true, timer = true }

local function event_loop()
  local ngx = rawget(_G, "ngx")
  return ngx and ngx.socket and ngx.get_phase and COSOCKET_PHASES[ngx.get_phase()] and ngx or nil
end

local function pause(seconds)
  local ngx = event_loop()
  if ngx then ngx.sleep(seconds) else core.sleep(seconds) end
end

---------------------------------------------------------------------------
-- RESP2 over one connection

local Conn = {}
Conn.__index = Conn

-- An argument as Redis reads it: numbers without a fraction part ("3600", not "3600.0").
local function arg(v)
  if type(v) == "number" then return string.format("%.0f", v) end
  return v
end

local function encode(args)
  local out = { "*" .. #args .. "\r\n" }
  for i = 1, #args do
    local a = arg(args[i])
    out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
  end
  return table.concat(out)
end

local NULL = false -- a null bulk string or array (GET of a missing key, an aborted EXEC)

-- One reply: its value, or nil and a message (`server` true when Redis itself said no).
function Conn:read()
  local line, err = self.sock:receive("*l")
  if not line then return nil, err end
  self.replies = self.replies + 1
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then return rest end
  if kind == "-" then return nil, rest, true end
  local n = tonumber(rest)
  if kind == ":" and n then return n end
  if kind == "$" and n then
    if n < 0 then return NULL end
    local data, rerr = self.sock:receive(n + 2)
    if not data then return nil, rerr end
    return data:sub(1, n)
  end
  if kind == "*" and n then
    if n < 0 then return NULL end
    local list = {}
    for i = 1, n do
      local v, verr, server = self:read()
      if v == nil and not server then return nil, verr end
      list[i] = v == nil and { error = verr } or v
    end
    return list
  end
  return nil, "not a Redis reply: " .. line:sub(1, 40)
end

--- Sends commands (each a list of arguments) at once and reads their replies: the last
-- reply, or nil, a message and whether Redis itself refused (any of them).
function Conn:call(...)
  local commands = { ... }
  local text = {}
  for i, c in ipairs(commands) do text[i] = encode(c) end
  local ok, err = self.sock:send(table.concat(text))
  if not ok then return nil, err end
  local value
  for i = 1, #commands do
    local v, rerr, server = self:read()
    if v == nil then
      if not server then return nil, rerr end
      return nil, commands[i][1] .. ": " .. rerr, true
    end
    value = v
  end
  return value
end

---------------------------------------------------------------------------
-- The store

local Redis = {}
Redis.__index = Redis
M.Redis = Redis

-- Passwords by store, out of the store object, which users may print (weak keys).
local secrets = setmetatable({}, { __mode = "k" })

--- A store over the Redis at opts.host:opts.port (see M.OPTIONS); raises on a wrong option.
function M.new(opts)
  if type(opts) ~= "table" then error("store_redis.new: opts must be a table", 2) end
  local o = {}
  for k, v in pairs(opts) do
    local want = M.OPTIONS[k]
    if not want then error("store_redis.new: unknown option '" .. tostring(k) .. "'", 2) end
    if type(v) ~= want then error(("store_redis.new: option '%s' must be a %s, got %s"):format(k, want, type(v)), 2) end
    o[k] = v
  end
  for k, v in pairs(M.DEFAULTS) do
    if o[k] == nil then o[k] = v end
  end
  for _, k in ipairs({ "port", "db", "ttl" }) do
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
  o.key = o.prefix .. "state"
  local self = setmetatable(o, Redis)
  secrets[self] = secret
  return self
end

-- The stores of M.shared, by their options as text.
local shared = {}

--- The store of these options in this Lua VM, made on first use and kept (with its open
-- connection), so that jobs that run one after another in one VM (an nginx worker
-- thread's) share one connection.
function M.shared(opts)
  local names = {}
  for k in pairs(type(opts) == "table" and opts or {}) do names[#names + 1] = tostring(k) end
  table.sort(names)
  local parts = {}
  for i, k in ipairs(names) do parts[i] = k .. "=" .. tostring(opts[k]) end
  local key = table.concat(parts, "\0")
  shared[key] = shared[key] or M.new(opts)
  return shared[key]
end

local function where(self) return "redis " .. self.host .. ":" .. arg(self.port) end

-- A new connection, authenticated and on its database, or nil and a message.
local function connect(self)
  local ngx = event_loop()
  local sock
  if ngx then
    sock = ngx.socket.tcp()
    sock:settimeout(self.timeout * 1000)
  else
    local ok, socket = pcall(require, "socket")
    if not ok then return nil, "LuaSocket is not installed (apt-get install lua-socket)" end
    sock = socket.tcp()
    sock:settimeout(self.timeout)
  end
  -- pooled connections are authenticated: the pool is keyed by the whole identity
  local pool = ngx and { pool = table.concat({ self.host, arg(self.port), arg(self.db), self.user or "",
    ngx.md5(secrets[self] or "") }, ":") }
  local ok, err = sock:connect(self.host, self.port, pool)
  if not ok then
    sock:close()
    return nil, "cannot connect: " .. tostring(err)
  end
  local conn = setmetatable({ sock = sock, pooled = ngx ~= nil, replies = 0 }, Conn)
  if ngx and sock:getreusedtimes() > 0 then
    conn.reused = true
    return conn
  end
  local setup = {}
  local secret = secrets[self]
  if secret then setup[1] = self.user and { "AUTH", self.user, secret } or { "AUTH", secret } end
  if self.db ~= 0 then setup[#setup + 1] = { "SELECT", self.db } end
  if #setup > 0 then
    local done, serr = conn:call((table.unpack or unpack)(setup)) -- luacheck: ignore 143
    if not done then
      sock:close()
      return nil, serr
    end
  end
  return conn
end

-- Runs fn(conn) on `conn`; a failed connection is closed. Returns fn's results, or nil, a
-- message and whether the connection had been used before and broke (not timed out) before
-- any reply: a Redis restarted since; nothing was done, so the call may go again on a new
-- connection.
local function run_on(self, conn, fn)
  local old = conn.reused
  conn.replies, conn.reused = 0, true
  local ok, a, b = pcall(fn, conn)
  if ok and a ~= nil then
    if conn.pooled then conn.sock:setkeepalive(10000, 32) end
    return a, b
  end
  conn.sock:close()
  if self.conn == conn then self.conn = nil end
  if not ok then error(a, 0) end
  return nil, where(self) .. ": " .. tostring(b), old and conn.replies == 0 and not tostring(b):find("timeout", 1, true)
end

-- Runs fn(conn) on a connection: this store's own one outside nginx's event loop (kept
-- open between calls), a pooled cosocket inside it. Returns fn's results, or nil and a
-- message that says which Redis.
local function with_conn(self, fn)
  for _ = 1, 2 do
    local conn = not event_loop() and self.conn or nil
    if not conn then
      local err
      conn, err = connect(self)
      if not conn then return nil, where(self) .. ": " .. err end
      if not conn.pooled then self.conn = conn end
    end
    local a, b, again = run_on(self, conn, fn)
    if not again then return a, b end
  end
  return nil, where(self) .. ": the connection broke twice"
end

-- A GET's reply, where a key of another type (a list, say) reads as no state at all.
local function unshaped(text, err, server)
  if text == nil and server and tostring(err):find("WRONGTYPE", 1, true) then return NULL end
  return text, err
end

-- The state in `text` (a GET reply), checked (growatt.store.sanitise: what has the wrong
-- shape is dropped and noted in self.problems); {} when there is none or it is not JSON.
local function decode(self, text)
  if type(text) ~= "string" then return {} end -- no key (or one of another type)
  local state = json.decode(text)
  if state == nil then state = false end -- not JSON: said as such
  return store.checked(self, state, "redis")
end

--- The whole state, or {} and a message when Redis cannot be read.
function Redis:load()
  local text, err = with_conn(self, function(c) return unshaped(c:call({ "GET", self.key })) end)
  if text == nil then return {}, err end
  return decode(self, text)
end

local function encode_state(state)
  local text, err = json.encode(state)
  if not text then return nil, "state is not plain data: " .. err end
  return text
end

--- Replaces the whole state (and sets its TTL again).
function Redis:save(state)
  local text, err = encode_state(state)
  if not text then return nil, err end
  local ok, serr = with_conn(self, function(c) return c:call({ "SET", self.key, text, "EX", self.ttl }) end)
  if not ok then return nil, serr end
  return true
end

-- One optimistic round: the new state, or NULL when another writer came between, or nil
-- and a message.
local function attempt(self, c, fn)
  local text, err = unshaped(c:call({ "WATCH", self.key }, { "GET", self.key }))
  if text == nil then return nil, err end
  local state = decode(self, text)
  local ok, out = pcall(fn, state)
  local new, eerr
  if ok then
    state = out or state
    new, eerr = encode_state(state)
  end
  if not new then
    c:call({ "UNWATCH" })
    if not ok then error(out, 0) end
    return nil, eerr
  end
  local done, xerr = c:call({ "MULTI" }, { "SET", self.key, new, "EX", self.ttl }, { "EXEC" })
  if done == nil then return nil, xerr end
  if done == NULL then return NULL end
  if type(done[1]) == "table" then return nil, "SET: " .. tostring(done[1].error) end
  return state
end

--- load, state = fn(state) or state, save, as one transaction on the server; tried again
-- while other writers come between, for `timeout` seconds. Returns the new state, or nil
-- and a message. fn may run more than once, each time on a freshly loaded state.
function Redis:update(fn)
  return with_conn(self, function(c)
    local deadline = core.now() + self.timeout
    while true do
      local state, err = attempt(self, c, fn)
      if state ~= NULL then return state, err end
      if core.now() > deadline then
        return nil, "the state kept changing under concurrent writers for " .. self.timeout .. " s"
      end
      pause(0.001 + math.random() * 0.004)
    end
  end)
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

return M
