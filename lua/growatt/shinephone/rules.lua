--- The validation every ShinePhone write passes before anything is sent: setting type ->
-- the list of its parameters, each { what, ok, text }. `ok(value)` says whether the value is
-- acceptable; `text` says what is. A type's list is also its exact parameter count.

local errors = require("growatt.errors")
local str = require("growatt.shinephone.values").str

local rules = {}

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
             ok = function(v) return set[str(v)] == true end }
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
rules.types = {
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
  rules.types["time_segment" .. id] = { range(0, 2)("battery mode"), hour "start hour", minute "start minute",
                                           hour "end hour", minute "end minute", flag "enable" }
end

--- The paramId types of the classic inverters' tcpSet.do, with command_1 and command_2.
rules.classic_types = {
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
local PARAM = { key = "type", prefix = "param", types = rules.types }
rules.families = {
  mixSetApiNew = PARAM,
  spaSetApi = PARAM,
  tlxSet = PARAM,
  inverterSet = { key = "paramId", prefix = "command_", types = rules.classic_types },
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
function rules.check(list, family)
  local by_name = {}
  for _, p in ipairs(list) do by_name[p[1]] = p[2] end
  family = family or rules.families[by_name.op or by_name.action or ""]
  if not family then return nil end
  local stype = by_name[family.key]
  local params = family.types[stype]
  if not params then
    if family.types == rules.types and tostring(stype):match("^time_segment") then
      return invalid(family.key, "%s (time segment) must be time_segment1..time_segment9, got %s",
        family.key, tostring(stype))
    end
    return nil
  end
  local count = #params == 1 and ("%s takes 1 parameter (%s1)"):format(stype, family.prefix)
    or ("%s takes %d parameters (%s1..%s%d)"):format(stype, #params, family.prefix, family.prefix, #params)
  for i, rule in ipairs(params) do -- the count first: a wrong count is the wrong list
    local name = family.prefix .. i
    if by_name[name] == nil then return invalid(name, "%s (%s) is missing: %s", name, rule.what, count) end
  end
  for _, p in ipairs(list) do
    local i = p[1]:match("^" .. family.prefix .. "(%d+)$")
    if i and not params[tonumber(i)] then return invalid(p[1], "%s is one too many: %s", p[1], count) end
  end
  for i, rule in ipairs(params) do
    local name, v = family.prefix .. i, by_name[family.prefix .. i]
    if not rule.ok(v) then return invalid(name, "%s (%s) %s, got %s", name, rule.what, rule.text, shown(v)) end
  end
  return nil
end

return rules
