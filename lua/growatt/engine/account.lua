--- An Api's account in the store: the one read-modify-write before each request (the
-- login guard, the budget, the request windows) and the last good values of windowed reads.
-- The session policy (growatt.engine.policy) decides with it; growatt.engine.login keeps the
-- session part of the same account.
--
-- An account is store.key(url, user): a ShinePhone user, or a token family's account name
-- (api.account), at a server origin. Its fields are store.ACCOUNT_FIELDS.

local core = require("growatt.core")
local errors = require("growatt.errors")
local store = require("growatt.engine.store")

local account = {}

account.DEFAULT_WINDOW = 24 * 3600 -- the budget's window, seconds
local BUCKETS = 24 -- the budget window is counted in this many buckets

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
function account.update(api, key, fn)
  if api.store.update_account then
    return api.store:update_account(key, function(acc)
      acc.requests = acc.requests or {}
      fn(acc)
    end)
  end
  return store.update(api.store, function(state)
    fn(account_of(state, key))
    return state
  end)
end

-- The key of the account a request counts against: its user (or a token family's account
-- name, api.account) at its server.
function account.key(api, req)
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

-- The bucket (start / size) each requests table was last pruned in: without a budget, the
-- counts need no look before a new bucket begins.
local pruned = setmetatable({}, { __mode = "k" })

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

--- Notes that the store answered for `api` at `now` (a session was taken up from it).
function account.seen(api, now) store_seen[api] = now end

-- Seconds a read with a session in hand goes on while the store cannot be updated, for
-- stores that do not say (their `grace` field).
account.STORE_GRACE = 30

-- Why a request the store could not record must not be sent (a `store` error), or nil.
-- Never a login: other processes sharing the store would not know of it and log in too.
-- A read with a session in hand goes on for the store's grace period after the store last
-- answered; after that the budget and the lock cannot be kept, and nothing else is sent.
local function unstored(api, req, now, message, has_session)
  local seen, grace = store_seen[api], api.store.grace or account.STORE_GRACE
  if req.login then
    return errors.new("store", "no login while the state store cannot record it (other processes would log " ..
      "in too): " .. tostring(message))
  elseif not req.write and has_session and seen and now - seen <= grace then
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
function account.admit(api, req, now, has_session)
  local p, refused = api.policy, nil
  local window = p.budget and p.budget.window or account.DEFAULT_WINDOW
  local saved, message = account.update(api, account.key(api, req), function(acc)
    local ends = req.interval and standing_window(acc, req, now)
    if ends then
      refused = refuse("rate_limited", string.format("%s was sent %d s ago; Growatt answers the same request " ..
        "once per %g s", req.name or req.path, math.floor(now - (ends - req.interval)), req.interval),
        math.max(1, math.ceil(ends - now)))
      return
    end
    local bucket = math.floor(now / (window / BUCKETS))
    if p.budget or req.login or pruned[acc.requests] ~= bucket then -- else no bucket has left since
      local used, oldest, size = counted(acc.requests, window, now)
      pruned[acc.requests] = bucket
      refused = refusal(p, acc, req, now, used, oldest and oldest + size + window)
      if refused then return end
    end
    count_request(acc.requests, window, now)
    if req.interval then open_window(acc, req, now) end
    if req.login then
      acc.last_login = now
      acc.logins = (acc.logins or 0) + 1
    end
  end)
  if saved then
    store_seen[api] = now
  elseif not refused then
    refused = unstored(api, req, now, message, has_session)
  end
  return refused
end

-- Failures where the request cannot have reached the server: its window is given back.
account.UNSENT_KINDS = { network = true, tls = true, closed = true }

function account.close_window(api, req, now)
  account.update(api, account.key(api, req), function(acc)
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

function account.cached(api, req, now)
  local values = last_good[api]
  local seen = values and not req.write and values[window_key(req)]
  if seen then return store.copy(seen.value), { cached = true, age = now - seen.at } end
end

account.CACHE_KEPT = 512 -- last good values kept per Api; beyond, those over an hour old go

function account.keep_good(api, req, value, now)
  local values = last_good[api]
  if not (values and req.interval and not req.write and value ~= nil) then return end
  local key = window_key(req)
  if values[key] == nil then
    values.n = (values.n or 0) + 1
    if values.n > account.CACHE_KEPT then -- many distinct reads (plants, days): keep the recent
      local kept, n = { n = 0 }, 0
      for k, seen in pairs(values) do
        if k ~= "n" and seen.at > now - 3600 then kept[k], n = seen, n + 1 end
      end
      if n >= account.CACHE_KEPT then kept, n = { n = 0 }, 0 end -- all recent: start again
      kept.n = n + 1
      last_good[api], values = kept, kept
    end
  end
  values[key] = { value = store.copy(value), at = now } -- the caller may change its own
end

--- Takes a new Api: with `cache`, its windowed reads keep their last good values.
function account.attach(api, cache)
  last_good[api] = cache and {} or nil
end

return account
