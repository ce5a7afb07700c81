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
--   state.devices[serial]        { sn, type ("mix", "storage", "tlx", "bat", "inverter", "noah", and
--                                  fleet.lua's "max", "wit", "sph-s", "spa"), plant, lost (true: offline),
--                                  alias, model, datalog, firmware, nominal_power (W), power (W),
--                                  today_energy, total_energy (kWh), pv_voltages = { V per string },
--                                  grid_voltage (V), frequency (Hz), temperature (C),
--                                  battery = { soc (%), capacity (Wh), charge, discharge, to_user (W),
--                                  voltage (V), charged, discharged (kWh, lifetime) } for devices with a battery,
--                                  noah = { work_mode, charging_soc_high, charging_soc_low, default_power (W),
--                                  time_segments = { "<mode>_<H:M>_<H:M>_<W>", ... }, battery_sns } for Noah }
--   state.settings               the settings the settings endpoints serve (defaults.lua)
-- A day of 5-minute points is computed, not stored (energy.lua). seed() is the one place
-- that builds a world, so a reset always starts from the same one. The fields real
-- clients read are in fields.lua (M.FIELDS here too).
local defaults = require("growatt.sandbox.defaults")
local fleet = require("growatt.sandbox.fleet") -- the installer account: max, wit, sph-s, spa

local M = {}

-- JSON markers understood by the sandbox's encoder: `null`, arrays that must stay `[]`
-- when empty (a Lua {} is ambiguous), and numbers written as given.
M.null = setmetatable({}, { __tostring = function() return "null" end })
local array_mt = {}
function M.array(t) return setmetatable(t or {}, array_mt) end
function M.is_array(t) return getmetatable(t) == array_mt end
-- A number written exactly as `text` ("261.0", "1.27984299E7"), as Growatt's Java does.
local number_mt = {}
function M.number_text(text) return setmetatable({ text = text }, number_mt) end
function M.is_number_text(t) return getmetatable(t) == number_mt end

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
  fleet.add(state.accounts, state.plants, state.devices, new_device, M.array)
  state.settings = defaults.settings(state, M.account_by_id)
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

-- A day has 5-minute points (energy.lua computes them).
M.STEPS = 288          -- 5-minute points in a day
M.STEP_HOURS = 5 / 60  -- kWh = kW * STEP_HOURS

M.FIELDS = require("growatt.sandbox.fields")

return M
