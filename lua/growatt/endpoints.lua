--- Endpoints are data: one entry per method of the ShinePhone API.
--
-- An entry says how a call becomes a request and what part of the reply is returned:
--   method   "GET" or "POST"
--   path     relative to `api.server_url` (may carry a fixed query, as the reference sends it;
--            the rest of the query is appended after it)
--   args     the positional arguments, in the reference's order: { name, kind [, default] }
--            kinds are converters in growatt.client.kinds (`id`, `optional_id`, `string`,
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

endpoints.legacy = legacy

return endpoints
