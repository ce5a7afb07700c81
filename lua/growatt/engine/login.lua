--- Sessions of the password family (ShinePhone): logging in under the guard, taking up a
-- stored session that proves itself, keeping the C session's cookies to the origin that
-- set them, and re-logging in after an expiry. The session policy (growatt.engine.policy)
-- calls it; the functions that send take `env`, the policy's `send(api, req)`, `now()` and
-- `note_error(api, err)`, as values.
--
-- Credentials (the user name and password hash, with the family's function that makes the
-- login request) are kept here, in memory, by Api: never in the Api table (which users may
-- print), the store, an error, a hook or a log.

local errors = require("growatt.errors")
local store = require("growatt.engine.store")
local account = require("growatt.engine.account")

local login = {}

--- Seconds a refused password waits before it is sent again: after the first refusal,
-- the second, and every later one.
login.BACKOFF = { 600, 3600, 6 * 3600 }
local REFUSALS_KEPT = 8 -- refused passwords remembered per account
local REFUSAL_FORGOTTEN = 24 * 3600 -- a refusal this long past its next try is forgotten

local credentials = setmetatable({}, { __mode = "k" })
-- The stored cookies (as the store holds them) of the session each Api uses, to tell its
-- own dead session from a newer one that another process stored.
local in_use = setmetatable({}, { __mode = "k" })
-- The origin whose cookies each Api's C session holds.
local jar_origin = setmetatable({}, { __mode = "k" })

---------------------------------------------------------------------------
-- Stored sessions

-- The login reply as stored: no password hash, no token.
local function storable(back)
  local copy = store.copy(back)
  if type(copy.user) == "table" then
    copy.user.password = nil
    copy.user.token = nil
  end
  return copy
end

-- Whether a stored account holds a session to take up.
local function live(acc)
  return type(acc) == "table" and type(acc.cookies) == "string" and acc.cookies ~= "" and type(acc.login) == "table"
end

-- The stored account of `name` at the origin of `url` (nil when there is none), and the
-- state it was loaded from.
local function stored(api, url, name)
  return store.load_account(api.store, store.key(url, name))
end

-- Whether this Api may take up the stored account's session: it is live and the hash of
-- the Api's credentials proves itself against its verifier, or the Api has none (resume).
local function proven(api, acc, state)
  local c = credentials[api]
  return live(acc) and (c == nil or acc.verifier == store.verifier(state, c.hash))
end

-- Puts the stored session of `name` at `origin` into the Api's C session; returns the
-- stored login reply.
local function take_up(api, name, acc, origin, now)
  api.session:set_cookies(acc.cookies)
  jar_origin[api] = origin
  api.username, api.user_id, in_use[api] = name, acc.user_id, acc.cookies
  account.seen(api, now)
  api._stats.reused = api._stats.reused + 1
  return acc.login
end

--- A new Api's C session: its (empty) cookie jar belongs to the Api's server.
function login.attach(api)
  jar_origin[api] = store.origin(api.server_url)
end

--- Whether the Api holds a session (its own login, or one taken up).
function login.has_session(api) return in_use[api] ~= nil end

--- Before requests to `origin`: cookies of another origin are dropped from the C session,
-- never sent there, and the stored session of the Api's user at `origin` is taken up when
-- it proves itself.
function login.bind(api, origin, now)
  if jar_origin[api] == origin then return end
  api.session:clear_cookies()
  jar_origin[api], in_use[api] = origin, nil
  if api.username then
    local acc, state = stored(api, origin, api.username)
    if proven(api, acc, state) then take_up(api, api.username, acc, origin, now) end
  end
end

local function when(t)
  return os.date("!%Y-%m-%d %H:%M:%S UTC", math.floor(t))
end

-- The refusal of the password with verifier `v` that stands at `now`, or nil. A next try
-- further off than the longest back-off was not written by this policy: it is ignored.
local function standing_refusal(acc, v, now)
  local r = acc and type(acc.refused) == "table" and acc.refused[v]
  local longest = login.BACKOFF[#login.BACKOFF]
  if type(r) == "table" and type(r.next_try) == "number" and now < r.next_try and r.next_try <= now + longest then
    return r
  end
end

-- Records a refusal of the password with verifier `v` in the account: its next try waits
-- the back-off for the refusals in a row. Keeps the REFUSALS_KEPT latest and forgets those
-- long past. Returns the refusal.
local function remember_refusal(acc, v, now)
  local list = {}
  for k, r in pairs(type(acc.refused) == "table" and acc.refused or {}) do
    if type(r) == "table" and type(r.next_try) == "number" and r.next_try > now - REFUSAL_FORGOTTEN then
      list[#list + 1] = { k, r }
    end
  end
  table.sort(list, function(a, b) return a[2].next_try > b[2].next_try end)
  local refused, count = {}, 1
  for n, e in ipairs(list) do
    if e[1] == v then
      count = (type(e[2].count) == "number" and e[2].count or 0) + 1
    elseif n < REFUSALS_KEPT then
      refused[e[1]] = e[2]
    end
  end
  local backoff_s = login.BACKOFF[math.min(count, #login.BACKOFF)]
  refused[v] = { count = count, next_try = now + backoff_s }
  acc.refused = refused
  return refused[v]
end

-- Records a login's outcome under the account's key: the session and the verifier of its
-- password hash, a lock, or a refused password (whose error then says when it may be sent
-- again).
local function after_login(api, key, c, v, back, err, env)
  local name = c.name
  if back then
    credentials[api] = c
    local cookies = api.session:cookies()
    api.username, api.user_id, in_use[api] = name, back.userId, cookies
    account.update(api, key, function(acc)
      acc.cookies, acc.user_id, acc.login, acc.verifier = cookies, back.userId, storable(back), v
      acc.locked_until = nil
      if type(acc.refused) == "table" and acc.refused[v] then -- replaced, not changed in place
        local refused = store.copy(acc.refused)
        refused[v] = nil
        acc.refused = refused
      end
    end)
  elseif err.kind == "locked" then
    account.update(api, key, function(acc)
      acc.locked_until = err.locked_until
      acc.cookies, acc.login, acc.verifier = nil, nil, nil
    end)
  elseif err.kind == "auth" then -- the server refused this user name and password
    local now, r = env.now(), nil
    account.update(api, key, function(acc) r = remember_refusal(acc, v, now) end)
    if r then
      err.retry_after = r.next_try - now
      err.message = err.message .. "; this password is not sent again before " .. when(r.next_try)
    end
  end
end

-- Sends a login (the prepared request c.request(name, hash) makes, for the credentials
-- `c`) and records its outcome; a password the server refused is not sent again before
-- its back-off has passed.
local function fresh_login(api, c, env)
  local name, hash = c.name, c.hash
  local req = c.request(name, hash)
  req.login, req.account = true, name
  local acc, state = stored(api, req.url, name)
  local v = store.verifier(state, hash, api.store)
  local now = env.now()
  local r = standing_refusal(acc, v, now)
  if r then
    local err = errors.new("auth", "this password was refused; it is not sent again before " .. when(r.next_try),
      { retry_after = r.next_try - now })
    env.note_error(api, err)
    return nil, err
  end
  local back, err = env.send(api, req)
  after_login(api, store.key(req.url, name), c, v, back, err, env)
  return back, err
end

--- api:login: answers from a live stored session of the same user at the same server,
-- when the password hash proves itself against its verifier (no request: a cron script run
-- every 5 minutes reuses one session), else logs in. request(name, hash) makes the
-- family's prepared login request (kept, in memory, for re-logins).
function login.login(api, name, hash, request, env)
  credentials[api] = nil
  local c = { name = name, hash = hash, request = request }
  local acc, state = stored(api, api.server_url, name)
  if live(acc) and acc.verifier == store.verifier(state, hash) then
    credentials[api] = c
    return take_up(api, name, acc, store.origin(api.server_url), env.now())
  end
  api._stats.logins = api._stats.logins + 1
  return fresh_login(api, c, env)
end

--- api:resume: takes up the stored session of a user at the server without credentials
-- (so without re-login: an expiry comes back as session_expired). Returns the stored login
-- reply, or nil and a session_expired error when the store holds no live session of the
-- user there.
function login.resume(api, name, now)
  credentials[api] = nil
  local acc = stored(api, api.server_url, name)
  if live(acc) then return take_up(api, name, acc, store.origin(api.server_url), now) end
  return nil, errors.new("session_expired", "no stored session of this user: log in first")
end

-- After an expiry: the session this Api used is dead. When another process sharing the
-- store has stored a newer one meanwhile (that proves itself), take that up; else forget
-- the dead one and, with credentials, log in again. Returns true when the calls may be
-- sent again, nil and an error when the re-login failed, or nothing when there is no way
-- back.
function login.recover(api, env)
  local name, dead = api.username, in_use[api]
  if not name then return end
  local origin = jar_origin[api] or store.origin(api.server_url)
  if dead then -- else the session came from elsewhere: nothing to compare the store with
    local acc, state = stored(api, origin, name)
    if acc and acc.cookies ~= dead and proven(api, acc, state) then
      take_up(api, name, acc, origin, env.now())
      return true
    end
    account.update(api, store.key(origin, name), function(a)
      if a.cookies == dead then a.cookies, a.login, a.verifier = nil, nil, nil end
    end)
  end
  local c = credentials[api]
  if not c then return end
  api._stats.logins = api._stats.logins + 1
  api._stats.relogins = api._stats.relogins + 1
  local back, err = fresh_login(api, c, env)
  if back then return true end
  return nil, err
end

--- After a reply that set cookies: the server renewed the session's cookie, so the store
-- keeps the current ones.
function login.renewed(api, req)
  if req.login or not api.username then return end
  local cookies = api.session:cookies()
  in_use[api] = cookies
  account.update(api, store.key(req.url, api.username), function(acc) acc.cookies = cookies end)
end

return login
