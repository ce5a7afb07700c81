--- A small Redis client: RESP2 over LuaSocket, or over nginx's cosockets in nginx's event
-- loop (where LuaSocket would block), so that it runs the same under Lua 5.1 to 5.4,
-- LuaJIT, nginx worker threads and nginx's event loop (growatt.engine.store_redis).
--
--   redis.secret(target, password)        -- kept here, out of the target (users may print it)
--   redis.with_conn(target, function(c) return c:call({ "GET", "k" }, ...) end)
--
-- A target is a table with host, port, db, user (optional) and timeout (seconds, for every
-- connect, send and receive); outside nginx's event loop its connection is kept in
-- target.conn between calls. No TLS: neither LuaSocket nor the worker threads' VMs have it.

local core = require("growatt.core")

local redis = {}

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


-- Passwords by target, out of the target, which users may print (weak keys).
local secrets = setmetatable({}, { __mode = "k" })

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

--- Keeps `password` (or nil) as the secret of `target`, for AUTH.
function redis.secret(target, password)
  secrets[target] = password
end

redis.NULL, redis.pause, redis.with_conn = NULL, pause, with_conn

return redis
