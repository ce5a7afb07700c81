--- The generic caller: an endpoint entry and the call's arguments become a request;
-- the C session sends it; the reply is classified into a result or an error value.

local errors = require("growatt.errors")
local json = require("growatt.json")

local client = {}

--- Argument converters, by kind: each checks a value (raising on misuse, at the user's
-- level) and returns what goes on the wire. `fname` names the method in messages.
client.kinds = {}

function client.kinds.id(v, name, fname)
  return errors.check(v, { "string", "number" }, name, fname, 4)
end

function client.kinds.string(v, name, fname)
  return errors.check(v, "string", name, fname, 4)
end

--- Converts the positional arguments of a call by the entry's `args` list.
local function convert_args(ep, fname, ...)
  local values = {}
  local specs = ep.args or {}
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

--- Builds the request table of a call: method, path, op and the wire pairs.
function client.build(ep, fname, ...)
  local values = convert_args(ep, fname, ...)
  local req = {
    method = ep.method,
    path = ep.path,
    query = wire_pairs(ep.query, values),
    form = wire_pairs(ep.form, values),
    multipart = wire_pairs(ep.multipart, values),
    result = ep.result,
    write = ep.write or false,
    name = fname,
  }
  for _, list in ipairs({ req.query or {}, req.form or {} }) do
    for _, p in ipairs(list) do
      if p[1] == "op" or p[1] == "action" then req.op = p[2] end
    end
  end
  return req
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
-- page served in place of data, and the JSON message some routes send.
local EXPIRED = { "errorNoLogin", "you have not login", "login%.do", "newLoginAPI" }

local function says_expired(s)
  for _, pat in ipairs(EXPIRED) do
    if s:find(pat) then return true end
  end
  return false
end

--- Turns an HTTP response into the decoded reply, or nil and an error value.
-- `expect` is "json" (default) or "text" (the body is returned as it is).
function client.classify(res, expect)
  local status, body = res.status, res.body or ""
  if status >= 300 and status < 400 then
    local where = res.headers and res.headers.location or ""
    if says_expired(where) then
      return nil, errors.new("session_expired", "the session has expired (redirect to the login page)",
        { status = status })
    end
    return nil, errors.new("http", "unexpected redirect", { status = status })
  end
  if status == 403 and (body:find("UA ACL") or body:find("blacklist")) then
    return nil, errors.new("blocked", "the server refused this user agent (403 UA ACL)", { status = status })
  end
  if status == 405 then
    return nil, errors.new("blocked", "the server's firewall refused the request (405)", { status = status })
  end
  if status >= 400 then
    return nil, errors.new("http", "HTTP status " .. status, { status = status })
  end
  if expect == "text" then return body end
  if body == "" then
    return nil, errors.new("protocol", "empty body where JSON was expected", { status = status })
  end
  local v, why = json.decode(body)
  if v == nil then
    if looks_like_html(body) then
      if says_expired(body) then
        return nil, errors.new("session_expired", "the session has expired (login page served)",
          { status = status })
      end
      return nil, errors.new("protocol", "HTML where JSON was expected", { status = status })
    end
    return nil, errors.new("protocol", "malformed JSON: " .. why, { status = status })
  end
  if type(v) == "table" and type(v.msg) == "string" and v.msg:find("you have not login") then
    return nil, errors.new("session_expired", "the session has expired", { status = status, response = v })
  end
  return v
end

--- Takes the part of a decoded reply that the entry returns, or an `api` error when the
-- envelope says the server refused.
function client.extract(v, result)
  if type(v) ~= "table" then
    if result == "raw" then return v end
    return nil, errors.new("protocol", "reply is not a JSON object")
  end
  if type(result) == "function" then return result(v) end
  if result == "back" then
    local back = v.back
    if back == nil then return {} end
    if type(back) == "table" and back.success == false then
      return nil, errors.new("api", "the server refused: " .. tostring(back.msg or back.error or "?"),
        { code = back.msg, response = back })
    end
    return back
  end
  if v.success == false then
    return nil, errors.new("api", "the server refused: " .. tostring(v.msg or v.error or "?"),
      { code = v.msg, response = v })
  end
  if v.result ~= nil and tonumber(v.result) ~= 1 then
    return nil, errors.new("api", "the server refused: " .. tostring(v.msg or "?"),
      { code = v.result, response = v })
  end
  if result == "obj" then
    local obj = v.obj
    if obj == nil then return {} end
    return obj
  end
  return v
end

return client
