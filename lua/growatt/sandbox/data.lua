-- The sandbox's world: accounts, plants and devices as plain numbers and names.
-- Everything here is deterministic (no clock, no randomness) and plain Lua 5.1-5.4 with no
-- ngx dependency, so specs can require it to know what the sandbox will answer.
-- How a value is shown on the wire ("2.4 kW", "10.5 MWh") is the job of the endpoint
-- modules (legacy.lua, v1.lua); this file holds the raw facts they present.
--
-- Shape of a state (what seed() returns; the server keeps one and re-seeds it on reset):
--   state.seed                   the seed it was built from
--   state.accounts[userName]     { id, name, password (plain; the server hashes it), email, locked,
--                                  lock_hours, timezone, language, rightlevel, country, token,
--                                  last_login, plants = { plantId, ... } (in list order) }
--   state.plants[plantId]        { id, name, owner (user id), city, country, timezone, lat, lng,
--                                  created, nominal_power (W), current_power (W), today_energy (kWh),
--                                  total_energy (kWh), price (per kWh), currency,
--                                  devices = { serial, ... } }
--   state.devices[serial]        { sn, type ("mix", "storage", "tlx", "bat", "inverter", "noah"), plant,
--                                  alias, model, datalog, firmware, nominal_power (W), power (W),
--                                  today_energy, total_energy (kWh), pv_voltages = { V per string },
--                                  grid_voltage (V), frequency (Hz), temperature (C),
--                                  battery = { soc (%), capacity (Wh), charge, discharge, to_user (W),
--                                  voltage (V), charged, discharged (kWh, lifetime) } for devices with a battery,
--                                  noah = { work_mode, charging_soc_high, charging_soc_low, default_power (W),
--                                  time_segments = { "<mode>_<H:M>_<H:M>_<W>", ... }, battery_sns } for Noah }
-- A day of 5-minute points (M.day) is computed, not stored: see "A day of 5-minute points" below.
-- Later endpoint work adds its own keys (settings, curves, ...) next to these; seed() is
-- the one place that builds them, so a reset always starts from the same world.
local M = {}

-- JSON markers understood by the sandbox's encoder: `null`, and arrays that must stay `[]`
-- when empty (a Lua {} is ambiguous).
M.null = setmetatable({}, { __tostring = function() return "null" end })
local array_mt = {}
function M.array(t) return setmetatable(t or {}, array_mt) end
function M.is_array(t) return getmetatable(t) == array_mt end

M.DEFAULT_SEED = 1

-- The demo account and its v1 token (`growatt sandbox` prints them on start).
M.DEMO = { user = "demo", password = "demo-password", token = "demo-token" }

local function accounts()
  return {
    demo = {
      id = 1234567, name = M.DEMO.user, password = M.DEMO.password, email = "demo@example.com",
      rightlevel = 1, timezone = 1, language = "en", country = "Netherlands",
      token = "5b0d7c1a9e3f4d2c8a6b1e0f7d3c9a21", last_login = "2026-11-24 07:15:02",
      plants = M.array({ "2222207", "2222208", "2222209" }),
    },
    -- A second user, so that asking for someone else's data can be tested.
    other = {
      id = 7654321, name = "other", password = "other-password", email = "other@example.com",
      rightlevel = 1, timezone = 1, language = "en", country = "Germany",
      token = "e8a1f0c2b4d6e8f0a2c4e6b8d0f2a4c6", last_login = "2026-11-20 18:40:11",
      plants = M.array({ "3333301" }),
    },
    -- Growatt locks an account for 24 h after too many logins; this one is locked from the start.
    locked = {
      id = 1111111, name = "locked", password = "locked-password", email = "locked@example.com",
      rightlevel = 1, timezone = 1, language = "en", country = "Netherlands",
      token = "0f1e2d3c4b5a69788796a5b4c3d2e1f0", last_login = "2026-11-23 06:00:00",
      locked = true, lock_hours = 24,
      plants = M.array(),
    },
  }
end

local function plants()
  return {
    ["2222207"] = {
      id = "2222207", name = "Garden mix + storage", owner = 1234567,
      city = "Utrecht", country = "Netherlands", timezone = 1, lat = 52.0907, lng = 5.1214,
      created = "2021-04-17", nominal_power = 6000,
      current_power = 2400, today_energy = 12.6, total_energy = 10500,
      price = 0.25, currency = "EUR",
      devices = M.array({ "SPH6K00207", "STO5K00207" }),
    },
    ["2222208"] = {
      id = "2222208", name = "Roof MIN hybrid", owner = 1234567,
      city = "Utrecht", country = "Netherlands", timezone = 1, lat = 52.0911, lng = 5.1220,
      created = "2023-06-02", nominal_power = 4200,
      current_power = 1850, today_energy = 9.4, total_energy = 6830.5,
      price = 0.25, currency = "EUR",
      devices = M.array({ "MIN4K00208", "APX5K00208" }),
    },
    ["2222209"] = {
      id = "2222209", name = "Shed classic + Noah", owner = 1234567,
      city = "Amersfoort", country = "Netherlands", timezone = 1, lat = 52.1561, lng = 5.3878,
      created = "2019-09-30", nominal_power = 3000,
      current_power = 650, today_energy = 3.1, total_energy = 812.4,
      price = 0.25, currency = "EUR",
      devices = M.array({ "INV3K00209", "NOAH200209" }),
    },
    ["3333301"] = {
      id = "3333301", name = "Neighbour", owner = 7654321,
      city = "Berlin", country = "Germany", timezone = 1, lat = 52.52, lng = 13.405,
      created = "2022-03-11", nominal_power = 5000,
      current_power = 3100, today_energy = 15.2, total_energy = 4120,
      price = 0.30, currency = "EUR",
      devices = M.array({ "INV5K00301" }),
    },
  }
end

-- Electrical facts every device has unless it says otherwise.
local DEVICE_DEFAULTS = { firmware = "GH1.0", grid_voltage = 230.4, frequency = 50.01, temperature = 31.5 }

local function new_device(sn, type_, plant, alias, model, fields)
  local d = { sn = sn, type = type_, plant = plant, alias = alias, model = model,
              datalog = "DLG" .. plant:sub(-7), pv_voltages = M.array() }
  for k, v in pairs(DEVICE_DEFAULTS) do d[k] = v end
  for k, v in pairs(fields) do d[k] = v end
  return d
end

local function devices()
  local list = {
    new_device("SPH6K00207", "mix", "2222207", "Garage SPH", "SPH 6000TL3 BH", {
      nominal_power = 6000, power = 2400, today_energy = 12.6, total_energy = 10500,
      firmware = "RA1.0", pv_voltages = M.array({ 352.6, 338.1 }), grid_voltage = 231.2, temperature = 38.4,
      battery = { soc = 62, capacity = 10240, charge = 1200, discharge = 0, to_user = 300,
                  voltage = 51.8, charged = 1843.6, discharged = 1702.9 } }),
    new_device("STO5K00207", "storage", "2222207", "Garage battery", "SPF 5000ES", {
      nominal_power = 5000, power = 0, today_energy = 2.2, total_energy = 1304.8,
      firmware = "SP1.2", pv_voltages = M.array({ 121.3, 0 }), temperature = 29.8,
      battery = { soc = 58, capacity = 5120, charge = 0, discharge = 0, to_user = 0,
                  voltage = 52.6, charged = 912.4, discharged = 866.1 } }),
    new_device("MIN4K00208", "tlx", "2222208", "Roof MIN", "MIN 4200TL-XH", {
      nominal_power = 4200, power = 1850, today_energy = 9.4, total_energy = 6830.5,
      firmware = "DN1.0", pv_voltages = M.array({ 368.2, 355.9 }), grid_voltage = 229.7, temperature = 41.2 }),
    -- The MIN's battery: TLX plants list it as its own device of type "bat".
    new_device("APX5K00208", "bat", "2222208", "Roof battery", "APX 5.0P-B1", {
      nominal_power = 5000, power = 0, today_energy = 0, total_energy = 0, firmware = "AP1.0",
      battery = { soc = 71, capacity = 5000, charge = 400, discharge = 0, to_user = 0,
                  voltage = 409.6, charged = 1210.7, discharged = 1156.2 } }),
    new_device("INV3K00209", "inverter", "2222209", "Shed inverter", "Growatt 3000-S", {
      nominal_power = 3000, power = 650, today_energy = 3.1, total_energy = 812.4,
      firmware = "G.1.8", pv_voltages = M.array({ 301.7 }), temperature = 35.1 }),
    new_device("NOAH200209", "noah", "2222209", "Balcony Noah", "NOAH 2000", {
      nominal_power = 800, power = 200, today_energy = 1.4, total_energy = 212.6,
      firmware = "11.10.09.07", pv_voltages = M.array({ 38.2, 37.6 }), temperature = 24.3,
      battery = { soc = 45, capacity = 2048, charge = 120, discharge = 0, to_user = 0,
                  voltage = 51.2, charged = 260.3, discharged = 231.8 },
      noah = { work_mode = 0, charging_soc_high = 100, charging_soc_low = 10, default_power = 200,
               time_segments = M.array({ "0_0:0_8:0_150", "1_8:0_18:0_0" }),
               battery_sns = M.array({ "0PVPNOAH0209B1" }) } }),
    new_device("INV5K00301", "inverter", "3333301", "Neighbour inverter", "Growatt 5000-S", {
      nominal_power = 5000, power = 3100, today_energy = 15.2, total_energy = 4120,
      pv_voltages = M.array({ 315.0, 309.4 }) }),
  }
  local by_sn = {}
  for _, d in ipairs(list) do by_sn[d.sn] = d end
  return by_sn
end

-- A fresh world. Every call builds new tables, so a state can be changed freely.
function M.seed(seed)
  local state = {
    seed = seed or M.DEFAULT_SEED,
    accounts = accounts(),
    plants = plants(),
    devices = devices(),
  }
  state.settings = M.settings(state) -- see "Settings" at the end of this file
  return state
end

function M.account_by_id(state, id)
  for _, account in pairs(state.accounts) do
    if account.id == id then return account end
  end
end

-- The account's plants, in the account's order.
function M.plants_of(state, account)
  local list = {}
  for i, id in ipairs(account.plants) do list[i] = state.plants[id] end
  return list
end

-- The plant `id` if it belongs to the account (nil without an account).
function M.plant_of(state, account, id)
  local plant = account and id and state.plants[id]
  if plant and plant.owner == account.id then return plant end
end

-- The device `sn` and its plant, if the plant belongs to the account.
function M.device_of(state, account, sn)
  local device = sn and state.devices[sn]
  local plant = device and M.plant_of(state, account, device.plant)
  if plant then return device, plant end
end

function M.devices_of(state, plant)
  local list = {}
  for i, sn in ipairs(plant.devices) do list[i] = state.devices[sn] end
  return list
end

-- Devices that make the plant's energy (storage, batteries and Noah only move it).
local PRODUCERS = { mix = true, tlx = true, inverter = true }

function M.producers(state, plant)
  local list = {}
  for _, d in ipairs(M.devices_of(state, plant)) do
    if PRODUCERS[d.type] then list[#list + 1] = d end
  end
  return list
end

-- The battery a device charges: its own, or (TLX) the one of the plant's "bat" device.
function M.battery_of(state, device)
  if device.battery then return device.battery end
  for _, d in ipairs(M.devices_of(state, state.plants[device.plant])) do
    if d.type == "bat" then return d.battery end
  end
end

---------------------------------------------------------------------------
-- A day of 5-minute points. No clock and no math.random: the same seed, device and date
-- always give the same day, in the sandbox (LuaJIT) and in a spec (Lua 5.4) alike.

M.STEPS = 288          -- 5-minute points in a day
M.STEP_HOURS = 5 / 60  -- kWh = kW * STEP_HOURS
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

-- The 5-minute points of a device on a date: a list of M.STEPS tables
--   { time = "HH:MM", pv, load, charge, discharge, export, import (kW), soc (%) }
-- PV follows the sun and adds up to `energy` kWh (default the device's today_energy); the
-- household load has a morning and an evening peak; a battery (M.battery_of), if any, takes
-- the surplus and covers the deficit between 10 % and 100 %; the rest goes to or comes from the grid.
function M.day(state, device, date, energy)
  local r = random(key(state, device.sn, date))
  local points, shape_sum = {}, 0
  for i = 1, M.STEPS do
    local hour = (i - 1) * M.STEP_HOURS
    local p = { time = string.format("%02d:%02d", math.floor(hour), (i - 1) % 12 * 5),
                pv = pv_shape(hour, r()), load = load_at(hour, r()) }
    shape_sum = shape_sum + p.pv
    points[i] = p
  end
  local scale = shape_sum > 0 and (energy or device.today_energy) / (shape_sum * M.STEP_HOURS) or 0
  local battery = M.battery_of(state, device)
  local capacity = battery and battery.capacity / 1000 or 0 -- kWh
  local rate = capacity / 2                                   -- kW, half the capacity an hour
  local stored = capacity * 0.3                               -- 30 % at midnight
  for _, p in ipairs(points) do
    p.pv = p.pv * scale
    local surplus = p.pv - p.load
    p.charge = math.min(math.max(surplus, 0), rate, (capacity - stored) / M.STEP_HOURS)
    p.discharge = math.min(math.max(-surplus, 0), rate, math.max(stored - capacity * 0.1, 0) / M.STEP_HOURS)
    p.export = math.max(surplus, 0) - p.charge
    p.import = math.max(-surplus, 0) - p.discharge
    stored = stored + (p.charge - p.discharge) * M.STEP_HOURS
    p.soc = capacity > 0 and stored / capacity * 100 or 0
  end
  return points
end

-- The day's energies in kWh: { pv, load, charge, discharge, export, import } summed over M.day.
function M.day_totals(state, device, date, energy)
  local t = { pv = 0, load = 0, charge = 0, discharge = 0, export = 0, import = 0 }
  for _, p in ipairs(M.day(state, device, date, energy)) do
    for k in pairs(t) do t[k] = t[k] + p[k] * M.STEP_HOURS end
  end
  return t
end


---------------------------------------------------------------------------
-- Present values and lifetime totals that several endpoint modules report.

-- Present power flows of a device (W). A mix inverter's `power` is its PV power; other
-- devices' is their AC output. A house that draws from the grid exports nothing; else it
-- uses a third of the output and exports the rest.
function M.flows(state, device)
  local b = M.battery_of(state, device) or { charge = 0, discharge = 0, to_user = 0 }
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
  local b = M.battery_of(state, device) or { charged = 0, discharged = 0 }
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
  local b = M.battery_of(state, device) or { soc = 0 }
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

---------------------------------------------------------------------------
-- The fields real clients read, per API and device type: the keys of Home Assistant's
-- growatt_server sensors, looked up in the union of the replies it merges (`from`). The
-- sandbox serves every one (spec/emulator_spec.lua checks it); `absent` names keys that a
-- client reads but Growatt does not send there, and neither does the sandbox.

local function words(s)
  local list = {}
  for w in s:gmatch("%S+") do list[#list + 1] = w end
  return list
end

local TLX_KEYS = words [[
  eacToday eacTotal epvToday epvTotal ppv pac psystem pself fac vacrs bmsSoc
  epv1Today epv1Total vpv1 ipv1 ppv1 epv2Today epv2Total vpv2 ipv2 ppv2
  epv3Today epv3Total vpv3 ipv3 ppv3 epv4Today epv4Total vpv4 ipv4 ppv4
  temp1 temp2 temp3 temp4 temp5
  echargeToday echargeTotal edischargeToday edischargeTotal eacChargeToday eacChargeTotal
  bdc1ChargePower bdc1ChargeTotal bdc1DischargePower bdc1DischargeTotal
  bdc2ChargePower bdc2ChargeTotal bdc2DischargePower bdc2DischargeTotal
  etoGridToday etoGridTotal etoUserToday etoUserTotal elocalLoadToday elocalLoadTotal
  esystemToday esystemTotal eselfToday eselfTotal pacToLocalLoad pacToUserTotal pacToGridTotal ]]

local function without(list, name)
  local out = {}
  for _, k in ipairs(list) do
    if k ~= name then out[#out + 1] = k end
  end
  return out
end

M.FIELDS = {
  legacy = {
    total = { from = "getAllDeviceList without deviceList",
              keys = words "plantMoneyText totalMoneyText todayEnergy invTodayPpv totalEnergy nominalPower" },
    inverter = { from = "getInverterDetailData", keys = words [[
      powerToday powerTotal vpv1 ipv1 ppv1 vpv2 ipv2 ppv2 vpv3 ipv3 ppv3 ppv vacr iacr fac pac pacr
      ipmTemperature temperature ]] },
    storage = { from = "getStorageParams_sacolar storageDetailBean + getEnergyOverviewData_sacolar obj",
                keys = words [[
      eBatDisChargeToday eBatDisChargeTotal eacDisChargeToday eacDisChargeTotal eopDischrToday eopDischrTotal
      eacChargeToday eacChargeTotal eChargeToday eChargeTotal epvToday epvTotal ppv ppv2 capacity
      pCharge pDischarge pBat rateVA pAcInPut eToUserToday eToUserTotal outPutPower vGrid vpv vpv2
      freqOutPut outPutVolt freqGrid iAcCharge iChargePV1 iChargePV2 chgCurr outPutCurrent vBat loadPercent ]] },
    mix = { from = "getMixInfo + getEnergyOverview + getSystemStatus_KW + getEnergyProdAndCons_KW obj",
            keys = words [[
      capacity eBatChargeToday eBatChargeTotal eBatDisChargeToday eBatDisChargeTotal epvToday epvTotal
      pDischarge1 vbat vpv1 vpv2 elocalLoadToday elocalLoadTotal etoGridToday etogridTotal
      chargePower pLocalLoad pPv1 pPv2 ppv pactogrid pactouser pdisCharge1 vAc1
      eCharge eChargeToday eChargeToday1 echarge1 etouser chartData ]] },
    -- Growatt's getTlxDetailData has no epvToday: clients take it from getEnergyOverview.
    tlx = { from = "getTlxDetailData data", keys = without(TLX_KEYS, "epvToday"), absent = { "epvToday" } },
  },
  v1 = {
    tlx = { from = "tlx_data_info + tlx_set_info + tlx_last_data data", keys = TLX_KEYS },
    mix = { from = "mix_data_info + mix_last_data data", keys = words [[
      bmsSOC vbat vpv1 vpv2 vac1 pcharge1 pdischarge1 pacToGridTotal pacToUserR fac
      temp1 temp2 temp3 temp4 temp5 ppv1 ppv2 ppv echarge1Today echarge1Total edischarge1Today edischarge1Total
      epvtoday epvTotal esystemtoday eselfToday etoUserToday etoGridToday etogridTotal
      elocalLoadToday elocalLoadTotal echarge1 eChargeToday time ]] },
  },
}

---------------------------------------------------------------------------
-- Settings: what the settings endpoints (sandbox/settings.lua) serve and their writes
-- change. Built from the plants and devices above when the world is seeded:
--   state.settings.plants[plantId]   the flat getPlant object (plantName, timezone, city, ...)
--   state.settings.mix[serial]       getMixSetParams' obj.mixBean: the SPH's charge and
--                                    discharge schedules, system time, export limit, off-grid
--   state.settings.tlx[serial]       getTlxSetData's obj.tlxSetBean: the MIN's powers, SOC
--                                    limits and nine time segments
--   state.settings.classic[serial]   the `inv` object of the classic inverter settings page
-- Values are strings, as Growatt sends them, except the plant's numbers. Noah settings
-- live in the Noah device's `noah` table above.

local SETTINGS_TIME = "2026-11-24 07:15:00" -- the devices' clocks at seed time

-- Days since 1970-01-01 of a civil date (no os.time: it depends on the local time zone).
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function plant_settings(plant, account)
  local y, m, d = plant.created:match("^(%d+)-(%d+)-(%d+)$")
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  local days = days_from_civil(y, m, d)
  return {
    id = tonumber(plant.id), plantName = plant.name, userAccount = account and account.name or "",
    country = plant.country, city = plant.city, plantAddress = "Zonnestraat " .. tonumber(plant.id:sub(-2)),
    timezone = plant.timezone, plant_lat = string.format("%.4f", plant.lat),
    plant_lng = string.format("%.4f", plant.lng), nominalPower = plant.nominal_power, plantType = 0,
    formulaCoal = "0.4", formulaSo2 = "0.03", formulaCo2 = "0.997",
    formulaMoney = plant.price, formulaMoneyStr = tostring(plant.price),
    formulaMoneyUnitId = plant.currency == "EUR" and "euro" or plant.currency:lower(),
    moneyUnitText = plant.currency == "EUR" and "€" or plant.currency,
    unitMap = { euro = "€", dollar = "$", pound = "£", yuan = "¥" },
    createDateText = plant.created,
    createDate = { year = y - 1900, month = m - 1, date = d, day = (days + 4) % 7, hours = 0, minutes = 0,
                   seconds = 0, time = days * 86400000, timezoneOffset = 0 },
    eToday = plant.today_energy, eTotal = plant.total_energy,
  }
end

-- Three schedules "<prefix>TimeStart<i>" / "TimeStop<i>" / "StopSwitch<i>", all off.
local function schedules(bean, prefix, n)
  for i = 1, n do
    bean[prefix .. "TimeStart" .. i], bean[prefix .. "TimeStop" .. i] = "0:0", "0:0"
    bean[prefix .. "StopSwitch" .. i] = "0"
  end
  return bean
end

local function mix_settings(device)
  local bean = { serialNum = device.sn, chargePowerCommand = "100", wchargeSOCLowLimit = "100",
                 acChargeEnable = "0", disChargePowerCommand = "100", wdisChargeSOCLowLimit = "10",
                 pf_sys_year = SETTINGS_TIME, backflow_setting = "0", exportLimitPowerRate = "0",
                 epsFunEn = "1", epsFreqSet = "0", epsVoltSet = "0", priorityChoose = "0" }
  schedules(bean, "forcedCharge", 3)
  return schedules(bean, "forcedDischarge", 3)
end

local function tlx_settings(device)
  local bean = { serialNum = device.sn, chargePowerCommand = "100", wchargeSOCLowLimit = "100",
                 disChargePowerCommand = "100", wdisChargeSOCLowLimit = "10", onGridDischargeStopSOC = "10",
                 acChargeEnable = "0", sysTime = SETTINGS_TIME, onOff = "1", activeRate = "100", pf = "1.0",
                 exportLimit = "0", exportLimitPowerRate = "0" }
  for i = 1, 9 do
    bean["time" .. i .. "Mode"], bean["forcedStopSwitch" .. i] = "0", "0"
    bean["forcedTimeStart" .. i], bean["forcedTimeStop" .. i] = "0:0", "0:0"
  end
  -- Battery first at night; grid first in the evening, switched off (it still blocks overlaps).
  bean.time1Mode, bean.forcedTimeStart1, bean.forcedTimeStop1, bean.forcedStopSwitch1 = "1", "1:0", "5:0", "1"
  bean.time2Mode, bean.forcedTimeStart2, bean.forcedTimeStop2 = "2", "16:0", "19:0"
  return bean
end

local function classic_settings(device, plant)
  return {
    sn = device.sn, alias = device.alias, datalogSn = device.datalog, plantId = device.plant,
    model = "A0B0D0T0PFU1M3S4", modelText = "A0B0D0T0PFU1M3S4", deviceModel = device.model,
    fwVersion = device.firmware or "G.1.8", innerVersion = "GHAA0404", sysTime = SETTINGS_TIME,
    lastUpdateTime = SETTINGS_TIME, status = "1", lost = "false", onOff = "1", activeRate = "100",
    reactiveRate = "0", pf = "1.0", pfModel = "0", voltageHighLimit = "263.0", voltageLowLimit = "186.0",
    workingFrequencyMin = "47.53", workingFrequencyMax = "51.5",
    nominalPower = tostring(device.nominal_power), timezone = tostring(plant and plant.timezone or 1),
    isBig = "0", wideVoltageEnable = "0", haveAfci = "0", pvPfCmdMemoryState = "0",
    location = plant and plant.city or "",
  }
end

-- The settings tables of a freshly seeded world (see the shape above).
function M.settings(state)
  local out = { plants = {}, mix = {}, tlx = {}, classic = {} }
  for id, plant in pairs(state.plants) do
    out.plants[id] = plant_settings(plant, M.account_by_id(state, plant.owner))
  end
  for sn, device in pairs(state.devices) do
    if device.type == "mix" then out.mix[sn] = mix_settings(device) end
    if device.type == "tlx" then out.tlx[sn] = tlx_settings(device) end
    if device.type == "inverter" then out.classic[sn] = classic_settings(device, state.plants[device.plant]) end
  end
  return out
end

return M
