--- One reading model over every device type and API: one normalised record per device.
--
--   local records, err = api:readings()                     -- every device of every plant
--   local records = api:readings({ plants = { "2222207" } })  -- or { serials = { ... } }
--
-- A record: serial, type, plant_id, api ("shinephone", "v1"), and each of these only when the
-- device reports it (never guessed):
--   power_w           the device's output power now (W)
--   pv_power_w        its solar (PV) power now (W)
--   energy_today_kwh  energy made today (kWh)
--   energy_total_kwh  energy made in its lifetime (kWh)
--   battery_soc_pct   the battery's state of charge (%)
--   battery_power_w   the battery's power (W): positive while it charges
--   grid_power_w      the grid's power (W): positive while the site imports
--   load_power_w      what the house uses now (W)
--   online            true or false
--   time              when it was measured, as the device's reply writes it (plant-local)
--   epoch             the same as UTC seconds, where the plant's time zone is known
-- plus `raw` (the replies it was read from, by source name) and `err` when a read failed.
--
-- Where each field comes from, per API and device type, is data: the tables below (and
-- docs/readings.md, which shows them). A new API family is one more table.

local errors = require("growatt.errors")
local json = require("growatt.json")

local readings = {}

readings.FIELDS = { "power_w", "pv_power_w", "energy_today_kwh", "energy_total_kwh", "battery_soc_pct",
                    "battery_power_w", "grid_power_w", "load_power_w", "online", "time", "epoch" }

---------------------------------------------------------------------------
-- Units: one parser for every value Growatt sends.

-- Unit words, lower case, and their dimension and factor to W, kWh or %.
local UNITS = {
  w = { "W", 1 }, watt = { "W", 1 }, watts = { "W", 1 }, kw = { "W", 1e3 }, mw = { "W", 1e6 },
  wh = { "kWh", 1e-3 }, kwh = { "kWh", 1 }, mwh = { "kWh", 1e3 }, gwh = { "kWh", 1e6 },
  ["%"] = { "%", 1 },
}
-- What a bare number is in, per unit a mapping may name.
local BARE = { W = { "W", 1 }, kW = { "W", 1e3 }, kWh = { "kWh", 1 }, Wh = { "kWh", 1e-3 }, ["%"] = { "%", 1 } }

--- A Growatt value as a number in W, kWh or % (the dimension of `unit`, which is also what a
-- bare number is in: "W", "kW", "kWh", "Wh" or "%"). nil for anything that is no reading:
-- JSON null, "null", "", "--", "N/A", NaN, a value of another dimension ("12 kWh" for a power).
function readings.parse(v, unit)
  local bare = BARE[unit] or error("readings.parse: unknown unit " .. tostring(unit), 2)
  local n, word
  if type(v) == "number" then
    n = v
  elseif type(v) == "string" then
    local num, rest = v:match("^%s*([-+]?%d*%.?%d+[eE]?[-+]?%d*)%s*(.-)%s*$")
    n = tonumber(num)
    if n and rest ~= "" then word = rest:lower() end
  end
  if not n or n ~= n or n == math.huge or n == -math.huge then return nil end
  local u = word and UNITS[word] or (not word and bare)
  if not u or u[1] ~= bare[1] then return nil end
  return n * u[2]
end

-- true/false out of a `lost` flag (true, "true", 1, "1" mean lost); nil when absent.
local function not_lost(v)
  if v == true or v == "true" or v == 1 or v == "1" then return false end
  if v == false or v == "false" or v == 0 or v == "0" then return true end
  return nil
end

-- Days from 1970-01-01 to a civil date (proleptic Gregorian), with no time zone involved.
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- UTC seconds of a plant-local "YYYY-MM-DD HH:MM[:SS]" at `offset_hours` east of UTC; nil
-- when the text is no such time or the offset is unknown.
function readings.epoch(text, offset_hours)
  if type(text) ~= "string" or type(offset_hours) ~= "number" then return nil end
  local y, mo, d, h, mi, s = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[ T](%d%d):(%d%d):?(%d*)$")
  if not y then return nil end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s) or 0
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or s > 60 then return nil end
  return math.floor(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_hours * 3600)
end

---------------------------------------------------------------------------
-- The mappings. Per API family:
--   list     fields read from the device list's entry (source "list")
--   types    per device type: `calls`, the requests that carry its fields (each { source,
--            method, argument names ("sn", "plant") }, `at` = the key the reply wraps its
--            values in), and `fields`: field -> { source, key, unit [, minus = key] }.
--            `minus` makes the field key - minus (both must be present); a field of `calls`
--            replaces the list's.

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
local function with(base, extra)
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end

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
readings.V1_TYPES = { [1] = "inverter", [2] = "storage", [3] = "other", [4] = "max", [5] = "mix", [6] = "spa",
                      [7] = "tlx", [8] = "pcs", [9] = "hps", [10] = "pbd" }

readings.MAPPINGS = { shinephone = { list = SHINEPHONE_LIST, types = SHINEPHONE },
                      v1 = { list = {}, types = V1 } }

---------------------------------------------------------------------------
-- Records

local function table_or_nil(v)
  return type(v) == "table" and v ~= json.null and v or nil
end

-- The value of one field out of the sources; nil when a key is missing or no reading.
local function value_of(spec, sources)
  local src = sources[spec[1]]
  if not src then return nil end
  local v = src[spec[2]]
  if not spec[3] then -- text (time)
    return type(v) == "string" and v ~= "" and v ~= "null" and v or nil
  end
  local n = readings.parse(v, spec[3])
  if n and spec.minus then
    local m = readings.parse(src[spec.minus], spec[3])
    n = m and n - m
  end
  return n
end

local function apply(record, fields, sources)
  for name, spec in pairs(fields) do
    local v = value_of(spec, sources)
    if v ~= nil then record[name] = v end
  end
end

--- The record of a device out of its sources ({ list = entry, <source> = values, ... }), by
-- the mapping of `family` ("shinephone", "v1"). `base` holds serial, type, plant_id,
-- the plant's UTC offset (hours, when known) and online.
function readings.record(family, base, sources)
  local mapping = readings.MAPPINGS[family]
  local r = { serial = base.serial, type = base.type, plant_id = base.plant_id, api = family,
              online = base.online, raw = sources }
  apply(r, mapping.list, sources)
  local kind = mapping.types[base.type]
  if kind then apply(r, kind.fields, sources) end
  r.epoch = readings.epoch(r.time, base.utc_offset)
  return r
end

---------------------------------------------------------------------------
-- api:readings(opts)

local function id_set(list, name)
  if list == nil then return nil end
  errors.check(list, "table", "opts." .. name, "readings", 3)
  local set = {}
  for i, v in ipairs(list) do
    if type(v) ~= "string" and type(v) ~= "number" then
      error(string.format("bad argument 'opts.%s[%d]' to 'readings' (string expected, got %s)", name, i, type(v)), 4)
    end
    set[#set + 1] = tostring(v)
  end
  return set
end

local function check_opts(opts)
  if opts == nil then return {} end
  errors.check(opts, "table", "opts", "readings", 2)
  for k in pairs(opts) do
    if k ~= "plants" and k ~= "serials" and k ~= "concurrency" then
      error("readings: unknown option '" .. tostring(k) .. "'", 3)
    end
  end
  local n = opts.concurrency
  if n ~= nil and (type(n) ~= "number" or n < 1 or n ~= math.floor(n)) then
    error("readings: option 'concurrency' must be a positive integer", 3)
  end
  return { plants = id_set(opts.plants, "plants"), serials = id_set(opts.serials, "serials"),
           batch = opts.concurrency and { concurrency = opts.concurrency } }
end

-- The ids (strings) under `key` of the entries of a plant list; entries without one are left out.
local function ids_of(list, key)
  local ids = {}
  for _, p in ipairs(table_or_nil(list) or {}) do
    local id = type(p) == "table" and p[key]
    if type(id) == "string" or type(id) == "number" then ids[#ids + 1] = tostring(id) end
  end
  return ids
end

-- Per family: its plant ids (one request) and each device list entry's serial, type and online.
local FAMILY = {
  shinephone = {
    plants = function(api)
      local back, err = api:plant_list(api.user_id)
      if not back then return nil, err end
      return ids_of(back.data, "plantId")
    end,
    devices = function(list) return table_or_nil(list) or {} end,
    device = function(d)
      return { serial = d.deviceSn, type = d.deviceType, online = not_lost(d.lost) }
    end,
  },
  v1 = {
    plants = function(api)
      local reply, err = api:plant_list()
      if not reply then return nil, err end
      return ids_of(table_or_nil(reply) and reply.plants, "plant_id")
    end,
    devices = function(reply) return table_or_nil(table_or_nil(reply) and reply.devices) or {} end,
    device = function(d)
      return { serial = d.device_sn, type = readings.V1_TYPES[d.type] or tostring(d.type), online = not_lost(d.lost) }
    end,
  },
}

-- The devices of `plants` (a list of ids) as bases, with the errors of failed device lists.
local function devices_of(api, family, plants, batch_opts)
  local calls = {}
  for i, id in ipairs(plants) do calls[i] = { "device_list", id } end
  local lists, errs = api:batch(calls, batch_opts)
  local bases, failed = {}, {}
  for i, id in ipairs(plants) do
    if errs[i] then failed[#failed + 1] = { plant_id = id, err = errs[i] } end
    for _, d in ipairs(FAMILY[family].devices(lists[i])) do
      if type(d) == "table" then
        local base = FAMILY[family].device(d)
        if type(base.serial) == "string" or type(base.serial) == "number" then
          base.serial, base.plant_id, base.entry = tostring(base.serial), id, d
          bases[#bases + 1] = base
        end
      end
    end
  end
  return bases, failed
end

local function read(api, family, opts)
  local plants = opts.plants
  if not plants then
    local err
    plants, err = FAMILY[family].plants(api)
    if not plants then return nil, err end
  end
  local bases, failed = devices_of(api, family, plants, opts.batch)
  if opts.serials then
    local wanted, kept = {}, {}
    for _, sn in ipairs(opts.serials) do wanted[sn] = true end
    for _, b in ipairs(bases) do if wanted[b.serial] then kept[#kept + 1] = b end end
    bases = kept
  end
  local calls, owners = {}, {}
  for _, b in ipairs(bases) do
    b.sources = { list = b.entry }
    local kind = readings.MAPPINGS[family].types[b.type]
    for _, c in ipairs(kind and kind.calls or {}) do
      local call = { c[2] }
      for i = 3, #c do call[#call + 1] = c[i] == "sn" and b.serial or b.plant_id end
      calls[#calls + 1], owners[#owners + 1] = call, { base = b, source = c[1], at = c.at }
    end
  end
  local values, errs = api:batch(calls, opts.batch)
  for i, o in ipairs(owners) do
    local v = table_or_nil(values[i])
    if o.at and v then v = table_or_nil(v[o.at]) end
    o.base.sources[o.source] = v
    o.base.err = o.base.err or errs[i]
  end
  local records = {}
  for i, b in ipairs(bases) do
    records[i] = readings.record(family, b, b.sources)
    records[i].err = b.err
  end
  for _, f in ipairs(failed) do
    records[#records + 1] = { plant_id = f.plant_id, api = family, err = f.err, raw = {} }
  end
  return records
end

--- api:readings([opts]) -> records or nil, err. opts: plants (a list of plant ids: no plant
-- list is fetched), serials (only these devices), concurrency (of api:batch). A device whose
-- read failed keeps its record with `err` and the fields it has; a plant whose device list
-- failed gives a record with plant_id and `err` only. nil, err only when the plant list fails.
function readings.for_api(api, opts)
  return read(api, "shinephone", check_opts(opts))
end

--- The same for the OpenAPI v1 (its class sets `readings` to this).
function readings.for_v1(api, opts)
  return read(api, "v1", check_opts(opts))
end

return readings
