--- The OpenAPI v1's endpoint tables: its envelope (how a reply is classified), the checks
-- that run before anything is sent (Growatt's rules), its argument kinds and one entry per
-- method (format: growatt.shinephone.endpoints). growatt.openapi.v1 makes the client of them.

local client = require("growatt.engine.client")
local endpoints = require("growatt.shinephone.endpoints")
local errors = require("growatt.errors")
local json = require("growatt.json")
local settings = require("growatt.shinephone.settings")

local A = endpoints.A

local v1 = {
  DEFAULT_MIN_INTERVAL = 300, -- Growatt answers the same request once per 5 minutes (10012)
  MAX_PAGE = 250,             -- 10014
  MAX_PERPAGE = 100,          -- 10013
}

---------------------------------------------------------------------------
-- Replies

-- The error for a v1 envelope whose error_code is not the integer 0, or nil when it is.
local function refusal(v)
  local code = v.error_code
  if code == nil or code == json.null then
    return errors.new("protocol", "the reply has no error_code", { response = v })
  end
  if code == 0 and type(code) == "number" then return nil end
  local said = type(v.error_msg) == "string" and v.error_msg ~= "" and v.error_msg or nil
  local fields = { code = code, response = v }
  local n = type(code) == "number" and code or nil
  if n == 10011 then
    return errors.new("auth", "the token has no permission (" .. (said or "error_permission_denied") .. ")", fields)
  elseif n == 10012 then
    fields.retry_after = v1.DEFAULT_MIN_INTERVAL
    return errors.new("rate_limited", "Growatt allows the same request once per 5 minutes (" ..
      (said or "error_frequently_access") .. ")", fields)
  elseif n == -1 then
    return errors.new("moved", "the server wants another domain" .. (said and (": " .. said) or ""), fields)
  end
  return errors.new("api", said or ("error_code " .. tostring(code)), fields)
end

-- Reads return the envelope's data (growatt.null when it has none).
local function data_of(v)
  local err = refusal(v)
  if err then return nil, err end
  if v.data == nil then return json.null end
  return v.data
end

-- Writes return true.
local function written(v)
  local err = refusal(v)
  if err then return nil, err end
  return true
end

---------------------------------------------------------------------------
-- Checks that run before anything is sent: the reference's and Growatt's rules. An
-- entry's `check(values)` sees the converted arguments by name, may complete them (the
-- defaults the reference computes, param1..N) and returns an `invalid` error naming the
-- parameter (err.param), or nil.

function v1.invalid(name, message)
  return errors.new("invalid", name .. " " .. message, { param = name })
end
local invalid = v1.invalid

local function within(values, name, lo, hi)
  local v = values[name]
  if v ~= nil and (v < lo or v > hi) then
    return invalid(name, string.format("must be %s..%s, got %s", lo, hi, tostring(v)))
  end
end

local function paging(values, page, perpage)
  return within(values, page, 1, v1.MAX_PAGE) or within(values, perpage, 1, v1.MAX_PERPAGE)
end

local function day_number(date)
  local y, m, d = date:match("^(%d+)-(%d+)-(%d+)$")
  return math.floor(os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 }) / 86400 + 0.5)
end

local function years(s, e) return tonumber(e:sub(1, 4)) - tonumber(s:sub(1, 4)) end

-- How far apart start_date and end_date may be, by time unit (protocol.md §4.1).
local RANGE_RULES = {
  day = function(s, e)
    if day_number(e) - day_number(s) > 7 then return "must be at most 7 days after start_date" end
  end,
  month = function(s, e)
    if years(s, e) > 1 then return "must be in the year of start_date or the next" end
  end,
  year = function(s, e)
    if years(s, e) > 20 then return "must be at most 20 years after start_date" end
  end,
}

-- start_date / end_date as the reference fills them (a missing one is the other, both
-- missing is today), then the range rule of the time unit.
local function date_range(values, unit)
  local s, e = values.start_date, values.end_date
  if s == nil and e == nil then s = os.date("%Y-%m-%d") end
  s, e = s or e, e or s
  values.start_date, values.end_date = s, e
  local rule = RANGE_RULES[unit]
  if not rule then return invalid("time_unit", "must be 'day', 'month' or 'year', got " .. errors.show(unit)) end
  if e < s then return invalid("end_date", "is before start_date") end
  local problem = rule(s, e)
  if problem then return invalid("end_date", problem .. " for time_unit '" .. unit .. "'") end
end

-- Hours and minutes of a time the `clock` converter accepted ("H:MM", "HH:MM[:SS]", or a
-- table with hour and min).
local function hour_min(v)
  if type(v) == "table" then return v.hour, v.min end
  local h, m = v:match("^(%d+):(%d+)")
  return tonumber(h), tonumber(m)
end

-- The five params of a time span: start hour, start minute, end hour, end minute (unpadded,
-- as the reference sends them), enabled ("1" / "0" from the flag converter).
local function span(list, start, stop, enabled)
  local h1, m1 = hour_min(start)
  local h2, m2 = hour_min(stop)
  for _, v in ipairs({ h1, m1, h2, m2, enabled }) do list[#list + 1] = settings.str(v) end
  return list
end

-- param1..paramN from a position -> value map: the reference always sends all of them.
local function fill_params(values, n, map)
  for i = 1, n do values["param" .. i] = map[i] == nil and "" or map[i] end
end

local function three_periods(values)
  if #values.periods ~= 3 then
    return invalid("periods", "must hold exactly 3 periods, got " .. #values.periods)
  end
end

-- The `finish` of the entries with a check (see growatt.engine.api): the arguments are
-- converted again (they passed once, so nothing raises), checked and completed, and the
-- request's pairs are made from the completed values. Writes then pass the rules of
-- growatt.shinephone.settings for their type (ranges of every param), unused empty params aside.
local function finish(_, ep, req, _, ...)
  local values = client.convert(ep, req.name, ...)
  local err = ep.check(values)
  if err then return nil, err end
  req.query, req.form = client.wire(ep.query, values), client.wire(ep.form, values)
  if ep.write then
    local used = {}
    for _, p in ipairs(req.form) do
      if p[2] ~= "" then used[#used + 1] = p end
    end
    err = settings.check(used, settings.families.tlxSet)
    if err then return nil, err end
  end
  return req
end

---------------------------------------------------------------------------
-- Converters of v1 arguments (see growatt.engine.client.kinds).

local kind = client.kind

--- parameter_values of the writes: a scalar (param1), a list (param1, param2, ...) or a
-- map position -> value; positions outside the call's params are dropped. Values go out
-- as the reference's str() makes them.
kind("param_values", { "string", "number", "boolean", "table" }, function(v, name, fname)
  if type(v) ~= "table" then return { settings.str(v) } end
  local map = {}
  for k, x in pairs(v) do
    local pos = tonumber(k)
    errors.check(x, { "string", "number", "boolean" }, name .. "[" .. tostring(k) .. "]", fname)
    if pos and pos == math.floor(pos) then map[pos] = settings.str(x) end
  end
  return map
end)

--- The periods of the SPH charge/discharge writes: a list of { start_time, end_time,
-- enabled }, each converted as the arguments of those names are (enabled may be left out).
local clock, flag = client.kinds.clock, client.kinds.flag
kind("periods", "table", function(v, name, fname, values)
  local out = {}
  for k, p in ipairs(v) do
    local at = name .. "[" .. k .. "]"
    errors.check(p, "table", at, fname)
    local enabled = p.enabled
    if enabled == nil then enabled = false end
    out[k] = {
      start_time = clock(p.start_time, at .. ".start_time", fname, values),
      end_time = clock(p.end_time, at .. ".end_time", fname, values),
      enabled = flag(enabled, at .. ".enabled", fname, values),
    }
  end
  return out
end)

---------------------------------------------------------------------------
-- Endpoint entries (format: growatt.shinephone.endpoints), paths relative to server_url.

local SN = { "device_sn", "string" }

local function by_serial(method, path, field)
  local wire = { { field, A "device_sn" } }
  return { method = method, path = path, args = { SN },
           query = method == "GET" and wire or nil, form = method == "POST" and wire or nil }
end

local function by_plant(path)
  return { method = "GET", path = path, args = { { "plant_id", "id" } }, query = { { "plant_id", A "plant_id" } } }
end

local function history(path, field)
  return {
    method = "POST", path = path,
    args = { SN, { "start_date", "date", optional = true }, { "end_date", "date", optional = true },
             { "timezone", "string", optional = true }, { "page", "integer", optional = true },
             { "limit", "integer", optional = true } },
    form = { { field, A "device_sn" }, { "start_date", A "start_date" }, { "end_date", A "end_date" },
             { "timezone_id", A "timezone" }, { "page", A "page" }, { "perpage", A "limit" } },
    check = function(values) return date_range(values, "day") or paging(values, "page", "limit") end,
  }
end

-- Named parameter: startAddr = endAddr = 0; register range: paramId = set_any_reg, and for
-- MIN a missing end address copies the start (SPH leaves it out).
local function read_parameter(path, copy_address)
  return {
    method = "POST", path = path,
    args = { SN, { "parameter_id", "string", optional = true }, { "start_address", "integer", optional = true },
             { "end_address", "integer", optional = true } },
    form = { { "device_sn", A "device_sn" }, { "paramId", A "parameter_id" }, { "startAddr", A "start_address" },
             { "endAddr", A "end_address" } },
    check = function(values)
      if values.parameter_id == nil and values.start_address == nil then
        return invalid("parameter_id", "or start_address is required")
      elseif values.parameter_id ~= nil and values.start_address ~= nil then
        return invalid("parameter_id", "and start_address exclude each other")
      elseif values.parameter_id ~= nil then
        values.start_address, values.end_address = 0, 0
      else
        values.parameter_id = "set_any_reg"
        if copy_address then values.end_address = values.end_address or values.start_address end
      end
    end,
  }
end

-- tlxSet / mixSet: the serial, the setting type and param1..paramN.
local function write(path, field, n, args, check)
  local form = { { field, A "device_sn" }, { "type", A "type" } }
  for i = 1, n do form[#form + 1] = { "param" .. i, A("param" .. i) } end
  table.insert(args, 1, SN)
  return { method = "POST", path = path, write = true, args = args, form = form, check = check }
end

local function write_parameter(path, field, n)
  return write(path, field, n,
    { { "parameter_id", "string" }, { "parameter_values", "param_values", optional = true } },
    function(values)
      values.type = values.parameter_id
      fill_params(values, n, values.parameter_values or {})
    end)
end

local function write_periods(field_type, n, head)
  return function(values)
    local err = three_periods(values)
    if err then return err end
    values.type = field_type
    local list = {}
    for _, name in ipairs(head) do list[#list + 1] = settings.str(values[name]) end
    for _, p in ipairs(values.periods) do span(list, p.start_time, p.end_time, p.enabled) end
    fill_params(values, n, list)
  end
end

v1.endpoints = {
  plant_list = {
    method = "GET", path = "v1/plant/list", -- a form body on a GET, as the reference sends it
    form = { { "page", "" }, { "perpage", "" }, { "search_type", "" }, { "search_keyword", "" } },
  },
  plant_details = by_plant("v1/plant/details"),
  plant_energy_overview = by_plant("v1/plant/data"),
  plant_power_overview = {
    method = "GET", path = "v1/plant/power",
    args = { { "plant_id", "id" }, { "day", "date" } },
    query = { { "plant_id", A "plant_id" }, { "date", A "day" } },
  },
  plant_energy_history = {
    method = "GET", path = "v1/plant/energy",
    args = { { "plant_id", "id" }, { "start_date", "date", optional = true }, { "end_date", "date", optional = true },
             { "time_unit", "string", "day" }, { "page", "integer", optional = true },
             { "perpage", "integer", optional = true } },
    query = { { "plant_id", A "plant_id" }, { "start_date", A "start_date" }, { "end_date", A "end_date" },
              { "time_unit", A "time_unit" }, { "page", A "page" }, { "perpage", A "perpage" } },
    check = function(values) return date_range(values, values.time_unit) or paging(values, "page", "perpage") end,
  },
  device_list = {
    method = "GET", path = "v1/device/list",
    args = { { "plant_id", "id" } },
    query = { { "plant_id", A "plant_id" }, { "page", "" }, { "perpage", "" } },
  },

  min_detail = by_serial("GET", "v1/device/tlx/tlx_data_info", "device_sn"),
  min_energy = by_serial("POST", "v1/device/tlx/tlx_last_data", "tlx_sn"),
  min_energy_history = history("v1/device/tlx/tlx_data", "tlx_sn"),
  min_settings = by_serial("GET", "v1/device/tlx/tlx_set_info", "device_sn"),
  min_read_parameter = read_parameter("v1/readMinParam", true),
  min_write_parameter = write_parameter("v1/tlxSet", "tlx_sn", 19),
  min_write_time_segment = write("v1/tlxSet", "tlx_sn", 19,
    { { "segment_id", "integer" }, { "batt_mode", "integer" }, { "start_time", "clock" }, { "end_time", "clock" },
      { "enabled", "flag", true } },
    function(values)
      local err = within(values, "segment_id", 1, 9) or within(values, "batt_mode", 0, 2)
      if err then return err end
      values.type = "time_segment" .. values.segment_id
      fill_params(values, 19, span({ settings.str(values.batt_mode) }, values.start_time, values.end_time,
        values.enabled))
    end),

  sph_detail = by_serial("GET", "v1/device/mix/mix_data_info", "device_sn"),
  sph_energy = by_serial("POST", "v1/device/mix/mix_last_data", "mix_sn"),
  sph_energy_history = history("v1/device/mix/mix_data", "mix_sn"),
  sph_read_parameter = read_parameter("v1/readMixParam", false),
  sph_write_parameter = write_parameter("v1/mixSet", "mix_sn", 18),
  sph_write_ac_charge_times = write("v1/mixSet", "mix_sn", 18,
    { { "charge_power", "number" }, { "charge_stop_soc", "number" }, { "mains_enabled", "flag" },
      { "periods", "periods" } },
    write_periods("mix_ac_charge_time_period", 18, { "charge_power", "charge_stop_soc", "mains_enabled" })),
  -- param1..17: the reference sends no param18 with the discharge periods
  sph_write_ac_discharge_times = write("v1/mixSet", "mix_sn", 17,
    { { "discharge_power", "number" }, { "discharge_stop_soc", "number" }, { "periods", "periods" } },
    write_periods("mix_ac_discharge_time_period", 17, { "discharge_power", "discharge_stop_soc" })),
}

-- What each method is for (tools/gendocs.lua makes docs/api.md and types/ from it).
local docs = {
  plant_list = { "The plants the token may see.", result = "growatt.v1.PlantList" },
  plant_details = { "A plant's description: place, peak power, arrays, inverters, dataloggers." },
  plant_energy_overview = { "A plant's power now and energies of today, month, year and in total." },
  plant_power_overview = { "A plant's power over a day.", result = "growatt.v1.PowerList",
    returns = "`powers`: 288 points `{ time, power }` (W)" },
  plant_energy_history = { "A plant's energy per day, month or year (time_unit).",
    returns = "`energys`: `{ date, energy }`", args = { time_unit = '"day" (default), "month" or "year"' } },
  device_list = { "A plant's devices.", result = "growatt.v1.DeviceList",
    returns = "`devices[i].type` is a `growatt.DeviceType`" },
  min_detail = { "A MIN inverter's configuration (alias, firmware, datalogger, ...)." },
  min_energy = { "A MIN inverter's latest values: power, energies, battery." },
  min_energy_history = { "A MIN inverter's values over at most 7 days.", returns = "`datas`: a list of values" },
  min_settings = { "A MIN inverter's settings (time segments, charge and discharge limits, ...)." },
  min_read_parameter = { "Reads one parameter of a MIN inverter by name, or a register range (set_any_reg).",
    example = 'v1:min_read_parameter("MIN4K00208", "charge_power")' },
  min_write_parameter = { "Writes one parameter of a MIN inverter (all of param1..19 are sent).",
    example = 'v1:min_write_parameter("MIN4K00208", "charge_power", 80)' },
  min_write_time_segment = { "Writes one of a MIN inverter's nine time-of-use segments.",
    example = 'v1:min_write_time_segment("MIN4K00208", 1, growatt.BATT_MODE_BATTERY_FIRST, "1:00", "5:00")' },
  sph_detail = { "An SPH inverter's detail and settings." },
  sph_energy = { "An SPH inverter's latest values: power, energies, battery." },
  sph_energy_history = { "An SPH inverter's values over at most 7 days.", returns = "`datas`: a list of values" },
  sph_read_parameter = { "Reads one parameter of an SPH inverter by name, or a register range (set_any_reg).",
    example = 'v1:sph_read_parameter("SPH6K00207", nil, 0, 10)' },
  sph_write_parameter = { "Writes one parameter of an SPH inverter (all of param1..18 are sent).",
    example = 'v1:sph_write_parameter("SPH6K00207", "charge_power", 80)' },
  sph_write_ac_charge_times = { "Writes an SPH inverter's AC charge power, stop SOC, mains switch and its "
    .. "three charge periods (param4..18).",
    example = 'v1:sph_write_ac_charge_times("SPH6K00207", 100, 90, true, { { start_time = "1:00", '
      .. 'end_time = "5:00", enabled = true }, { start_time = "0:00", end_time = "0:00" }, '
      .. '{ start_time = "0:00", end_time = "0:00" } })' },
  sph_write_ac_discharge_times = { "Writes an SPH inverter's discharge power, stop SOC and its three discharge "
    .. "periods (param3..17, no param18, as the reference).",
    example = 'v1:sph_write_ac_discharge_times("SPH6K00207", 100, 10, { { start_time = "17:00", '
      .. 'end_time = "21:00", enabled = true }, { start_time = "0:00", end_time = "0:00" }, '
      .. '{ start_time = "0:00", end_time = "0:00" } })' },
}
for name, doc in pairs(docs) do v1.endpoints[name].doc = doc end

for _, ep in pairs(v1.endpoints) do
  ep.result = ep.write and written or data_of
  if ep.check then ep.finish = finish end
end

return v1
