--- State stores: where an Api keeps what must outlive one call or one process (the
-- session cookies, the user id, the last login, a lock's end, the request counters).
--
-- The interface (the OpenResty adapter implements it over a lua_shared_dict; keep to it):
--
--   store:load()        -> state   a fresh copy of the whole state (a plain table that the
--                                  caller may change), {} when nothing was saved yet or what
--                                  was saved cannot be read
--   store:save(state)   -> true | nil, message
--   store:update(fn)    -> state | nil, message   (optional) load, state = fn(state) or state,
--                                  save, as one step where the store can make it one;
--                                  store.update(s, fn) falls back to load + fn + save;
--                                  fn may run twice (see the file store)
--   store:flush()                  (optional) writes what the store still holds back
--   store.problems                 (optional) { count, last = { message, at } }: what the
--                                  store dropped from what it read (store.sanitise)
--
-- Stores that keep each account apart (Redis, the nginx shared dict) also have these, and
-- the policy then reads and changes one account at a time, never the whole state:
--
--   store:load_account(key) -> account, salt[, message]   a fresh copy of the account
--                                  under `key` (store.key), {} when there is none or it
--                                  cannot be read (then with a message), and the store's
--                                  salt (nil when none or unreadable)
--   store:update_account(key, fn) -> account | nil, message   account = fn(account) or
--                                  account, saved, as one step (fn may run more than once);
--                                  an account left empty is deleted
--   store:salt(fresh)   -> salt | nil, message   the store's salt, `fresh` saved first when
--                                  it has none (the first salt saved stays)
--
-- The others (memory, file) go through the whole state (store.load_account, store.verifier).
--
-- The state is plain data only (tables, strings, numbers, booleans; string keys), so any
-- store can keep it as one JSON document:
--
--   state.salt = string       64 hex digits: the store's random salt for verifiers
--   state.accounts[store.key(server_url, username)] = {
--     user_id      number    the account's user id
--     cookies      string    the C session's cookie export (Netscape lines)
--     login        table     the last login reply, without user.password and user.token
--     verifier     string    store.verifier of the password hash the session was made with
--     refused      table     { [verifier of a refused password hash] =
--                              { count = refusals in a row, next_try = epoch seconds } }
--     last_login   number    epoch seconds of the last login attempt
--     locked_until number    epoch seconds: no login before this (the server said 507)
--     logins       number    login attempts made
--     requests     table     { ["<bucket start, epoch seconds>"] = requests sent in it }
--     windows      table     { [request key] = epoch seconds }: the same request (method,
--                              URL, parameters) is not sent again before then (an entry's
--                              `interval`: the token APIs' rules)
--   }
--
-- Accounts are keyed by user name and server origin (store.key), so several accounts, a
-- user on several servers, and several processes can share one store, and a session is
-- never sent to another server than the one that made it. The policy (growatt.engine.policy)
-- changes the state only through store.update (or update_account), in one short
-- read-modify-write per change, so a second process sees a lock at once. Credentials
-- (password, hash) are never stored: a verifier (HMAC-SHA256 of the hash, keyed by the
-- salt) lets a login prove its password against a stored session, and a stolen store gives
-- nothing that logs in.
--
-- What a store reads is untrusted input (store.sanitise): a field of the wrong type is
-- dropped, an account that is not an object is an empty account, and what was dropped is
-- counted in store.problems (shown by api:stats().store). The field types are in
-- store.ACCOUNT_FIELDS: a new account field is one line there. An update changes a table
-- held in an account field by replacing it, never in place, except `requests`.

local core = require("growatt.core")
local json = require("growatt.json")
local shape = require("growatt.engine.store_shape")

local store = {}

-- The state's shape (growatt.engine.store_shape): valid_salt, is, ACCOUNT_FIELDS,
-- STATE_FIELDS, sanitise, checked, checked_account.
local SHAPE = { "valid_salt", "is", "ACCOUNT_FIELDS", "STATE_FIELDS", "sanitise", "checked", "checked_account" }
for _, k in ipairs(SHAPE) do
  store[k] = shape[k]
end
local note = shape.note

store.MAX_FILE = 1024 * 1024 -- bytes: a larger state file is not read (and reads as empty)
store.FLUSH_INTERVAL = 1     -- seconds: request counters alone are written at most this often

local function copy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = copy(x) end
  return t
end
store.copy = copy

---------------------------------------------------------------------------
-- Keys and verifiers

local DEFAULT_PORT = { http = "80", https = "443" }

--- The origin of a URL, normalised: "scheme://host:port", scheme and host in lower case,
-- the default port written out, user info dropped. A URL without a scheme://host part is
-- its own origin.
local function normalise(scheme, authority)
  scheme, authority = scheme:lower(), authority:gsub("^.*@", ""):lower()
  local host, port = authority:match("^(%[.*%]):?(%d*)$") -- an IPv6 address
  if not host then host, port = authority:match("^([^:]*):?(%d*)$") end
  if not host then return scheme .. "://" .. authority end
  port = port ~= "" and tostring(tonumber(port)) or DEFAULT_PORT[scheme] or ""
  return scheme .. "://" .. host .. ":" .. port
end

-- "scheme://authority" and the URLs asked for -> their origin, for the few servers a
-- process talks to (every request asks): emptied when it grows past ORIGINS_KEPT.
local origins, kept, ORIGINS_KEPT = {}, 0, 256

function store.origin(url)
  local origin = origins[url] -- a URL asked before (each call asks for its own, three times)
  if origin then return origin end
  local prefix, scheme, authority = url:match("^((%a[%w+.-]*)://([^/?#]*))")
  if not prefix then return url end
  origin = origins[prefix] or normalise(scheme, authority)
  if kept >= ORIGINS_KEPT then origins, kept = {}, 0 end
  origins[prefix], origins[url], kept = origin, origin, kept + 2
  return origin
end

--- The key of a user's account at the server of `url` in state.accounts: "user@origin"
-- (the origin holds no "@", so the last one splits the key).
function store.key(url, username)
  return username .. "@" .. store.origin(url)
end

--- The verifier of a password hash under the state's salt; a state without a valid salt
-- gets a new one first (saved by the caller's next update, or by `s`, when given: through
-- its salt method where it has one, else in its state).
function store.verifier(state, hash, s)
  if not store.valid_salt(state.salt) then
    local fresh, saved = core.salt(), nil
    if s and s.salt then
      saved = s:salt(fresh)
    elseif s then
      saved = store.update(s, function(st)
        if not store.valid_salt(st.salt) then st.salt = fresh end
        return st
      end)
      saved = saved and saved.salt
    end
    state.salt = store.valid_salt(saved) and saved or fresh
  end
  return core.verifier(state.salt, hash)
end

--- The account under `key` (store.key; nil when there is none) and a state holding the
-- store's salt (the state loaded, for stores without load_account).
function store.load_account(s, key)
  local acc, state
  if s.load_account then
    state = {}
    acc, state.salt = s:load_account(key)
  else
    state = s:load()
    acc = type(state.accounts) == "table" and state.accounts[key]
  end
  return type(acc) == "table" and acc or nil, state
end

--- Runs fn over the store's state and saves the result: the store's own update if it has
-- one, else load + fn + save. Returns the new state, or nil and a message.
function store.update(s, fn)
  if s.update then return s:update(fn) end
  local state = s:load()
  state = fn(state) or state
  local ok, err = s:save(state)
  if not ok then return nil, err end
  return state
end

---------------------------------------------------------------------------
-- Memory: the default; one process, one Api or several sharing the store object.

local Memory = {}
Memory.__index = Memory

--- A store kept in this Lua state's memory.
function store.memory()
  return setmetatable({ state = {} }, Memory)
end

function Memory:load() return store.checked(self, copy(self.state)) end

function Memory:save(state)
  self.state = store.checked(self, copy(state))
  return true
end

-- In place: no copies on the path of every call.
function Memory:update(fn)
  self.state = fn(self.state) or self.state
  return self.state
end

---------------------------------------------------------------------------
-- File: one JSON document, mode 0600, replaced atomically (written to a temporary file in
-- the same directory, flushed to disk, then renamed over the old one), so that a process
-- killed mid-write leaves either the old or the new state, never a torn one. A process
-- killed mid-write may leave its temporary file (<path>.XXXXXX) behind; the state is
-- still whole. Writers take a lock of the file (flock) and read it again when another
-- process replaced it since, so no change of one process is lost to another's write.
--
-- The store keeps the state in memory and, on every load and update, stats the file: it is
-- read again only when another process replaced it (another inode, size or time), and the
-- request counts this process has not written yet are added to what it read. An update
-- that changes anything but request counts (a session, a login, a lock) is written at
-- once. Request counts alone are written at most once per FLUSH_INTERVAL (the first count
-- after a quiet interval at once), or when `max_unflushed` of them are waiting, and at
-- flush(): api:close(), the store's garbage collection, the end of the Lua state.

local File = {}
File.__index = File

local newproxy = rawget(_G, "newproxy") -- Lua 5.1 / LuaJIT: tables have no __gc

--- A store kept in the JSON file at `path` (created on the first save). opts.max_unflushed:
-- write request counts once that many are waiting (the budget's slack between processes).
function store.file(path, opts)
  assert(type(path) == "string" and path ~= "", "store.file: path must be a non-empty string")
  opts = opts or {}
  local s = setmetatable({ path = path, pending = {}, unflushed = 0, flushed_at = -math.huge,
                           max_unflushed = opts.max_unflushed or math.huge }, File)
  if newproxy then
    local proxy = newproxy(true)
    getmetatable(proxy).__gc = function() pcall(File.flush, s) end
    s.gc = proxy
  end
  return s
end

-- Takes what core.read_file gave as the store's state, plus the counts not yet written.
function File:take(text, stamp, reason)
  local state
  if text then
    if text ~= "" then -- empty: made by a writer's lock, nothing written yet
      state = json.decode(text)
      if type(state) ~= "table" then note(self, { "not a JSON object: read as empty" }, "state file") end
    end
  else
    if reason == "too_large" then
      note(self, { "larger than " .. store.MAX_FILE .. " bytes: read as empty" }, "state file")
    elseif reason ~= "missing" then
      note(self, { "cannot be read: read as empty" }, "state file")
    end
    stamp = core.file_stamp(self.path)
  end
  state = store.checked(self, state, "state file")
  for name, counts in pairs(self.pending) do
    state.accounts = state.accounts or {}
    local acc = state.accounts[name] or {}
    state.accounts[name] = acc
    acc.requests = acc.requests or {}
    for key, n in pairs(counts) do acc.requests[key] = (acc.requests[key] or 0) + n end
  end
  self.state, self.stamp, self.text = state, stamp, text
end

-- The state as this process knows it, read again when the file's stamp changed.
function File:current()
  if not self.state or core.file_stamp(self.path) ~= self.stamp then
    self:take(core.read_file(self.path, store.MAX_FILE))
  end
  return self.state
end

-- Under the lock: whether another process wrote since this one read or wrote (taking up
-- what it wrote). The bytes decide, not the stamp: a freed inode can come back with the
-- same size within one tick of the file system's clock.
function File:changed()
  local text, stamp, reason = core.read_file(self.path, store.MAX_FILE)
  if text == self.text then
    self.stamp = stamp or core.file_stamp(self.path)
    return false
  end
  self:take(text, stamp, reason)
  return true
end

function File:load()
  return copy(self:current())
end

-- Writes the state; the caller holds the lock. The counts are then all written.
function File:write(state)
  local text, err = json.encode(state)
  if not text then return nil, "state is not plain data: " .. err end
  if state ~= self.state then state = store.checked(self, copy(state)) end -- a caller's (save)
  local ok, stamp = core.write_file(self.path, text) -- mkstemp (0600) + fsync + rename
  if not ok then return nil, stamp end
  self.state, self.stamp, self.text = state, stamp, text
  self.pending, self.unflushed, self.flushed_at = {}, 0, core.now()
  return true
end

local function locked_write(self, fn)
  local ok, err = core.locked(self.path, fn)
  if ok == nil and err then self.flushed_at = core.now() end -- a failing disk is not tried per call
  return ok, err
end

function File:save(state)
  return locked_write(self, function() return self:write(state) end)
end

--- Writes the request counts not written yet.
function File:flush()
  if self.unflushed == 0 then return true end
  return locked_write(self, function()
    self:changed()
    return self:write(self.state)
  end)
end

-- What an update may change without a write: the accounts' request counts. Returns the
-- state's fields and each account's, shallow, with a copy of the counts.
local function snapshot(state)
  local top, accounts = {}, {}
  for k, v in pairs(state) do top[k] = v end
  for name, acc in pairs(type(state.accounts) == "table" and state.accounts or {}) do
    local a = {}
    for k, v in pairs(acc) do a[k] = v end
    a.requests = copy(acc.requests)
    accounts[name] = a
  end
  return top, accounts
end

local function same_fields(a, b, skip)
  for k, v in pairs(a) do
    if k ~= skip and b[k] ~= v then return false end
  end
  for k in pairs(b) do
    if a[k] == nil and k ~= skip then return false end
  end
  return true
end

-- Whether only request counts changed from the snapshot; if so, adds the new counts to
-- pending.
local function counts_only(self, state, top, accounts)
  if not same_fields(state, top, "accounts") then return false end
  local now = type(state.accounts) == "table" and state.accounts or {}
  for name in pairs(accounts) do
    if now[name] == nil then return false end
  end
  for name, acc in pairs(now) do
    local was = accounts[name]
    if not was or not same_fields(acc, was, "requests") then return false end
  end
  for name, acc in pairs(now) do
    local was, added = accounts[name].requests or {}, nil
    for key, n in pairs(type(acc.requests) == "table" and acc.requests or {}) do
      local d = n - (was[key] or 0)
      if d > 0 then
        added = added or self.pending[name] or {}
        added[key] = (added[key] or 0) + d
        self.unflushed = self.unflushed + d
      end
    end
    if added then self.pending[name] = added end
  end
  return true
end

function File:update(fn)
  local state = self:current()
  local top, accounts = snapshot(state)
  state = fn(state) or state
  if state == self.state and counts_only(self, state, top, accounts) then
    if self.unflushed < self.max_unflushed and core.now() - self.flushed_at < store.FLUSH_INTERVAL then
      return state
    end
    local ok, err = self:flush()
    if not ok then return nil, err end
    return self.state
  end
  -- A change to keep at once: under the lock, made again on the file's state when another
  -- process replaced the file since it was read.
  local ok, err = locked_write(self, function()
    if self:changed() then
      state = fn(self.state) or self.state
    end
    return self:write(state)
  end)
  if not ok then return nil, err end
  return state
end

-- Lua 5.2+: the store writes its waiting counts when it is collected or the state closes.
function File:__gc() pcall(File.flush, self) end

return store
