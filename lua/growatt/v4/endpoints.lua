--- The OpenAPI v4 ("new-api") endpoint tables: one entry per method (format:
-- growatt.shinephone.endpoints), the rules checked before anything is sent, the reply
-- envelope {code, data, message} and its error codes, and the normalisation of replies.
-- growatt.v4.client makes the client of them. Wire facts: protocol-v4.md.
--
-- Every request is a POST to v4/new-api/<name> with the parameters in a form body
-- (application/x-www-form-urlencoded, as Growatt documents it) and the `token` header.

local client = require("growatt.engine.client")
local errors = require("growatt.errors")
local json = require("growatt.json")
local A = require("growatt.shinephone.endpoints").A
local docs = require("growatt.v4.docs")

local v4 = {
  MAX_SNS = 100,         -- queryDeviceInfo, queryLastData (code 11 above)
  MAX_HISTORY_SNS = 50,  -- queryDevicesHistoricalData
  MAX_POWER_W = 800,     -- setPower and setTimeSegment power of a noah, in W
  SHORT = 5,             -- seconds: list, writes and small reads
  LONG = 300,            -- info, last data, history
  NOAH_LAST = 60,        -- noah last data
}

--- The device types of v4 (deviceType on the wire).
v4.TYPES = { "inv", "storage", "max", "sph", "spa", "min", "wit", "sph-s", "noah" }
local IS_TYPE = {}
for _, t in ipairs(v4.TYPES) do IS_TYPE[t] = true end
local VPP_TYPES = { sph = true, spa = true, min = true, wit = true }

---------------------------------------------------------------------------
-- Checks: each returns an `invalid` error naming the parameter (err.param), or nil.

local function invalid(name, message)
  return errors.new("invalid", name .. " " .. message, { param = name })
end
v4.invalid = invalid

local function integer_in(values, name, lo, hi)
  local v = values[name]
  if type(v) ~= "number" or not client.whole(v) or v < lo or v > hi then
    return invalid(name, string.format("must be an integer %s..%s, got %s", lo, hi, errors.show(v)))
  end
end

local function device_type(values, allowed, what)
  local t = values.device_type
  if not IS_TYPE[t] then
    return invalid("device_type", "must be one of " .. table.concat(v4.TYPES, ", ") .. ", got " .. errors.show(t))
  end
  if allowed and not allowed[t] then return invalid("device_type", what .. ", got " .. errors.show(t)) end
end

v4.MAX_SN_LENGTH = 64 -- Growatt's serials have 10 to 16 letters and digits

-- The serials: 1..max of them, each 1..MAX_SN_LENGTH letters, digits, "-", "_" or "."; sets
-- the wire text.
local function serials(values, max)
  local list = values.device_sn
  if #list == 0 then return invalid("device_sn", "must name at least one device") end
  if #list > max then
    return invalid("device_sn", string.format("names %d devices; one request takes at most %d", #list, max))
  end
  for i, sn in ipairs(list) do
    if not sn:find("^[%w%-_.]+$") or #sn > v4.MAX_SN_LENGTH then
      return invalid("device_sn", "item " .. i .. " is not a serial number (letters and digits): " .. errors.show(sn))
    end
  end
  values.sn_text = table.concat(list, ",")
end

local function check_date(values)
  local y, m, d = tostring(values.date):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  local t = y and os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
  if not t or os.date("%Y-%m-%d", t) ~= values.date then
    return invalid("date", "must be a real day as yyyy-MM-dd, got " .. errors.show(values.date))
  end
end

-- A 0/1 switch: true/false or 0/1; stored as 1 or 0.
local function switch(values, name)
  local v = values[name]
  if type(v) == "boolean" then v = v and 1 or 0 end
  if v ~= 0 and v ~= 1 then return invalid(name, "must be true, false, 0 or 1, got " .. errors.show(v)) end
  values[name] = math.floor(v)
end

-- "HH:mm" (zero-padded, 00:00..23:59).
local function clock(values, name)
  local h, m = tostring(values[name]):match("^(%d%d):(%d%d)$")
  if not h or tonumber(h) > 23 or tonumber(m) > 59 then
    return invalid(name, 'must be a time "HH:mm" (00:00..23:59), got ' .. errors.show(values[name]))
  end
end

---------------------------------------------------------------------------
-- The VPP parameters (protocol-v4.md §4): set_param_<n> -> its range, or a check.

local function range(lo, hi) return function(v, name) return integer_in({ [name] = v }, name, lo, hi) end end

local function system_time(v, name)
  if type(v) ~= "string" or not v:match("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$") then
    return invalid(name, 'must be "yyyy-mm-dd HH:MM:SS", got ' .. errors.show(v))
  end
end

-- set_param_34: a list of at most 20 { percentage, startTime, endTime } (minutes of day),
-- or its JSON text.
local function schedule(v, name)
  if type(v) == "string" then v = json.decode(v) end
  if type(v) ~= "table" or #v > 20 or (v[1] == nil and next(v) ~= nil) then
    return invalid(name, "must be a list of at most 20 periods { percentage, startTime, endTime }")
  end
  for i, p in ipairs(v) do
    local at = name .. "[" .. i .. "]"
    if type(p) ~= "table" then return invalid(at, "must be a table") end
    local err = integer_in(p, "percentage", -100, 100) or integer_in(p, "startTime", 0, 1440)
      or integer_in(p, "endTime", 0, 1440)
    if err then return invalid(at, err.message) end
    if p.endTime < p.startTime then return invalid(at, "ends before it starts") end
  end
end

local B, P, SOC = range(0, 1), range(0, 100), range(10, 30)
v4.VPP = {
  B, B, system_time, B, P, P, B, B, range(0, 6), range(0, 60), range(0, 5), range(0, 20000), B,
  range(-100, 100), P, range(0, 300), B, B, range(0, 20000), B, range(0, 3), range(70, 100), SOC,
  range(10, 20), B, range(0, 1440), range(-100, 100), B, SOC, range(0, 15000), range(0, 15000),
  range(0, 2000), range(0, 2000), schedule,
}

-- The setType of a VPP call: n or "set_param_<n>" -> the wire name and n.
local function vpp_type(values)
  local n = values.set_type
  if type(n) == "string" then n = tonumber(n:match("^set_param_(%d+)$")) end
  if type(n) ~= "number" or not v4.VPP[n] then
    return nil, invalid("set_type", "must be 1.." .. #v4.VPP .. ' or "set_param_1".."set_param_' .. #v4.VPP ..
      '", got ' .. errors.show(values.set_type))
  end
  values.set_type = "set_param_" .. math.floor(n)
  return n
end

-- JSON text of the object `t` with the keys in the documented order (cjson's follows the hash).
local function ordered(t, keys)
  local parts = {}
  for _, k in ipairs(keys) do
    if t[k] ~= nil then parts[#parts + 1] = json.encode(k) .. ":" .. json.encode(t[k]) end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local PERIOD_KEYS = { "percentage", "startTime", "endTime" }
local DEVICE_KEYS = { "deviceId", "deviceModel", "brandsName", "modelId", "type" }

local function vpp_value(values)
  local n, err = vpp_type(values)
  if err then return err end
  local v = values.value
  if type(v) == "boolean" then v = v and 1 or 0 end
  err = v4.VPP[n](v, "value")
  if err then return err end
  if type(v) == "table" then
    local list = {}
    for i, p in ipairs(v) do list[i] = ordered(p, PERIOD_KEYS) end
    v = "[" .. table.concat(list, ",") .. "]"
  end
  values.value = v
end

---------------------------------------------------------------------------
-- Argument kinds

--- One serial or a list of them: a list on the way to the checks.
client.kind("sns", { "string", "table" }, function(v, name, fname)
  if type(v) == "string" then return { v } end
  local list = {}
  for i = 1, #v do
    if type(v[i]) ~= "string" then errors.bad_argument(name .. "[" .. i .. "]", fname, "string", type(v[i])) end
    list[i] = v[i]
  end
  return list
end)

--- A value the checks judge (its range is the endpoint's): a number, boolean, string or table.
client.kind("value", { "number", "boolean", "string", "table" })

--- A day: "yyyy-MM-dd" (the checks judge it), os.time() seconds or an os.date("*t") table;
-- nil is today (local time).
client.kind("day", nil, function(v, name, fname)
  if v == nil then return os.date("%Y-%m-%d") end
  errors.check(v, { "string", "number", "table" }, name, fname)
  if type(v) == "string" then return v end
  local t = v
  if type(v) == "number" then
    local ok
    ok, t = pcall(os.date, "*t", v)
    if not client.whole(v) or not ok or type(t) ~= "table" then
      errors.bad_argument(name, fname, "a time in whole seconds", tostring(v))
    end
  end
  for _, k in ipairs({ "year", "month", "day" }) do
    if type(t[k]) ~= "number" or not client.whole(t[k]) then
      errors.bad_argument(name, fname, "a table with year, month and day", "table")
    end
  end
  return string.format("%04d-%02d-%02d", t.year, t.month, t.day)
end)

---------------------------------------------------------------------------
-- Entries

local SN, TYPE = { "device_sn", "sns" }, { "device_type", "string" }
local DEVICE = { { "deviceSn", A "sn_text" }, { "deviceType", A "device_type" } }

local function form(extra)
  local list = { DEVICE[1], DEVICE[2] }
  for _, p in ipairs(extra or {}) do list[#list + 1] = p end
  return list
end

-- A read of one device type: `max` serials, the type, then `more` arguments and pairs.
local function read(name, interval, max, more, extra, check)
  local args = { SN, TYPE }
  for _, a in ipairs(more or {}) do args[#args + 1] = a end
  return {
    method = "POST", path = "v4/new-api/" .. name, wire = name, args = args, form = form(extra),
    interval = interval,
    check = function(values) return device_type(values) or serials(values, max) or (check and check(values)) end,
  }
end

-- A write to one device: the value arguments `more` and their pairs `extra`; `types` the
-- device types it is for (nil: all), `check` its ranges.
local function write(name, types, what, more, extra, check)
  local ep = read(name, v4.SHORT, 1, more, extra)
  ep.write = true
  ep.check = function(values)
    return device_type(values, types, what) or serials(values, 1) or check(values)
  end
  return ep
end

local NOAH = { noah = true }
local NOT_NOAH = {}
for t in pairs(IS_TYPE) do NOT_NOAH[t] = t ~= "noah" or nil end
local VALUE = { { "value", "value" } }
local VALUE_PAIR = { { "value", A "value" } }

local function noah_write(name, check)
  return write(name, NOAH, "is for noah devices only", VALUE, VALUE_PAIR, check)
end

local function last_interval(values)
  return values.device_type == "noah" and v4.NOAH_LAST or v4.LONG
end

local DATE = { { "date", "day" } }
local DATE_PAIR = { { "date", A "date" } }
local SET_TYPE = { { "set_type", "value" } }
local SET_TYPE_PAIR = { { "setType", A "set_type" } }
local VPP_ONLY = "is for sph, spa, min and wit only"

local function vpp_write(name)
  return write(name, VPP_TYPES, VPP_ONLY, { SET_TYPE[1], VALUE[1] }, { SET_TYPE_PAIR[1], VALUE_PAIR[1] }, vpp_value)
end

v4.endpoints = {
  device_list = {
    method = "POST", path = "v4/new-api/queryDeviceList", wire = "queryDeviceList", interval = v4.SHORT,
    args = { { "page", "integer", 1 } }, form = { { "page", A "page" } },
    check = function(values) return integer_in(values, "page", 1, math.huge) end,
  },
  device_info = read("queryDeviceInfo", v4.LONG, v4.MAX_SNS),
  last_data = read("queryLastData", last_interval, v4.MAX_SNS),
  history = read("queryHistoricalData", v4.LONG, 1, DATE, DATE_PAIR, check_date),
  devices_history = read("queryDevicesHistoricalData", v4.LONG, v4.MAX_HISTORY_SNS, DATE, DATE_PAIR, check_date),
  read_power = read("readPower", v4.SHORT, 1),
  wifi_signal = read("getWiFiSignalByDevice", v4.SHORT, 1),
  read_vpp_parameter = read("readVppParameter", v4.SHORT, 1, SET_TYPE, SET_TYPE_PAIR, function(values)
    local _, err = vpp_type(values)
    return device_type(values, VPP_TYPES, VPP_ONLY) or err
  end),
  dfc_data = read("queryDfcData", v4.SHORT, 1),
  device_info_param = read("queryDeviceInfoParam", v4.SHORT, 1),

  set_on_off = write("setOnOrOff", NOT_NOAH, "cannot be switched on or off through v4 (noah)", VALUE, VALUE_PAIR,
    function(values) return switch(values, "value") end),
  set_power = write("setPower", nil, nil, VALUE, VALUE_PAIR, function(values)
    return integer_in(values, "value", 0, values.device_type == "noah" and v4.MAX_POWER_W or 100)
  end),
  set_high_limit_soc = noah_write("setHighLimitSoc", function(values) return integer_in(values, "value", 0, 100) end),
  set_low_limit_soc = noah_write("setLowLimitSoc", function(values) return integer_in(values, "value", 0, 100) end),
  set_grid_charge = noah_write("setGridCharge", function(values) return switch(values, "value") end),
  set_off_grid = noah_write("setOffGrid", function(values) return switch(values, "value") end),
  set_device = noah_write("setDevice", function(values)
    local v = values.value
    if type(v) == "table" then values.value = ordered(v, DEVICE_KEYS) return end
    if type(v) ~= "string" or type(json.decode(v)) ~= "table" then
      return invalid("value", "must be a table or its JSON text (deviceId, deviceModel, brandsName, modelId, type)")
    end
  end),
  set_time_segment = write("setTimeSegment", NOAH, "is for noah devices only",
    { { "slot", "value" }, { "start_time", "value" }, { "end_time", "value" }, { "mode", "value" },
      { "power", "value" }, { "enabled", "value", true } },
    { { "type", A "slot" }, { "startTime", A "start_time" }, { "endTime", A "end_time" }, { "mode", A "mode" },
      { "power", A "power" }, { "enable", A "enabled" } },
    function(values)
      return integer_in(values, "slot", 1, 9) or clock(values, "start_time") or clock(values, "end_time")
        or integer_in(values, "mode", 0, 2) or integer_in(values, "power", 0, v4.MAX_POWER_W)
        or switch(values, "enabled")
    end),
  set_vpp_parameter = vpp_write("setVppParameter"),
  set_new_vpp_parameter = vpp_write("setNewVppParameter"),
  remove_vpp_time_period = write("removeVppTimePeriod", VPP_TYPES, VPP_ONLY, SET_TYPE, SET_TYPE_PAIR,
    function(values) local _, err = vpp_type(values) return err end),
}

v4.replies = require("growatt.v4.replies")
local replies = v4.replies

-- The engine's `finish` of every entry: the arguments converted again (they passed once, so
-- nothing raises), checked and completed, the form made from them, and the reply's reader
-- bound to the call (its interval for a 102, its device type for the data).
local function finish(api, ep, req, _, ...)
  local values = client.convert(ep, req.name, ...)
  local err = ep.check(values)
  if err then return nil, err end
  req.form = client.wire(ep.form, values)
  local interval = ep.interval
  if type(interval) == "function" then interval = interval(values) end
  if api.intervals == false then req.interval = nil end -- the policy keeps req.interval's window
  req.result = replies.reader(ep, values, interval, api.timezone)
  return req
end

for name, ep in pairs(v4.endpoints) do
  ep.finish = finish
  ep.expect = "text" -- the reader decodes: an HTML login page is an auth failure here
  ep.doc = docs[name]
end

return v4
