--- Requests from endpoint entries: the call's arguments through their kinds, the wire
-- pairs, the op, the URL (growatt.engine.reply reads what comes back).

local core = require("growatt.core")
local errors = require("growatt.errors")

local client = {}

--- Argument converters, by kind: each checks a value (raising errors.misuse, which the
-- boundary of client.build puts at the caller's line) and returns what goes on the wire.
-- `fname` names the method in messages.
client.kinds = {}

--- Adds the argument kind `name`: a value must have one of the Lua `types` (a type name or
-- a list; nil: any), then `convert(v, name, fname, values)`, if given, checks it further
-- and returns what goes on the wire (else the value goes as it is). Kinds share one
-- namespace, so a clash is an error at load time.
function client.kind(name, types, convert)
  assert(client.kinds[name] == nil, "argument kind defined twice: " .. name)
  client.kinds[name] = function(v, arg, fname, values)
    if types then errors.check(v, types, arg, fname) end
    if convert then return convert(v, arg, fname, values) end
    return v
  end
end

-- Whether a number is a whole number that goes on the wire exactly as written: a Lua
-- integer, or a float without a fraction below 2^53 (not NaN, not infinite).
local function whole(v)
  if math.type and math.type(v) == "integer" then return true end
  return v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53
end
client.whole = whole

local bad = errors.bad_argument

local ID_TYPES = { "string", "number" }
local NONE = {}

-- An id: a string, or a whole number (NaN, infinities, fractions and floats beyond 2^53
-- name no device and cannot be written exactly).
local function id(v, name, fname)
  if type(v) == "number" and not whole(v) then bad(name, fname, "string or whole number", tostring(v)) end
  return v
end
client.kind("id", ID_TYPES, id)
client.kind("string", "string")
client.kind("number", "number")

--- An integer (a number without a fraction).
client.kind("integer", "number", function(v, name, fname)
  if not whole(v) then bad(name, fname, "integer", tostring(v)) end
  return v
end)

--- An id the reference sends only when it is truthy: nil, false and "" leave it out.
local id_converter = client.kinds.id
client.kind("optional_id", nil, function(v, name, fname)
  if v == nil or v == false or v == "" then return nil end
  return id_converter(v, name, fname)
end)

--- growatt.Timespan.hour/day/month, i.e. 0, 1 or 2.
client.kind("timespan", nil, function(v, name, fname)
  if v == 0 or v == 1 or v == 2 then return math.floor(v) end
  bad(name, fname, "0, 1 or 2", type(v) == "number" and tostring(v) or type(v))
end)

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

local DATE_TYPES = { "string", "number", "table" }

--- A date: "YYYY-MM-DD" / "YYYY-MM" strings, os.time() numbers or os.date("*t") tables;
-- nil is today (local time). On the wire "YYYY-MM" when the call's timespan is month,
-- else "YYYY-MM-DD".
client.kind("date", nil, function(v, name, fname, values)
  if v ~= nil then errors.check(v, DATE_TYPES, name, fname) end
  local shown = (type(v) == "string" or type(v) == "number") and errors.show(v) or type(v)
  local p, expected = date_parts(v)
  if not p then bad(name, fname, expected, shown) end
  if p[2] < 1 or p[2] > 12 or (p[3] and (p[3] < 1 or p[3] > 31)) then
    bad(name, fname, "a real month and day", shown)
  end
  if values.timespan == 2 then return string.format("%04d-%02d", p[1], p[2]) end
  if not p[3] then bad(name, fname, '"YYYY-MM-DD" (a day, for this timespan)', shown) end
  return string.format("%04d-%02d-%02d", p[1], p[2], p[3])
end)

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
-- `warn` (a deprecation) goes to stderr the first time. A method calls it first-hand: a
-- misuse of the arguments is raised at the line that called the method.
local function build(ep, fname, ...)
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
client.build = errors.method_boundary(build)

-- The per-call options of a write (its argument after its own): nil or { dry_run = boolean }.
-- Returns the dry_run in force for the call; raises errors.misuse.
local function call_options(fname, dry_run, opts)
  if opts == nil then return dry_run end
  errors.check(opts, "table", "options", fname)
  for k, v in pairs(opts) do
    if k ~= "dry_run" then errors.misuse("%s: unknown option '%s'", fname, tostring(k)) end
    errors.check(v, "boolean", "options.dry_run", fname)
  end
  if opts.dry_run == nil then return dry_run end
  return opts.dry_run
end

--- The dry_run in force for a call of the entry `ep` (named `name`) with the arguments `...`:
-- the object's (`dry_run`), or a write's per-call options' (its argument after its own: nil or
-- { dry_run = boolean }). Raises errors.misuse.
function client.dry_run_of(dry_run, name, ep, ...)
  if not ep.write then return dry_run end
  return call_options(name, dry_run, (select(#(ep.args or {}) + 1, ...)))
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

return client
