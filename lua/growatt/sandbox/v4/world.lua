-- The devices OpenAPI v4 serves and the state its writes keep. Plain Lua 5.1-5.4, no ngx, so
-- specs can require it to know what the sandbox will answer.
--
-- A token sees the devices of its account: the world's (data.lua; their type mapped to a v4
-- deviceType by M.TYPES, the MIN's separate battery not being a v4 device) and, for the demo
-- account, the devices of M.EXTRA, the v4 types the world has none of (max, spa, wit, sph-s),
-- in a plant of their own (M.PLANT, at UTC+8) that only v4 shows.
--
-- What v4 writes keep lives in state.v4 (so /__sandbox/state shows it and a reset forgets it):
--   state.v4.devices[sn]  { on_off (0/1), active_rate (%), grid_charge, off_grid (0/1),
--                           associated_inv (SN), slot_enable = { [slot] = 0/1 }, vpp = { [n] = value } }
-- A Noah's SOC limits, output power and schedule are the world device's `noah` table, the
-- one ShinePhone shows, so a v4 write shows there too. state.v4.extra holds the v4-only
-- devices once a request has made them, and state.v4 the knobs (api.lua): scale, intervals,
-- tokens, offline, page_size.
local data = require("growatt.sandbox.data")

local M = {}

-- world type -> v4 deviceType
M.TYPES = { mix = "sph", tlx = "min", inverter = "inv", storage = "storage", noah = "noah",
            max = "max", spa = "spa", wit = "wit", ["sph-s"] = "sph-s", min = "min", sph = "sph", inv = "inv" }

-- The nine v4 device types, in the order of protocol-v4.md §3.
M.ALL_TYPES = { "inv", "storage", "max", "sph", "spa", "min", "wit", "sph-s", "noah" }

M.PLANT = {
  id = "2222210", name = "Depot (OpenAPI v4)", owner_name = "demo", city = "Shenzhen", country = "China",
  timezone = 8, created = "2024-05-30",
}

local function extra(sn, type_, alias, model, fields)
  local d = { sn = sn, type = type_, plant = M.PLANT.id, alias = alias, model = model,
              datalog = "DLV4" .. sn:sub(-6), firmware = "V4.0", grid_voltage = 230.1, frequency = 50.0,
              temperature = 33.0, today_energy = 0, total_energy = 0, power = 0 }
  for k, v in pairs(fields) do d[k] = v end
  d.pv_voltages = data.array(d.pv_voltages or {})
  -- No battery: zero flows, so that energy.lua finds this device's own and looks no further.
  d.battery = d.battery or { soc = 0, capacity = 0, charge = 0, discharge = 0, to_user = 0, voltage = 0,
                             charged = 0, discharged = 0 }
  return d
end

-- The v4-only devices, in list order (a fresh copy each call).
function M.extra_devices()
  return {
    extra("MAX50K0210", "max", "Depot MAX", "MAX 50KTL3 LV", {
      nominal_power = 50000, power = 31250.5, today_energy = 182.4, total_energy = 96120.8,
      pv_voltages = { 612.4, 608.9, 598.2, 603.7 }, temperature = 44.6 }),
    extra("SPA3K00210", "spa", "Depot SPA", "SPA 3000TL BL", {
      nominal_power = 3000, power = 0, today_energy = 4.2, total_energy = 2210.3,
      battery = { soc = 83, capacity = 6500, charge = 0, discharge = 640, to_user = 0, voltage = 52.4,
                  charged = 980.2, discharged = 902.6 } }),
    extra("WIT100K210", "wit", "Depot WIT", "WIT 100KTL3-H", {
      nominal_power = 100000, power = 64210, today_energy = 402.7, total_energy = 181340.2,
      pv_voltages = { 701.2, 698.8, 702.5 }, temperature = 47.9,
      battery = { soc = 54, capacity = 215000, charge = 12000, discharge = 0, to_user = 0, voltage = 768.0,
                  charged = 40210.4, discharged = 38877.1 } }),
    extra("SPHS5K0210", "sph-s", "Depot SPH-S", "SPH 5000TL-HUB", {
      nominal_power = 5000, power = 2875.4, today_energy = 14.8, total_energy = 3302.6,
      pv_voltages = { 388.1, 374.6 },
      battery = { soc = 91, capacity = 10000, charge = 850, discharge = 0, to_user = 0, voltage = 51.9,
                  charged = 1433.0, discharged = 1301.7 } }),
  }
end

-- The v4 view of every device a token may see, in the order of the account's plants:
-- { sn, type (v4), device (the world's table), plant = { id, name, timezone, city }, battery }.
local function entry(state, device, plant)
  local battery = device.battery
  if not battery and state.plants[device.plant] then battery = data.battery_of(state, device) end
  return { sn = device.sn, type = M.TYPES[device.type], device = device, plant = plant, battery = battery }
end

local function extras(state)
  local v4 = M.state(state)
  if not v4.extra then
    v4.extra = {}
    for i, d in ipairs(M.extra_devices()) do v4.extra[i] = d end
  end
  return v4.extra
end

function M.devices_of(state, account)
  local list = {}
  if not account then return list end
  for _, plant in ipairs(data.plants_of(state, account)) do
    for _, device in ipairs(data.devices_of(state, plant)) do
      if M.TYPES[device.type] then list[#list + 1] = entry(state, device, plant) end
    end
  end
  if account.name == M.PLANT.owner_name then
    for _, device in ipairs(extras(state)) do list[#list + 1] = entry(state, device, M.PLANT) end
  end
  return list
end

-- sn -> entry of the account's devices.
function M.index(state, account)
  local by_sn = {}
  for _, e in ipairs(M.devices_of(state, account)) do by_sn[e.sn] = e end
  return by_sn
end

-- state.v4, made on first use (a control call may have made part of it already).
function M.state(state)
  local v4 = state.v4 or {}
  state.v4 = v4
  v4.devices = v4.devices or {}
  return v4
end

-- The v4 settings of a device (see the top), made on first use from the world.
function M.settings(state, e)
  local all = M.state(state).devices
  local s = all[e.sn]
  if s then return s end
  local classic = state.settings and state.settings.classic and state.settings.classic[e.sn]
  s = { on_off = 1, active_rate = classic and tonumber(classic.activeRate) or 100, grid_charge = 0,
        off_grid = 0, associated_inv = "", slot_enable = {}, vpp = {} }
  if classic then s.on_off = tonumber(classic.onOff) or 1 end
  all[e.sn] = s
  return s
end

-- Has the device lost its link? The world says so (`lost`), or the knob state.v4.offline.
function M.offline(state, e)
  return e.device.lost == true or (M.state(state).offline or {})[e.sn] == true
end

-- A Noah's nine schedule slots: { start = "H:M", ["end"] = "H:M", mode, power, enable }.
function M.slots(state, e)
  local n, s, list = e.device.noah, M.settings(state, e), {}
  for i = 1, 9 do
    local text = n.time_segments[i] or "0_0:0_0:0_0"
    local mode, start, stop, power = text:match("^(%d+)_([%d:]+)_([%d:]+)_(%d+)$")
    local enable = s.slot_enable[tostring(i)]
    if enable == nil then enable = (n.time_segments[i] and text ~= "0_0:0_0:0_0") and 1 or 0 end
    list[i] = { start = start or "0:0", ["end"] = stop or "0:0", mode = tonumber(mode) or 0,
                power = tonumber(power) or 0, enable = enable }
  end
  return list
end

function M.set_slot(state, e, i, slot)
  local segments = e.device.noah.time_segments
  for k = #segments + 1, i - 1 do segments[k] = "0_0:0_0:0_0" end
  segments[i] = table.concat({ slot.mode, slot.start, slot["end"], slot.power }, "_")
  M.settings(state, e).slot_enable[tostring(i)] = slot.enable
end

return M
