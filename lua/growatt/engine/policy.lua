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
--     for a growing back-off (growatt.engine.login.BACKOFF), answered with auth and retry_after;
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
-- It decides; growatt.engine.account keeps the account's part of the store (guard, budget,
-- windows, cache) and growatt.engine.login the sessions (login, take-up, re-login).
-- Api fields used: store (growatt.store interface), session (the C session), username,
-- user_id, account (a token family's account name), policy (the options below, checked by
-- policy.options), _stats.

local core = require("growatt.core")
local client = require("growatt.engine.client")
local errors = require("growatt.errors")
local store = require("growatt.engine.store")
local account = require("growatt.engine.account")
local login = require("growatt.engine.login")

local policy = {}

policy.DEFAULT_LOGIN_INTERVAL = 60
policy.DEFAULT_RETRIES = { attempts = 3, base = 0.5, max = 8, deadline = 30 }

-- The clock and the sleep; the OpenResty adapter may replace them.
policy.now = core.now
policy.sleep = core.sleep

-- The transport of each Api (policy.attach): one(req) -> res | nil, err, the C session's
-- answer to one prepared request; many(list, concurrency) -> results, errs, the answers
-- to a list of them, in order (a result is false where its err says why); receive(req,
-- res, err) -> value, err, the pure classifier of an answer (growatt.engine.reply's, or a
-- family's around it).
local transports = setmetatable({}, { __mode = "k" })

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
  local window = value.window or account.DEFAULT_WINDOW
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
-- Hook and stats

function policy.note_error(api, err)
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
    errors.new("invalid", "the calls of one batch go to one server")) or
    account.admit(api, req, now, login.has_session(api))
  if not refused then
    api._stats.requests = api._stats.requests + 1
    return nil
  end
  if refused.kind == "rate_limited" and req.interval then
    local value, info = account.cached(api, req, now)
    if info then return refused, value, info end
  end
  return refused
end

-- After a request's exchange (res, or nil and cerr from the C session): classify it, keep
-- the store's session and windows current, call the hook. Returns what the call returns.
local function finish(api, req, res, cerr, now, attempt)
  local value, err = transports[api].receive(req, res, cerr)
  local ms = math.floor(((res and res.elapsed) or (policy.now() - now)) * 1000 + 0.5)
  call_hook(api, req, res, err, ms, attempt)
  if res and res.headers["set-cookie"] then login.renewed(api, req) end
  if req.interval then
    if err and account.UNSENT_KINDS[err.kind] then
      account.close_window(api, req, now)
    elseif err and err.kind == "rate_limited" then
      local v, info = account.cached(api, req, now) -- the server's refusal inside its own window
      if info then return v, info end
    else
      account.keep_good(api, req, value, now)
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
  login.bind(api, origin, now)
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
-- Taking an Api, its sessions

--- Takes a new Api under the policy: `transport` sends its prepared requests (see
-- transports above), `cache` keeps the last good value of each windowed read. Its C
-- session's (empty) cookie jar belongs to the Api's server.
function policy.attach(api, transport, cache)
  transports[api] = transport
  account.attach(api, cache)
  login.attach(api)
end

--- api:login: answers from a live stored session of the same user at the same server,
-- when the password hash proves itself against its verifier, else logs in (see
-- growatt.engine.login). request(name, hash) makes the family's prepared login request.
function policy.login(api, name, hash, request)
  return login.login(api, name, hash, request, policy)
end

--- api:resume: takes up the stored session of a user at the server without credentials.
function policy.resume(api, name)
  return login.resume(api, name, policy.now())
end

---------------------------------------------------------------------------
-- The choke point

-- What to do after a failed attempt of `req` (its `tries` so far, the call's start):
-- "relogin" for an expiry (once per call), a number of seconds to wait before the next
-- try, or nil (the error is the call's answer). Counts the error and the retry.
local function after_failure(api, req, err, tries, started, relogged)
  policy.note_error(api, err)
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
      local ok, lerr = login.recover(api, policy)
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
    login.bind(api, origin, now)
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
      local ok, lerr = login.recover(api, policy)
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
