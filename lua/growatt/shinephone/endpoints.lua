--- Endpoints are data: one entry per method of the ShinePhone API.
--
-- An entry says how a call becomes a request and what part of the reply is returned:
--   method   "GET" or "POST"
--   path     relative to `api.server_url` (may carry a fixed query, as the reference sends it;
--            the rest of the query is appended after it)
--   args     the positional arguments, in the reference's order: { name, kind [, default] }
--            kinds are converters in growatt.engine.client.kinds (`id`, `optional_id`, `string`,
--            `timespan`, `date`, ...); a converter sees the values converted before it
--   query, form, multipart
--            ordered wire pairs { wire_name, value }; a value made by `A"name"` is the
--            argument of that name (left out when nil, as the reference leaves out None),
--            anything else is sent as the constant it is
--   result   "back" (the `back` object, refused when its success is false) | "raw" (the
--            whole reply) | the name of a field ("obj", "PlantList", ...: that field, {}
--            when missing) | function(decoded) -> value
--   write    true when the call changes something on the server (never retried blindly)
--   warn     a line written to stderr the first time the method is called (deprecations)
--   fallback another entry, called with the same arguments when this one's result is empty

local endpoints = {}

--- A reference to the call argument `name`.
local function A(name) return { arg = name } end
endpoints.A = A

local DATE = { "date", "date" }           -- default: today, local time
local HOUR = { "timespan", "timespan", 0 } -- default: growatt.Timespan.hour

-- A GET of `path` with `op` and the query pairs after it, returning the whole reply.
local function get(path, op, args, query, result)
  local q = { { "op", op } }
  for _, p in ipairs(query) do q[#q + 1] = p end
  return { method = "GET", path = path, args = args, query = q, result = result or "raw" }
end

-- A POST with `op` in the query and the form pairs in the body.
local function post_form(path, op, args, form, result)
  return { method = "POST", path = path, args = args, query = { { "op", op } }, form = form,
           result = result or "raw" }
end

-- A POST with everything in the query and no body (the mix ops, the dashboard, storage).
local function post_query(path, args, query, result)
  return { method = "POST", path = path, args = args, query = query, result = result or "raw" }
end

local function copy(t, extra)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  for k, v in pairs(extra) do out[k] = v end
  return out
end

local PLANT = { { "plant_id", "id" } }

local legacy = {
  plant_list = {
    method = "GET", path = "PlantListAPI.do",
    args = { { "user_id", "id" } },
    query = { { "userId", A "user_id" } },
    result = "back",
  },
  plant_detail = {
    method = "GET", path = "PlantDetailAPI.do",
    args = { { "plant_id", "id" }, { "timespan", "timespan" }, DATE },
    query = { { "plantId", A "plant_id" }, { "type", A "timespan" }, { "date", A "date" } },
    result = "back",
  },
  plant_list_two = post_form("newTwoPlantAPI.do", "getAllPlantListTwo", {}, {
    { "language", "1" }, { "nominalPower", "" }, { "order", "1" }, { "pageSize", "15" },
    { "plantName", "" }, { "plantStatus", "" }, { "toPageNum", "1" },
  }, "PlantList"),
  plant_info = get("newTwoPlantAPI.do", "getAllDeviceListTwo", PLANT,
    { { "plantId", A "plant_id" }, { "pageNum", 1 }, { "pageSize", 1 } }),
  plant_energy_data = post_form("newTwoPlantAPI.do", "getUserCenterEnertyDataByPlantid", PLANT,
    { { "language", 1 }, { "plantId", A "plant_id" } }),

  inverter_data = get("newInverterAPI.do", "getInverterData", { { "inverter_id", "id" }, DATE },
    { { "id", A "inverter_id" }, { "type", 1 }, { "date", A "date" } }),
  inverter_detail = get("newInverterAPI.do", "getInverterDetailData", { { "inverter_id", "id" } },
    { { "inverterId", A "inverter_id" } }),
  inverter_detail_two = get("newInverterAPI.do", "getInverterDetailData_two", { { "inverter_id", "id" } },
    { { "inverterId", A "inverter_id" } }),

  tlx_data = get("newTlxApi.do", "getTlxData", { { "tlx_id", "id" }, DATE },
    { { "id", A "tlx_id" }, { "type", 1 }, { "date", A "date" } }),
  tlx_detail = get("newTlxApi.do", "getTlxDetailData", { { "tlx_id", "id" } }, { { "id", A "tlx_id" } }),
  tlx_params = get("newTlxApi.do", "getTlxParams", { { "tlx_id", "id" } }, { { "id", A "tlx_id" } }),
  tlx_system_status = post_form("newTlxApi.do", "getSystemStatus_KW", { { "plant_id", "id" }, { "tlx_id", "id" } },
    { { "plantId", A "plant_id" }, { "id", A "tlx_id" } }, "obj"),
  tlx_energy_overview = post_form("newTlxApi.do", "getEnergyOverview", { { "plant_id", "id" }, { "tlx_id", "id" } },
    { { "plantId", A "plant_id" }, { "id", A "tlx_id" } }, "obj"),
  tlx_energy_prod_cons = post_form("newTlxApi.do", "getEnergyProdAndCons_KW",
    { { "plant_id", "id" }, { "tlx_id", "id" }, HOUR, DATE },
    { { "date", A "date" }, { "plantId", A "plant_id" }, { "language", "1" }, { "id", A "tlx_id" },
      { "type", A "timespan" } }, "obj"),
  tlx_battery_info = post_form("newTlxApi.do", "getBatInfo", { { "serial_num", "id" } },
    { { "lan", 1 }, { "serialNum", A "serial_num" } }, "obj"),
  tlx_battery_info_detailed = post_form("newTlxApi.do", "getBatDetailData",
    { { "plant_id", "id" }, { "serial_num", "id" } },
    { { "lan", 1 }, { "plantId", A "plant_id" }, { "id", A "serial_num" } }),

  mix_info = get("newMixApi.do", "getMixInfo", { { "mix_id", "id" }, { "plant_id", "optional_id" } },
    { { "mixId", A "mix_id" }, { "plantId", A "plant_id" } }, "obj"),
  mix_totals = post_query("newMixApi.do", { { "mix_id", "id" }, { "plant_id", "id" } },
    { { "op", "getEnergyOverview" }, { "mixId", A "mix_id" }, { "plantId", A "plant_id" } }, "obj"),
  mix_system_status = post_query("newMixApi.do", { { "mix_id", "id" }, { "plant_id", "id" } },
    { { "op", "getSystemStatus_KW" }, { "mixId", A "mix_id" }, { "plantId", A "plant_id" } }, "obj"),
  mix_detail = post_query("newMixApi.do", { { "mix_id", "id" }, { "plant_id", "id" }, HOUR, DATE },
    { { "op", "getEnergyProdAndCons_KW" }, { "plantId", A "plant_id" }, { "mixId", A "mix_id" },
      { "type", A "timespan" }, { "date", A "date" } }, "obj"),
  dashboard_data = post_query("newPlantAPI.do", { { "plant_id", "id" }, HOUR, DATE },
    { { "action", "getEnergyStorageData" }, { "date", A "date" }, { "type", A "timespan" },
      { "plantId", A "plant_id" } }),

  storage_detail = get("newStorageAPI.do", "getStorageInfo_sacolar", { { "storage_id", "id" } },
    { { "storageId", A "storage_id" } }),
  storage_params = get("newStorageAPI.do", "getStorageParams_sacolar", { { "storage_id", "id" } },
    { { "storageId", A "storage_id" } }),
  storage_energy_overview = post_query("newStorageAPI.do?op=getEnergyOverviewData_sacolar",
    { { "plant_id", "id" }, { "storage_id", "id" } },
    { { "plantId", A "plant_id" }, { "storageSn", A "storage_id" } }, "obj"),

  is_plant_noah_system = {
    method = "POST", path = "noahDeviceApi/noah/isPlantNoahSystem", args = PLANT,
    form = { { "plantId", A "plant_id" } }, result = "raw",
  },
  noah_system_status = {
    method = "POST", path = "noahDeviceApi/noah/getSystemStatus", args = { { "serial_number", "id" } },
    form = { { "deviceSn", A "serial_number" } }, result = "raw",
  },
  noah_info = {
    method = "POST", path = "noahDeviceApi/noah/getNoahInfoBySn", args = { { "serial_number", "id" } },
    form = { { "deviceSn", A "serial_number" } }, result = "raw",
  },
}

-- device_list: plant_info's deviceList; TLX plants leave it empty there, so then the
-- plant's getAllDeviceList answers instead.
legacy.device_list = copy(legacy.plant_info, {
  result = "deviceList",
  fallback = get("newTwoPlantAPI.do", "getAllDeviceList", PLANT,
    { { "plantId", A "plant_id" }, { "language", 1 } }, "deviceList"),
})
legacy.inverter_list = copy(legacy.device_list, {
  warn = "growatt: inverter_list is deprecated, use device_list",
})

-- What each method is for and what its result holds: tools/gendocs.lua makes docs/api.md
-- and the editor types (types/) from these and the entries above. `result` names the
-- result's class in types/growatt.lua, `returns` says more than the entry's `result` does.
local docs = {
  plant_list = { "The account's plants with their power and energy now.", result = "growatt.PlantListBack",
    returns = "`data` (one row per plant, strings with units) and `totalData`" },
  plant_detail = { "A plant's energy chart for a day (by hour), a month (by day) or a year (by month).",
    returns = "`plantData` and `data` (the chart, keyed by time, day or month)" },
  plant_list_two = { "The account's plants, as the app's plant list shows them.", result = "table[]",
    returns = "the `PlantList` array: one table per plant, `id` a number" },
  plant_info = { "A plant's totals and its devices.",
    returns = "totals (`todayEnergy`, `plantMoneyText` \"amount/currency\", ...) and `deviceList`" },
  plant_energy_data = { "The app's Plant tab: a plant's energies and figures.",
    returns = "`todayStr`, `plantBean`, ..." },
  device_list = { "A plant's devices; TLX plants, which leave plant_info's list empty, are asked with "
    .. "getAllDeviceList instead.", result = "growatt.Device[]",
    returns = "the devices (`deviceSn`, `deviceType`, ...); `{}` when the plant has none" },
  inverter_list = { "Deprecated name of device_list (says so once on stderr).", result = "growatt.Device[]" },
  inverter_data = { "A classic inverter's power over a day.", returns = "`invPacData`: power by \"YYYY-MM-DD HH:MM\"" },
  inverter_detail = { "A classic inverter's present values.",
    returns = "flat: PV strings (`vpv1`, `ipv1`, ...), AC side, `powerToday`, temperatures" },
  inverter_detail_two = { "A classic inverter's present values (the second op of the app).",
    returns = "flat, as inverter_detail" },
  tlx_data = { "A TLX/MIN inverter's power over a day.", returns = "`invPacData`" },
  tlx_detail = { "A TLX/MIN inverter's present values.",
    returns = "`data` holds the values (no `epvToday`: see tlx_energy_overview)" },
  tlx_params = { "A TLX/MIN inverter's model, firmware and parameters.",
    returns = "`newBean` (model, firmware, ...)" },
  tlx_system_status = { "A TLX/MIN inverter's present power flows.", returns = "present flows in kW" },
  tlx_energy_overview = { "A TLX/MIN inverter's energies of today and in total.",
    returns = "`epvToday`, `epvTotal`, ..." },
  tlx_energy_prod_cons = { "A TLX/MIN inverter's production and consumption chart.",
    returns = "`chartData` and the production/consumption split" },
  tlx_battery_info = { "The state of the battery of a TLX/MIN system." },
  tlx_battery_info_detailed = { "The battery of a TLX/MIN system in detail.",
    returns = "`data.chargeOrDisPower` is + charging, - discharging; `data.soc`" },
  mix_info = { "A mix (SPH) inverter's battery and PV energies; sends plantId only when given.",
    returns = "battery and PV energies, `soc` \"45%\"" },
  mix_totals = { "A mix (SPH) inverter's energies of today and in total." },
  mix_system_status = { "A mix (SPH) inverter's present power flows and battery charge.",
    returns = "present flows in kW, `SOC`" },
  mix_detail = { "A mix (SPH) inverter's production and consumption chart.",
    returns = "`chartData` (\"HH:MM\" every 5 minutes for the hour timespan) and the energy split" },
  dashboard_data = { "A plant's dashboard: chart and energy split.",
    returns = "`chartData`; energies as \"10.2kWh\", ratios as \"11.3%\"" },
  storage_detail = { "A storage unit's present values.", returns = "flat: `vbat`, `capacity`, `pCharge1`, ..." },
  storage_params = { "A storage unit's parameters.", returns = "`storageDetailBean`, `storageBean`" },
  storage_energy_overview = { "A storage unit's charge, discharge, grid and PV energies." },
  is_plant_noah_system = { "Whether a plant has a Noah battery.",
    returns = "`result` and `obj` (`isPlantNoahSystem`, `isPlantHaveNoah`, `deviceSn`)" },
  noah_system_status = { "A Noah battery's present state.",
    returns = "`result` and `obj` (`soc`, `ppv` \"200Watt\", ...)" },
  noah_info = { "A Noah battery's settings.", returns = "`result` and `obj.noah` (time segments, limits, ...)" },
}
for name, doc in pairs(docs) do legacy[name].doc = doc end

endpoints.legacy = legacy

return endpoints
