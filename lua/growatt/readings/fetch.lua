--- api:readings(opts) of growatt.readings: the fewest requests that carry each device's fields,
-- in rounds through api:batch (plant list, device lists, the devices' own requests).

local errors = require("growatt.errors")
local units = require("growatt.readings.units")
local maps = require("growatt.readings.maps")
local record = require("growatt.readings.record")

local table_or_nil = record.table_or_nil

local fetch = {}

local function id_set(list, name)
  if list == nil then return nil end
  errors.check(list, "table", "opts." .. name, "readings")
  local set = {}
  for i, v in ipairs(list) do
    if type(v) ~= "string" and type(v) ~= "number" then
      errors.bad_argument(string.format("opts.%s[%d]", name, i), "readings", "string", type(v))
    end
    set[#set + 1] = tostring(v)
  end
  return set
end

-- The options of api:readings, checked (misuse raises errors.misuse: call it under a boundary).
function fetch.check_opts(opts)
  if opts == nil then return {} end
  errors.check(opts, "table", "opts", "readings")
  for k in pairs(opts) do
    if k ~= "plants" and k ~= "serials" and k ~= "concurrency" then
      errors.misuse("readings: unknown option '%s'", tostring(k))
    end
  end
  local n = opts.concurrency
  if n ~= nil and (type(n) ~= "number" or n < 1 or n ~= math.floor(n)) then
    errors.misuse("readings: option 'concurrency' must be a positive integer")
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
      return { serial = d.deviceSn, type = d.deviceType, online = units.not_lost(d.lost) }
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
      return { serial = d.device_sn, type = maps.V1_TYPES[d.type] or tostring(d.type), online = units.not_lost(d.lost) }
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

local function only(bases, serials)
  if not serials then return bases end
  local wanted, kept = {}, {}
  for _, sn in ipairs(serials) do wanted[sn] = true end
  for _, b in ipairs(bases) do if wanted[b.serial] then kept[#kept + 1] = b end end
  return kept
end

-- Each device's own requests, in one batch; their replies become its sources.
local function read_devices(api, family, bases, batch_opts)
  local calls, owners = {}, {}
  for _, b in ipairs(bases) do
    b.sources = { list = b.entry }
    local kind = maps.MAPPINGS[family].types[b.type]
    for _, c in ipairs(kind and kind.calls or {}) do
      local call = { c[2] }
      for i = 3, #c do call[#call + 1] = c[i] == "sn" and b.serial or b.plant_id end
      calls[#calls + 1], owners[#owners + 1] = call, { base = b, source = c[1], at = c.at }
    end
  end
  local values, errs = api:batch(calls, batch_opts)
  for i, o in ipairs(owners) do
    local v = table_or_nil(values[i])
    if o.at and v then v = table_or_nil(v[o.at]) end
    o.base.sources[o.source] = v
    o.base.err = o.base.err or errs[i]
  end
end

--- The records of `family` ("shinephone", "v1") for checked options (fetch.check_opts).
function fetch.read(api, family, opts)
  local plants = opts.plants
  if not plants then
    local err
    plants, err = FAMILY[family].plants(api)
    if not plants then return nil, err end
  end
  local bases, failed = devices_of(api, family, plants, opts.batch)
  bases = only(bases, opts.serials)
  read_devices(api, family, bases, opts.batch)
  local records = {}
  for i, b in ipairs(bases) do
    records[i] = record.build(family, b, b.sources)
    records[i].err = b.err
  end
  for _, f in ipairs(failed) do
    records[#records + 1] = { plant_id = f.plant_id, api = family, err = f.err, raw = {} }
  end
  return records
end

---------------------------------------------------------------------------
-- The OpenAPI v4: no plants; its device list, then queryLastData per type, 100 serials a request.

local V4_BATCH = 100

-- The device list's entries as bases ({ serial, type, entry }), only `serials` when given.
local function v4_devices(list, serials)
  local bases = {}
  for _, d in ipairs(table_or_nil(list) or {}) do
    local sn = type(d) == "table" and d.deviceSn
    if (type(sn) == "string" and sn ~= "" or type(sn) == "number") and type(d.deviceType) == "string" then
      bases[#bases + 1] = { serial = tostring(sn), type = d.deviceType, entry = d }
    end
  end
  return only(bases, serials)
end

-- One last_data call per type and 100 serials (types without a mapping are not asked).
local function v4_calls(bases)
  local calls, groups, open = {}, {}, {}
  for _, b in ipairs(bases) do
    if maps.MAPPINGS.v4.types[b.type] then
      local g = open[b.type]
      if not g or #g.sns == V4_BATCH then
        g = { type = b.type, sns = {} }
        open[b.type], groups[#groups + 1] = g, g
        calls[#calls + 1] = { "last_data", g.sns, b.type }
      end
      g.sns[#g.sns + 1] = b.serial
      b.group = g
    end
  end
  return calls, groups
end

--- The records of a v4 client for checked options (no `plants`: the v4 has none); the
-- client's `timezone` option (the plants' UTC offset) sets their epoch.
function fetch.read_v4(api, opts)
  local list, err = api:devices()
  if not list then return nil, err end
  local bases = v4_devices(list, opts.serials)
  local calls, groups = v4_calls(bases)
  local values, errs = api:batch(calls, opts.batch)
  for i, g in ipairs(groups) do
    g.err, g.entries = errs[i], {}
    local reply = table_or_nil(values[i])
    local key = maps.MAPPINGS.v4.types[g.type].serial
    for _, e in ipairs(table_or_nil(reply and reply[g.type]) or {}) do
      local sn = type(e) == "table" and e[key]
      if sn ~= nil then g.entries[tostring(sn)] = e end
    end
  end
  local records, offset = {}, type(api.timezone) == "number" and api.timezone or nil
  for i, b in ipairs(bases) do
    local g = b.group
    records[i] = record.from_v4(b.type, g and g.entries[b.serial], { serial = b.serial, utc_offset = offset })
    records[i].raw.list, records[i].err = b.entry, g and g.err
  end
  return records
end

return fetch
