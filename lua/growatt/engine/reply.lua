--- Replies: what a call returns for the C session's answer. The HTTP status, HTML and the
-- JSON envelope are classified into a value or an error (the classifier of every family;
-- a family's own envelope is its entries' `result` functions), and the login reply is read.
-- Messages are fixed words: nothing from the request or the body goes into them.

local errors = require("growatt.errors")
local json = require("growatt.json")
local whole = require("growatt.engine.client").whole

local reply = {}

local NONE = {}

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
function reply.classify(res, expect)
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
  return reply.decode(body, status)
end

--- The decoded JSON body of a reply, or nil and an error value: session_expired (the login
-- page served in place of data, "you have not login"), protocol (empty, HTML or not JSON).
function reply.decode(body, status)
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
function reply.user_id(v)
  if type(v) == "string" then
    if not v:find("^%d+$") then return false end
    v = tonumber(v)
  end
  return type(v) == "number" and v > 0 and v < 2 ^ 53 and whole(v)
end

--- The longest lock a 507 may announce, in hours (Growatt's are 24 h).
reply.MAX_LOCK_HOURS = 72

-- The hours of a 507's lockDuration: 24 when it is missing or no number of hours (NaN,
-- negative), at most MAX_LOCK_HOURS, so that no reply locks the account for good.
local function lock_hours(v)
  local hours = tonumber(v)
  if not hours or hours ~= hours or hours < 0 then return 24 end
  return math.min(hours, reply.MAX_LOCK_HOURS)
end

--- The result of a login reply (an entry's `result` function): `back` with userId and
-- userLevel added, or nil and an error: auth (502 wrong password, 501 no such user),
-- locked (507; locked_until from lockDuration, in hours, at most MAX_LOCK_HOURS), api
-- (any other refusal).
function reply.login_result(v)
  local back = v.back
  if type(back) ~= "table" then return nil, errors.new("protocol", "login reply has no 'back' object") end
  if back.success then
    local user = back.user
    if type(user) ~= "table" or not reply.user_id(user.id) then
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
function reply.receive(req, res, err)
  if not res then return nil, errors.from_core(err) end
  local v
  v, err = reply.classify(res, req.expect)
  if v == nil then return nil, err end
  if req.expect == "text" then -- an HTML page: the entry's result function reads it
    if type(req.result) == "function" then return req.result(v) end
    return v
  end
  return reply.extract(v, req.result)
end

--- Takes the part of a decoded reply that the entry returns, or an `api` error when the
-- envelope says the server refused.
function reply.extract(v, result)
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

return reply
