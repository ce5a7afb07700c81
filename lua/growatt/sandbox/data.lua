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
--   state.devices[serial]        { sn, type ("mix", "storage", "tlx", "inverter", "noah", ...), plant,
--                                  alias, model, datalog, nominal_power (W), power (W),
--                                  today_energy, total_energy (kWh), battery = { soc (%), capacity (Wh),
--                                  charge, discharge, to_user (W) } for devices with a battery }
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

local function accounts()
  return {
    demo = {
      id = 1234567, name = "demo", password = "demo-password", email = "demo@example.com",
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
      devices = M.array({ "MIN4K00208" }),
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

local function device(sn, type_, plant, alias, model, fields)
  local d = { sn = sn, type = type_, plant = plant, alias = alias, model = model,
              datalog = "DLG" .. plant:sub(-7) }
  for k, v in pairs(fields) do d[k] = v end
  return d
end

local function devices()
  local list = {
    device("SPH6K00207", "mix", "2222207", "Garage SPH", "SPH 6000TL3 BH", {
      nominal_power = 6000, power = 2400, today_energy = 12.6, total_energy = 10500,
      battery = { soc = 62, capacity = 10240, charge = 1200, discharge = 0, to_user = 300 } }),
    device("STO5K00207", "storage", "2222207", "Garage battery", "SPF 5000ES", {
      nominal_power = 5000, power = 0, today_energy = 0, total_energy = 0,
      battery = { soc = 58, capacity = 5120, charge = 0, discharge = 0, to_user = 0 } }),
    device("MIN4K00208", "tlx", "2222208", "Roof MIN", "MIN 4200TL-XH", {
      nominal_power = 4200, power = 1850, today_energy = 9.4, total_energy = 6830.5 }),
    device("INV3K00209", "inverter", "2222209", "Shed inverter", "Growatt 3000-S", {
      nominal_power = 3000, power = 650, today_energy = 3.1, total_energy = 812.4 }),
    device("NOAH200209", "noah", "2222209", "Balcony Noah", "NOAH 2000", {
      nominal_power = 800, power = 0, today_energy = 0, total_energy = 0,
      battery = { soc = 45, capacity = 2048, charge = 0, discharge = 0, to_user = 0 } }),
    device("INV5K00301", "inverter", "3333301", "Neighbour inverter", "Growatt 5000-S", {
      nominal_power = 5000, power = 3100, today_energy = 15.2, total_energy = 4120 }),
  }
  local by_sn = {}
  for _, d in ipairs(list) do by_sn[d.sn] = d end
  return by_sn
end

-- A fresh world. Every call builds new tables, so a state can be changed freely.
function M.seed(seed)
  return {
    seed = seed or M.DEFAULT_SEED,
    accounts = accounts(),
    plants = plants(),
    devices = devices(),
  }
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

function M.devices_of(state, plant)
  local list = {}
  for i, sn in ipairs(plant.devices) do list[i] = state.devices[sn] end
  return list
end

return M
