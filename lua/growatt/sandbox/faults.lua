-- The fault language of the sandbox, inside nginx (LuaJIT, Lua 5.1 API). A rule is a table
-- of fields: matchers (all must agree for the rule to apply), knobs (what the rule does) and
-- `times` (how many requests it applies to; nil = forever). Adding a fault is one call to
-- M.matcher or M.knob (a family adds its own in register: v1.lua's error_code).
-- The rules are this worker's; /__sandbox/faults (control.lua) reads and replaces them.
local http = require("growatt.sandbox.http")
local pages = require("growatt.sandbox.pages")
local router = require("growatt.sandbox.router")
local session = require("growatt.sandbox.session")

local M = {}

local rules = {}    -- the active fault rules
local matchers = {} -- name -> function(value, req) -> boolean
local knobs = {}    -- { {name, fn}, ... } tried in order; fn(value, req, rule) -> reply or nil (go on)
local checks = {}   -- every field a rule may have: name -> function(value) -> problem or nil

-- check for M.matcher / M.knob: the value must have this Lua type (and, for numbers, be >= min).
function M.expect(kind, min)
  return function(value)
    if type(value) ~= kind or (min and value < min) then
      return "must be a " .. kind .. (min and (" >= " .. min) or "")
    end
  end
end

function M.matcher(name, fn, check)
  matchers[name], checks[name] = fn, check or M.expect("string")
end

function M.knob(name, fn, check)
  checks[name] = check or function() end
  knobs[#knobs + 1] = { name, fn }
end

checks.times = M.expect("number", 1)

-- A field that only qualifies other knobs of its rule.
local function qualifier(name, check) checks[name] = check end

local function each_string(value)
  if type(value) ~= "table" or next(value) == nil then return "must be a non-empty array of strings" end
  for _, v in pairs(value) do
    if type(v) ~= "string" then return "must be a non-empty array of strings" end
  end
end

local function one_of(...)
  local allowed = { ... }
  return function(value)
    for _, v in ipairs(allowed) do
      if value == v then return end
    end
    return "must be one of " .. table.concat(allowed, ", ")
  end
end

local LOGIN_PATH = "newTwoLoginAPI.do"

-- The user name of a login request, nil for any other request.
local function login_name(req)
  if req.path == LOGIN_PATH then return http.params(req).userName end
end

local login_times = setmetatable({}, { __mode = "k" }) -- rule -> userName -> login times in its window

---------------------------------------------------------------------------
-- Session expiry: a knob ends the request's session and answers as Growatt does for a dead
-- session: the redirect to the error page (default), the login page, or the JSON message.

local function expired_reply(rule)
  session.count("expired")
  local as = rule.expired_as
  if as == "page" then return http.page(200, pages.LOGIN) end
  if as == "json" then return http.reply(200, { msg = "you have not login", result = -1 }) end
  return router.not_logged_in()
end

-- Requests without a live session are left alone: the route itself refuses them.
local function expire_if(req, rule, dead)
  local live = session.session_of(req)
  if live and dead(live) then
    session.end_session(live.id)
    return expired_reply(rule)
  end
end

M.matcher("path", function(path, req) return req.path == path end)
M.matcher("op", function(op, req) return req.op == op end)

-- Knobs run in this order, so a stall delays whatever answers after it. `status` sends the
-- rule's `body` if it has one (a JSON error page), else a small HTML page.
M.knob("stall", function(seconds) ngx.sleep(seconds) end, M.expect("number", 0))
M.knob("block_agents", function(list, req)
  local agent = req.user_agent or ""
  for _, part in ipairs(list) do
    if agent:find(part, 1, true) then
      session.count("blocked")
      return http.page(403, pages.ua_acl())
    end
  end
end, each_string)
M.knob("waf", function()
  session.count("blocked")
  return http.page(405, pages.waf())
end, M.expect("boolean"))
-- After n refused passwords in a row the account is locked; the n-th refusal is still a 502.
M.knob("lock_after_failures", function(n, req, rule)
  local name = login_name(req)
  if name and session.failures(name) >= n then
    session.lock(name, rule.lock_seconds)
  end
end, M.expect("number", 1))
-- More than n logins within lock_window seconds (default an hour) lock the account; the
-- login that goes over is answered 507.
M.knob("lock_after_logins", function(n, req, rule)
  local name = login_name(req)
  if not name then return end
  local by_name = login_times[rule] or {}
  login_times[rule] = by_name
  local now, window, recent = ngx.now(), rule.lock_window or 3600, {}
  for _, t in ipairs(by_name[name] or {}) do
    if now - t < window then recent[#recent + 1] = t end
  end
  recent[#recent + 1] = now
  by_name[name] = recent
  if #recent > n then session.lock(name, rule.lock_seconds) end
end, M.expect("number", 1))
qualifier("lock_window", M.expect("number", 0))
qualifier("lock_seconds", M.expect("number", 0))
M.knob("expire", function(_, req, rule)
  return expire_if(req, rule, function() return true end)
end, M.expect("boolean"))
-- A session answers n requests that the rule matches; the next one finds it expired.
M.knob("expire_after", function(n, req, rule)
  return expire_if(req, rule, function(live) return session.served(live.id) > n end)
end, M.expect("number", 0))
M.knob("expire_seconds", function(seconds, req, rule)
  return expire_if(req, rule, function(live) return session.age(live.id) >= seconds end)
end, M.expect("number", 0))
qualifier("expired_as", one_of("redirect", "page", "json"))
M.knob("status", function(code, _, rule)
  if rule.body then return http.reply(code, rule.body) end
  return http.html(code, "HTTP " .. code, "The sandbox was told to fail this request.")
end, M.expect("number", 100))
M.knob("html", function() return http.page(200, pages.MAINTENANCE) end, M.expect("boolean"))
M.knob("body", function(body) return http.reply(200, body) end, M.expect("string"))
M.knob("size", function(n) return http.reply(200, pages.of_size(n)) end, M.expect("number", 0))
-- The real answer with a Content-Length for all of it, but only its first n bytes (at least
-- one byte short), then the connection closes.
M.knob("truncate", function(n, req)
  local res = router.dispatch(req)
  res.truncate = math.max(0, math.min(n, #res.body - 1))
  return res
end, M.expect("number", 0))
-- No answer at all: the connection is closed (a reset, as the client sees it).
M.knob("reset", function()
  local res = http.reply(444, "")
  res.close = true
  return res
end, M.expect("boolean"))

---------------------------------------------------------------------------
-- Slow and misdirected replies.

-- The real answer, its body one byte at a time, `drip` seconds apart, until it is all sent
-- or the client leaves: a server that never quite stops talking, which only the client's
-- timeout cuts.
M.knob("drip", function(seconds, req)
  local res = router.dispatch(req)
  res.drip = seconds
  return res
end, M.expect("number", 0))
-- A 302 to the URL given (another host, say), which a client must not follow.
M.knob("redirect", function(location)
  local res = http.html(302, "Found", "Moved.")
  res.headers.Location = location
  return res
end, M.expect("string"))

local function check_rule(rule)
  if type(rule) ~= "table" or rule[1] ~= nil then return "a fault rule must be an object" end
  for field, value in pairs(rule) do
    local check = checks[field]
    if not check then return "unknown fault field '" .. tostring(field) .. "'" end
    local problem = check(value)
    if problem then return "fault field '" .. field .. "' " .. problem end
  end
end

local function applies(rule, req)
  for name, fn in pairs(matchers) do
    if rule[name] ~= nil and not fn(rule[name], req) then return false end
  end
  return true
end

-- Runs the knobs of every rule that applies, in rule order, until one answers.
function M.run(req)
  -- Pick the rules and count them down first: a stall yields, and other requests (or a new
  -- rule list) may change the rules meanwhile.
  local chosen, kept = {}, {}
  for _, rule in ipairs(rules) do
    if applies(rule, req) then
      chosen[#chosen + 1] = rule
      if rule.times then rule.times = rule.times - 1 end
    end
    if not rule.times or rule.times > 0 then kept[#kept + 1] = rule end
  end
  rules = kept
  for _, rule in ipairs(chosen) do
    for _, knob in ipairs(knobs) do
      local value = rule[knob[1]]
      if value ~= nil and value ~= false then
        local res = knob[2](value, req, rule)
        if res then return res end
      end
    end
  end
end

-- The active rules, and the rules that replace them: nil and why when one is wrong.
function M.list() return rules end

function M.replace(list)
  for _, rule in ipairs(list) do
    local problem = check_rule(rule)
    if problem then return nil, problem end
  end
  rules = list
  return rules
end

return M
