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
--                                  store.update(s, fn) falls back to load + fn + save
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
--   }
--
-- Accounts are keyed by user name and server origin (store.key), so several accounts, a
-- user on several servers, and several processes can share one store, and a session is
-- never sent to another server than the one that made it. The policy (growatt.policy)
-- changes the state only through store.update, in one short read-modify-write per change,
-- so a second process sees a lock at once. Credentials (password, hash) are never stored:
-- a verifier (HMAC-SHA256 of the hash, keyed by the salt) lets a login prove its password
-- against a stored session, and a stolen store gives nothing that logs in.

local core = require("growatt.core")
local json = require("growatt.json")

local store = {}

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
function store.origin(url)
  local scheme, authority = url:match("^(%a[%w+.-]*)://([^/?#]*)")
  if not scheme then return url end
  scheme, authority = scheme:lower(), authority:gsub("^.*@", ""):lower()
  local host, port = authority:match("^(%[.*%]):?(%d*)$") -- an IPv6 address
  if not host then host, port = authority:match("^([^:]*):?(%d*)$") end
  if not host then return scheme .. "://" .. authority end
  port = port ~= "" and tostring(tonumber(port)) or DEFAULT_PORT[scheme] or ""
  return scheme .. "://" .. host .. ":" .. port
end

--- The key of a user's account at the server of `url` in state.accounts: "user@origin"
-- (the origin holds no "@", so the last one splits the key).
function store.key(url, username)
  return username .. "@" .. store.origin(url)
end

--- Whether `s` is a salt as the stores keep it: 64 lowercase hex digits.
function store.valid_salt(s)
  return type(s) == "string" and #s == 64 and not s:find("[^0-9a-f]")
end

--- The verifier of a password hash under the state's salt; a state without a valid salt
-- gets a new one first (saved by the caller's next update, or by `s`, when given).
function store.verifier(state, hash, s)
  if not store.valid_salt(state.salt) then
    local fresh = core.salt()
    local saved = s and store.update(s, function(st)
      if not store.valid_salt(st.salt) then st.salt = fresh end
      return st
    end)
    state.salt = saved and store.valid_salt(saved.salt) and saved.salt or fresh
  end
  return core.verifier(state.salt, hash)
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

function Memory:load() return copy(self.state) end

function Memory:save(state)
  self.state = copy(state)
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
-- still whole. There is no lock between processes: each change is one short
-- read-modify-write, so two processes that write at the same instant may lose one of
-- their changes (a request count, say), while a lock once written is seen by the next read.

local File = {}
File.__index = File

--- A store kept in the JSON file at `path` (created on the first save).
function store.file(path)
  assert(type(path) == "string" and path ~= "", "store.file: path must be a non-empty string")
  return setmetatable({ path = path }, File)
end

function File:load()
  local f = io.open(self.path, "rb")
  if not f then return {} end
  local text = f:read("*a")
  f:close()
  local state = text and json.decode(text)
  if type(state) ~= "table" then return {} end -- unreadable: start afresh rather than fail
  return state
end

function File:save(state)
  local text, err = json.encode(state)
  if not text then return nil, "state is not plain data: " .. err end
  return core.write_file(self.path, text) -- mkstemp (0600) + fsync + rename
end

return store
