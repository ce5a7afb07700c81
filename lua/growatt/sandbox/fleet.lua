-- The sandbox's second owner: an installer account whose plant has one device of each type the
-- demo account lacks: a MAX (three-phase string inverter), a WIT (commercial hybrid, offline),
-- an SPH-S (single-phase hybrid) and an SPA (AC-coupled battery, no panels of its own).
-- ShinePhone lists them with their types ("max", "wit", "sph-s", "spa") and v1 with its type
-- numbers (4 max, 6 spa; WIT and SPH-S have no v1 number of their own: 3, "other").
-- data.seed() adds them to every world; the facts have the shape data.lua describes.
-- Plain Lua 5.1-5.4, no ngx.

local fleet = {}

fleet.ACCOUNT = { user = "fleet", password = "fleet-password", token = "fleet-token" }
fleet.PLANT = "2222211"

local function battery(soc, capacity, charge, discharge, voltage, charged, discharged)
  return { soc = soc, capacity = capacity, charge = charge, discharge = discharge, to_user = 0,
           voltage = voltage, charged = charged, discharged = discharged }
end

-- Adds the account, its plant and its devices to a world's tables; new_device(sn, type, plant,
-- alias, model, fields) and array(t) are data.lua's.
function fleet.add(accounts, plants, devices, new_device, array)
  local a, id = fleet.ACCOUNT, fleet.PLANT
  accounts[a.user] = {
    id = 2345678, name = a.user, password = a.password, email = "fleet@example.com",
    rightlevel = 2, timezone = 1, language = "en", country = "Netherlands",
    token = "9c2e4a6b8d0f1e3c5a7b9d1f3e5c7a9b", last_login = "2026-11-24 06:50:40",
    plants = array({ id }),
  }
  plants[id] = {
    id = id, name = "Farm MAX, WIT, SPH-S, SPA", owner = 2345678,
    city = "Zwolle", country = "Netherlands", timezone = 1, lat = 52.5168, lng = 6.0830,
    created = "2024-03-15", nominal_power = 113600,
    current_power = 32350, today_energy = 191.2, total_energy = 402648.2,
    price = 0.22, currency = "EUR",
    devices = array({ "MAX60K0211", "WIT50K0211", "SPHS3K0211", "SPA3K00211" }),
  }
  local list = {
    new_device("MAX60K0211", "max", id, "Barn MAX", "MAX 60KTL3 LV", {
      nominal_power = 60000, power = 31250, today_energy = 182.4, total_energy = 401230.5,
      firmware = "TL1.0", pv_voltages = array({ 612.4, 605.8, 598.1, 610.3, 601.7, 607.9 }),
      grid_voltage = 400.2, temperature = 44.6 }),
    -- offline: its lists say `lost`, and it reports nothing now
    new_device("WIT50K0211", "wit", id, "Barn WIT", "WIT 50K-HU", {
      nominal_power = 50000, power = 0, today_energy = 0, total_energy = 0, firmware = "WT1.0",
      grid_voltage = 400.2, lost = true,
      battery = battery(80, 100000, 0, 0, 716.8, 0, 0) }),
    new_device("SPHS3K0211", "sph-s", id, "House SPH-S", "SPH 3600TL BL-UP", {
      nominal_power = 3600, power = 1100, today_energy = 8.8, total_energy = 1417.7,
      firmware = "YA1.0", pv_voltages = array({ 342.1, 0 }), temperature = 36.2,
      battery = battery(54, 7680, 350, 0, 53.2, 611.4, 560.9) }),
    new_device("SPA3K00211", "spa", id, "House SPA", "SPA 3000TL BL", {
      nominal_power = 3000, power = 450, today_energy = 0, total_energy = 0, firmware = "SA1.0",
      temperature = 30.4,
      battery = battery(88, 10240, 0, 450, 52.9, 903.2, 846.5) }),
  }
  for _, d in ipairs(list) do devices[d.sn] = d end
end

return fleet
