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
local client = require("growatt.engine.client")
local regions = require("growatt.engine.regions")
local core = require("growatt.core")
local errors = require("growatt.errors")
local store = require("growatt.engine.store")

local shared = engine.shared

local v1 = require("growatt.openapi.v1_endpoints")
local invalid = v1.invalid

local openapi = {
  DEFAULT_MIN_INTERVAL = v1.DEFAULT_MIN_INTERVAL,
  MAX_PAGE = v1.MAX_PAGE,
  MAX_PERPAGE = v1.MAX_PERPAGE,
  endpoints = v1.endpoints,
  USER_AGENT = _VERSION:gsub(" ", "/") .. " (lua-growatt/" .. engine.VERSION .. ")",
}

local OpenApi = engine.class({ one_at_a_time = true }) -- batch goes through its _send
openapi.OpenApi = OpenApi
OpenApi.readings = require("growatt.readings").for_v1

-- Tokens live here, keyed by api object rather than in it, so that printing or serialising
-- an api object never shows one.
local tokens = setmetatable({}, { __mode = "k" })

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
local function settings_of(self, fname, sn, given, read)
  errors.check(sn, "string", "device_sn", fname, 2)
  if given == nil then
    local v, info = self[read](self, sn)
    if v ~= nil and type(v) ~= "table" then
      return nil, errors.new("protocol", "the reply's data is not an object", { response = v })
    end
    return v, info
  end
  errors.check(given, "table", "settings_data", fname, 2)
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
function OpenApi:min_read_time_segments(device_sn, settings_data)
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
end

--- The AC charge settings of an SPH: { charge_power, charge_stop_soc, mains_enabled, periods }.
function OpenApi:sph_read_ac_charge_times(device_sn, settings_data)
  local s, info = settings_of(self, "sph_read_ac_charge_times", device_sn, settings_data, "sph_detail")
  if not s then return nil, info end
  return { charge_power = int_or(s.chargePowerCommand, 0), charge_stop_soc = int_or(s.wchargeSOCLowLimit, 100),
           mains_enabled = int_or(s.acChargeEnable) == 1, periods = periods_of(s, "Charge") }, info
end

--- The AC discharge settings of an SPH: { discharge_power, discharge_stop_soc, periods }.
function OpenApi:sph_read_ac_discharge_times(device_sn, settings_data)
  local s, info = settings_of(self, "sph_read_ac_discharge_times", device_sn, settings_data, "sph_detail")
  if not s then return nil, info end
  return { discharge_power = int_or(s.disChargePowerCommand, 0),
           discharge_stop_soc = int_or(s.wdisChargeSOCLowLimit, 10), periods = periods_of(s, "Discharge") }, info
end

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

--- Marks where the token goes ("***"; _transmit puts the real one on the wire), so that
-- the token is never part of a request table: dry runs, hooks and batch items show "***".
-- The URL is computed at each call, so a change of `api.server_url` is honoured at once.
function OpenApi:_prepare(req)
  req = shared._prepare(self, req)
  req.headers = req.headers or {}
  req.headers[#req.headers + 1] = { "token", "***" }
  return req
end

--- Sends a prepared request with the token header in place of the mark. Every request of
-- an OpenApi comes through here: its _send (below) keeps batch from sending any other way.
function OpenApi:_transmit(req)
  local method, url, opts = client.session_args(req)
  local headers = {}
  for _, h in ipairs(opts.headers) do
    if h[1]:lower() ~= "token" then headers[#headers + 1] = h end
  end
  headers[#headers + 1] = { "token", tokens[self] }
  opts.headers = headers
  return self.session:request(method, url, opts)
end

-- Failures where the request cannot have reached Growatt: they do not start a window.
local UNSENT = { network = true, tls = true, closed = true }

-- "The same request": method, URL and every parameter, in order.
local function request_key(req)
  return table.concat({ req.method, req.url, core.encode(req.query or {}), core.encode(req.form or {}) }, "\n")
end

-- A repeat inside the window: the last good value of a read when the cache is on, else
-- the server's refusal `err` or our own.
function OpenApi:_repeat(req, seen, now, err)
  if self.cache and not req.write and seen.value ~= nil then
    return store.copy(seen.value), { cached = true, age = now - seen.at }
  end
  if err then return nil, err end
  local wait = math.max(1, math.ceil(self.min_interval - (now - seen.sent)))
  return nil, errors.new("rate_limited", string.format(
    "%s was sent %d s ago; Growatt answers the same request once per %d s", req.name or req.path,
    math.floor(now - seen.sent), self.min_interval), { retry_after = wait })
end

-- Forgets the windows that have passed (and their values when nothing is cached).
function OpenApi:_forget(now)
  for key, seen in pairs(self._recent) do
    if now - seen.sent >= self.min_interval and not (self.cache and seen.value ~= nil) then
      self._recent[key] = nil
      self._recent_count = self._recent_count - 1
    end
  end
end

--- Sends under the session policy (the engine's _send), unless the same request went out less than
-- min_interval seconds ago.
function OpenApi:_send(req)
  if self.min_interval <= 0 then return shared._send(self, req) end
  local key, now = request_key(req), self.clock()
  local seen = self._recent[key]
  if seen and now - seen.sent < self.min_interval then return self:_repeat(req, seen, now) end
  local value, err = shared._send(self, req)
  if err and UNSENT[err.kind] then return nil, err end
  if not seen then
    if self._recent_count >= 256 then self:_forget(now) end
    seen = {}
    self._recent[key] = seen
    self._recent_count = self._recent_count + 1
  end
  seen.sent = now
  if value ~= nil and not req.write then seen.value, seen.at = value, now end
  if err and err.kind == "rate_limited" then return self:_repeat(req, seen, now, err) end
  return value, err
end

-- What is wrong with a token that a header cannot carry, or nil (never the token itself:
-- it is a secret).
local function token_problem(token)
  if token == "" then return "must not be empty" end
  if #token > 1024 then return "must be at most 1024 bytes" end
  if token:find("%c") then return "must not contain control characters" end
end

--- Replaces the token (the windows of the old one are forgotten).
function OpenApi:set_token(token)
  errors.check(token, "string", "token", "set_token")
  local problem = token_problem(token)
  if problem then error("bad argument 'token' to 'set_token' (the token " .. problem .. ")", 2) end
  tokens[self] = token
  self._recent, self._recent_count = {}, 0
end

---------------------------------------------------------------------------
-- Construction

local OPTIONS = { token = "string", cache = "boolean", min_interval = "number" }

--- growatt.openapi{ token = ..., server_url | region = ..., cache = false, min_interval = 300,
-- and the options of growatt.new }.
local function new(opts)
  errors.check(opts, "table", "opts", "growatt.openapi")
  local base = {}
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if want and type(v) ~= want then
      errors.misuse("growatt.openapi: option '%s' must be a %s, got %s", k, want, type(v))
    end
    if not want then base[k] = v end
  end
  if opts.token == nil or opts.token == "" then errors.misuse("growatt.openapi: option 'token' is required") end
  local problem = token_problem(opts.token)
  if problem then errors.misuse("growatt.openapi: option 'token' %s", problem) end
  if opts.min_interval and opts.min_interval < 0 then
    errors.misuse("growatt.openapi: option 'min_interval' must be >= 0")
  end
  base.agent_identifier = base.agent_identifier or openapi.USER_AGENT
  local api = engine.open(OpenApi, "growatt.openapi", base)
  tokens[api] = opts.token
  api.cache = opts.cache or false
  api.min_interval = opts.min_interval or openapi.DEFAULT_MIN_INTERVAL
  api.clock = core.now
  api._recent, api._recent_count = {}, 0
  return api
end
openapi.new = errors.boundary(new)

return openapi
