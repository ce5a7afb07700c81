--- OpenAPI v4 replies: the envelope {code, data, message} and its error codes as kinds,
-- and the normalisation of what Growatt sends inconsistently (protocol-v4.md §5, §6).
-- The decoded reply as it came stays available: replies.raw(result).

local reply = require("growatt.engine.reply")
local errors = require("growatt.errors")
local json = require("growatt.json")

local null = json.null
local replies = {}

---------------------------------------------------------------------------
-- Refusals

local KINDS = {
  [101] = "auth", [2] = "auth", [102] = "rate_limited", [100] = "rate_limited",
  [12] = "permission", [3] = "permission", [4] = "not_found", [5] = "offline",
}

local WORDS = {
  auth = "the token was refused: it is wrong, not enabled for the API, or for another server",
  permission = "the token may not access this device (it is not in queryDeviceList)",
  not_found = "no such device",
  offline = "the device is offline",
}

--- The error of a v4 envelope whose code is not 0, or nil. `wire` names the endpoint,
-- `interval` its window in seconds (a 102's retry_after), `write` whether it sets something.
function replies.refusal(v, wire, interval, write)
  local code = v.code
  if type(code) ~= "number" then
    return errors.new("protocol", "the reply has no numeric code", { response = v })
  end
  if code == 0 then return nil end
  local said = type(v.message) == "string" and v.message ~= "" and v.message or nil
  local kind = KINDS[code] or "api"
  local fields = { code = code, response = v }
  local message = WORDS[kind] or said or ("code " .. tostring(code))
  if kind == "rate_limited" then
    fields.retry_after = interval
    message = string.format("Growatt answers %s once per %d s", wire, interval)
  elseif code == 1 and write then
    fields.maybe_applied = true
    message = "system error; Growatt often applies the change anyway: read it back ({ verify = true })"
  end
  if said and message ~= said then message = message .. " (" .. said .. ")" end
  return errors.new(kind, message, fields)
end

-- An HTML page where JSON is due; Growatt's login page names the likely cause.
local function html_page(body)
  if not body:find("^%s*<") then return nil end
  if body:lower():find("login", 1, true) then
    return errors.new("auth", "the server sent its login page instead of data: check the token " ..
      "(enabled for the API?) and server_url (an OpenAPI server of the account's region)")
  end
  return errors.new("protocol", "HTML where JSON was expected")
end

---------------------------------------------------------------------------
-- Normalisation

-- Keys whose -0.1 / -0.001 mean "not available" (protocol-v4.md §3.3, §6.3).
local SENTINEL_KEYS = { "^pex%d", "^eex%d", "^psystem", "^pself", "^esystem", "^eself" }
local SENTINELS = { [-0.1] = true, [-0.0010000000474974513] = true }

-- Epoch-ms fields: plant-local wall clock read as UTC+8 (§6.1). noah's `time` is one too.
local EPOCH_MS = { calendar = true, timeCalendar = true, lastUpdateTime = true, sysTime = true, time = true }

local function sentinel_key(k)
  for _, p in ipairs(SENTINEL_KEYS) do
    if k:find(p) then return true end
  end
  return false
end

-- A float32 value (24-bit mantissa) written with the fewest digits that still name it:
-- 9.600000381469727 -> 9.6. A double that is no float32 value is left as it is.
local function shortest(n)
  local a = math.abs(n)
  if a < 1e-30 or a > 1e30 or n ~= n then return n end
  local e = math.floor(math.log(a) / math.log(2))
  if 2 ^ e > a then e = e - 1 elseif 2 ^ (e + 1) <= a then e = e + 1 end
  local m = a / 2 ^ (e - 23)
  if m ~= math.floor(m) then return n end
  for p = 6, 9 do
    local c = tonumber(string.format("%." .. p .. "g", n))
    if math.abs(c - n) < 2 ^ (e - 24) then return c end
  end
  return n
end

--- A number as a caller wants it: integral ones as integers (Lua 5.3+), float32 noise gone.
function replies.number(n)
  if math.type and math.type(n) == "integer" then return n end
  if n == math.floor(n) and n > -2 ^ 53 and n < 2 ^ 53 then
    return math.tointeger and math.tointeger(n) or n
  end
  return shortest(n)
end

local normalise

-- The local text and the UTC epoch (seconds) of an epoch-ms field, when it is one.
local function stamp(out, k, v, tz)
  if not EPOCH_MS[k] or type(v) ~= "number" or v < 1e11 then return end
  local wall = math.floor(v / 1000) + 8 * 3600
  out[k .. "_local"] = os.date("!%Y-%m-%d %H:%M:%S", wall)
  if tz then out[k .. "_utc"] = replies.number(wall - math.floor(tz * 3600 + 0.5)) end
end

local function value(k, v, tz)
  if v == "null" or v == "" then return null end
  if type(v) == "number" then
    if type(k) == "string" and SENTINELS[v] and sentinel_key(k) then return null end
    return replies.number(v)
  end
  if type(v) == "table" then return normalise(v, tz) end
  return v
end

--- A copy of a reply's data with "null" and "" as growatt.null, the not-available
-- sentinels as growatt.null, numbers as replies.number, and beside each epoch-ms field
-- `<name>_local` (the plant's wall clock) and, where the plant's UTC offset is known (the
-- object's `timezone`, else `tz`, in hours), `<name>_utc` (the real instant, epoch seconds).
function normalise(t, tz)
  if type(t.timezone) == "number" then tz = t.timezone end
  local out = {}
  for k, v in pairs(t) do
    out[k] = value(k, v, tz)
    stamp(out, k, v, tz)
  end
  return out
end
replies.normalise = normalise

---------------------------------------------------------------------------
-- Readers

-- Results and the decoded replies they came from.
local raw = setmetatable({}, { __mode = "k" })

--- The decoded reply (the whole envelope, before normalisation) a table result came from.
function replies.raw(result) return raw[result] end

-- What each kind of entry returns from an accepted envelope `v`.
local PARSERS = {
  -- data keyed by the device type: the list of that type ({} when the reply has none)
  typed = function(v, values)
    local data = type(v.data) == "table" and v.data or {}
    local list = data[values.device_type]
    return { [values.device_type] = type(list) == "table" and list or {} }
  end,
  -- getWiFiSignalByDevice puts the value into `message` (dBm)
  message = function(v)
    local n = tonumber(v.message)
    if n then return n end
    return type(v.data) == "number" and v.data or null
  end,
  write = function() return true end,
}

local PARSER_OF = { queryDeviceInfo = "typed", queryLastData = "typed", getWiFiSignalByDevice = "message" }

local function parse(ep, values, v, tz)
  local how = ep.write and "write" or PARSER_OF[ep.wire]
  local data = how and PARSERS[how](v, values) or v.data
  if data == nil then data = null end
  if type(data) == "table" then
    data = normalise(data, tz)
    raw[data] = v
  elseif type(data) == "number" then
    data = replies.number(data)
  elseif data == "null" or data == "" then
    data = null
  end
  return data
end

--- The `result` function of a call to the entry `ep` with the converted `values`: reads
-- the body (expect = "text"), decodes, classifies and parses it. `interval` is the call's
-- window in seconds, `tz` the client's plant UTC offset in hours (or nil).
function replies.reader(ep, values, interval, tz)
  return function(body)
    local err = html_page(body)
    if err then return nil, err end
    local v
    v, err = reply.decode(body)
    if v == nil then return nil, err end
    if type(v) ~= "table" or v[1] ~= nil then return nil, errors.new("protocol", "reply is not a JSON object") end
    err = replies.refusal(v, ep.wire, interval, ep.write)
    if err then return nil, err end
    return parse(ep, values, v, tz)
  end
end

return replies
