-- The ShinePhone settings writes of the sandbox: what each write type checks and the
-- settings it changes when accepted (TCPSET for newTcpsetAPI.do, CLASSIC for tcpSet.do, NOAH
-- for Noah's set), and set(), which checks and applies one. Plain Lua 5.1-5.4.
local checks = require("growatt.sandbox.settings.checks")
local datetime, number_in, among, anything = checks.datetime, checks.number_in, checks.among, checks.anything
local out_of_range, PCT, BIT, HOUR = checks.out_of_range, checks.PCT, checks.BIT, checks.HOUR
local MINUTE, MODE, three_schedules = checks.MINUTE, checks.MODE, checks.three_schedules

local M = {}

M.ACCEPTED = "inv_set_success"
local ACCEPTED = M.ACCEPTED

function M.refused(code, why) return { success = false, msg = code, error = why } end
local refused = M.refused

-- param1..paramN (or command_1..) of a request: the list of values, or nil and why not
-- when they are not exactly 1..n.
local function numbered(params, prefix, n)
  local list = {}
  for i = 1, n do
    list[i] = params[prefix .. i]
    if list[i] == nil then return nil, prefix .. i .. " is missing" end
  end
  if params[prefix .. (n + 1)] ~= nil then return nil, "too many parameters: " .. prefix .. (n + 1) end
  return list
end

---------------------------------------------------------------------------
-- The effect of each accepted write on the settings it changes. An entry of a write table
-- is { checks..., apply = function(settings, values, extra) }.

local function num(v) return tostring(tonumber(v)) end -- "05" -> "5", as Growatt stores it

local function clock(h, m) return num(h) .. ":" .. num(m) end

-- Sets a bean's three schedules "<prefix>TimeStart<i>" etc. from values[first..first+14].
local function set_schedules(bean, prefix, values, first)
  for i = 1, 3 do
    local b = first + (i - 1) * 5
    bean[prefix .. "TimeStart" .. i] = clock(values[b], values[b + 1])
    bean[prefix .. "TimeStop" .. i] = clock(values[b + 2], values[b + 3])
    bean[prefix .. "StopSwitch" .. i] = num(values[b + 4])
  end
end

-- A one-value setting stored in the bean's field `name`.
local function field(name, check)
  return { check, apply = function(bean, v) bean[name] = check == datetime and v[1] or num(v[1]) end }
end

-- The minutes of the day a segment covers, as [from, to) intervals; empty when start = end.
local function intervals(start, stop)
  local function minutes(s) local h, m = s:match("^(%d+):(%d+)$") return h * 60 + m end
  local a, b = minutes(start), minutes(stop)
  if a < b then return { { a, b } } end
  if a > b then return { { a, 1440 }, { 0, b } } end -- over midnight
  return {}
end

local function overlaps(s1, e1, s2, e2)
  for _, x in ipairs(intervals(s1, e1)) do
    for _, y in ipairs(intervals(s2, e2)) do
      if x[1] < y[2] and y[1] < x[2] then return true end
    end
  end
  return false
end

-- A TLX time segment: the inverter refuses one that overlaps another, enabled or not.
local function set_segment(bean, v, id)
  local start, stop = clock(v[2], v[3]), clock(v[4], v[5])
  for other = 1, 9 do
    if other ~= id and overlaps(start, stop, bean["forcedTimeStart" .. other], bean["forcedTimeStop" .. other]) then
      return refused("inv_set_time_overlap", ("time segment %d (%s-%s) overlaps time segment %d"):format(
        id, start, stop, other))
    end
  end
  bean["time" .. id .. "Mode"], bean["forcedStopSwitch" .. id] = num(v[1]), num(v[6])
  bean["forcedTimeStart" .. id], bean["forcedTimeStop" .. id] = start, stop
end

local SYSTEM_TIME_MIX = field("pf_sys_year", datetime)

-- newTcpsetAPI.do: op -> { kinds (device types), settings (state.settings table), types }.
local TCPSET = {
  mixSetApiNew = { kinds = { mix = true }, settings = "mix", types = {
    pf_sys_year = SYSTEM_TIME_MIX,
    mix_ac_charge_time_period = three_schedules { PCT, PCT, BIT, apply = function(b, v)
      b.chargePowerCommand, b.wchargeSOCLowLimit, b.acChargeEnable = num(v[1]), num(v[2]), num(v[3])
      set_schedules(b, "forcedCharge", v, 4)
    end },
    mix_ac_discharge_time_period = three_schedules { PCT, PCT, apply = function(b, v)
      b.disChargePowerCommand, b.wdisChargeSOCLowLimit = num(v[1]), num(v[2])
      set_schedules(b, "forcedDischarge", v, 3)
    end },
    backflow_setting = { BIT, PCT, apply = function(b, v)
      b.backflow_setting, b.exportLimitPowerRate = num(v[1]), num(v[2])
    end },
    mix_off_grid_enable = field("epsFunEn", BIT),
    mix_ac_discharge_frequency = field("epsFreqSet", BIT),
    mix_ac_discharge_voltage = field("epsVoltSet", MODE),
  } },
  -- The SPH stands in for an AC-coupled (SPA) inverter: its charge schedule is the same bean's.
  spaSetApi = { kinds = { mix = true }, settings = "mix", types = {
    pf_sys_year = SYSTEM_TIME_MIX,
    spa_ac_charge_time_period = three_schedules { PCT, PCT, apply = function(b, v)
      b.chargePowerCommand, b.wchargeSOCLowLimit = num(v[1]), num(v[2])
      set_schedules(b, "forcedCharge", v, 3)
    end },
  } },
  tlxSet = { kinds = { tlx = true }, settings = "tlx", types = {
    pf_sys_year = field("sysTime", datetime),
    charge_power = field("chargePowerCommand", PCT),
    charge_stop_soc = field("wchargeSOCLowLimit", PCT),
    discharge_power = field("disChargePowerCommand", PCT),
    discharge_stop_soc = field("wdisChargeSOCLowLimit", PCT),
    on_grid_discharge_stop_soc = field("onGridDischargeStopSOC", PCT),
    ac_charge = field("acChargeEnable", BIT),
  } },
}
for id = 1, 9 do
  TCPSET.tlxSet.types["time_segment" .. id] = { MODE, HOUR, MINUTE, HOUR, MINUTE, BIT,
    apply = function(b, v) return set_segment(b, v, id) end }
end

-- tcpSet.do (classic inverters): paramId -> command_1, command_2 and the `inv` field(s) set.
local CLASSIC = {
  pv_on_off = { among("0001", "0000"), anything,
                apply = function(inv, v) inv.onOff = v[1] == "0001" and "1" or "0" end },
  pv_active_p_rate = { PCT, anything, apply = function(inv, v) inv.activeRate = num(v[1]) end },
  pv_reactive_p_rate = { PCT, among("over", "under"), apply = function(inv, v)
    inv.reactiveRate, inv.pfModel = num(v[1]), v[2] == "over" and "1" or "2"
  end },
  pf_sys_year = { datetime, anything, apply = function(inv, v) inv.sysTime = v[1] end },
  pv_power_factor = { function(v) return number_in(-1, -0.8)(v) or number_in(0.8, 1)(v) end, anything,
                      apply = function(inv, v) inv.pf = v[1] end },
  pv_grid_voltage_high = { number_in(230, 300), anything, apply = function(inv, v) inv.voltageHighLimit = v[1] end },
  pv_grid_voltage_low = { number_in(150, 230), anything, apply = function(inv, v) inv.voltageLowLimit = v[1] end },
}

-- Noah (type -> checks and the `noah` table fields of the device set).
local function noah_segment(id)
  return { BIT, HOUR, MINUTE, HOUR, MINUTE, { 0, 800 }, apply = function(n, v)
    for i = #n.time_segments + 1, id - 1 do n.time_segments[i] = "0_0:0_0:0_0" end
    n.time_segments[id] = table.concat({ num(v[1]), clock(v[2], v[3]), clock(v[4], v[5]), num(v[6]) }, "_")
  end }
end

local NOAH = {
  default_power = { { 0, 800 }, apply = function(n, v) n.default_power = tonumber(v[1]) end },
  charging_soc = { { 70, 100 }, { 0, 30 }, apply = function(n, v)
    n.charging_soc_high, n.charging_soc_low = tonumber(v[1]), tonumber(v[2])
  end },
  work_mode = { BIT, apply = function(n, v) n.work_mode = tonumber(v[1]) end },
}
for id = 1, 9 do NOAH["time_segment" .. id] = noah_segment(id) end

-- Checks the numbered values of a known type and applies them; unknown types are accepted
-- and change nothing (the inverter takes them; the sandbox does not model them).
local function set(types, stype, params, target, prefix)
  local spec = types[stype]
  if not spec then return { success = true, msg = ACCEPTED } end
  local values, why = numbered(params, prefix, #spec)
  if not values then return refused("inv_set_param_error", why) end
  why = out_of_range(values, spec, prefix)
  if why then return refused("inv_set_param_error", why) end
  return spec.apply(target, values) or { success = true, msg = ACCEPTED }
end

M.TCPSET, M.CLASSIC, M.NOAH, M.set = TCPSET, CLASSIC, NOAH, set

return M
