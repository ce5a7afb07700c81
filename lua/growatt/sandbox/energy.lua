-- Energy in the sandbox's world: a day of 5-minute points per device, the day's totals, the
-- present power flows, lifetime totals and the record a MIN reports. No clock and no
-- math.random: the same seed, device and date always give the same day, in the sandbox
-- (LuaJIT) and in a spec (Lua 5.4) alike. Plain Lua 5.1-5.4, no ngx.
local data = require("growatt.sandbox.data")

local M = {}

local STEPS, STEP_HOURS = data.STEPS, data.STEP_HOURS
local SUNRISE, SUNSET = 6, 20 -- PV is 0 outside these hours; the peak is half way, at 13:00

-- A generator of numbers in [0, 1) seeded by a string: a hash that squares (so that keys
-- differing in one letter start far apart), then Park-Miller. Every product stays below
-- 2^53, so doubles (LuaJIT) and integers (Lua 5.4) give the same numbers.
local HASH_MOD = 67108859 -- a prime below 2^26: its squares fit in 2^53
local function random(key)
  local x = 7
  for i = 1, #key do x = (x * 31 + key:byte(i)) % HASH_MOD end
  for _ = 1, 4 do x = (x * x + 12345) % HASH_MOD end
  x = x + 1
  return function()
    x = x * 16807 % 2147483647
    return x / 2147483647
  end
end

local function key(state, sn, date)
  return string.format("%d:%s:%s", state.seed, sn, date)
end

local function pv_shape(hour, r)
  if hour <= SUNRISE or hour >= SUNSET then return 0 end
  local sun = math.sin(math.pi * (hour - SUNRISE) / (SUNSET - SUNRISE))
  return sun ^ 1.5 * (1 - 0.45 * r ^ 4) -- mostly clear; now and then a cloud
end

local function load_at(hour, r)
  local morning = 0.9 * math.exp(-((hour - 7.5) / 0.8) ^ 2)
  local evening = 1.6 * math.exp(-((hour - 18.75) / 1.4) ^ 2)
  return 0.28 + morning + evening + 0.25 * r
end

-- The kWh a device makes on a date ("YYYY-MM-DD") in the day and month views: its
-- today_energy, more in summer than in winter, with the weather of that date.
function M.day_energy(state, device, date)
  local month = tonumber(date:sub(6, 7))
  local summer = math.sin(math.pi * (month - 0.5) / 12) ^ 2
  return device.today_energy * (0.4 + 1.2 * summer) * (0.6 + 0.6 * random(key(state, device.sn, date))())
end

-- The 5-minute points of a device on a date: a list of STEPS tables
--   { time = "HH:MM", pv, load, charge, discharge, export, import (kW), soc (%) }
-- PV follows the sun and adds up to `energy` kWh (default the device's today_energy); the
-- household load has a morning and an evening peak; a battery (data.battery_of), if any, takes
-- the surplus and covers the deficit between 10 % and 100 %; the rest goes to or comes from the grid.
function M.day(state, device, date, energy)
  local r = random(key(state, device.sn, date))
  local points, shape_sum = {}, 0
  for i = 1, STEPS do
    local hour = (i - 1) * STEP_HOURS
    local p = { time = string.format("%02d:%02d", math.floor(hour), (i - 1) % 12 * 5),
                pv = pv_shape(hour, r()), load = load_at(hour, r()) }
    shape_sum = shape_sum + p.pv
    points[i] = p
  end
  local scale = shape_sum > 0 and (energy or device.today_energy) / (shape_sum * STEP_HOURS) or 0
  local battery = data.battery_of(state, device)
  local capacity = battery and battery.capacity / 1000 or 0 -- kWh
  local rate = capacity / 2                                   -- kW, half the capacity an hour
  local stored = capacity * 0.3                               -- 30 % at midnight
  for _, p in ipairs(points) do
    p.pv = p.pv * scale
    local surplus = p.pv - p.load
    p.charge = math.min(math.max(surplus, 0), rate, (capacity - stored) / STEP_HOURS)
    p.discharge = math.min(math.max(-surplus, 0), rate, math.max(stored - capacity * 0.1, 0) / STEP_HOURS)
    p.export = math.max(surplus, 0) - p.charge
    p.import = math.max(-surplus, 0) - p.discharge
    stored = stored + (p.charge - p.discharge) * STEP_HOURS
    p.soc = capacity > 0 and stored / capacity * 100 or 0
  end
  return points
end

-- The day's energies in kWh: { pv, load, charge, discharge, export, import } summed over M.day.
function M.day_totals(state, device, date, energy)
  local t = { pv = 0, load = 0, charge = 0, discharge = 0, export = 0, import = 0 }
  for _, p in ipairs(M.day(state, device, date, energy)) do
    for k in pairs(t) do t[k] = t[k] + p[k] * STEP_HOURS end
  end
  return t
end


---------------------------------------------------------------------------
-- Present values and lifetime totals that several endpoint modules report.

-- Present power flows of a device (W). A mix inverter's `power` is its PV power; other
-- devices' is their AC output. A house that draws from the grid exports nothing; else it
-- uses a third of the output and exports the rest.
function M.flows(state, device)
  local b = data.battery_of(state, device) or { charge = 0, discharge = 0, to_user = 0 }
  local pv = device.type == "mix" and device.power or device.power + b.charge - b.discharge
  local out = pv - b.charge + b.discharge
  local load, to_grid = out + b.to_user, 0
  if b.to_user == 0 then
    load = math.floor(out / 3 + 0.5)
    to_grid = out - load
  end
  return { pv = pv, charge = b.charge, discharge = b.discharge, out = out, load = load,
           to_grid = to_grid, to_user = b.to_user }
end

-- PV strings: { v, i, p } each, sharing `pv` watts by voltage.
function M.strings(device, pv)
  local list, total = {}, 0
  for _, v in ipairs(device.pv_voltages) do total = total + v end
  for i, v in ipairs(device.pv_voltages) do
    local p = total > 0 and pv * v / total or 0
    list[i] = { v = v, p = p, i = v > 0 and p / v or 0 }
  end
  return list
end

-- Lifetime energies of a device (kWh), from its total production.
function M.lifetime(state, device)
  local b = data.battery_of(state, device) or { charged = 0, discharged = 0 }
  local total = device.total_energy
  return { pv = total, load = total * 0.82, export = total * 0.41, import = total * 0.23,
           charge = b.charged, discharge = b.discharged }
end

local function round(x, decimals)
  local m = 10 ^ (decimals or 1)
  return math.floor(x * m + 0.5) / m
end

-- temp1..temp5 (C): the inverter, its IPM and boost stage; MINs and SPHs report 0 for the
-- last two, which they do not have.
function M.temperatures(device)
  local list = {}
  for i = 1, 5 do list[i] = i <= 3 and round(device.temperature + (i - 1) * 2.5) or 0 end
  return list
end

-- The record a MIN (tlx) reports, in JSON numbers: ShinePhone's getTlxDetailData `data` and
-- the v1 tlx_last_data share it. `date` is the sandbox's today: its energies are the day's
-- 5-minute curve added up, so today's energy is the integral of the power curve.
function M.tlx_record(state, device, date)
  local f, t, life = M.flows(state, device), M.day_totals(state, device, date), M.lifetime(state, device)
  local b = data.battery_of(state, device) or { soc = 0 }
  local d = {
    serialNum = device.sn, ppv = f.pv, pac = f.out, psystem = f.out, fac = device.frequency,
    vacrs = device.grid_voltage, pself = f.load - f.to_user, pacToGridTotal = f.to_grid,
    pacToUserTotal = f.to_user, pacToLocalLoad = f.load, bmsSoc = b.soc,
    bdc1ChargePower = f.charge, bdc1DischargePower = f.discharge, bdc2ChargePower = 0, bdc2DischargePower = 0,
    bdc1ChargeTotal = life.charge, bdc1DischargeTotal = life.discharge, bdc2ChargeTotal = 0, bdc2DischargeTotal = 0,
    epvTotal = round(life.pv), status = 1, lost = false,
  }
  local today_, total = {
    eac = t.pv - t.charge + t.discharge, charge = t.charge, discharge = t.discharge, acCharge = 0,
    system = t.pv, self = t.load - t.import, toGrid = t.export, toUser = t.import, localLoad = t.load,
  }, {
    eac = life.pv, charge = life.charge, discharge = life.discharge, acCharge = 0, system = life.pv,
    self = life.load - life.import, toGrid = life.export, toUser = life.import, localLoad = life.load,
  }
  for name, wire in pairs({ eac = "eac", charge = "echarge", discharge = "edischarge", acCharge = "eacCharge",
                            system = "esystem", self = "eself", toGrid = "etoGrid", toUser = "etoUser",
                            localLoad = "elocalLoad" }) do
    d[wire .. "Today"], d[wire .. "Total"] = round(today_[name]), round(total[name])
  end
  local s = M.strings(device, f.pv)
  for i = 1, 4 do
    local si = s[i] or { v = 0, i = 0, p = 0 }
    local share = f.pv > 0 and si.p / f.pv or 0
    d["vpv" .. i], d["ipv" .. i], d["ppv" .. i] = si.v, round(si.i, 2), round(si.p)
    d["epv" .. i .. "Today"], d["epv" .. i .. "Total"] = round(t.pv * share), round(life.pv * share)
  end
  for i, temp in ipairs(M.temperatures(device)) do d["temp" .. i] = temp end
  return d
end

return M
