--- The generic caller: an endpoint entry and the call's arguments become a request;
-- the C session sends it; the reply is classified into a result or an error value.

local core = require("growatt.core")
local errors = require("growatt.errors")
local json = require("growatt.json")

local client = {}

--- Argument converters, by kind: each checks a value (raising on misuse, at the user's
-- level) and returns what goes on the wire. `fname` names the method in messages.
client.kinds = {}

--- Adds the converter `fn` of the argument kind `name`; kinds share one namespace, so a
-- clash is an error at load time.
function client.kind(name, fn)
  assert(client.kinds[name] == nil, "argument kind defined twice: " .. name)
  client.kinds[name] = fn
end

-- (Converters call errors.check as a statement, not as a tail call: a tail call would drop
-- their frame and move the error's level past the caller's line.)
-- Whether a number is a whole number that goes on the wire exactly as written: a Lua
-- integer, or a float without a fraction below 2^53 (not NaN, not infinite).
local function whole(v)
  if math.type and math.type(v) == "integer" then return true end
  return v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53
end
client.whole = whole

-- Raises "bad argument" from a converter, at the user's level (as errors.check at level 4);
-- call it as a statement, not as a tail call.
local function bad(name, fname, expected, got)
  error(string.format("bad argument '%s' to '%s' (%s expected, got %s)", name, fname, expected, got), 6)
end
client.bad = bad -- for the converters of other modules (growatt.shinephone.settings)

-- The accepted types of the converters (made once: no table per call).
local ID_TYPES = { "string", "number" }
local DATE_TYPES = { "string", "number", "table" }
local NONE = {}

--- An id: a string, or a whole number (NaN, infinities, fractions and floats beyond 2^53
-- name no device and cannot be written exactly).
function client.kinds.id(v, name, fname)
  errors.check(v, ID_TYPES, name, fname, 4)
  if type(v) == "number" and not whole(v) then bad(name, fname, "string or whole number", tostring(v)) end
  return v
end

function client.kinds.string(v, name, fname)
  errors.check(v, "string", name, fname, 4)
  return v
end

--- An id the reference sends only when it is truthy: nil, false and "" leave it out.
function client.kinds.optional_id(v, name, fname)
  if v == nil or v == false or v == "" then return nil end
  errors.check(v, ID_TYPES, name, fname, 4) -- a statement: a tail call would shift the level
  if type(v) == "number" and not whole(v) then bad(name, fname, "string or whole number", tostring(v)) end
  return v
end

--- growatt.Timespan.hour/day/month, i.e. 0, 1 or 2.
function client.kinds.timespan(v, name, fname)
  if v == 0 or v == 1 or v == 2 then return math.floor(v) end
  bad(name, fname, "0, 1 or 2", type(v) == "number" and tostring(v) or type(v))
end

-- { year, month, day (nil for "YYYY-MM") } from a date the caller gave, or nil and what was wrong.
local function date_parts(v)
  local t = type(v)
  if v == nil or t == "number" then
    -- local time, as the reference's default; a time os.date cannot show is no date
    local ok, d = false, nil
    if v == nil or whole(v) then ok, d = pcall(os.date, "*t", v) end
    if not ok or type(d) ~= "table" then return nil, "a time in whole seconds" end
    return { d.year, d.month, d.day }
  elseif t == "table" then
    local function number(x) return type(x) == "number" and whole(x) end
    if number(v.year) and number(v.month) and (v.day == nil or number(v.day)) then
      return { v.year, v.month, v.day }
    end
    return nil, "a table with year, month and day"
  end
  local y, m, d = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then y, m = v:match("^(%d%d%d%d)%-(%d%d)$") end
  if not y then return nil, '"YYYY-MM-DD" or "YYYY-MM"' end
  return { tonumber(y), tonumber(m), tonumber(d) }
end

--- A date: "YYYY-MM-DD" / "YYYY-MM" strings, os.time() numbers or os.date("*t") tables;
-- nil is today (local time). On the wire "YYYY-MM" when the call's timespan is month,
-- else "YYYY-MM-DD".
function client.kinds.date(v, name, fname, values)
  if v ~= nil then errors.check(v, DATE_TYPES, name, fname, 4) end
  local shown = (type(v) == "string" or type(v) == "number") and errors.show(v) or type(v)
  local p, expected = date_parts(v)
  if not p then bad(name, fname, expected, shown) end
  if p[2] < 1 or p[2] > 12 or (p[3] and (p[3] < 1 or p[3] > 31)) then
    bad(name, fname, "a real month and day", shown)
  end
  if values.timespan == 2 then return string.format("%04d-%02d", p[1], p[2]) end
  if not p[3] then bad(name, fname, '"YYYY-MM-DD" (a day, for this timespan)', shown) end
  return string.format("%04d-%02d-%02d", p[1], p[2], p[3])
end

--- An integer (a number without a fraction).
function client.kinds.integer(v, name, fname)
  errors.check(v, "number", name, fname, 4)
  if not whole(v) then bad(name, fname, "integer", tostring(v)) end
  return v
end

--- A number.
function client.kinds.number(v, name, fname)
  errors.check(v, "number", name, fname, 4)
  return v
end

--- Converts the positional arguments of a call by the entry's `args` list.
local function convert_args(ep, fname, ...)
  local values = {}
  local specs = ep.args or NONE
  for i = 1, #specs do
    local spec = specs[i]
    local v = select(i, ...)
    if v == nil then v = spec[3] end
    if v ~= nil or not spec.optional then
      local conv = client.kinds[spec[2]] or error("unknown argument kind " .. tostring(spec[2]))
      values[spec[1]] = conv(v, spec[1], fname, values)
    end
  end
  return values
end

client.convert = convert_args

--- The wire pairs of an entry's query, form or multipart list for the converted values.
local function wire_pairs(list, values)
  if not list then return nil end
  local out = {}
  for i = 1, #list do
    local name, v = list[i][1], list[i][2]
    if type(v) == "table" and v.arg then v = values[v.arg] end
    if v ~= nil then out[#out + 1] = { name, v } end
  end
  return out
end

client.wire = wire_pairs

-- The op that names a call in hooks and logs: the last op or action pair of its query, then
-- of its form, else the one some entries carry inside the path.
local function last_op(list)
  for i = #(list or NONE), 1, -1 do
    local name = list[i][1]
    if name == "op" or name == "action" then return list[i][2] end
  end
end

-- The op of an entry whose op pair is a constant (most), found once; an op made of an
-- argument is read from each request.
local fixed_ops = setmetatable({}, { __mode = "k" })

local function path_op(ep)
  return ep.path:match("[?&]op=([^&]*)") or ep.path:match("[?&]action=([^&]*)") or nil
end

local function fixed_op(ep)
  for _, list in ipairs({ ep.form or NONE, ep.query or NONE }) do
    for i = #list, 1, -1 do
      local name, v = list[i][1], list[i][2]
      if name == "op" or name == "action" then return type(v) ~= "table" and v end
    end
  end
  return path_op(ep)
end

local function op_of(ep, req)
  local op = fixed_ops[ep]
  if op == nil then
    op = fixed_op(ep)
    fixed_ops[ep] = op == nil and "" or op
  end
  if op == false then return last_op(req.form) or last_op(req.query) or path_op(ep) end
  return op ~= "" and op or nil
end

-- Warnings already written (each once per process).
local warned = {}

--- Builds the request table of a call: method, path, op and the wire pairs. An entry's
-- `warn` (a deprecation) goes to stderr the first time.
function client.build(ep, fname, ...)
  local values = convert_args(ep, fname, ...)
  if ep.warn and not warned[ep.warn] then
    warned[ep.warn] = true
    io.stderr:write(ep.warn, "\n")
  end
  local req = {
    method = ep.method,
    path = ep.path,
    query = wire_pairs(ep.query, values),
    form = wire_pairs(ep.form, values),
    multipart = wire_pairs(ep.multipart, values),
    result = ep.result,
    expect = ep.expect, -- "text": the body as it is (an HTML page), not JSON
    write = ep.write or false,
    name = fname,
  }
  req.op = op_of(ep, req)
  local interval = ep.interval -- seconds: the same request is sent once per interval (the policy keeps it)
  if type(interval) == "function" then interval = interval(values) end
  req.interval = interval
  return req
end

--- The longest URL (with its query) a request may have; a longer one is refused before
-- anything is sent. Servers refuse long request heads (nginx and Tomcat take 8 KiB by
-- default), libcurl gives up at 1 MiB with a misleading "out of memory", and libcurl 7.88
-- sends a broken Cookie header (so the server waits, and the call times out) once the request
-- line and the headers before it pass 8190 bytes: 4 KiB leaves room for them (the user
-- agent is at most 512 bytes, see growatt.new).
client.MAX_URL = 4096

--- An `invalid` error when the prepared request's URL with its query would be longer than
-- MAX_URL, else nil. The exact length is computed only when a quick bound says it may be.
function client.too_long(req)
  local n = #req.url + 1
  for _, p in ipairs(req.query or {}) do
    n = n + #tostring(p[1]) + (type(p[2]) == "string" and #p[2] or 24) + 2
  end
  if n * 3 <= client.MAX_URL then return nil end
  n = #req.url + 1 + #core.encode(req.query or {})
  if n <= client.MAX_URL then return nil end
  return errors.new("invalid", string.format("the request's URL would be %d bytes long; servers take at most %d",
    n, client.MAX_URL))
end

--- The C session's arguments for a prepared request: method, URL and options.
function client.session_args(req)
  return req.method, req.url, {
    query = req.query, form = req.form, multipart = req.multipart, headers = req.headers,
  }
end

--- Joins the server URL and a path with exactly one slash between them.
function client.url(server_url, path)
  if server_url:sub(-1) == "/" then return server_url .. path end
  return server_url .. "/" .. path
end

local function looks_like_html(body)
  return body:find("^%s*<") ~= nil
end

-- Markers of Growatt's "you are not logged in" answers: the redirect target, the login
-- page served in place of data (a form that asks for a password), and the JSON message
-- some routes send.
local EXPIRED = { "errorNoLogin", "you have not login", "login%.do", "newLoginAPI", 'type="password"' }

local function says_expired(s)
  for _, pat in ipairs(EXPIRED) do
    if s:find(pat) then return true end
  end
  return false
end

-- A decoded reply that says "you have not login", at the top or in `back`.
local function says_not_login(msg)
  return type(msg) == "string" and msg:find("you have not login", 1, true) ~= nil
end

local function not_logged_in(v)
  if type(v) ~= "table" then return false end
  local back = v.back
  if v.msg == nil and v.error == nil and type(back) ~= "table" then return false end -- most replies
  back = type(back) == "table" and back or NONE
  return says_not_login(v.msg) or says_not_login(v.error) or says_not_login(back.msg) or says_not_login(back.error)
end

local function fail(kind, message, status, response)
  return nil, errors.new(kind, message, { status = status, response = response })
end

--- Turns an HTTP response into the decoded reply, or nil and an error value:
-- session_expired (a redirect to the login error page, the login page served in place of
-- data, "you have not login"), blocked (the CDN's 403 user-agent blacklist, the firewall's
-- 405), http (any other status >= 300), protocol (HTML or a body that is not JSON).
-- `expect` is "json" (default) or "text" (the body is returned as it is).
-- Messages are fixed words: nothing from the request or the body goes into them.
function client.classify(res, expect)
  local status, body = res.status, res.body or ""
  if status >= 300 and status < 400 then
    local where = res.headers and res.headers.location or ""
    if says_expired(where) then
      return fail("session_expired", "the session has expired (redirect to the login page)", status)
    end
    return fail("http", "unexpected redirect", status)
  end
  if status == 403 and (body:find("UA ACL", 1, true) or body:find("blacklist", 1, true)) then
    return fail("blocked", "the server refused this user agent (403 UA ACL blacklist); " ..
      "set agent_identifier or add_random_user_id", status)
  end
  if status == 405 then
    return fail("blocked", "the server's web application firewall refused the request (405)", status)
  end
  if status >= 400 then return fail("http", "HTTP status " .. status, status) end
  if expect == "text" then return body end
  if body == "" then return fail("protocol", "empty body where JSON was expected", status) end
  local v, why = json.decode(body)
  if v == nil then
    if looks_like_html(body) then
      if says_expired(body) then
        return fail("session_expired", "the session has expired (login page served)", status)
      end
      return fail("protocol", "HTML where JSON was expected", status)
    end
    return fail("protocol", "malformed JSON: " .. why, status)
  end
  if not_logged_in(v) then return fail("session_expired", "the session has expired (not logged in)", status, v) end
  return v
end

--- Whether a user id from a server names a user: a positive whole number below 2^53, or a
-- string of digits with such a value. Anything else (1.5, -3, 1e400, "abc", 2^53 + 1) would
-- make every later call that sends it fail.
function client.user_id(v)
  if type(v) == "string" then
    if not v:find("^%d+$") then return false end
    v = tonumber(v)
  end
  return type(v) == "number" and v > 0 and v < 2 ^ 53 and whole(v)
end

--- The longest lock a 507 may announce, in hours (Growatt's are 24 h).
client.MAX_LOCK_HOURS = 72

-- The hours of a 507's lockDuration: 24 when it is missing or no number of hours (NaN,
-- negative), at most MAX_LOCK_HOURS, so that no reply locks the account for good.
local function lock_hours(v)
  local hours = tonumber(v)
  if not hours or hours ~= hours or hours < 0 then return 24 end
  return math.min(hours, client.MAX_LOCK_HOURS)
end

--- The result of a login reply (an entry's `result` function): `back` with userId and
-- userLevel added, or nil and an error: auth (502 wrong password, 501 no such user),
-- locked (507; locked_until from lockDuration, in hours, at most MAX_LOCK_HOURS), api
-- (any other refusal).
function client.login_result(v)
  local back = v.back
  if type(back) ~= "table" then return nil, errors.new("protocol", "login reply has no 'back' object") end
  if back.success then
    local user = back.user
    if type(user) ~= "table" or not client.user_id(user.id) then
      return nil, errors.new("protocol", "login reply has no valid user id (a positive integer below 2^53)")
    end
    back.userId = user.id
    back.userLevel = user.rightlevel
    return back
  end
  local code = back.msg ~= nil and tostring(back.msg) or nil
  if code == "507" then
    local hours = lock_hours(back.lockDuration)
    local locked_until = os.time() + math.ceil(hours * 3600)
    return nil, errors.new("locked", string.format("the account is locked for %.4g hours, until %s",
      hours, os.date("!%Y-%m-%d %H:%M:%S UTC", locked_until)),
      { code = code, response = back, locked_until = locked_until })
  end
  if code == "502" or code == "501" then
    local what = code == "501" and "no such user" or "wrong user name or password"
    return nil, errors.new("auth", what, { code = code, response = back })
  end
  return nil, errors.new("api", "login refused: " .. tostring(back.error or code or "?"),
    { code = code, response = back })
end

--- What a call returns for the C session's answer (res, or nil and err) to the prepared
-- request `req`: the classifier of every family (a family's envelope is its entries'
-- `result` functions).
function client.receive(req, res, err)
  if not res then return nil, errors.from_core(err) end
  local v
  v, err = client.classify(res, req.expect)
  if v == nil then return nil, err end
  if req.expect == "text" then -- an HTML page: the entry's result function reads it
    if type(req.result) == "function" then return req.result(v) end
    return v
  end
  return client.extract(v, req.result)
end

--- Takes the part of a decoded reply that the entry returns, or an `api` error when the
-- envelope says the server refused.
function client.extract(v, result)
  if type(v) ~= "table" then return nil, errors.new("protocol", "reply is not a JSON object") end
  if type(result) == "function" then return result(v) end
  if result == "back" then
    local back = v.back
    if back == nil then return {} end
    if type(back) ~= "table" then return nil, errors.new("protocol", "the reply's back is not an object") end
    if back.success == false then
      return nil, errors.new("api", "the server refused: " .. tostring(back.msg or back.error or "?"),
        { code = back.msg, response = back })
    end
    return back
  end
  if v.success == false then
    return nil, errors.new("api", "the server refused: " .. tostring(v.msg or v.error or "?"),
      { code = v.msg, response = v })
  end
  if v.result ~= nil and v.result ~= true and tonumber(v.result) ~= 1 then
    return nil, errors.new("api", "the server refused: " .. tostring(v.msg or "?"),
      { code = v.result, response = v })
  end
  if result == nil or result == "raw" then return v end
  local part = v[result] -- "obj", "PlantList", "deviceList", ...: as the reference's .get(name, {})
  if part == nil or part == json.null then return {} end
  if type(part) ~= "table" then
    return nil, errors.new("protocol", "the reply's " .. result .. " is not an object or array", { response = v })
  end
  return part
end

return client
