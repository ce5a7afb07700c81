--- Error values: what the world can do to a call comes back as `nil, err`.
-- `err` is a table with `kind` and `message`, and where known `code` (the server's),
-- `status` (HTTP), `response` (the decoded reply), `retry_after` (seconds) and
-- `locked_until` (epoch seconds). Misuse of the API raises instead (see `errors.boundary`).
-- Messages never carry secrets: passwords, hashes, tokens or cookie values.

local errors = {}

--- Every kind an error can have, so that callers can compare against known names.
errors.kinds = {
  auth = true,            -- wrong credentials (502/501, v1 10011)
  locked = true,          -- the account is locked (507)
  session_expired = true, -- the server no longer knows our session
  blocked = true,         -- 403 user-agent ACL, 405 WAF
  rate_limited = true,    -- v1 10012, the login guard, the client's own budget
  http = true,            -- an HTTP status the call did not expect
  timeout = true,
  network = true,
  tls = true,
  protocol = true,        -- HTML where JSON was due, truncated, malformed or oversize body
  api = true,             -- the server said no (success:false, result ~= 1, error_code ~= 0)
  invalid = true,         -- a value the client refused to send
  closed = true,          -- the session was closed
  moved = true,           -- v1 -1: the account lives on another server
  store = true,           -- the state store (Redis, say) cannot be reached: no login, no budget
  permission = true,      -- v4 12, 3: the token may not access this device
  not_found = true,       -- v4 4: no such device
  offline = true,         -- v4 5: the device is offline
}

local Error = {}
Error.__index = Error
Error.__name = "growatt.Error"

--- `s` with its control characters written as escapes: C0 bytes and DEL as \xHH, the C1
-- controls (UTF-8 U+0080..U+009F) as \uHHHH. Text from a server shown this way cannot move
-- the cursor, recolour or retitle a terminal, or start a line of its own.
function errors.escape(s)
  s = s:gsub("%c", function(c) return string.format("\\x%02X", c:byte()) end)
  return (s:gsub("\194([\128-\159])", function(c) return string.format("\\u%04X", c:byte()) end))
end
local escape = errors.escape

--- One line, whatever a server put into the message or the code.
function Error.__tostring(e)
  local s = "growatt: " .. tostring(e.kind) .. ": " .. tostring(e.message)
  if e.code ~= nil then s = s .. " (code " .. tostring(e.code) .. ")" end
  if e.status ~= nil and e.kind == "http" then s = s .. " (HTTP " .. tostring(e.status) .. ")" end
  return escape(s)
end

-- The longest message kept: what a server says goes into some messages, and a megabyte of
-- it makes no clearer one.
local MAX_MESSAGE = 240

local function cut(message)
  if #message > MAX_MESSAGE then
    return string.format("%s... (%d bytes)", message:sub(1, MAX_MESSAGE), #message)
  end
  return message
end

--- Makes an error of `kind` with a message and optional extra fields.
function errors.new(kind, message, fields)
  assert(errors.kinds[kind], "unknown error kind")
  local e = { kind = kind, message = cut(message or kind) }
  if fields then
    for k, v in pairs(fields) do e[k] = v end
  end
  return setmetatable(e, Error)
end

--- True when `v` is an error value made here (optionally of the given kind).
function errors.is(v, kind)
  return getmetatable(v) == Error and (kind == nil or v.kind == kind)
end

--- Gives a plain error table the error type, in place (not a copy): the C core's (kind,
-- message, curl_code), or one back from a worker thread (errors.plain). An unknown kind
-- reads as `network`, a message is cut as errors.new cuts it.
function errors.adopt(e)
  if type(e) ~= "table" then return errors.new("network", tostring(e)) end
  e.__growatt_error = nil
  if not errors.kinds[e.kind] then e.kind = "network" end
  e.message = cut(type(e.message) == "string" and e.message or e.kind)
  return setmetatable(e, Error)
end
errors.from_core = errors.adopt

--- The error `e` as a plain table marked `__growatt_error`, in place, for a boundary that
-- metatables do not cross (nginx's worker threads and its event loop); errors.adopt takes
-- it back.
function errors.plain(e)
  e.__growatt_error = true
  return setmetatable(e, nil)
end

--- Whether `v` is an error made plain by errors.plain.
function errors.is_plain(v)
  return type(v) == "table" and v.__growatt_error == true
end

--- A value as messages show it: strings quoted and cut after 40 bytes (a megabyte of
-- argument makes no clearer message), anything else as tostring.
function errors.show(v)
  if type(v) ~= "string" then return tostring(v) end
  if #v <= 40 then return string.format("%q", v) end
  return string.format("%q... (%d bytes)", v:sub(1, 40), #v)
end

---------------------------------------------------------------------------
-- Misuse: raised inside, turned into an error at the caller's line by one boundary
-- (LuaSocket's protect/newtry idea), so that no code counts `error(msg, N)` levels.

local Misuse = { __name = "growatt.Misuse" }
Misuse.__tostring = function(m) return m.message end

local pack = table.pack or function(...) return { n = select("#", ...), ... } end
local unpack = table.unpack or unpack -- luacheck: ignore 143

--- `msg` without the "file:line: " position Lua put in front of it (the one place that
-- knows that pattern).
function errors.strip(msg)
  return (tostring(msg):gsub("^[^:\n]*:%d+: ", ""))
end

--- Raises a misuse error (string.format(fmt, ...)); an errors.boundary above turns it into
-- an error at the line that called the boundary's function.
function errors.misuse(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, Misuse), 0)
end

local function bad_argument(name, fname, expected, got)
  return string.format("bad argument '%s' to '%s' (%s expected, got %s)", name, fname, expected, got)
end

--- Raises a misuse "bad argument" error: argument `name` of `fname` was not what `expected`
-- says (`got` shows what it was).
function errors.bad_argument(name, fname, expected, got)
  error(setmetatable({ message = bad_argument(name, fname, expected, got) }, Misuse), 0)
end

-- The message of what a boundary caught: a misuse's own, any other without its position.
local function caught(v)
  if getmetatable(v) == Misuse then return v.message end
  return errors.strip(v)
end

--- `fn` as a public function: whatever misuse it raises (errors.misuse, errors.check, or any
-- positioned message) is raised again at its caller's line, without the inside's position.
-- Returns all of fn's values.
function errors.boundary(fn)
  return function(...)
    local r = pack(pcall(fn, ...))
    if not r[1] then error(caught(r[2]), 2) end -- not a tail call: level 2 is the caller's line in every Lua
    return unpack(r, 2, r.n)
  end
end

--- `fn` as what a public method calls first-hand (in an expression or a statement, never as a
-- tail call): misuse is raised at the line that called the method. Returns fn's first value
-- only, and makes no table per call (request builders are on every call's path).
function errors.method_boundary(fn)
  return function(...)
    local ok, v = pcall(fn, ...)
    if ok then return v end
    error(caught(v), 3) -- 1 this function, 2 the method, 3 the line that called the method
  end
end

--- Checks the options table `opts` of `fname` against `types` (name -> "type" or
-- "type or type"): an unknown option or one of the wrong type raises errors.misuse.
function errors.check_options(fname, opts, types)
  for k, v in pairs(opts) do
    local want = types[k]
    if not want then errors.misuse("%s: unknown option '%s'", fname, tostring(k)) end
    if not (" " .. want .. " "):find(" " .. type(v) .. " ", 1, true) then
      errors.misuse("%s: option '%s' must be a %s, got %s", fname, k, want, type(v))
    end
  end
end

--- Checks an argument's Lua type: returns `value`, or raises "bad argument" at the line that
-- called the checking function (as luaL_argerror does), or inside a boundary at the line
-- that called the boundary's function. `types` is a type name or a list of them. `level`
-- (relative to the checking function) is for public functions that have no boundary yet.
function errors.check(value, types, name, fname, level)
  local t = type(value)
  if type(types) == "string" then
    if t == types then return value end
  else
    for i = 1, #types do
      if t == types[i] then return value end
    end
    types = table.concat(types, " or ")
  end
  error(bad_argument(name, fname, types, t), (level or 1) + 2)
end

return errors
