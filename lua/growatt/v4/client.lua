--- Growatt's OpenAPI v4 ("new-api"): a `token` header, every device type, POST
-- v4/new-api/<name> with a form body.
--
--   local growatt = require("growatt")
--   local v4 = growatt.v4{ token = os.getenv("GROWATT_TOKEN") }   -- or region = "north_america"
--   local devices = assert(v4:devices())                          -- every page of queryDeviceList
--   local last = assert(v4:last_data({ "0PVPF12345", "0PVPF12346" }, "noah"))
--   print(last.noah[1].totalBatteryPackSoc)
--
-- The endpoint tables are growatt.v4.endpoints; this module makes the client: a sibling of
-- growatt.openapi on the same engine (growatt.engine.api) with the shared methods (batch,
-- stats, close) and v4's own, none of the other families'. What is not one request lives
-- here: every page of the device list, more serials than one request takes, and writes
-- that read the value back ({ verify = true }).

local engine = require("growatt.engine.api")
local errors = require("growatt.errors")
local token = require("growatt.openapi.token")
local v1 = require("growatt.openapi.v1")
local endpoints = require("growatt.v4.endpoints")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local v4 = {
  endpoints = endpoints.endpoints,
  TYPES = endpoints.TYPES,
  USER_AGENT = v1.USER_AGENT,
  MAX_PAGES = 1000, -- devices() stops there: 100 000 devices
}

-- The family: the token's (growatt.openapi.token, shared with v1). The entries' intervals
-- are kept by the policy, per token account, in the store.
local V4 = engine.class({}, token.family)
v4.V4 = V4
engine.install(V4, endpoints.endpoints)

--- Replaces the token (the budget and windows are the new token's).
V4.set_token = token.set_token

--- The decoded reply (the envelope, before normalisation) a table result came from.
function V4.raw(_, result) return endpoints.replies.raw(result) end

engine.lazy(V4, "readings", "growatt.readings", "for_v4")

---------------------------------------------------------------------------
-- Every page, every serial

--- Every device the token may see: the pages of device_list until lastPager. Returns the
-- list of { deviceSn, deviceType, datalogSn, createDate }, or nil and the first error.
function V4:devices()
  if self.dry_run then return self:device_list(1) end
  local list = {}
  for page = 1, v4.MAX_PAGES do
    local data, err = self:device_list(page)
    if not data then return nil, err end
    if type(data) ~= "table" then return nil, errors.new("protocol", "device_list's data is not an object") end
    local items = type(data.data) == "table" and data.data or {}
    for _, d in ipairs(items) do list[#list + 1] = d end
    if data.lastPager ~= false or #items == 0 then return list end
  end
  return list
end

-- Merges the results of the chunks into `into`: the lists under each key joined into a new
-- one (data keyed by device type, or by serial), so that no part's table is changed (the
-- policy may keep it as the last good value).
local function merge(into, part)
  for k, v in pairs(part) do
    if type(v) == "table" then
      local list = into[k] or {}
      for _, x in ipairs(v) do list[#list + 1] = x end
      into[k] = list
    else
      into[k] = v
    end
  end
end

-- The method `name` (one request takes at most `max` serials) for any number of serials:
-- more are split into requests of `max`, sent as one batch, and their results merged.
-- When one of them fails, the call returns nil and its error, with err.partial holding
-- what the others returned.
local function chunked(name, max)
  local one = V4[name]
  V4[name] = errors.boundary(function(self, sns, ...) -- misuse, also a batch's, at the caller's line
    if type(sns) ~= "table" or #sns <= max then return one(self, sns, ...) end
    local calls = {}
    for i = 1, #sns, max do
      calls[#calls + 1] = { name, { unpack(sns, i, math.min(i + max - 1, #sns)) }, ... }
      calls[#calls].n = 1 + select("#", ...) + 1
    end
    local values, errs = self:batch(calls)
    if self.dry_run then return values end
    local merged, first = {}, nil
    for i = 1, #calls do
      if type(values[i]) == "table" then merge(merged, values[i]) end
      if errors.is(errs[i]) then first = first or errs[i] end -- else nothing, or the cache's info
    end
    if first then
      first.partial = merged
      return nil, first
    end
    return merged
  end)
end
chunked("device_info", endpoints.MAX_SNS)
chunked("last_data", endpoints.MAX_SNS)
chunked("devices_history", endpoints.MAX_HISTORY_SNS)

---------------------------------------------------------------------------
-- Writes that read the value back: { verify = true }

-- A read made to verify a write, or nil and an error when it came from the cache (a value
-- from before the write proves nothing).
local function fresh(v, info)
  if type(info) == "table" and info.cached then
    return nil, errors.new("rate_limited", string.format("cannot read the value back: the same read was "
      .. "answered %d s ago, and Growatt answers it once per its interval (the cache answered)",
      math.floor(info.age)))
  end
  return v, info
end

-- The one noah's details (device_info), or nil and an error.
local function noah_details(self, sn)
  local data, err = fresh(self:device_info(sn, "noah"))
  if not data then return nil, err end
  local d = data.noah and data.noah[1]
  if type(d) ~= "table" then return nil, errors.new("not_found", "device_info has no details of " .. sn) end
  return d
end

-- "06:05" as the details show it: "6:5".
local function unpadded(hhmm)
  local h, m = hhmm:match("^(%d+):(%d+)$")
  return tonumber(h) .. ":" .. tonumber(m)
end

local function switch(v) if type(v) == "boolean" then return v and 1 or 0 end return v end

-- Per write: how to read the value back -> what was read, and whether it is what was written.
local READ_BACK = {
  set_power = function(self, sn, t, value)
    local got, err = fresh(self:read_power(sn, t))
    return got, err, got == value
  end,
  set_high_limit_soc = function(self, sn, _, value)
    local d, err = noah_details(self, sn)
    return d and d.chargingSocHighLimit, err, d and d.chargingSocHighLimit == value
  end,
  set_low_limit_soc = function(self, sn, _, value)
    local d, err = noah_details(self, sn)
    return d and d.chargingSocLowLimit, err, d and d.chargingSocLowLimit == value
  end,
  set_grid_charge = function(self, sn, _, value)
    local d, err = noah_details(self, sn)
    return d and d.allowGridCharging, err, d and d.allowGridCharging == switch(value)
  end,
  set_time_segment = function(self, sn, _, slot, start, stop, mode, power, enabled)
    local d, err = noah_details(self, sn)
    if not d then return nil, err end
    local p = "time" .. slot
    local got = { start = d[p .. "Start"], stop = d[p .. "End"], mode = d[p .. "Mode"], power = d[p .. "Power"],
                  enabled = d[p .. "Enable"] }
    if enabled == nil then enabled = true end
    return got, nil, got.start == unpadded(start) and got.stop == unpadded(stop) and got.mode == mode
      and got.power == power and got.enabled == switch(enabled)
  end,
  set_vpp_parameter = function(self, sn, t, set_type, value)
    local got, err = fresh(self:read_vpp_parameter(sn, t, set_type))
    if type(value) == "table" and type(got) == "table" then
      local same = #got == #value
      for i, p in ipairs(value) do
        local g = got[i] or {}
        same = same and g.percentage == p.percentage and g.startTime == p.startTime and g.endTime == p.endTime
      end
      return got, err, same
    end
    return got, err, got == switch(value)
  end,
}
READ_BACK.set_new_vpp_parameter = READ_BACK.set_vpp_parameter

-- The write's result after reading back: `ok, err` what the write returned (only success
-- and code 1 are read back).
local function verified(ok, err, got, rerr, same)
  if rerr then
    if ok then return ok, { verified = false, verify_error = rerr } end
    err.verified, err.verify_error = false, rerr
    return nil, err
  end
  if same then return true, { verified = true, read = got, code = err and err.code } end
  local e = errors.new("api", "the write was " .. (ok and "accepted" or "refused (code 1)") ..
    ", but reading it back shows another value", { verified = false, read = got, code = err and err.code })
  if err then e.maybe_applied = false end
  return nil, e
end

-- The write `name` with `{ verify = true }` among its per-call options.
local function verifying(name)
  local ep = endpoints.endpoints[name]
  ep.verify = true -- the per-call option is documented with the entry
  local one, nargs, read_back = V4[name], #ep.args, READ_BACK[name]
  V4[name] = errors.boundary(function(self, ...)
    local opts = select(nargs + 1, ...)
    if type(opts) ~= "table" or opts.verify == nil then return one(self, ...) end
    errors.check(opts.verify, "boolean", "options.verify", name)
    local rest, args = {}, { ... }
    for k, v in pairs(opts) do if k ~= "verify" then rest[k] = v end end
    args[nargs + 1] = next(rest) and rest or nil
    local ok, err = one(self, unpack(args, 1, nargs + 1))
    if not opts.verify or type(ok) == "table" then return ok, err end -- a dry run's request
    if not ok and err.code ~= 1 then return nil, err end
    return verified(ok, err, read_back(self, unpack(args, 1, nargs)))
  end)
end
for name in pairs(READ_BACK) do verifying(name) end

---------------------------------------------------------------------------
-- Construction

local OPTIONS = { token = "string", cache = "boolean", timezone = "number", intervals = "boolean" }

--- growatt.v4{ token = ..., server_url | region = ..., timezone = hours, cache = false,
-- intervals = true (false: Growatt's intervals are not kept by the client, for a test
-- server without them), and the options of growatt.new }.
local function new(opts)
  local api = token.open(V4, "growatt.v4", opts, OPTIONS, v4.USER_AGENT)
  api.timezone = opts.timezone
  api.intervals = opts.intervals ~= false
  return api
end
v4.new = errors.boundary(new)

return v4
