--- Where each reading comes from, per API family and device type: data, shown by
-- docs/readings.md. Per family:
--   list     fields read from the device list's entry (source "list")
--   types    per device type: `calls`, the requests that carry its fields (each { source,
--            method, argument names ("sn", "plant") }, `at` = the key the reply wraps its
--            values in), and `fields`: field -> { source, key, unit [, minus = key] }.
--            `minus` makes the field key - minus (both must be present); a field of `calls`
--            replaces the list's. A field without a unit is text (a time).
-- The v4's types also name `serial` (the key of the device's serial in a queryLastData
-- record) and `clock` (the key of its epoch milliseconds, read when the text time is missing).

local copy = require("growatt.engine.store").copy

local maps = {}

-- A copy of `base` with the fields of `extra` added, and the field `drop` left out.
local function with(base, extra, drop)
  local t = copy(base)
  for k, v in pairs(extra) do t[k] = v end
  if drop then t[drop] = nil end
  return t
end

---------------------------------------------------------------------------
-- ShinePhone (the password API): device_list gives power, lifetime energy, charge and online.

local SHINEPHONE_LIST = {
  power_w = { "list", "activePower", "W" },
  energy_total_kwh = { "list", "energy", "kWh" },
  battery_soc_pct = { "list", "capacity", "%" },
}

local SHINEPHONE = {
  mix = { -- the system status has the flows in kW, the totals the energies
    calls = { { "status", "mix_system_status", "sn", "plant" }, { "totals", "mix_totals", "sn", "plant" } },
    fields = {
      pv_power_w = { "status", "ppv", "kW" },
      battery_soc_pct = { "status", "SOC", "%" },
      battery_power_w = { "status", "chargePower", "kW", minus = "pdisCharge1" },
      grid_power_w = { "status", "pactouser", "kW", minus = "pactogrid" },
      load_power_w = { "status", "pLocalLoad", "kW" },
      energy_today_kwh = { "totals", "epvToday", "kWh" },
      energy_total_kwh = { "totals", "epvTotal", "kWh" },
    },
  },
  tlx = {
    calls = { { "detail", "tlx_detail", "sn", at = "data" } },
    fields = {
      power_w = { "detail", "pac", "W" },
      pv_power_w = { "detail", "ppv", "W" },
      energy_today_kwh = { "detail", "eacToday", "kWh" },
      energy_total_kwh = { "detail", "eacTotal", "kWh" },
      battery_soc_pct = { "detail", "bmsSoc", "%" },
      battery_power_w = { "detail", "bdc1ChargePower", "W", minus = "bdc1DischargePower" },
      grid_power_w = { "detail", "pacToUserTotal", "W", minus = "pacToGridTotal" },
      load_power_w = { "detail", "pacToLocalLoad", "W" },
    },
  },
  storage = {
    calls = { { "detail", "storage_detail", "sn" } },
    fields = {
      power_w = { "detail", "outPutPower", "W" },
      pv_power_w = { "detail", "ppv", "W" },
      energy_today_kwh = { "detail", "epvToday", "kWh" },
      energy_total_kwh = { "detail", "epvTotal", "kWh" },
      battery_soc_pct = { "detail", "capacity", "%" },
      battery_power_w = { "detail", "pCharge", "W", minus = "pDischarge" },
      grid_power_w = { "detail", "pAcInPut", "W" },
    },
  },
  inverter = {
    calls = { { "detail", "inverter_detail", "sn" } },
    fields = {
      power_w = { "detail", "pac", "W" },
      pv_power_w = { "detail", "ppv", "W" },
      energy_today_kwh = { "detail", "powerToday", "kWh" },
      energy_total_kwh = { "detail", "powerTotal", "kWh" },
      time = { "detail", "time" },
    },
  },
  noah = {
    calls = { { "status", "noah_system_status", "sn", at = "obj" } },
    fields = {
      power_w = { "status", "pac", "W" },
      pv_power_w = { "status", "ppv", "W" },
      energy_today_kwh = { "status", "eacToday", "kWh" },
      energy_total_kwh = { "status", "eacTotal", "kWh" },
      battery_soc_pct = { "status", "soc", "%" },
      battery_power_w = { "status", "chargePower", "W", minus = "disChargePower" },
    },
  },
  bat = { -- the battery of a TLX plant, listed as its own device
    calls = { { "info", "tlx_battery_info", "sn" } },
    fields = {
      battery_soc_pct = { "info", "soc", "%" },
      battery_power_w = { "info", "chargePower", "W", minus = "dischargePower" },
    },
  },
}
SHINEPHONE.sph, SHINEPHONE.min = SHINEPHONE.mix, SHINEPHONE.tlx
-- max, wit, sph-s and spa: ShinePhone has no read of their own in the library; the list's fields.

---------------------------------------------------------------------------
-- OpenAPI v1: device_list gives the type (a number) and online; the last-data endpoints of
-- MIN and SPH the rest. Other types have no reading endpoint in v1: list fields only.

local V1_LAST = {
  power_w = { "last", "pac", "W" },
  pv_power_w = { "last", "ppv", "W" },
  energy_today_kwh = { "last", "eacToday", "kWh" },
  energy_total_kwh = { "last", "eacTotal", "kWh" },
  grid_power_w = { "last", "pacToUserTotal", "W", minus = "pacToGridTotal" },
  load_power_w = { "last", "pacToLocalLoad", "W" },
  time = { "last", "time" },
}

local V1 = {
  tlx = {
    calls = { { "last", "min_energy", "sn" } },
    fields = with(V1_LAST, { battery_soc_pct = { "last", "bmsSoc", "%" },
                             battery_power_w = { "last", "bdc1ChargePower", "W", minus = "bdc1DischargePower" } }),
  },
  mix = {
    calls = { { "last", "sph_energy", "sn" } },
    fields = with(V1_LAST, { battery_soc_pct = { "last", "bmsSOC", "%" },
                             battery_power_w = { "last", "pcharge1", "W", minus = "pdischarge1" } }),
  },
}
-- v1's device types (device_list's `type`), named as ShinePhone names them.
maps.V1_TYPES = { [1] = "inverter", [2] = "storage", [3] = "other", [4] = "max", [5] = "mix", [6] = "spa",
                  [7] = "tlx", [8] = "pcs", [9] = "hps", [10] = "pbd" }

---------------------------------------------------------------------------
-- OpenAPI v4: one queryLastData record per device (protocol-v4.md §3.3, appendix A), keyed by
-- the v4's type names. Every value is in W, kWh or %; `time` is plant-local text.

-- What the hybrids (sph, spa, sph-s, wit) share: grid flows, house load, charge, energies.
local V4_HYBRID = {
  power_w = { "last", "pac", "W" },
  pv_power_w = { "last", "ppv", "W" },
  energy_today_kwh = { "last", "eacToday", "kWh" },
  energy_total_kwh = { "last", "eacTotal", "kWh" },
  battery_soc_pct = { "last", "soc", "%" },
  battery_power_w = { "last", "pcharge1", "W", minus = "pdischarge1" },
  grid_power_w = { "last", "pacToUserTotal", "W", minus = "pacToGridTotal" },
  load_power_w = { "last", "plocalLoadTotal", "W" },
  time = { "last", "time" },
}

local function v4(serial, clock, fields) return { serial = serial, clock = clock, fields = fields } end

local V4 = {
  inv = v4("inverterId", "timeCalendar", {
    power_w = { "last", "pac", "W" },
    pv_power_w = { "last", "ppv", "W" },
    energy_today_kwh = { "last", "powerToday", "kWh" },
    energy_total_kwh = { "last", "powerTotal", "kWh" },
    time = { "last", "time" },
  }),
  max = v4("serialNum", "timeCalendar", {
    power_w = { "last", "pac", "W" },
    pv_power_w = { "last", "ppv", "W" },
    energy_today_kwh = { "last", "eacToday", "kWh" },
    energy_total_kwh = { "last", "eacTotal", "kWh" },
    time = { "last", "time" },
  }),
  min = v4("serialNum", "calendar", V1.tlx.fields),
  sph = v4("serialNum", "calendar", V4_HYBRID),
  -- an AC-coupled battery: no panels of its own (its ppvInverter is another inverter's)
  spa = v4("serialNum", "calendar", with(V4_HYBRID, {}, "pv_power_w")),
  ["sph-s"] = v4("serialNum", "calendar", V4_HYBRID),
  -- the WIT's batPower has no documented sign: left out
  wit = v4("serialNum", "calendar", with(V4_HYBRID, {}, "battery_power_w")),
  storage = v4("serialNum", "calendar", {
    power_w = { "last", "outPutPower", "W" },
    pv_power_w = { "last", "ppv", "W" },
    energy_today_kwh = { "last", "epvToday", "kWh" },
    energy_total_kwh = { "last", "epvTotal", "kWh" },
    battery_soc_pct = { "last", "capacity", "%" },
    battery_power_w = { "last", "pCharge", "W", minus = "pDischarge" },
    grid_power_w = { "last", "pacToUser", "W", minus = "pacToGrid" },
    time = { "last", "time" },
  }),
  noah = v4("deviceSn", "time", {
    power_w = { "last", "pac", "W" },
    pv_power_w = { "last", "ppv", "W" },
    energy_today_kwh = { "last", "eacToday", "kWh" },
    energy_total_kwh = { "last", "eacTotal", "kWh" },
    battery_soc_pct = { "last", "totalBatteryPackSoc", "%" },
    battery_power_w = { "last", "totalBatteryPackChargingPower", "W" }, -- signed: + while charging
    load_power_w = { "last", "totalHouseholdLoad", "W" },
    time = { "last", "timeStr" },
  }),
}
maps.V4_TYPES = { "inv", "storage", "max", "sph", "spa", "min", "wit", "sph-s", "noah" }

maps.MAPPINGS = { shinephone = { list = SHINEPHONE_LIST, types = SHINEPHONE },
                  v1 = { list = {}, types = V1 },
                  v4 = { list = {}, types = V4 } }

return maps
