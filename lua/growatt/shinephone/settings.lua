--- Settings of the ShinePhone API: the reads of current settings, the writes, and the
-- validation every write passes before anything is sent.
--
-- Writes (protocol.md §3) return the server's reply as it is, or nil and an error: kind
-- `api` when the server refused (`success: false`; `code` is its msg), kind `invalid` when
-- a value failed the rules below (`param` names the parameter; nothing was sent).
-- Every write takes one more, optional argument after its own: per-call options,
-- `{ dry_run = true }`, which returns the request instead of sending it (as the api-wide
-- `dry_run` option does).
--
-- Parameters: a list becomes param1..paramN; a table with names is sent as given. A Lua
-- table has no order, so its names go on the wire sorted: alphabetically, and numbered
-- names (param2, param10, command_1) by their number. They are merged over the call's
-- fixed parameters as a Python dict is: a name already there keeps its place and takes
-- the new value; a new name goes at the end. Values are strings or numbers.

local client = require("growatt.engine.client")
local errors = require("growatt.errors")
local json = require("growatt.json")
local A = require("growatt.shinephone.endpoints").A

local settings = {}

---------------------------------------------------------------------------
-- Values

--- Python's str() of a value from JSON or the caller, as the reference sends it; integral
-- numbers without ".0". JSON null becomes "" (str() would send the text "None").
function settings.str(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  if t == "boolean" then return v and "True" or "False" end
  if v == json.null then return "" end
  return nil
end

-- A key order for tables with names: numbered names by their number, the rest by name.
local function before(a, b)
  local pa, na = a:match("^(.-)(%d+)$")
  local pb, nb = b:match("^(.-)(%d+)$")
  if pa and pa == pb then return tonumber(na) < tonumber(nb) end
  return a < b
end

-- The {name, value} pairs of a parameter table: a list is param1..paramN (or `prefix`..i),
-- a table with names is sorted by `before`. Assumes the table passed `check_params`.
local function pairs_of(t, prefix)
  local out = {}
  if #t > 0 then
    for i = 1, #t do out[i] = { (prefix or "param") .. i, t[i] } end
    return out
  end
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out, before)
  for i, k in ipairs(out) do out[i] = { k, t[k] } end
  return out
end
settings.pairs_of = pairs_of

--- Merges `more` pairs into `list` as a Python dict update does (in place).
function settings.merge(list, more)
  local at = {}
  for i, p in ipairs(list) do at[p[1]] = i end
  for _, p in ipairs(more) do
    if at[p[1]] then
      list[at[p[1]]][2] = p[2]
    else
      list[#list + 1] = { p[1], p[2] }
      at[p[1]] = #list
    end
  end
  return list
end

---------------------------------------------------------------------------
-- Argument converters of the writes (kinds of growatt.engine.client). They raise on misuse at the
-- caller's line, as the other converters do.

local bad = client.bad

-- What is wrong with a parameter table, as (expected, got), or nil: a list or a table with
-- names (not both), string keys, string or number values.
local function params_problem(t, named_only)
  if type(t) ~= "table" then return "table", type(t) end
  local n, count = #t, 0
  if n > 0 and named_only then return "a table with names", "a list" end
  for k, v in pairs(t) do
    count = count + 1
    if type(v) ~= "string" and type(v) ~= "number" then
      return "string or number values", type(v) .. " at " .. tostring(k)
    end
    if type(k) ~= "string" and (named_only or n == 0) then
      return "a table with names", type(k) .. " key " .. tostring(k)
    end
  end
  if n > 0 and count ~= n then return "a list or a table with names", "a table with both" end
end

local kind = client.kind

local function params_kind(named_only)
  return function(v, name, fname)
    local expected, got = params_problem(v, named_only)
    if expected then bad(name, fname, expected, got) end
    return v
  end
end

--- A list of values (param1..N) or a table with names.
kind("params", params_kind(false))

--- A table with names only (default parameters, changed plant settings).
kind("named", params_kind(true))

--- One value (param1), a list of values or a table with names (update_tlx_inverter_setting).
kind("param_or_params", function(v, name, fname)
  if type(v) == "string" or type(v) == "number" then return v end
  local expected, got = params_problem(v)
  if expected then bad(name, fname, expected == "table" and "string, number or table" or expected, got) end
  return v
end)

kind("settings_table", function(v, name, fname)
  errors.check(v, "table", name, fname, 4) -- a statement: a tail call would shift the level
  return v
end)

--- A value the reference passes through str(): a string or a number.
kind("text", function(v, name, fname)
  errors.check(v, { "string", "number" }, name, fname, 4)
  return settings.str(v)
end)

-- Hours and minutes of a time of day: "H:MM" / "HH:MM[:SS]" or a table with hour and min
-- (os.date("*t")); nil when it is neither.
local function clock(v)
  if type(v) == "table" then
    local h, m = v.hour, v.min
    if type(h) == "number" and type(m) == "number" and client.whole(h) and client.whole(m) then return h, m end
    return nil
  end
  local h, m = tostring(v):match("^(%d%d?):(%d%d)$")
  if not h then h, m = tostring(v):match("^(%d%d?):(%d%d):%d%d$") end
  return tonumber(h), tonumber(m)
end

--- A time of day; on the wire as zero-padded hour and minute (strftime's %H and %M).
-- Ranges are checked by the rules, so "24:00" reaches them and is refused as `invalid`.
kind("clock", function(v, name, fname)
  errors.check(v, { "string", "table" }, name, fname, 4)
  if not clock(v) then
    bad(name, fname, '"HH:MM" or a table with hour and min', type(v) == "string" and errors.show(v) or "table")
  end
  return v
end)

--- A time segment id: the setting type "time_segment<id>" (the rules check 1..9).
kind("segment", function(v, name, fname)
  errors.check(v, { "number", "string" }, name, fname, 4)
  return "time_segment" .. settings.str(v)
end)

-- An on/off argument: a boolean, or 0/1 as the reference's truthiness reads them; nil if neither.
local function truth(v)
  if type(v) == "boolean" then return v end
  if v == 0 or v == 1 then return v == 1 end
end

local function switch(on, off)
  return function(v, name, fname)
    local t = truth(v)
    if t == nil then bad(name, fname, "boolean", type(v) == "number" and tostring(v) or type(v)) end
    return t and on or off
  end
end

kind("flag", switch("1", "0"))
kind("on_off", switch("0001", "0000")) -- the classic inverters' on/off command

---------------------------------------------------------------------------
-- Validation rules: setting type -> the list of its parameters, each { what, ok, text }.
-- `ok(value)` says whether the value is acceptable; `text` says what is. A type's list
-- is also its exact parameter count.

-- The integer a value holds ("05", 5), or nil.
local function integer(v)
  if type(v) == "number" then return v == math.floor(v) and v or nil end
  return v:match("^%d+$") and tonumber(v) or nil
end

local function range(lo, hi, text)
  return function(what)
    return { what = what, text = text or ("must be " .. lo .. ".." .. hi),
             ok = function(v) local n = integer(v) return n ~= nil and n >= lo and n <= hi end }
  end
end

local percent, hour, minute = range(0, 100), range(0, 23), range(0, 59)
local flag = range(0, 1, "must be 0 or 1")

local function one_of(list)
  local set = {}
  for _, s in ipairs(list) do set[s] = true end
  return function(what)
    return { what = what, text = "must be " .. table.concat(list, " or "),
             ok = function(v) return set[settings.str(v)] == true end }
  end
end

local function datetime(what)
  return { what = what, text = 'must be "YYYY-MM-DD HH:MM:SS"', ok = function(v)
    local y, mo, d, h, mi, s = tostring(v):match("^(%d%d%d%d)%-(%d%d)%-(%d%d) (%d%d):(%d%d):(%d%d)$")
    if not y then return false end
    mo, d, h, mi, s = tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
    return mo >= 1 and mo <= 12 and d >= 1 and d <= 31 and h <= 23 and mi <= 59 and s <= 59
  end }
end

-- A decimal number in one of the ranges { {lo, hi}, ... }.
local function decimal(ranges, text)
  return function(what)
    return { what = what, text = text, ok = function(v)
      local n = tonumber(v)
      if type(v) == "string" and not v:match("^%-?%d+%.?%d*$") then n = nil end
      for _, r in ipairs(ranges) do
        if n and n >= r[1] and n <= r[2] then return true end
      end
      return false
    end }
  end
end

local function any(what) return { what = what, ok = function() return true end } end

-- Three charge/discharge schedules (start hour, start minute, end hour, end minute, enable)
-- after the rules in `head`.
local function with_schedules(head)
  for n = 1, 3 do
    local s = "schedule " .. n .. " "
    local list = { hour(s .. "start hour"), minute(s .. "start minute"), hour(s .. "end hour"),
                   minute(s .. "end minute"), flag(s .. "enable") }
    for _, rule in ipairs(list) do head[#head + 1] = rule end
  end
  return head
end

--- The param1..N types of mixSetApiNew, spaSetApi and tlxSet (protocol.md §3.2, §4).
settings.types = {
  pf_sys_year = { datetime "system time" },
  mix_ac_charge_time_period = with_schedules { percent "charge power", percent "stop SOC", flag "AC charge" },
  mix_ac_discharge_time_period = with_schedules { percent "discharge power", percent "discharge stop SOC" },
  spa_ac_charge_time_period = with_schedules { percent "charge power", percent "stop SOC" },
  backflow_setting = { flag "export limit", percent "export limit rate" },
  mix_off_grid_enable = { flag "off-grid output" },
  mix_ac_discharge_frequency = { range(0, 1, "must be 0 (50 Hz) or 1 (60 Hz)") "off-grid frequency" },
  mix_ac_discharge_voltage = { range(0, 2, "must be 0 (230 V), 1 (208 V) or 2 (240 V)") "off-grid voltage" },
  charge_power = { percent "charge power" },
  charge_stop_soc = { percent "charge stop SOC" },
  discharge_power = { percent "discharge power" },
  discharge_stop_soc = { percent "discharge stop SOC" },
  on_grid_discharge_stop_soc = { percent "on-grid discharge stop SOC" },
  ac_charge = { flag "AC charge" },
}
for id = 1, 9 do
  settings.types["time_segment" .. id] = { range(0, 2)("battery mode"), hour "start hour", minute "start minute",
                                           hour "end hour", minute "end minute", flag "enable" }
end

--- The paramId types of the classic inverters' tcpSet.do, with command_1 and command_2.
settings.classic_types = {
  pv_on_off = { one_of({ "0001", "0000" })("on/off"), any "unused" },
  pv_active_p_rate = { percent "active power rate", any "unused" },
  pv_reactive_p_rate = { percent "reactive power rate", one_of({ "over", "under" })("inductive or capacitive") },
  pf_sys_year = { datetime "system time", any "unused" },
  pv_power_factor = { decimal({ { -1, -0.8 }, { 0.8, 1 } }, "must be -1..-0.8 or 0.8..1")("power factor"),
                      any "unused" },
  pv_grid_voltage_high = { decimal({ { 0, 1000 } }, "must be a voltage")("grid voltage high limit"), any "unused" },
  pv_grid_voltage_low = { decimal({ { 0, 1000 } }, "must be a voltage")("grid voltage low limit"), any "unused" },
}

-- Which rules a write follows, by its op/action: the pair that names the setting type and
-- how its parameters are numbered. Noah's types are undocumented: they pass unchecked.
local PARAM = { key = "type", prefix = "param", types = settings.types }
settings.families = {
  mixSetApiNew = PARAM,
  spaSetApi = PARAM,
  tlxSet = PARAM,
  inverterSet = { key = "paramId", prefix = "command_", types = settings.classic_types },
}

local function invalid(param, fmt, ...)
  return errors.new("invalid", string.format(fmt, ...), { param = param })
end

local function shown(v)
  if type(v) == "string" and not v:match("^%-?[%d.]+$") then return string.format("%q", v) end
  return tostring(v)
end

--- Checks the wire pairs of a write against the rules of its family (found by its op or
-- action, or given). Returns nil when they pass, else an `invalid` error naming the
-- parameter (`err.param`). Unknown setting types pass unchanged.
function settings.check(list, family)
  local by_name = {}
  for _, p in ipairs(list) do by_name[p[1]] = p[2] end
  family = family or settings.families[by_name.op or by_name.action or ""]
  if not family then return nil end
  local stype = by_name[family.key]
  local rules = family.types[stype]
  if not rules then
    if family.types == settings.types and tostring(stype):match("^time_segment") then
      return invalid(family.key, "%s (time segment) must be time_segment1..time_segment9, got %s",
        family.key, tostring(stype))
    end
    return nil
  end
  local count = #rules == 1 and ("%s takes 1 parameter (%s1)"):format(stype, family.prefix)
    or ("%s takes %d parameters (%s1..%s%d)"):format(stype, #rules, family.prefix, family.prefix, #rules)
  for i, rule in ipairs(rules) do -- the count first: a wrong count is the wrong list
    local name = family.prefix .. i
    if by_name[name] == nil then return invalid(name, "%s (%s) is missing: %s", name, rule.what, count) end
  end
  for _, p in ipairs(list) do
    local i = p[1]:match("^" .. family.prefix .. "(%d+)$")
    if i and not rules[tonumber(i)] then return invalid(p[1], "%s is one too many: %s", p[1], count) end
  end
  for i, rule in ipairs(rules) do
    local name, v = family.prefix .. i, by_name[family.prefix .. i]
    if not rule.ok(v) then return invalid(name, "%s (%s) %s, got %s", name, rule.what, rule.text, shown(v)) end
  end
  return nil
end

---------------------------------------------------------------------------
-- Finishing a write's request (the `finish` hook of growatt.Api._complete): the parameters
-- that depend on the caller's tables, then the rules.

-- The op/action among a request's pairs.
local function op_of(list)
  for _, p in ipairs(list) do
    if p[1] == "op" or p[1] == "action" then return p[2] end
  end
end

-- Merges the tables returned by ep.params(...) into the request's `ep.into` pairs
-- ("query" or "form"), then checks them.
local function merged(_, ep, req, _, ...)
  local list = req[ep.into] or {}
  for _, t in ipairs({ ep.params(...) }) do
    if type(t) ~= "table" then t = { t } end -- one value: param1
    settings.merge(list, pairs_of(t))
  end
  req[ep.into] = list
  local all = {} -- the op may be in the query and the parameters in the form
  for _, where in ipairs({ req.query or {}, req.form or {} }) do
    for _, p in ipairs(where) do all[#all + 1] = p end
  end
  req.op = op_of(all)
  local err = settings.check(all)
  if err then return nil, err end
  return req
end

-- update_plant_settings: multipart field <- getPlant key (protocol.md §3.4), in the
-- reference's order; plantFirm is always "0".
local PLANT_FORM = {
  { "plantCoal", "formulaCoal" }, { "plantSo2", "formulaSo2" }, { "accountName", "userAccount" },
  { "plantID", "id" }, { "plantFirm", value = "0" }, { "plantCountry", "country" },
  { "plantType", "plantType" }, { "plantIncome", "formulaMoneyStr" }, { "plantAddress", "plantAddress" },
  { "plantTimezone", "timezone" }, { "plantLng", "plant_lng" }, { "plantCity", "city" },
  { "plantCo2", "formulaCo2" }, { "plantMoney", "formulaMoneyUnitId" }, { "plantPower", "nominalPower" },
  { "plantLat", "plant_lat" }, { "plantDate", "createDateText" }, { "plantName", "plantName" },
}

-- Fetches the current settings unless given (or in a dry run, which sends nothing: its
-- request then has `current_settings = false` and `before`, the read a real call sends
-- first, and its multipart holds only the fields known without them).
local function plant_form(api, _, req, dry_run, plant_id, changed, current)
  local fetched = current == nil and not dry_run
  if fetched then
    local err
    current, err = api:plant_settings(plant_id)
    if not current then return nil, err end
  end
  local form = {}
  for _, f in ipairs(PLANT_FORM) do
    local v = f.value
    if not v and current then
      v = settings.str(current[f[2]])
      if not v then
        return nil, errors.new(fetched and "protocol" or "invalid",
          ("current settings have no plain value '%s' (for %s)"):format(f[2], f[1]), { param = f[1] })
      end
    end
    if v then form[#form + 1] = { f[1], v } end
  end
  local more = pairs_of(changed)
  for _, p in ipairs(more) do p[2] = settings.str(p[2]) end
  req.multipart = settings.merge(form, more)
  req.op = "updatePlant"
  if not current then
    req.current_settings = false
    req.before = api:_prepare(client.build(settings.endpoints.plant_settings, "plant_settings", plant_id))
  end
  return req
end

-- The reply of update_tlx_inverter_time_segment: as the reference, anything but a true
-- `success` is a failure.
local function segment_result(v)
  if v.success == true then return v end
  local msg = v.msg ~= nil and tostring(v.msg) or "Unknown error"
  return nil, errors.new("api", "failed to update TLX inverter time segment: " .. msg, { code = v.msg, response = v })
end

-- tlx_all_settings returns obj.tlxSetBean.
local function set_bean(v)
  local obj, err = client.extract(v, "obj")
  if obj == nil then return nil, err end
  if type(obj.tlxSetBean) ~= "table" then
    return nil, errors.new("protocol", "the reply has no obj.tlxSetBean", { response = v })
  end
  return obj.tlxSetBean
end

--- classic_inverter_info's page: the object in `inv=JSON.parse('{...}')` on one line.
function settings.classic_info(page)
  local text = page:match("inv=JSON%.parse%('({[^\n]-})'%)")
  if not text then
    return nil, errors.new("protocol", "the settings page has no inverter data (inv=JSON.parse)")
  end
  local v = json.decode(text)
  if type(v) ~= "table" then
    return nil, errors.new("protocol", "the settings page's inverter data is not a JSON object")
  end
  return v
end

---------------------------------------------------------------------------
-- Endpoint entries (the format of growatt.shinephone.endpoints, plus `finish`, `params` and `into`).

local SN = { "serial_number", "id" }

-- A write over update_inverter_setting's wire form: POST newTcpsetAPI.do, everything in
-- the query: op, serialNum, type, then the parameters (protocol.md §3.2).
local function tcpset(op, params_kind_name)
  return {
    method = "POST", path = "newTcpsetAPI.do", write = true, result = "raw",
    args = { SN, { "setting_type", "string" }, { "parameters", params_kind_name } },
    query = { { "op", op }, { "serialNum", A "serial_number" }, { "type", A "setting_type" } },
    finish = merged, into = "query", params = function(_, _, p) return p end,
  }
end

-- A classic inverter's tcpSet.do command (protocol.md §3.6): everything in the query.
local function classic(param_id, arg)
  return {
    method = "POST", path = "tcpSet.do", write = true, result = "raw",
    args = { SN, arg },
    query = { { "action", "inverterSet" }, { "serialNum", A "serial_number" }, { "paramId", param_id },
              { "command_1", A(arg[1]) }, { "command_2", "" } },
    finish = merged, into = "query", params = function() return {} end,
  }
end

local function hh_mm(t)
  local h, m = clock(t)
  return string.format("%02d", h), string.format("%02d", m)
end

settings.endpoints = {
  plant_settings = {
    method = "GET", path = "newPlantAPI.do", result = "raw",
    args = { { "plant_id", "id" } },
    query = { { "op", "getPlant" }, { "plantId", A "plant_id" } },
  },
  update_plant_settings = {
    method = "POST", path = "newTwoPlantAPI.do?op=updatePlant", write = true, result = "raw",
    args = { { "plant_id", "id" }, { "changed_settings", "named" },
             { "current_settings", "settings_table", optional = true } },
    finish = plant_form,
  },
  update_inverter_setting = {
    method = "POST", path = "newTcpsetAPI.do", write = true, result = "raw",
    args = { { "serial_number", "id", optional = true }, { "setting_type", "string", optional = true },
             { "default_parameters", "named" }, { "parameters", "params" } },
    query = {},
    finish = merged, into = "query", params = function(_, _, defaults, p) return defaults, p end,
  },
  update_mix_inverter_setting = tcpset("mixSetApiNew", "params"),
  update_ac_inverter_setting = tcpset("spaSetApi", "params"),
  update_tlx_inverter_setting = tcpset("tlxSet", "param_or_params"),
  update_tlx_inverter_time_segment = {
    method = "POST", path = "newTcpsetAPI.do", write = true, result = segment_result,
    args = { SN, { "segment_id", "segment" }, { "batt_mode", "text" }, { "start_time", "clock" },
             { "end_time", "clock" }, { "enabled", "flag" } },
    query = { { "op", "tlxSet" } },
    form = { { "serialNum", A "serial_number" }, { "type", A "segment_id" } },
    finish = merged, into = "form",
    params = function(_, _, mode, start, stop, enabled)
      local h1, m1 = hh_mm(start)
      local h2, m2 = hh_mm(stop)
      return { settings.str(mode), h1, m1, h2, m2, truth(enabled) and "1" or "0" }
    end,
  },
  tlx_all_settings = {
    method = "POST", path = "newTlxApi.do", result = set_bean,
    args = { { "tlx_id", "id" } },
    query = { { "op", "getTlxSetData" } }, form = { { "serialNum", A "tlx_id" } },
  },
  tlx_enabled_settings = {
    method = "POST", path = "newLoginAPI.do", result = "obj",
    args = { { "tlx_id", "id" }, { "date", "date" } },
    query = { { "op", "getSetPass" } },
    form = { { "deviceSn", A "tlx_id" }, { "stringTime", A "date" }, { "type", "5" } },
  },
  get_mix_inverter_settings = {
    method = "GET", path = "newMixApi.do", result = "raw",
    args = { SN },
    query = { { "op", "getMixSetParams" }, { "serialNum", A "serial_number" }, { "kind", 0 } },
  },
  update_noah_settings = {
    method = "POST", path = "noahDeviceApi/noah/set", write = true, result = "raw",
    args = { SN, { "setting_type", "string" }, { "parameters", "params" } },
    form = { { "serialNum", A "serial_number" }, { "type", A "setting_type" } },
    finish = merged, into = "form", params = function(_, _, p) return p end,
  },
  update_classic_inverter_setting = {
    method = "POST", path = "tcpSet.do", write = true, result = "raw",
    args = { { "default_parameters", "named" }, { "parameters", "params" } },
    query = {},
    finish = merged, into = "query", params = function(defaults, p) return defaults, p end,
  },
  set_classic_inverter_active_power_rate = classic("pv_active_p_rate", { "rate", "text" }),
  set_classic_inverter_on_off = classic("pv_on_off", { "enabled", "on_off" }),
  classic_inverter_info = {
    method = "GET", path = "commonDeviceSetC/setInverter", expect = "text", result = settings.classic_info,
    args = { { "device_sn", "id" } },
    query = { { "type", "server" }, { "invSn", A "device_sn" } },
  },
}
-- What each method is for (tools/gendocs.lua makes docs/api.md and types/ from it; examples
-- where the sample arguments would not make a valid call).
local docs = {
  plant_settings = { "A plant's settings, as update_plant_settings reads them.",
    returns = "flat: `plantName`, `timezone`, `city`, ..." },
  update_plant_settings = { "Changes a plant's settings: reads the current ones unless given, fills the form's "
    .. "18 fields from them and lets `changed_settings` (form field names) override or add fields.",
    example = 'api:update_plant_settings("2222207", { plantName = "Garden" })' },
  update_inverter_setting = { "Any newTcpsetAPI.do write: `default_parameters` (op, serialNum, type, ...) "
    .. "then `parameters`, all in the query.",
    example = 'api:update_inverter_setting("MIN4K00208", "charge_power", '
      .. '{ op = "tlxSet", serialNum = "MIN4K00208", type = "charge_power" }, { "80" })' },
  update_mix_inverter_setting = { "A mix (SPH) inverter setting (op mixSetApiNew); see docs/settings.md.",
    example = 'api:update_mix_inverter_setting("SPH6K00207", "charge_power", { "80" })' },
  update_ac_inverter_setting = { "An AC-coupled (SPA) inverter setting (op spaSetApi); see docs/settings.md.",
    example = 'api:update_ac_inverter_setting("SPH6K00207", "charge_stop_soc", { "90" })' },
  update_tlx_inverter_setting = { "A TLX/MIN inverter setting (op tlxSet); one value is param1.",
    example = 'api:update_tlx_inverter_setting("MIN4K00208", "charge_power", 80)' },
  update_tlx_inverter_time_segment = { "One of a TLX/MIN inverter's nine time-of-use segments; anything but "
    .. "`success: true` in the reply is an `api` error.", returns = "the whole reply",
    example = 'api:update_tlx_inverter_time_segment("MIN4K00208", 1, growatt.BATT_MODE_BATTERY_FIRST, '
      .. '"01:00", "05:00", true)' },
  tlx_all_settings = { "Every setting of a TLX/MIN inverter.", result = "table", returns = "`obj.tlxSetBean`" },
  tlx_enabled_settings = { "Which settings of a TLX/MIN inverter may be changed.",
    returns = "`enable`: setting name -> \"1\"" },
  get_mix_inverter_settings = { "A mix (SPH) inverter's settings.", returns = "`obj.mixBean`" },
  update_noah_settings = { "A Noah battery setting (its types are undocumented: not validated).",
    example = 'api:update_noah_settings("NOAH200209", "default_power", { "200" })' },
  update_classic_inverter_setting = { "Any tcpSet.do write of a classic inverter: `default_parameters` "
    .. "(action, serialNum, paramId) then `parameters` (command_1, command_2).",
    example = 'api:update_classic_inverter_setting({ action = "inverterSet", serialNum = "INV3K00209", '
      .. 'paramId = "pv_active_p_rate" }, { command_1 = "80", command_2 = "" })' },
  set_classic_inverter_active_power_rate = { "A classic inverter's active power rate, in % (pv_active_p_rate)." },
  set_classic_inverter_on_off = { "Turns a classic inverter on or off (pv_on_off, \"0001\" / \"0000\")." },
  classic_inverter_info = { "A classic inverter's settings, read from the app's settings page (HTML).",
    returns = "the page's `inv=JSON.parse('{...}')` object" },
}
for name, doc in pairs(docs) do settings.endpoints[name].doc = doc end
settings.endpoints.get_plant_settings = settings.endpoints.plant_settings -- its name up to 1.x

return settings
