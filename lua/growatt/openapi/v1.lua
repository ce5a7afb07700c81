--- Growatt's official OpenAPI v1: a `token` header instead of a login, paths under v1/.
--
--   local growatt = require("growatt")
--   local api = growatt.openapi{ token = os.getenv("GROWATT_TOKEN") }   -- or region = "north_america"
--   local plants = assert(api:plant_list())
--   local min = assert(api:device("MIN4K00208", growatt.DeviceType.MIN))
--   local data, info = min:energy()          -- info = { cached = true, age = s } from the cache
--
-- The endpoint tables are growatt.openapi.v1_endpoints; this module makes the client.
-- An OpenApi object is a sibling of growatt.Api on the same engine (growatt.engine.api):
-- it has the shared methods (batch, stats, close) and its own, none of the ShinePhone ones.
-- Its requests carry the token and its replies are v1 envelopes
-- {"data": ..., "error_code": 0, "error_msg": ""}: every request goes through the same
-- session policy as the password API (timeouts, stores, budget, hooks). Methods keep the
-- reference's names and arguments (protocol.md §4.1). Before sending, it keeps Growatt's
-- rules: the same request at most once per `min_interval` (300 s), pages <= 250 of <= 100
-- rows, history ranges within the documented limits.

local engine = require("growatt.engine.api")
local regions = require("growatt.engine.regions")
local errors = require("growatt.errors")
local token = require("growatt.openapi.token")

local v1 = require("growatt.openapi.v1_endpoints")
local invalid = v1.invalid

local openapi = {
  DEFAULT_MIN_INTERVAL = v1.DEFAULT_MIN_INTERVAL,
  MAX_PAGE = v1.MAX_PAGE,
  MAX_PERPAGE = v1.MAX_PERPAGE,
  endpoints = v1.endpoints,
  USER_AGENT = _VERSION:gsub(" ", "/") .. " (lua-growatt/" .. engine.VERSION .. ")",
}

-- The family: the token's, and Growatt's rule that the same request is answered once per
-- min_interval (the policy keeps the window in the store: growatt.engine.policy).
local OpenApi = engine.class({}, {
  prepare = function(api, req)
    req = token.family.prepare(api, req)
    if api.min_interval > 0 then req.interval = api.min_interval end
    return req
  end,
  authorize = token.family.authorize,
  receive = token.family.receive,
})
openapi.OpenApi = OpenApi
engine.lazy(OpenApi, "readings", "growatt.readings", "for_v1")

engine.install(OpenApi, openapi.endpoints)
engine.install(OpenApi, regions.endpoints) -- discover_server, at the server's root

---------------------------------------------------------------------------
-- Methods computed from the reads (they take the read's result to save a request).

local MODE_NAMES = { [0] = "Load First", [1] = "Battery First", [2] = "Grid First" }

-- "6:5" -> "06:05"; missing, "null" or unreadable (more than two digits) -> "00:00".
local function hhmm(raw)
  local h, m = tostring(raw or ""):match("^%s*(%d%d?):(%d%d?)%f[^%d]")
  if not h then return "00:00" end
  return string.format("%02d:%02d", tonumber(h), tonumber(m))
end

local function int_or(raw, default)
  local n = tonumber(raw)
  return n and math.floor(n) or default
end

-- The settings table: the caller's (a whole envelope or its data), or the read's result.
-- Raises errors.misuse (the methods below are behind errors.boundary).
local function settings_of(self, fname, sn, given, read)
  errors.check(sn, "string", "device_sn", fname)
  if given == nil then
    local v, info = self[read](self, sn)
    if v ~= nil and type(v) ~= "table" then
      return nil, errors.new("protocol", "the reply's data is not an object", { response = v })
    end
    return v, info
  end
  errors.check(given, "table", "settings_data", fname)
  return type(given.data) == "table" and given.data or given
end

local function periods_of(s, what)
  local list = {}
  for i = 1, 3 do
    list[i] = { period_id = i, start_time = hhmm(s["forced" .. what .. "TimeStart" .. i]),
                end_time = hhmm(s["forced" .. what .. "TimeStop" .. i]),
                enabled = int_or(s["forced" .. what .. "StopSwitch" .. i]) == 1 }
  end
  return list
end

--- The nine time-of-use segments of a MIN: { segment_id, batt_mode, mode_name, start_time
-- "HH:MM", end_time, enabled }. A second value is passed on from min_settings (cache info).
OpenApi.min_read_time_segments = errors.boundary(function(self, device_sn, settings_data)
  local s, info = settings_of(self, "min_read_time_segments", device_sn, settings_data, "min_settings")
  if not s then return nil, info end
  local list = {}
  for i = 1, 9 do
    local mode = int_or(s["time" .. i .. "Mode"])
    list[i] = { segment_id = i, batt_mode = mode, mode_name = MODE_NAMES[mode] or "Unknown",
                start_time = hhmm(s["forcedTimeStart" .. i]), end_time = hhmm(s["forcedTimeStop" .. i]),
                enabled = int_or(s["forcedStopSwitch" .. i]) == 1 }
  end
  return list, info
end)

--- The AC charge settings of an SPH: { charge_power, charge_stop_soc, mains_enabled, periods }.
OpenApi.sph_read_ac_charge_times = errors.boundary(function(self, device_sn, settings_data)
  local s, info = settings_of(self, "sph_read_ac_charge_times", device_sn, settings_data, "sph_detail")
  if not s then return nil, info end
  return { charge_power = int_or(s.chargePowerCommand, 0), charge_stop_soc = int_or(s.wchargeSOCLowLimit, 100),
           mains_enabled = int_or(s.acChargeEnable) == 1, periods = periods_of(s, "Charge") }, info
end)

--- The AC discharge settings of an SPH: { discharge_power, discharge_stop_soc, periods }.
OpenApi.sph_read_ac_discharge_times = errors.boundary(function(self, device_sn, settings_data)
  local s, info = settings_of(self, "sph_read_ac_discharge_times", device_sn, settings_data, "sph_detail")
  if not s then return nil, info end
  return { discharge_power = int_or(s.disChargePowerCommand, 0),
           discharge_stop_soc = int_or(s.wdisChargeSOCLowLimit, 10), periods = periods_of(s, "Discharge") }, info
end)

---------------------------------------------------------------------------
-- Device objects: api:device(sn, type) -> a MIN or SPH whose methods omit the serial.

local function device_class(prefix)
  local class = {}
  class.__index = class
  for name, fn in pairs(OpenApi) do
    local short = type(fn) == "function" and name:match("^" .. prefix .. "_(.+)$")
    if short then
      class[short] = function(self, ...) return self.api[name](self.api, self.device_sn, ...) end
    end
  end
  return class
end

--- OpenAPI v1 device types (device_list's `type`; growatt.DeviceType).
openapi.DeviceType = {
  INVERTER = 1, STORAGE = 2, OTHER = 3, MAX = 4, SPH = 5, SPA = 6, MIN = 7, PCS = 8, HPS = 9, PBD = 10,
}

local DEVICE_CLASSES = { min = device_class("min"), sph = device_class("sph") }
openapi.Min, openapi.Sph = DEVICE_CLASSES.min, DEVICE_CLASSES.sph
local KIND_OF_TYPE = { [openapi.DeviceType.MIN] = "min", [openapi.DeviceType.SPH] = "sph", min = "min", sph = "sph" }

--- A device object for the serial `device_sn` of `device_type` (growatt.DeviceType.MIN or
-- .SPH, or "min" / "sph"); nil and an `invalid` error for the types without one.
function OpenApi:device(device_sn, device_type)
  errors.check(device_sn, "string", "device_sn", "device")
  errors.check(device_type, { "number", "string" }, "device_type", "device")
  local class = KIND_OF_TYPE[type(device_type) == "string" and device_type:lower() or device_type]
  if not class then
    return nil, invalid("device_type", "has no device class: " .. tostring(device_type) ..
      " (MIN = 7 and SPH = 5 have one)")
  end
  return setmetatable({ api = self, device_sn = device_sn, device_type = openapi.DeviceType[class:upper()] },
    DEVICE_CLASSES[class])
end
OpenApi.get_device = OpenApi.device -- the reference's name

---------------------------------------------------------------------------
-- The token and the 5-minute rule

--- Replaces the token (the budget and windows are the new token's).
OpenApi.set_token = token.set_token

---------------------------------------------------------------------------
-- Construction

local OPTIONS = { token = "string", cache = "boolean", min_interval = "number" }

--- growatt.openapi{ token = ..., server_url | region = ..., cache = false, min_interval = 300,
-- and the options of growatt.new }.
local function new(opts)
  if type(opts) == "table" and type(opts.min_interval) == "number" and opts.min_interval < 0 then
    errors.misuse("growatt.openapi: option 'min_interval' must be >= 0")
  end
  local api = token.open(OpenApi, "growatt.openapi", opts, OPTIONS, openapi.USER_AGENT)
  api.min_interval = opts.min_interval or openapi.DEFAULT_MIN_INTERVAL
  return api
end
openapi.new = errors.boundary(new)

return openapi
