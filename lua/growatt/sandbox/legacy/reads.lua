-- The ShinePhone reads of plants and devices (protocol.md §2, shapes §2.2). Each read is one
-- entry of READS below: the parameters the servlet needs, which of them name a plant or a
-- device of the session's user, how the reply is enveloped and a function that builds the
-- payload (legacy/plants.lua, legacy/devices.lua). Runs inside nginx (LuaJIT, Lua 5.1 API).
local data = require("growatt.sandbox.data")
local plants = require("growatt.sandbox.legacy.plants")
local devices = require("growatt.sandbox.legacy.devices")

local M = {}

local plant_detail, plant_list_two, device_list = plants.plant_detail, plants.plant_list_two, plants.device_list
local plant_energy_data, dashboard = plants.plant_energy_data, plants.dashboard
local d = devices
local inverter_series, inverter_detail, tlx_detail, tlx_params = d.inverter_series, d.inverter_detail,
  d.tlx_detail, d.tlx_params
local system_status, energy_overview, prod_cons = d.system_status, d.energy_overview, d.prod_cons
local battery_info, battery_detail, mix_info = d.battery_info, d.battery_detail, d.mix_info
local storage_info, storage_params, storage_overview = d.storage_info, d.storage_params, d.storage_overview
local is_noah_system, noah_status, noah_info = d.is_noah_system, d.noah_status, d.noah_info

-- How payloads and refusals go out: inside `obj` (most new*Api ops and Noah), `back`
-- (PlantDetailAPI), `data` (the TLX detail and battery detail) or flat.
local ENVELOPES = {
  obj = { function(p) return { result = 1, msg = "", obj = p } end,
          function(msg) return { result = 0, msg = msg, obj = data.null } end },
  back = { function(p) p.success = true return { back = p } end,
           function(msg) return { back = { success = false, msg = msg } } end },
  data = { function(p) return { result = 1, msg = "", data = p } end,
           function(msg) return { result = 0, msg = msg } end },
  flat = { function(p) return p end,
           function(msg) return { result = 0, msg = msg } end },
}

local MIX, TLX, BAT, INVERTER = { mix = true }, { tlx = true }, { bat = true }, { inverter = true }
local STORAGE, NOAH = { storage = true }, { noah = true }

-- A date that fits the request's type: "YYYY-MM" for 2 (month), else "YYYY-MM-DD".
local function dated(p)
  if p.type ~= "0" and p.type ~= "1" and p.type ~= "2" then return "type must be 0, 1 or 2" end
  local shape = p.type == "2" and "^%d%d%d%d%-%d%d$" or "^%d%d%d%d%-%d%d%-%d%d$"
  if not p.date:find(shape) then return "date " .. p.date .. " does not fit type " .. p.type end
end

-- One entry per read: path, op, and
--   need     parameters that must be present (besides plant and device). Growatt does not
--            ask for `language`, `lan` or page numbers (growattServer up to 1.5.0 sent
--            getAllDeviceList without a language), so neither does the sandbox.
--   plant    the parameter naming a plant of the user (optional_plant: it may be absent)
--   device   the parameter naming a device of the user, whose type is in `kinds`
--   dated    the request carries type and date, checked against each other
--   envelope a key of ENVELOPES (default obj)
--   build    function(ctx, plant, device, params) -> payload
local READS = {
  { "PlantDetailAPI.do", nil, plant = "plantId", need = { "type", "date" }, dated = true, envelope = "back",
    build = plant_detail },
  { "newTwoPlantAPI.do", "getAllPlantListTwo", envelope = "flat", build = plant_list_two },
  { "newTwoPlantAPI.do", "getAllDeviceListTwo", plant = "plantId", envelope = "flat", build = device_list(false) },
  { "newTwoPlantAPI.do", "getAllDeviceList", plant = "plantId", envelope = "flat", build = device_list(true) },
  { "newTwoPlantAPI.do", "getUserCenterEnertyDataByPlantid", plant = "plantId", envelope = "flat",
    build = plant_energy_data },
  { "newPlantAPI.do", "getEnergyStorageData", plant = "plantId", need = { "type", "date" }, dated = true,
    envelope = "flat", build = dashboard },
  { "newInverterAPI.do", "getInverterData", device = "id", kinds = INVERTER, need = { "type", "date" },
    dated = true, envelope = "flat", build = inverter_series },
  { "newInverterAPI.do", "getInverterDetailData", device = "inverterId", kinds = INVERTER, envelope = "flat",
    build = inverter_detail },
  { "newInverterAPI.do", "getInverterDetailData_two", device = "inverterId", kinds = INVERTER, envelope = "flat",
    build = inverter_detail },
  { "newTlxApi.do", "getTlxData", device = "id", kinds = TLX, need = { "type", "date" }, dated = true,
    envelope = "flat", build = inverter_series },
  { "newTlxApi.do", "getTlxDetailData", device = "id", kinds = TLX, envelope = "flat", build = tlx_detail },
  { "newTlxApi.do", "getTlxParams", device = "id", kinds = TLX, envelope = "flat", build = tlx_params },
  { "newTlxApi.do", "getSystemStatus_KW", plant = "plantId", device = "id", kinds = TLX, build = system_status },
  { "newTlxApi.do", "getEnergyOverview", plant = "plantId", device = "id", kinds = TLX, build = energy_overview },
  { "newTlxApi.do", "getEnergyProdAndCons_KW", plant = "plantId", device = "id", kinds = TLX,
    need = { "type", "date" }, dated = true, build = prod_cons },
  { "newTlxApi.do", "getBatInfo", device = "serialNum", kinds = BAT, build = battery_info },
  { "newTlxApi.do", "getBatDetailData", plant = "plantId", device = "id", kinds = BAT,
    envelope = "data", build = battery_detail },
  { "newMixApi.do", "getMixInfo", plant = "plantId", optional_plant = true, device = "mixId", kinds = MIX,
    build = mix_info },
  { "newMixApi.do", "getEnergyOverview", plant = "plantId", device = "mixId", kinds = MIX, build = energy_overview },
  { "newMixApi.do", "getSystemStatus_KW", plant = "plantId", device = "mixId", kinds = MIX, build = system_status },
  { "newMixApi.do", "getEnergyProdAndCons_KW", plant = "plantId", device = "mixId", kinds = MIX,
    need = { "type", "date" }, dated = true, build = prod_cons },
  { "newStorageAPI.do", "getStorageInfo_sacolar", device = "storageId", kinds = STORAGE, envelope = "flat",
    build = storage_info },
  { "newStorageAPI.do", "getStorageParams_sacolar", device = "storageId", kinds = STORAGE, envelope = "flat",
    build = storage_params },
  { "newStorageAPI.do", "getEnergyOverviewData_sacolar", plant = "plantId", device = "storageSn", kinds = STORAGE,
    build = storage_overview },
  { "noahDeviceApi/noah/isPlantNoahSystem", nil, plant = "plantId", build = is_noah_system },
  { "noahDeviceApi/noah/getSystemStatus", nil, device = "deviceSn", kinds = NOAH, build = noah_status },
  { "noahDeviceApi/noah/getNoahInfoBySn", nil, device = "deviceSn", kinds = NOAH, build = noah_info },
}

-- Checks a read's parameters against the session's user, then builds and envelopes its payload.
local function serve(read)
  local ok, refused = ENVELOPES[read.envelope or "obj"][1], ENVELOPES[read.envelope or "obj"][2]
  local need = { read.device }
  if not read.optional_plant then need[#need + 1] = read.plant end
  for _, name in ipairs(read.need or {}) do need[#need + 1] = name end
  return function(_, ctx)
    if not ctx.account then return ctx.server.not_logged_in() end -- the session's account was removed
    local p = ctx.params
    for _, name in ipairs(need) do
      if p[name] == nil or p[name] == "" then return refused(name .. " is required") end
    end
    local plant, device
    if read.plant and p[read.plant] then
      plant = data.plant_of(ctx.state, ctx.account, p[read.plant])
      if not plant then return refused("no plant " .. p[read.plant] .. " for this user") end
    end
    if read.device then
      local home
      device, home = data.device_of(ctx.state, ctx.account, p[read.device])
      if not home or not read.kinds[device.type] then return refused("no such device: " .. p[read.device]) end
      if plant and plant ~= home then return refused("device " .. device.sn .. " is not in plant " .. plant.id) end
      plant = home
    end
    local wrong = read.dated and dated(p)
    if wrong then return refused(wrong) end
    return ok(read.build(ctx, plant, device, p))
  end
end

-- Routes every read; each answers only with a live session.
function M.register(server)
  for _, read in ipairs(READS) do server.route(read[1], read[2], serve(read), { session = true }) end
end

return M
