--- One reading model over every device type and API: one normalised record per device.
--
--   local records, err = api:readings()                     -- every device of every plant
--   local records = api:readings({ plants = { "2222207" } })  -- or { serials = { ... } }
--   local r = readings.from_v4("min", entry, { plant_id = "1", utc_offset = 1 })  -- a v4 queryLastData entry
--
-- A record: serial, type, plant_id, api ("shinephone", "v1", "v4"), and each of these only
-- when the device reports it (never guessed):
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
-- Where each field comes from, per API and device type, is data: growatt.readings.maps (and
-- docs/readings.md, which shows it). A new API family is one more table there. The parts:
-- units (values and times), maps (the tables), record (a record out of replies), fetch
-- (api:readings: which requests, in which rounds).

local errors = require("growatt.errors")
local units = require("growatt.readings.units")
local maps = require("growatt.readings.maps")
local record = require("growatt.readings.record")
local fetch = require("growatt.readings.fetch")

local readings = {}

readings.FIELDS = { "power_w", "pv_power_w", "energy_today_kwh", "energy_total_kwh", "battery_soc_pct",
                    "battery_power_w", "grid_power_w", "load_power_w", "online", "time", "epoch" }

readings.parse = errors.boundary(units.parse)
readings.epoch = units.epoch
readings.V1_TYPES = maps.V1_TYPES
readings.V4_TYPES = maps.V4_TYPES
readings.MAPPINGS = maps.MAPPINGS

--- The record of a device out of its sources ({ list = entry, <source> = values, ... }), by
-- the mapping of `family` ("shinephone", "v1", "v4"). `base` holds serial, type, plant_id,
-- the plant's UTC offset (hours, when known) and online.
readings.record = record.build

--- The record of one OpenAPI v4 queryLastData entry: readings.from_v4(device_type, entry [,
-- base]). device_type is the v4's ("inv", "storage", "max", "sph", "spa", "min", "wit",
-- "sph-s", "noah"); base (optional) gives plant_id, utc_offset (hours east of UTC, for
-- epoch) and serial (else the entry's own). Raises on a device_type that is no string.
readings.from_v4 = errors.boundary(record.from_v4)

-- The checked options of a readings method, misuse raised at the line that called the method.
local check_opts = errors.method_boundary(fetch.check_opts)
local check_v4_opts = errors.method_boundary(function(opts)
  opts = fetch.check_opts(opts)
  if opts.plants then errors.misuse("readings: option 'plants' is not for the v4, which has no plants") end
  return opts
end)

--- api:readings([opts]) -> records or nil, err. opts: plants (a list of plant ids: no plant
-- list is fetched), serials (only these devices), concurrency (of api:batch). A device whose
-- read failed keeps its record with `err` and the fields it has; a plant whose device list
-- failed gives a record with plant_id and `err` only. nil, err only when the plant list fails.
function readings.for_api(api, opts)
  return fetch.read(api, "shinephone", check_opts(opts))
end

--- The same for the OpenAPI v1 (its class sets `readings` to this).
function readings.for_v1(api, opts)
  return fetch.read(api, "v1", check_opts(opts))
end

--- The same for the OpenAPI v4 (its class sets `readings` to this): the device list's pages,
-- then queryLastData per device type, 100 serials a request. opts: serials, concurrency (the
-- v4 has no plants: records have no plant_id). Their epoch needs the client's `timezone`
-- option: these replies do not carry the plant's time zone.
function readings.for_v4(api, opts)
  return fetch.read_v4(api, check_v4_opts(opts))
end

return readings
