--- Records of growatt.readings: a device's sources (the replies it was read from) through its
-- family's mapping (growatt.readings.maps) to one normalised record.

local errors = require("growatt.errors")
local json = require("growatt.json")
local units = require("growatt.readings.units")
local maps = require("growatt.readings.maps")

local record = {}

function record.table_or_nil(v)
  return type(v) == "table" and v ~= json.null and v or nil
end
local table_or_nil = record.table_or_nil

-- The value of one field out of the sources; nil when a key is missing or no reading. An
-- energy or a charge below 0 is one of Growatt's "not available" marks (-0.1, -1).
local function value_of(spec, sources)
  local src = sources[spec[1]]
  if not src then return nil end
  local v = src[spec[2]]
  if not spec[3] then -- text (time)
    return type(v) == "string" and v ~= "" and v ~= "null" and v or nil
  end
  local n = units.parse(v, spec[3])
  if n and spec.minus then
    local m = units.parse(src[spec.minus], spec[3])
    n = m and n - m
  end
  if n and n < 0 and units.dimension(spec[3]) ~= "W" then return nil end
  return n
end

local function apply(r, fields, sources)
  for name, spec in pairs(fields) do
    local v = value_of(spec, sources)
    if v ~= nil then r[name] = v end
  end
end

--- The record of a device out of its sources ({ list = entry, <source> = values, ... }), by
-- the mapping of `family` ("shinephone", "v1", "v4"). `base` holds serial, type, plant_id,
-- the plant's UTC offset (hours, when known) and online.
function record.build(family, base, sources)
  local mapping = maps.MAPPINGS[family]
  local r = { serial = base.serial, type = base.type, plant_id = base.plant_id, api = family,
              online = base.online, raw = sources }
  apply(r, mapping.list, sources)
  local kind = mapping.types[base.type]
  if kind then apply(r, kind.fields, sources) end
  r.epoch = units.epoch(r.time, base.utc_offset)
  return r
end

local function id_or_nil(v)
  if type(v) == "string" and v ~= "" or type(v) == "number" then return tostring(v) end
end

--- The record of one v4 queryLastData entry of `device_type` ("inv", "storage", "max", "sph",
-- "spa", "min", "wit", "sph-s", "noah"). `base` (optional): plant_id, utc_offset (hours east
-- of UTC: sets epoch) and serial (else the entry's own). A time only in epoch milliseconds
-- becomes plant-local text (protocol-v4.md §6.1: the milliseconds are that text at UTC+8).
function record.from_v4(device_type, entry, base)
  errors.check(device_type, "string", "device_type", "from_v4")
  base = base == nil and {} or errors.check(base, "table", "base", "from_v4")
  local kind = maps.MAPPINGS.v4.types[device_type]
  entry = table_or_nil(entry)
  local serial = base.serial or entry and kind and id_or_nil(entry[kind.serial])
  local r = record.build("v4", { serial = serial, type = device_type, plant_id = base.plant_id,
                                 utc_offset = base.utc_offset, online = entry and units.not_lost(entry.lost) },
                         { last = entry })
  if not r.time and entry and kind then
    r.time = units.v4_clock_text(entry[kind.clock])
    r.epoch = units.epoch(r.time, base.utc_offset)
  end
  return r
end

return record
