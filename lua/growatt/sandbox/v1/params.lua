-- OpenAPI v1 parameters of MIN and SPH: readMinParam / readMixParam and the writes tlxSet /
-- mixSet, which change the settings that tlx_set_info and mix_data_info read back.
-- Runs inside nginx (LuaJIT, Lua 5.1 API).
local data = require("growatt.sandbox.data")
local devices = require("growatt.sandbox.v1.devices")
local common = require("growatt.sandbox.v1.common")
local fail = common.fail
local settings_of, clock_time = devices.settings_of, devices.clock_time

local M = {}

---------------------------------------------------------------------------
-- Parameters: reads and writes

-- paramId / write type -> the setting it is, and its range.
local VALUE_SETTINGS = {
  ac_charge = { "acChargeEnable", 0, 1 }, charge_power = { "chargePowerCommand", 0, 100 },
  discharge_power = { "disChargePowerCommand", 0, 100 }, charge_stop_soc = { "wchargeSOCLowLimit", 0, 100 },
  discharge_stop_soc = { "wdisChargeSOCLowLimit", 0, 100 }, on_off = { "onOff", 0, 1 },
  pv_on_off = { "onOff", 0, 1 }, pv_active_p_rate = { "activeRate", 0, 100 },
  pv_reactive_p_rate = { "reactiveRate", 0, 100 }, pv_power_factor = { "pf", -1, 1 },
  pv_grid_voltage_high = { "vacHigh", 0, 400 }, pv_grid_voltage_low = { "vacLow", 0, 400 },
  mix_off_grid_enable = { "epsFunEn", 0, 1 }, mix_ac_discharge_frequency = { "epsFreqSet", 0, 1 },
  mix_ac_discharge_voltage = { "epsVoltSet", 0, 2 }, backflow_setting = { "exportLimit", 0, 1 },
}

function M.read_parameter(_, ctx, d)
  local id = ctx.params.paramId
  if id == "set_any_reg" then
    local at = tonumber(ctx.params.startAddr)
    if not at then return fail(10009) end
    return tostring(at * 7 % 100)
  end
  local setting = VALUE_SETTINGS[id or ""]
  if not setting then return fail(10009) end
  return tostring(settings_of(ctx.state, d)[setting[1]])
end

-- A number param within lo..hi, or nil.
local function ranged(v, lo, hi)
  local n = v and tonumber(v)
  if n and n >= lo and n <= hi then return n end
end

-- The periods of a write: `count` groups of 5 params from `base`: start H, M, end H, M, on.
local function periods_from(params, base, count)
  local list = {}
  for k = 0, count - 1 do
    local at = base + 5 * k
    local sh, sm = ranged(params[at], 0, 23), ranged(params[at + 1], 0, 59)
    local eh, em = ranged(params[at + 2], 0, 23), ranged(params[at + 3], 0, 59)
    local on = ranged(params[at + 4], 0, 1)
    if not (sh and sm and eh and em and on) then return nil end
    list[k + 1] = { clock_time(sh, sm), clock_time(eh, em), on }
  end
  return list
end

local function apply_periods(s, what, list)
  for i, p in ipairs(list) do
    s["forced" .. what .. "TimeStart" .. i], s["forced" .. what .. "TimeStop" .. i] = p[1], p[2]
    s["forced" .. what .. "StopSwitch" .. i] = p[3]
  end
end

-- Write types with several params: type -> function(settings, params, type) -> code or nil.
local MULTI_WRITES = {
  mix_ac_charge_time_period = function(s, params)
    local power, soc, mains = ranged(params[1], 0, 100), ranged(params[2], 0, 100), ranged(params[3], 0, 1)
    local list = periods_from(params, 4, 3)
    if not (power and soc and mains and list) then return 10008 end
    s.chargePowerCommand, s.wchargeSOCLowLimit, s.acChargeEnable = power, soc, tostring(mains)
    apply_periods(s, "Charge", list)
  end,
  mix_ac_discharge_time_period = function(s, params)
    local power, soc = ranged(params[1], 0, 100), ranged(params[2], 0, 100)
    local list = periods_from(params, 3, 3)
    if not (power and soc and list) then return 10008 end
    s.disChargePowerCommand, s.wdisChargeSOCLowLimit = power, soc
    apply_periods(s, "Discharge", list)
  end,
}

local function time_segment(s, params, type_)
  local n = tonumber(type_:match("^time_segment(%d)$"))
  local mode = ranged(params[1], 0, 2)
  local list = periods_from(params, 2, 1)
  if not (n and mode and list) then return 10008 end
  s["forcedTimeStart" .. n], s["forcedTimeStop" .. n] = list[1][1], list[1][2]
  s["time" .. n .. "Mode"], s["forcedStopSwitch" .. n] = tostring(mode), tostring(list[1][3])
end

-- tlxSet / mixSet: the serial, `type` and param1..paramN. Parameter writes send all N params
-- (unused ones empty); the discharge period write stops at param17.
function M.write(req, ctx, d, kind)
  local params, names = {}, {}
  for _, p in ipairs(req.form) do
    local i = tonumber(p[1]:match("^param(%d+)$"))
    if i then
      if i > kind.params then return fail(10006, "error_param_" .. i) end
      params[i] = p[2] ~= "" and p[2] or nil
      names[i] = true
    end
  end
  local type_ = ctx.params.type or ""
  local needed = type_ == "mix_ac_discharge_time_period" and 17 or kind.params
  for i = 1, needed do
    if not names[i] then return fail(10007, "error_param" .. i .. "_missing") end
  end
  local s = settings_of(ctx.state, d)
  local multi = MULTI_WRITES[type_] or (d.type == "tlx" and type_:find("^time_segment%d$") and time_segment)
  local setting = VALUE_SETTINGS[type_]
  local code
  if multi then
    code = multi(s, params, type_)
  elseif setting then
    local v = ranged(params[1], setting[2], setting[3])
    if params[1] == nil then code = 10007 elseif not v then code = 10008 else s[setting[1]] = params[1] end
  else
    code = 10006
  end
  if code then return fail(code) end
  ctx.server.count("v1_writes")
  return data.null
end

return M
