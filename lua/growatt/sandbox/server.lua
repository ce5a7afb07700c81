-- The sandbox server: runs inside nginx (LuaJIT, Lua 5.1 API) for every request.
-- It records the request, applies the fault rules, checks the session and hands the request
-- to the handler registered for its path and op/action. Endpoint modules (legacy.lua,
-- v1.lua, settings.lua) register handlers with server.route(); control requests under
-- /__sandbox/ drive the sandbox from tests.
--
-- State: the request log, the fault rules and the world (data.lua) live in the worker's
-- memory; sessions and counters live in the shared dict, so logins work on any worker.
-- With the default single worker everything is consistent; with more workers each has its
-- own log, faults and world (use that for load only).
local data = require("growatt.sandbox.data")
local cjson = require("cjson.safe").new()

local M = {}

-- Endpoint modules: each returns a table with register(server).
M.modules = { "growatt.sandbox.legacy", "growatt.sandbox.v1", "growatt.sandbox.settings" }

local SESSION_TTL = 12 * 3600 -- Growatt sessions die after about 12 h (protocol.md §1.3)
local MAX_LOG = 10000         -- the log keeps the newest requests; enough for any spec, flat for benchmarks
local JSON_TYPE = "application/json;charset=UTF-8"
local HTML_TYPE = "text/html;charset=UTF-8"

local config = { seed = data.DEFAULT_SEED }
local state       -- the world: data.seed(config.seed), changed by writes and /__sandbox/state
local log = {}    -- recorded requests, oldest first
local faults = {} -- the active fault rules

local function dict() return ngx.shared.growatt_sandbox end

---------------------------------------------------------------------------
-- JSON. Our own encoder rather than cjson.encode: cjson 2.1 cannot tell an empty array from
-- an empty object, and sorted keys make every reply byte-identical from run to run.

local encode_value

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function encode_table(t, out)
  if data.is_array(t) or is_sequence(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], out)
    end
    out[#out + 1] = "]"
    return
  end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then out[#out + 1] = "," end
    out[#out + 1] = encode_string(tostring(k)) .. ":"
    encode_value(t[k], out)
  end
  out[#out + 1] = "}"
end

function encode_value(v, out)
  local kind = type(v)
  if kind == "string" then
    out[#out + 1] = encode_string(v)
  elseif kind == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif v == math.floor(v) and math.abs(v) < 2 ^ 53 then
      out[#out + 1] = string.format("%d", v) -- 1234567, never 1234567.0 or 1.234567e+06
    else
      out[#out + 1] = string.format("%.14g", v)
    end
  elseif kind == "boolean" then
    out[#out + 1] = tostring(v)
  elseif kind == "table" and v ~= data.null then
    encode_table(v, out)
  else -- nil, data.null, ngx.null
    out[#out + 1] = "null"
  end
end

function M.encode(v)
  local out = {}
  encode_value(v, out)
  return table.concat(out)
end

---------------------------------------------------------------------------
-- Replies. A reply is { status = n, body = string, headers = { name = value } }.

local reply_mt = {}

-- body: a table (sent as JSON) or a string (sent as is, JSON content type unless headers say otherwise).
function M.reply(status, body, headers)
  headers = headers or {}
  if type(body) == "table" then body = M.encode(body) end
  if not headers["Content-Type"] then headers["Content-Type"] = JSON_TYPE end
  return setmetatable({ status = status or 200, body = body or "", headers = headers }, reply_mt)
end

function M.escape_html(s)
  return (s:gsub("[<>&\"]", { ["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;", ['"'] = "&quot;" }))
end

-- A small HTML page; text is HTML, so escape what comes from the request.
function M.html(status, title, text)
  local page = "<!DOCTYPE html><html><head><title>" .. title .. "</title></head><body><h1>" ..
    title .. "</h1><p>" .. (text or "") .. "</p></body></html>\n"
  return M.reply(status, page, { ["Content-Type"] = HTML_TYPE })
end

-- Sends a reply; returns true when the connection must then be closed (a truncated reply).
local function send(res)
  ngx.status = res.status
  for name, value in pairs(res.headers) do ngx.header[name] = value end
  ngx.header["Content-Length"] = #res.body -- lets clients apply a size cap before reading
  if res.truncate then
    ngx.print(res.body:sub(1, res.truncate))
    ngx.flush(true)
    return true
  end
  if res.drip then
    for i = 1, #res.body do
      if i > 1 then ngx.sleep(res.drip) end
      ngx.print(res.body:sub(i, i))
      if not ngx.flush(true) then return true end -- the client has gone
    end
    return
  end
  ngx.print(res.body)
end

---------------------------------------------------------------------------
-- Request recording. Query and bodies are parsed here, not with ngx.req.get_uri_args, to
-- keep the order and the duplicates exactly as the client sent them.

local function unescape(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

-- "a=1&b=x%20y&a=2" -> { {"a","1"}, {"b","x y"}, {"a","2"} }; "flag" alone -> {"flag",""}.
local function parse_urlencoded(s)
  local pairs_ = data.array()
  for piece in (s or ""):gmatch("[^&]+") do
    local name, value = piece:match("^([^=]*)=(.*)$")
    pairs_[#pairs_ + 1] = { unescape(name or piece), unescape(value or "") }
  end
  return pairs_
end

-- multipart/form-data -> { {name, value}, ... } or { name, value, filename } for file parts.
local function parse_multipart(body, boundary)
  local parts = data.array()
  local delimiter = "--" .. boundary
  local pos = body:find(delimiter, 1, true)
  while pos do
    local head_start = pos + #delimiter
    if body:sub(head_start, head_start + 1) == "--" then break end -- the closing delimiter
    local head_end = body:find("\r\n\r\n", head_start, true)
    local next_pos = head_end and body:find("\r\n" .. delimiter, head_end + 4, true)
    if not next_pos then break end
    local head = body:sub(head_start, head_end - 1)
    local name = head:match(';%s*[Nn][Aa][Mm][Ee]="([^"]*)"')
    if name then
      parts[#parts + 1] = { name, body:sub(head_end + 4, next_pos - 1), head:match(';%s*filename="([^"]*)"') }
    end
    pos = next_pos + 2
  end
  return parts
end

local function read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then return body end
  local file = ngx.req.get_body_file() -- only if the body outgrew client_body_buffer_size
  if not file then return "" end
  local f = io.open(file, "rb")
  body = f and f:read("*a") or ""
  if f then f:close() end
  return body
end

local function request_headers()
  local headers = {}
  for name, value in pairs(ngx.req.get_headers(200)) do
    headers[name] = type(value) == "table" and table.concat(value, ", ") or value
  end
  return headers
end

-- The record that /__sandbox/requests shows.
local function record(path)
  local headers = request_headers()
  local content_type = headers["content-type"] or ""
  local body = read_body()
  local req = {
    method = ngx.req.get_method(),
    path = path,
    query = parse_urlencoded(ngx.var.args),
    form = data.array(),
    multipart = data.array(),
    body = body,
    content_type = headers["content-type"],
    headers = headers,
    user_agent = headers["user-agent"],
    cookie = headers["cookie"],
    time = ngx.now(),
  }
  local lower = content_type:lower()
  if lower:find("application/x-www-form-urlencoded", 1, true) then
    req.form = parse_urlencoded(body)
  elseif lower:find("multipart/form-data", 1, true) then
    local boundary = content_type:match('[Bb]oundary="([^"]+)"') or content_type:match("[Bb]oundary=([^;%s]+)")
    if boundary then req.multipart = parse_multipart(body, boundary) end
  end
  -- A servlet reads a parameter from the query or the body alike, so the op may be in either.
  local params = M.params(req)
  req.op = params.op or params.action
  log[#log + 1] = req
  if #log > 2 * MAX_LOG then -- drop the oldest in one go: amortised O(1) per request
    local newest = {}
    for i = #log - MAX_LOG + 1, #log do newest[#newest + 1] = log[i] end
    log = newest
  end
  return req
end

-- name -> first value, from the query, then the form, then the multipart body.
function M.params(req)
  local params = {}
  for _, list in ipairs({ req.query, req.form, req.multipart }) do
    for _, p in ipairs(list) do
      if params[p[1]] == nil then params[p[1]] = p[2] end
    end
  end
  return params
end

---------------------------------------------------------------------------
-- Counters and sessions (shared dict: they must agree across workers).

function M.count(name)
  dict():incr("stat:" .. name, 1, 0)
end

local STATS = { "requests", "logins", "login_ok", "login_failed" } -- always there; others once counted

local function stats()
  local out = {}
  for _, name in ipairs(STATS) do out[name] = 0 end
  for _, key in ipairs(dict():get_keys(0)) do
    local name = key:match("^stat:(.*)$")
    if name then out[name] = dict():get(key) end
  end
  return out
end

local session_counter = 0
local issued = {} -- every JSESSIONID this worker issued since the last reset

-- Starts a session for the user; returns the JSESSIONID value. Its birth time serves the
-- expire_seconds fault; the list of issued ids serves specs that look for leaked cookies.
function M.new_session(user_id)
  session_counter = session_counter + 1
  local id = ngx.md5(table.concat({ ngx.now(), ngx.worker.pid(), session_counter, math.random() }, ":")):upper()
  dict():set("session:" .. id, user_id, SESSION_TTL)
  dict():set("born:" .. id, ngx.now(), SESSION_TTL)
  issued[#issued + 1] = id
  return id
end

function M.end_session(id)
  for _, key in ipairs({ "session:", "born:", "served:" }) do dict():delete(key .. id) end
end

function M.session_cookie(id)
  return "JSESSIONID=" .. id .. "; Path=/; HttpOnly"
end

-- The live session named by the request's JSESSIONID cookie: { id, user_id } or nil.
function M.session_of(req)
  local id = req.cookie and (";" .. req.cookie):match(";%s*JSESSIONID=([^;%s]+)")
  local user_id = id and dict():get("session:" .. id)
  if user_id then return { id = id, user_id = user_id } end
end

---------------------------------------------------------------------------
-- Routes: path -> { ops = { [op] = route }, default = route }, where route =
-- { handler = fn, session = bool }. A handler is called as handler(req, ctx) with
--   req  the recorded request (method, path, op, query, form, multipart, headers, ...)
--   ctx  { params = name->value, state = the world, session = {id, user_id} or nil,
--          account = the session's account or nil, server = this module }
-- and returns body[, status[, headers]] (body a table for JSON or a string), or a reply
-- made with server.reply / server.html.

local routes = {}

-- op nil: the handler for requests to the path whose op has no handler of its own.
-- opts.session: answer 302 to the login error page unless the request has a live session.
function M.route(path, op, handler, opts)
  local entry = routes[path] or { ops = {} }
  routes[path] = entry
  local route = { handler = handler, session = opts and opts.session or false }
  if op == nil then entry.default = route else entry.ops[op] = route end
end

local function find_route(req)
  local entry = routes[req.path]
  return entry and (req.op and entry.ops[req.op] or entry.default)
end

-- What Growatt answers on a session route without a live session (protocol.md §9).
function M.not_logged_in()
  local res = M.html(302, "Found", 'Please <a href="/login">log in</a>.')
  res.headers.Location = "/error.do?errorMess=errorNoLogin"
  return res
end

local function dispatch(req)
  local route = find_route(req)
  if not route then
    return M.html(404, "Not Found", "The sandbox has no handler for " ..
      M.escape_html(req.path .. (req.op and (" op=" .. req.op) or "")) .. ".")
  end
  local session = M.session_of(req)
  if route.session and not session then return M.not_logged_in() end
  local ctx = { params = M.params(req), state = state, session = session, server = M,
                account = session and data.account_by_id(state, session.user_id) }
  local ok, body, status, headers = xpcall(function() return route.handler(req, ctx) end, debug.traceback)
  if not ok then
    ngx.log(ngx.ERR, "sandbox handler failed: ", body)
    return M.html(500, "Internal Server Error", "sandbox handler failed (see the sandbox error log)")
  end
  if getmetatable(body) == reply_mt then return body end
  return M.reply(status, body, headers)
end

---------------------------------------------------------------------------
-- Faults. A rule is a table of fields: matchers (all must agree for the rule to apply), knobs
-- (what the rule does) and `times` (how many requests it applies to; nil = forever).
-- Adding a fault is one call to M.matcher or M.knob.

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

-- A body of exactly n bytes that looks like a reply, to test the client's size cap.
local function body_of_size(n)
  local head, tail = '{"back":{"success":true,"padding":"', '"}}'
  if n < #head + #tail then return ("1"):rep(n) end -- still a valid JSON number for n >= 1
  return head .. ("x"):rep(n - #head - #tail) .. tail
end

local function html_page(status, page) return M.reply(status, page, { ["Content-Type"] = HTML_TYPE }) end

local function request_id() return ngx.md5(ngx.now() .. ":" .. math.random()):sub(1, 26) end

-- The pages Growatt's front ends answer with (protocol.md §8): the web login page served in
-- place of data once a session has died, the Tengine CDN's user-agent blacklist, the web
-- application firewall, and a maintenance page (HTML where JSON is due, and not a login page).
local LOGIN_PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>ShineServer - Login</title></head>' ..
  '<body><form id="loginForm" action="/login" method="post"><input name="account" type="text">' ..
  '<input name="password" type="password"><button type="submit">Login</button></form></body></html>\n'

local function ua_acl_page()
  return '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head><title>403 Forbidden</title></head>' ..
    "<body><h1>403 Forbidden</h1><p>You don't have permission to access the URL on this server.</p>" ..
    "<p>denied by UA ACL = blacklist</p><hr/>Powered by Tengine <br/>CDN Request Id: " .. request_id() ..
    "</body></html>"
end

local function waf_page()
  return '<!doctype html><html lang="zh-cn"><head><meta charset="utf-8"><title>405</title></head><body>' ..
    "<h1>405</h1><p>Sorry, your request has been blocked as it may cause potential threats to the " ..
    "server's security.</p><p>Your request ID is : " .. request_id() .. "</p></body></html>"
end

local MAINTENANCE_PAGE = "<!DOCTYPE html><html><head><title>Growatt</title></head><body>" ..
  "<h1>System upgrade</h1><p>The server is being upgraded. Please try again later.</p></body></html>\n"

---------------------------------------------------------------------------
-- Account locks (the 507 answer). An account is locked when its data says so (`locked`,
-- `lock_hours`) or when a lock rule tripped; then "lock:<userName>" in the shared dict holds
-- the lock's length in hours (what the 507 reply calls lockDuration) until the lock ends.

M.LOGIN_PATH = "newTwoLoginAPI.do"
local DEFAULT_LOCK_SECONDS = 24 * 3600

--- The lock of an account: its length in hours, or nil when it is not locked.
function M.lock_of(account)
  if account.locked then return account.lock_hours or 24 end
  return dict():get("lock:" .. account.name)
end

local function lock(name, seconds)
  if dict():get("lock:" .. name) then return end
  dict():set("lock:" .. name, seconds / 3600, seconds)
  dict():delete("failures:" .. name) -- the lock starts a new count
  M.count("locks")
end

--- The login handler reports every refused password (consecutive failures lock an account)
-- and every success (which ends the run of failures).
function M.login_failed(account) dict():incr("failures:" .. account.name, 1, 0) end
function M.login_succeeded(account) dict():delete("failures:" .. account.name) end

-- The user name of a login request, nil for any other request.
local function login_name(req)
  if req.path == M.LOGIN_PATH then return M.params(req).userName end
end

local login_times = setmetatable({}, { __mode = "k" }) -- rule -> userName -> login times in its window

---------------------------------------------------------------------------
-- Session expiry: a knob ends the request's session and answers as Growatt does for a dead
-- session: the redirect to the error page (default), the login page, or the JSON message.

local function expired_reply(rule)
  M.count("expired")
  local as = rule.expired_as
  if as == "page" then return html_page(200, LOGIN_PAGE) end
  if as == "json" then return M.reply(200, { msg = "you have not login", result = -1 }) end
  return M.not_logged_in()
end

-- Requests without a live session are left alone: the route itself refuses them.
local function expire_if(req, rule, dead)
  local session = M.session_of(req)
  if session and dead(session) then
    M.end_session(session.id)
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
      M.count("blocked")
      return html_page(403, ua_acl_page())
    end
  end
end, each_string)
M.knob("waf", function()
  M.count("blocked")
  return html_page(405, waf_page())
end, M.expect("boolean"))
-- After n refused passwords in a row the account is locked; the n-th refusal is still a 502.
M.knob("lock_after_failures", function(n, req, rule)
  local name = login_name(req)
  if name and (dict():get("failures:" .. name) or 0) >= n then
    lock(name, rule.lock_seconds or DEFAULT_LOCK_SECONDS)
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
  if #recent > n then lock(name, rule.lock_seconds or DEFAULT_LOCK_SECONDS) end
end, M.expect("number", 1))
qualifier("lock_window", M.expect("number", 0))
qualifier("lock_seconds", M.expect("number", 0))
M.knob("expire", function(_, req, rule)
  return expire_if(req, rule, function() return true end)
end, M.expect("boolean"))
-- A session answers n requests that the rule matches; the next one finds it expired.
M.knob("expire_after", function(n, req, rule)
  return expire_if(req, rule, function(session) return dict():incr("served:" .. session.id, 1, 0) > n end)
end, M.expect("number", 0))
M.knob("expire_seconds", function(seconds, req, rule)
  return expire_if(req, rule, function(session)
    return ngx.now() - (dict():get("born:" .. session.id) or 0) >= seconds
  end)
end, M.expect("number", 0))
qualifier("expired_as", one_of("redirect", "page", "json"))
M.knob("status", function(code, _, rule)
  if rule.body then return M.reply(code, rule.body) end
  return M.html(code, "HTTP " .. code, "The sandbox was told to fail this request.")
end, M.expect("number", 100))
M.knob("html", function() return html_page(200, MAINTENANCE_PAGE) end, M.expect("boolean"))
M.knob("body", function(body) return M.reply(200, body) end, M.expect("string"))
M.knob("size", function(n) return M.reply(200, body_of_size(n)) end, M.expect("number", 0))
-- The real answer with a Content-Length for all of it, but only its first n bytes (at least
-- one byte short), then the connection closes.
M.knob("truncate", function(n, req)
  local res = dispatch(req)
  res.truncate = math.max(0, math.min(n, #res.body - 1))
  return res
end, M.expect("number", 0))
-- No answer at all: the connection is closed (a reset, as the client sees it).
M.knob("reset", function()
  local res = M.reply(444, "")
  res.close = true
  return res
end, M.expect("boolean"))

---------------------------------------------------------------------------
-- Slow and misdirected replies.

-- The real answer, its body one byte at a time, `drip` seconds apart, until it is all sent
-- or the client leaves: a server that never quite stops talking, which only the client's
-- timeout cuts.
M.knob("drip", function(seconds, req)
  local res = dispatch(req)
  res.drip = seconds
  return res
end, M.expect("number", 0))
-- A 302 to the URL given (another host, say), which a client must not follow.
M.knob("redirect", function(location)
  local res = M.html(302, "Found", "Moved.")
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
local function run_faults(req)
  -- Pick the rules and count them down first: a stall yields, and other requests (or a new
  -- rule list) may change `faults` meanwhile.
  local chosen, kept = {}, {}
  for _, rule in ipairs(faults) do
    if applies(rule, req) then
      chosen[#chosen + 1] = rule
      if rule.times then rule.times = rule.times - 1 end
    end
    if not rule.times or rule.times > 0 then kept[#kept + 1] = rule end
  end
  faults = kept
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

---------------------------------------------------------------------------
-- Control API under /__sandbox/ (JSON in, JSON out; never recorded, never faulted).

local function reset(seed)
  if seed then config.seed = seed end
  state = data.seed(config.seed)
  log, faults, issued = {}, {}, {}
  dict():flush_all()
end

-- Merges a decoded JSON object into t: objects merge key by key, null deletes, anything else replaces.
local function merge(t, patch)
  for k, v in pairs(patch) do
    if v == cjson.null then
      t[k] = nil
    elseif type(v) == "table" and type(t[k]) == "table" and next(v) ~= nil and v[1] == nil then
      merge(t[k], v)
    else
      t[k] = v
    end
  end
end

local function bad_request(message) return M.reply(400, { error = message }) end

local function json_body()
  local body = read_body()
  if body == "" then return {} end
  local value, err = cjson.decode(body)
  if value == nil then return nil, "bad JSON: " .. tostring(err) end
  if type(value) ~= "table" then return nil, "expected a JSON object or array" end
  return value
end

local control = {
  requests = { GET = function() return M.reply(200, data.array(log)) end },
  sessions = { GET = function() return M.reply(200, { issued = data.array(issued) }) end },
  stats = { GET = function() return M.reply(200, stats()) end },
  reset = {
    POST = function()
      local body, err = json_body()
      if not body then return bad_request(err) end
      if body.seed ~= nil and type(body.seed) ~= "number" then return bad_request("seed must be a number") end
      reset(body.seed)
      return M.reply(200, { ok = true })
    end,
  },
  faults = {
    GET = function() return M.reply(200, data.array(faults)) end,
    POST = function()
      local rules, err = json_body()
      if not rules then return bad_request(err) end
      if next(rules) ~= nil and rules[1] == nil then rules = { rules } end -- one rule on its own
      for _, rule in ipairs(rules) do
        local problem = check_rule(rule)
        if problem then return bad_request(problem) end
      end
      faults = rules
      return M.reply(200, data.array(faults))
    end,
  },
  state = {
    GET = function() return M.reply(200, state) end,
    POST = function()
      local patch, err = json_body()
      if not patch then return bad_request(err) end
      merge(state, patch)
      return M.reply(200, state)
    end,
  },
}

local function control_request(name)
  local methods = control[name]
  if not methods then return M.reply(404, { error = "no control endpoint /__sandbox/" .. name }) end
  local fn = methods[ngx.req.get_method()]
  if not fn then return M.reply(405, { error = "method not allowed" }) end
  return fn()
end

---------------------------------------------------------------------------
-- nginx entry points (see the config written by growatt.sandbox).

-- init_by_lua: loads the endpoint modules and seeds the world, once, before the workers fork.
function M.init(opts)
  config.seed = opts and opts.seed or data.DEFAULT_SEED
  for _, name in ipairs(M.modules) do require(name).register(M) end
  state = data.seed(config.seed)
end

function M.init_worker()
  -- Session ids are the one random thing; workers must not share a sequence.
  math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
end

-- Requests being answered right now by this worker (a stall yields to the others). Each
-- record keeps the count seen when it arrived, itself included: its `in_flight`.
local in_flight = 0

function M.handle()
  local path = ngx.var.uri:sub(2)
  local control_name = path:match("^__sandbox/(.*)$")
  if control_name then return send(control_request(control_name)) end
  local req = record(path)
  M.count("requests")
  in_flight = in_flight + 1
  req.in_flight = in_flight
  local ok, close = pcall(function()
    local res = run_faults(req) or dispatch(req)
    return res.close or send(res)
  end)
  in_flight = in_flight - 1
  if not ok then error(close, 0) end
  if close then return ngx.exit(444) end -- nginx drops the connection without a word
end

return M
