--- Session policy: everything decided around a request, so that a script never gets its
-- account locked. Every request of an Api goes through policy.send or send_many, logins too:
--
--   * stored sessions: a session belongs to one server origin and one user (store.key);
--     api:login takes up a stored one only when the password hash proves itself against
--     the verifier kept with it, and the C session's cookies never go to another origin
--     than the one that set them;
--   * login guard: no login while the account is locked (a 507 stores locked_until, which
--     every process sharing the store respects), and at most one login per
--     `login_interval` seconds; a login that comes too soon fails with rate_limited and
--     retry_after, without a request; a password the server refused is not sent again
--     for a growing back-off (LOGIN_BACKOFF), answered with auth and retry_after;
--   * re-login: a call that finds its session expired takes up the newer session another
--     process stored meanwhile, or else logs in again once with the credentials of the last
--     login (kept here, in memory, as the hash only), and is sent again once; reads always,
--     writes too, since an expired session means the server refused the write unseen;
--   * request budget: requests are counted per account over a rolling window in the store;
--     beyond `budget.per_day` a call fails with rate_limited and retry_after;
--   * retries: reads that time out, lose their connection or get a 5xx are sent again,
--     with exponential backoff and jitter, a bounded number of attempts and a deadline;
--     a write only when it cannot have reached the server (no connection was made);
--   * on_request hook and stats, with no secrets in them.
--
-- Api fields used: store (growatt.store interface), session (the C session), username,
-- user_id, policy (the options below, checked by policy.options), _stats.

local core = require("growatt.core")
local client = require("growatt.engine.client")
local errors = require("growatt.errors")
local store = require("growatt.engine.store")

local policy = {}

policy.DEFAULT_LOGIN_INTERVAL = 60
policy.DEFAULT_RETRIES = { attempts = 3, base = 0.5, max = 8, deadline = 30 }
policy.DEFAULT_WINDOW = 24 * 3600
local BUCKETS = 24 -- the budget window is counted in this many buckets

-- The clock and the sleep; the OpenResty adapter may replace them.
policy.now = core.now
policy.sleep = core.sleep

-- Credentials for re-login, by Api, in memory only: never in the Api table (which users
-- may print), the store, an error, a hook or a log.
local credentials = setmetatable({}, { __mode = "k" })
-- The stored cookies (as the store holds them) of the session each Api uses, to tell its
-- own dead session from a newer one that another process stored.
local in_use = setmetatable({}, { __mode = "k" })
-- The origin whose cookies each Api's C session holds.
local jar_origin = setmetatable({}, { __mode = "k" })
-- The transport of each Api (policy.attach): one(req) -> res | nil, err, the C session's
-- answer to one prepared request; many(list, concurrency) -> results, errs, the answers
-- to a list of them, in order (a result is false where its err says why).
local transports = setmetatable({}, { __mode = "k" })

--- Seconds a refused password waits before it is sent again: after the first refusal,
-- the second, and every later one.
policy.LOGIN_BACKOFF = { 600, 3600, 6 * 3600 }
local REFUSALS_KEPT = 8 -- refused passwords remembered per account
local REFUSAL_FORGOTTEN = 24 * 3600 -- a refusal this long past its next try is forgotten

---------------------------------------------------------------------------
-- Options

local function positive(v) return type(v) == "number" and v > 0 and v == v and v ~= math.huge end

local function retries_of(value)
  if value == false then return false end
  if value == nil or value == true then value = {} end
  local r = {}
  for k, default in pairs(policy.DEFAULT_RETRIES) do
    local v = value[k]
    if v == nil then v = default end
    if not positive(v) then return nil, "retries." .. k .. " must be a positive number" end
    r[k] = v
  end
  for k in pairs(value) do
    if policy.DEFAULT_RETRIES[k] == nil then return nil, "unknown retries field '" .. tostring(k) .. "'" end
  end
  if r.attempts ~= math.floor(r.attempts) then return nil, "retries.attempts must be a whole number" end
  return r
end

local function budget_of(value)
  if value == nil then return nil end
  for k in pairs(value) do
    if k ~= "per_day" and k ~= "window" then return nil, "unknown budget field '" .. tostring(k) .. "'" end
  end
  if not positive(value.per_day) then return nil, "budget.per_day must be a positive number" end
  local window = value.window or policy.DEFAULT_WINDOW
  if not positive(window) then return nil, "budget.window must be a positive number" end
  return { per_day = value.per_day, window = window }
end

--- The policy settings of growatt.new's options (login_interval, retries, budget,
-- on_request, store, state_file), or nil and what is wrong with them.
function policy.options(opts)
  local p = { login_interval = opts.login_interval or policy.DEFAULT_LOGIN_INTERVAL, on_request = opts.on_request }
  if p.login_interval < 0 or p.login_interval ~= p.login_interval then
    return nil, "option 'login_interval' must be a number >= 0"
  end
  local err
  p.retries, err = retries_of(opts.retries)
  if p.retries == nil then return nil, "option 'retries': " .. err end
  p.budget, err = budget_of(opts.budget)
  if err then return nil, "option 'budget': " .. err end
  if opts.store and opts.state_file then return nil, "options 'store' and 'state_file' exclude each other" end
  if opts.state_file == "" then return nil, "option 'state_file' must not be empty" end
  local s = opts.store
  if s and (type(s.load) ~= "function" or type(s.save) ~= "function") then
    return nil, "option 'store' must have load and save methods"
  end
  -- With a budget, a process writes its request counts once 1% of it is waiting, so that
  -- processes sharing the file see each other's counts soon enough (store.file).
  p.store = s or (opts.state_file and store.file(opts.state_file,
    { max_unflushed = p.budget and math.max(1, math.floor(p.budget.per_day / 100)) })) or store.memory()
  return p
end

--- A new Api's stats table.
function policy.new_stats()
  return { requests = 0, logins = 0, relogins = 0, reused = 0, retries = 0, hook_errors = 0, errors = {} }
end

--- A copy of an Api's stats: requests sent, logins sent, re-logins after an expiry, logins
-- answered from a stored session, retries, hook errors, per error kind its count and the
-- last one's message and time, and `store`: what the store dropped from what it read.
function policy.stats(api)
  local stats = store.copy(api._stats)
  stats.store = store.copy(api.store.problems)
  return stats
end

---------------------------------------------------------------------------
-- The account's record in the store's state, made when missing.

local function account_of(state, name)
  state.accounts = state.accounts or {}
  local acc = state.accounts[name] or {}
  state.accounts[name] = acc
  acc.requests = acc.requests or {}
  return acc
end

-- Runs fn over the account stored under `key` (store.key).
local function update_account(api, key, fn)
  return store.update(api.store, function(state)
    fn(account_of(state, key))
    return state
  end)
end

-- The key of the account a request counts against: its user (or a token family's account
-- name, api.account) at its server.
local function account_key(api, req)
  return store.key(req.url, req.account or api.username or api.account or "")
end

---------------------------------------------------------------------------
-- The budget: per-account request counts in BUCKETS buckets of window/BUCKETS seconds.

-- Drops buckets that left the window; returns the count in it and the oldest bucket's start.
local function counted(requests, window, now)
  local size = window / BUCKETS
  local total, oldest = 0, nil
  for key, n in pairs(requests) do
    local start = tonumber(key)
    if not start or start + size + window <= now then
      requests[key] = nil
    else
      total = total + n
      if not oldest or start < oldest then oldest = start end
    end
  end
  return total, oldest, size
end

-- The last bucket's start and key: calls in one bucket share its key, formatted once.
local key_start, key_text

local function count_request(requests, window, now)
  local size = window / BUCKETS
  local start = math.floor(now / size) * size
  if start ~= key_start then key_start, key_text = start, string.format("%.17g", start) end
  requests[key_text] = (requests[key_text] or 0) + 1
end

---------------------------------------------------------------------------
-- Admission: the one read-modify-write of the store before a request is sent.

local function refuse(kind, message, retry_after, fields)
  fields = fields or {}
  fields.retry_after = math.max(0, retry_after)
  return errors.new(kind, message, fields)
end

-- Why the request must not be sent now (an error), or nil. `used` is the count in the
-- budget window, `leaves` when its oldest bucket leaves it.
local function refusal(p, acc, req, now, used, leaves)
  if req.login then
    -- locked_until is whole seconds, rounded down: wait until the next one to be sure.
    if acc.locked_until and now < acc.locked_until + 1 then
      return refuse("locked", "the account is locked; no login before the lock ends",
        acc.locked_until + 1 - now, { locked_until = acc.locked_until })
    end
    local last = acc.last_login
    if last and now < last + p.login_interval then
      return refuse("rate_limited", string.format("a login was made %.0f s ago; logins are at least %g s apart",
        now - last, p.login_interval), last + p.login_interval - now)
    end
  end
  local budget = p.budget
  if budget and used >= budget.per_day then
    return refuse("rate_limited", string.format("the budget of %d requests per %g s is used up",
      budget.per_day, budget.window), leaves - now)
  end
end

-- When each Api last found the store answering (an update, or a session taken up from it).
local store_seen = setmetatable({}, { __mode = "k" })

-- Seconds a read with a session in hand goes on while the store cannot be updated, for
-- stores that do not say (their `grace` field).
policy.STORE_GRACE = 30

-- Why a request the store could not record must not be sent (a `store` error), or nil.
-- Never a login: other processes sharing the store would not know of it and log in too.
-- A read with a session in hand goes on for the store's grace period after the store last
-- answered; after that the budget and the lock cannot be kept, and nothing else is sent.
local function unstored(api, req, now, message)
  local seen, grace = store_seen[api], api.store.grace or policy.STORE_GRACE
  if req.login then
    return errors.new("store", "no login while the state store cannot record it (other processes would log " ..
      "in too): " .. tostring(message))
  elseif not req.write and in_use[api] and seen and now - seen <= grace then
    return nil
  end
  return errors.new("store", string.format("the state store cannot record requests (%s), so the budget and " ..
    "the lock cannot be kept; %s", tostring(message),
    req.write and "no write without it" or ("no read beyond " .. grace .. " s of it")))
end

-- Request windows (an entry's `interval`): the same request (method, URL, parameters) is
-- sent at most once per interval per account. acc.windows[key] is when its window ends.
local function window_key(req)
  local key = req.window_key
  if not key then
    key = table.concat({ req.method, req.url, core.encode(req.query or {}), core.encode(req.form or {}) }, "\n")
    req.window_key = key
  end
  return key
end

-- Drops the windows that have ended; returns the end of the request's window, if it stands.
local function standing_window(acc, req, now)
  local windows, found = acc.windows, nil
  if type(windows) ~= "table" then return nil end
  local key, kept = window_key(req), nil
  for k, ends in pairs(windows) do
    if ends > now then
      kept = kept or {}
      kept[k] = ends
      if k == key then found = ends end
    end
  end
  acc.windows = kept -- replaced, not changed in place (see growatt.engine.store)
  return found
end

local function open_window(acc, req, now)
  local windows = store.copy(acc.windows or {})
  windows[window_key(req)] = now + req.interval
  acc.windows = windows
end

-- Checks the guard, the budget and the request's window and counts the request, in one
-- store update. Returns an error when the request must not be sent, also when the store
-- cannot be updated (unstored).
local function admit(api, req, now)
  local p, refused = api.policy, nil
  local window = p.budget and p.budget.window or policy.DEFAULT_WINDOW
  local saved, message = update_account(api, account_key(api, req), function(acc)
    local ends = req.interval and standing_window(acc, req, now)
    if ends then
      refused = refuse("rate_limited", string.format("%s was sent %d s ago; Growatt answers the same request " ..
        "once per %g s", req.name or req.path, math.floor(now - (ends - req.interval)), req.interval),
        math.max(1, math.ceil(ends - now)))
      return
    end
    local used, oldest, size = counted(acc.requests, window, now)
    refused = refusal(p, acc, req, now, used, oldest and oldest + size + window)
    if refused then return end
    count_request(acc.requests, window, now)
    if req.interval then open_window(acc, req, now) end
    if req.login then
      acc.last_login = now
      acc.logins = (acc.logins or 0) + 1
    end
  end)
  if saved then store_seen[api] = now elseif not refused then refused = unstored(api, req, now, message) end
  return refused
end

-- Failures where the request cannot have reached the server: its window is given back.
local UNSENT_KINDS = { network = true, tls = true, closed = true }

local function close_window(api, req, now)
  update_account(api, account_key(api, req), function(acc)
    local key = window_key(req)
    if type(acc.windows) == "table" and acc.windows[key] == now + req.interval then
      local windows = store.copy(acc.windows)
      windows[key] = nil
      acc.windows = windows
    end
  end)
end

-- The last good value of each windowed read, by Api and window key, for the Apis made with
-- `cache = true`: a read refused inside its window answers with it, and its age.
local last_good = setmetatable({}, { __mode = "k" })

local function cached(api, req, now)
  local values = last_good[api]
  local seen = values and not req.write and values[window_key(req)]
  if seen then return store.copy(seen.value), { cached = true, age = now - seen.at } end
end

local function keep_good(api, req, value, now)
  local values = last_good[api]
  if values and req.interval and not req.write and value ~= nil then
    values[window_key(req)] = { value = value, at = now }
  end
end

---------------------------------------------------------------------------
-- Hook and stats

local function note_error(api, err)
  local by_kind = api._stats.errors
  local e = by_kind[err.kind] or { count = 0 }
  by_kind[err.kind] = e
  e.count = e.count + 1
  e.last = { message = err.message, at = os.time() }
end

-- The hook sees what was sent where and how it went; never the query, the form, the
-- headers or the reply (they may hold the hash, a token or cookies).
local function call_hook(api, req, res, err, ms, attempt)
  local hook = api.policy.on_request
  if not hook then return end
  local info = {
    method = req.method, path = req.path, op = req.op, name = req.name,
    status = res and res.status or (err and err.status), ms = ms, attempt = attempt,
    kind = err and err.kind or nil,
  }
  if not pcall(hook, info) then api._stats.hook_errors = api._stats.hook_errors + 1 end
end

---------------------------------------------------------------------------
-- Before a request is sent: cookies of another origin are dropped (bind), then it is
-- checked (length, the round's origin) and admitted. Returns nil when it may go, else the
-- refusal (an error) or, for a read refused inside its window with a cached value, that
-- value and its info.
local function start(api, req, origin, now)
  local refused = client.too_long(req) or (store.origin(req.url) ~= origin and
    errors.new("invalid", "the calls of one batch go to one server")) or admit(api, req, now)
  if not refused then
    api._stats.requests = api._stats.requests + 1
    return nil
  end
  if refused.kind == "rate_limited" and req.interval then
    local value, info = cached(api, req, now)
    if info then return refused, value, info end
  end
  return refused
end

-- After a request's exchange (res, or nil and cerr from the C session): classify it, keep
-- the store's session and windows current, call the hook. Returns what the call returns.
local function finish(api, req, res, cerr, now, attempt)
  local value, err = client.receive(req, res, cerr)
  local ms = math.floor(((res and res.elapsed) or (policy.now() - now)) * 1000 + 0.5)
  call_hook(api, req, res, err, ms, attempt)
  if res and res.headers["set-cookie"] and not req.login and api.username then
    local cookies = api.session:cookies() -- the server renewed a cookie: keep the store current
    in_use[api] = cookies
    update_account(api, store.key(req.url, api.username), function(acc) acc.cookies = cookies end)
  end
  if req.interval then
    if err and UNSENT_KINDS[err.kind] then
      close_window(api, req, now)
    elseif err and err.kind == "rate_limited" then
      local v, info = cached(api, req, now) -- the server's refusal inside its own window
      if info then return v, info end
    else
      keep_good(api, req, value, now)
    end
  end
  return value, err
end

-- One round of attempts: admit each request, send the admitted ones together, classify
-- and report each. `which` lists the indices of `reqs` to attempt; their outcomes go to
-- values and errs.
local function attempt_round(api, reqs, which, attempts, concurrency, values, errs)
  local now = policy.now()
  local sent, list = {}, {}
  local origin = store.origin(reqs[which[1]].url)
  policy.bind(api, origin)
  for _, i in ipairs(which) do
    attempts[i] = attempts[i] + 1
    local refused, value = start(api, reqs[i], origin, now)
    values[i], errs[i] = value, refused
    if value ~= nil then errs[i] = nil end
    if not refused then
      sent[#sent + 1] = i
      list[#list + 1] = reqs[i]
    end
  end
  if #list == 0 then return end
  local results, cerrs = transports[api].many(list, concurrency)
  for k, i in ipairs(sent) do
    local v, e = finish(api, reqs[i], results[k] or nil, cerrs[k], now, attempts[i])
    if v ~= nil then e = nil end -- a cached value's info is no error
    values[i], errs[i] = v, e
  end
end

-- curl codes of failures before anything was sent: resolving or connecting.
local UNSENT = { [5] = true, [6] = true, [7] = true }

local function retryable(req, err)
  if req.login then return false end -- a login goes through the guard instead
  if req.write then return err.kind == "network" and UNSENT[err.curl_code] == true end
  if err.kind == "timeout" or err.kind == "network" then return true end
  if err.kind == "protocol" and err.curl_code == 18 then return true end -- cut mid-body
  return err.kind == "http" and type(err.status) == "number" and err.status >= 500
end

-- Exponential backoff with jitter: between half and all of base * 2^(n-1), at most max.
local function backoff(r, n)
  local full = math.min(r.max, r.base * 2 ^ (n - 1))
  return full / 2 + math.random() * full / 2
end

---------------------------------------------------------------------------
-- Login and re-login

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
  local state = api.store:load()
  local acc = type(state.accounts) == "table" and state.accounts[store.key(url, name)]
  return type(acc) == "table" and acc or nil, state
end

-- Whether this Api may take up the stored account's session: it is live and the hash of
-- the Api's credentials proves itself against its verifier, or the Api has none (resume).
local function proven(api, acc, state)
  local c = credentials[api]
  return live(acc) and (c == nil or acc.verifier == store.verifier(state, c.hash))
end

-- Puts the stored session of `name` at `origin` into the Api's C session; returns the
-- stored login reply.
local function take_up(api, name, acc, origin)
  api.session:set_cookies(acc.cookies)
  jar_origin[api] = origin
  api.username, api.user_id, in_use[api] = name, acc.user_id, acc.cookies
  store_seen[api] = policy.now()
  api._stats.reused = api._stats.reused + 1
  return acc.login
end

--- Takes a new Api under the policy: `transport` sends its prepared requests (see
-- transports above), `cache` keeps the last good value of each windowed read. Its C
-- session's (empty) cookie jar belongs to the Api's server.
function policy.attach(api, transport, cache)
  transports[api] = transport
  last_good[api] = cache and {} or nil
  jar_origin[api] = store.origin(api.server_url)
end

--- Before requests to `origin`: cookies of another origin are dropped from the C session,
-- never sent there, and the stored session of the Api's user at `origin` is taken up when
-- it proves itself.
function policy.bind(api, origin)
  if jar_origin[api] == origin then return end
  api.session:clear_cookies()
  jar_origin[api], in_use[api] = origin, nil
  if api.username then
    local acc, state = stored(api, origin, api.username)
    if proven(api, acc, state) then take_up(api, api.username, acc, origin) end
  end
end

local function when(t)
  return os.date("!%Y-%m-%d %H:%M:%S UTC", math.floor(t))
end

-- The refusal of the password with verifier `v` that stands at `now`, or nil. A next try
-- further off than the longest back-off was not written by this policy: it is ignored.
local function standing_refusal(acc, v, now)
  local r = acc and type(acc.refused) == "table" and acc.refused[v]
  local longest = policy.LOGIN_BACKOFF[#policy.LOGIN_BACKOFF]
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
  local backoff_s = policy.LOGIN_BACKOFF[math.min(count, #policy.LOGIN_BACKOFF)]
  refused[v] = { count = count, next_try = now + backoff_s }
  acc.refused = refused
  return refused[v]
end

-- Records a login's outcome under the account's key: the session and the verifier of its
-- password hash, a lock, or a refused password (whose error then says when it may be sent
-- again).
local function after_login(api, key, c, v, back, err)
  local name = c.name
  if back then
    credentials[api] = c
    local cookies = api.session:cookies()
    api.username, api.user_id, in_use[api] = name, back.userId, cookies
    update_account(api, key, function(acc)
      acc.cookies, acc.user_id, acc.login, acc.verifier = cookies, back.userId, storable(back), v
      acc.locked_until = nil
      if type(acc.refused) == "table" and acc.refused[v] then -- replaced, not changed in place
        local refused = store.copy(acc.refused)
        refused[v] = nil
        acc.refused = refused
      end
    end)
  elseif err.kind == "locked" then
    update_account(api, key, function(acc)
      acc.locked_until = err.locked_until
      acc.cookies, acc.login, acc.verifier = nil, nil, nil
    end)
  elseif err.kind == "auth" then -- the server refused this user name and password
    local now, r = policy.now(), nil
    update_account(api, key, function(acc) r = remember_refusal(acc, v, now) end)
    if r then
      err.retry_after = r.next_try - now
      err.message = err.message .. "; this password is not sent again before " .. when(r.next_try)
    end
  end
end

-- Sends a login (the prepared request c.request(name, hash) makes, for the credentials
-- `c`) and records its outcome; a password the server refused is not sent again before
-- its back-off has passed.
local function fresh_login(api, c)
  local name, hash = c.name, c.hash
  local req = c.request(name, hash)
  req.login, req.account = true, name
  local acc, state = stored(api, req.url, name)
  local v = store.verifier(state, hash, api.store)
  local now = policy.now()
  local r = standing_refusal(acc, v, now)
  if r then
    local err = errors.new("auth", "this password was refused; it is not sent again before " .. when(r.next_try),
      { retry_after = r.next_try - now })
    note_error(api, err)
    return nil, err
  end
  local back, err = policy.send(api, req)
  after_login(api, store.key(req.url, name), c, v, back, err)
  return back, err
end

--- api:login: answers from a live stored session of the same user at the same server,
-- when the password hash proves itself against its verifier (no request: a cron script run
-- every 5 minutes reuses one session), else logs in. request(name, hash) makes the
-- family's prepared login request (kept, in memory, for re-logins).
function policy.login(api, name, hash, request)
  credentials[api] = nil
  local c = { name = name, hash = hash, request = request }
  local acc, state = stored(api, api.server_url, name)
  if live(acc) and acc.verifier == store.verifier(state, hash) then
    credentials[api] = c
    return take_up(api, name, acc, store.origin(api.server_url))
  end
  api._stats.logins = api._stats.logins + 1
  return fresh_login(api, c)
end

--- api:resume: takes up the stored session of a user at the server without credentials
-- (so without re-login: an expiry comes back as session_expired). Returns the stored login
-- reply, or nil and a session_expired error when the store holds no live session of the
-- user there.
function policy.resume(api, name)
  credentials[api] = nil
  local acc = stored(api, api.server_url, name)
  if live(acc) then return take_up(api, name, acc, store.origin(api.server_url)) end
  return nil, errors.new("session_expired", "no stored session of this user: log in first")
end

-- After an expiry: the session this Api used is dead. When another process sharing the
-- store has stored a newer one meanwhile (that proves itself), take that up; else forget
-- the dead one and, with credentials, log in again. Returns true when the calls may be
-- sent again, nil and an error when the re-login failed, or nothing when there is no way
-- back.
local function recover(api)
  local name, dead = api.username, in_use[api]
  if not name then return end
  local origin = jar_origin[api] or store.origin(api.server_url)
  if dead then -- else the session came from elsewhere: nothing to compare the store with
    local acc, state = stored(api, origin, name)
    if acc and acc.cookies ~= dead and proven(api, acc, state) then
      take_up(api, name, acc, origin)
      return true
    end
    update_account(api, store.key(origin, name), function(a)
      if a.cookies == dead then a.cookies, a.login, a.verifier = nil, nil, nil end
    end)
  end
  local c = credentials[api]
  if not c then return end
  api._stats.logins = api._stats.logins + 1
  api._stats.relogins = api._stats.relogins + 1
  local back, err = fresh_login(api, c)
  if back then return true end
  return nil, err
end

---------------------------------------------------------------------------
-- The choke point

-- What to do after a failed attempt of `req` (its `tries` so far, the call's start):
-- "relogin" for an expiry (once per call), a number of seconds to wait before the next
-- try, or nil (the error is the call's answer). Counts the error and the retry.
local function after_failure(api, req, err, tries, started, relogged)
  note_error(api, err)
  if err.kind == "session_expired" and not req.login and not relogged then return "relogin" end
  local r = api.policy.retries
  if r and tries < r.attempts and retryable(req, err) then
    local wait = backoff(r, tries)
    if policy.now() + wait - started <= r.deadline then
      api._stats.retries = api._stats.retries + 1
      return wait
    end
  end
end

--- Sends prepared requests under the policy, each round of them at once through the
-- transport (at most `concurrency` in flight); returns values, errs: what each call
-- returns. Every request is admitted and counted on its own; expired sessions share one
-- re-login, after which only the expired requests are sent again; retried reads wait the
-- longest backoff of their round.
function policy.send_many(api, reqs, concurrency)
  local started = policy.now()
  local values, errs, attempts, tries, pending = {}, {}, {}, {}, {}
  for i = 1, #reqs do attempts[i], tries[i], pending[i] = 0, 1, i end
  local relogged = false
  while #pending > 0 do
    attempt_round(api, reqs, pending, attempts, concurrency, values, errs)
    local again, expired, delay = {}, {}, 0
    for _, i in ipairs(pending) do
      local step = errs[i] and after_failure(api, reqs[i], errs[i], tries[i], started, relogged)
      if step == "relogin" then
        expired[#expired + 1] = i
      elseif step then
        tries[i] = tries[i] + 1
        again[#again + 1] = i
        delay = math.max(delay, step)
      end
    end
    if #expired > 0 then
      relogged = true
      local ok, lerr = recover(api)
      for _, i in ipairs(expired) do
        if ok then again[#again + 1] = i else errs[i] = lerr or errs[i] end
      end
    end
    if delay > 0 then policy.sleep(delay) end
    table.sort(again)
    pending = again
  end
  return values, errs
end

--- Sends one prepared request under the policy; returns what the call returns (a read
-- answered from the cache returns its value and { cached = true, age = seconds }).
function policy.send(api, req)
  local started, tries, attempt, relogged = policy.now(), 1, 0, false
  while true do
    local now = policy.now()
    local origin = store.origin(req.url)
    policy.bind(api, origin)
    attempt = attempt + 1
    local err, value, info = start(api, req, origin, now)
    if info then return value, info end -- a read inside its window, from the cache
    if not err then
      local res, cerr = transports[api].one(req)
      value, err = finish(api, req, res, cerr, now, attempt)
      if value ~= nil then return value, err end
    end
    local step = after_failure(api, req, err, tries, started, relogged)
    if step == "relogin" then
      relogged = true
      local ok, lerr = recover(api)
      if not ok then return nil, lerr or err end
    elseif step then
      tries = tries + 1
      policy.sleep(step)
    else
      return nil, err
    end
  end
end

return policy
