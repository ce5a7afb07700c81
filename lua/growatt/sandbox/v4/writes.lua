-- OpenAPI v4 writes (protocol-v4.md §4), handlers as in reads.lua. Each checks its values as
-- Growatt does (out of range: code 6 PARAMETER_SETTING_FAILED; a type the write does not
-- serve: code 7), keeps the change (world.lua) and answers PARAMETER_SETTING_SUCCESSFUL.
-- Runs inside nginx (cjson) and plain Lua alike.
local cjson = require("cjson.safe")
local data = require("growatt.sandbox.data")
local common = require("growatt.sandbox.v4.common")
local reads = require("growatt.sandbox.v4.reads")
local world = require("growatt.sandbox.v4.world")

local fail, int_in = common.fail, common.int_in

local M = {}

local function done() return nil, common.OK_WRITE end

-- handler(c, e, value) for the one device, when its type is allowed (noah_only: true = only
-- Noah, false = all but Noah, nil = all) and `value` is an integer in [lo, hi] (lo nil: no check).
local function write(noah_only, lo, hi, apply)
  return function(c, devices)
    local e = devices[1]
    if noah_only ~= nil and (e.type == "noah") ~= noah_only then return fail(7) end
    local value = c.params.value
    if lo then
      value = int_in(value, lo, hi)
      if not value then return fail(6) end
    end
    local problem = apply(c, e, value)
    if problem then return problem end
    return done()
  end
end

M.on_or_off = write(false, 0, 1, function(c, e, v) world.settings(c.state, e).on_off = v end)

M.power = function(c, devices)
  local e = devices[1]
  local hi = e.type == "noah" and 800 or 100
  return write(nil, 0, hi, function(_, _, v)
    if e.type == "noah" then e.device.noah.default_power = v else world.settings(c.state, e).active_rate = v end
  end)(c, devices)
end

M.high_limit_soc = write(true, 0, 100, function(_, e, v)
  if v < e.device.noah.charging_soc_low then return fail(6) end
  e.device.noah.charging_soc_high = v
end)

M.low_limit_soc = write(true, 0, 100, function(_, e, v)
  if v > e.device.noah.charging_soc_high then return fail(6) end
  e.device.noah.charging_soc_low = v
end)

M.grid_charge = write(true, 0, 1, function(c, e, v) world.settings(c.state, e).grid_charge = v end)
M.off_grid = write(true, 0, 1, function(c, e, v) world.settings(c.state, e).off_grid = v end)

-- "HH:mm" (or "H:m") -> "H:M", Growatt's non-padded form; nil when it is no time of day.
local function clock(text)
  local h, m = tostring(text or ""):match("^(%d%d?):(%d%d?)$")
  h, m = tonumber(h), tonumber(m)
  if not h or h > 23 or m > 59 then return nil end
  return h .. ":" .. m
end

M.time_segment = write(true, nil, nil, function(c, e)
  local p = c.params
  local slot = { start = clock(p.startTime), ["end"] = clock(p.endTime), mode = int_in(p.mode, 0, 2),
                 power = int_in(p.power, 0, 800), enable = int_in(p.enable, 0, 1) }
  local n = int_in(p.type, 1, 9)
  if not (n and slot.start and slot["end"] and slot.mode and slot.power and slot.enable) then return fail(6) end
  world.set_slot(c.state, e, n, slot)
end)

-- setDevice: value = {"deviceId": "<inverter SN or empty>", "deviceModel": ..., ...}.
M.device = write(true, nil, nil, function(c, e)
  local value = cjson.decode(c.params.value or "")
  if type(value) ~= "table" or type(value.deviceId) ~= "string" then return fail(6) end
  world.settings(c.state, e).associated_inv = value.deviceId
end)

-- The schedule of set_param_34: a JSON array of at most 20 {percentage, startTime, endTime}.
local function schedule(text)
  local list = cjson.decode(text or "")
  if type(list) ~= "table" or #list > 20 then return nil end
  local out = data.array()
  for i, p in ipairs(list) do
    if type(p) ~= "table" then return nil end
    local pct, s, e = int_in(p.percentage, -100, 100), int_in(p.startTime, 0, 1440), int_in(p.endTime, 0, 1440)
    if not (pct and s and e) or s > e then return nil end
    out[i] = { percentage = pct, startTime = s, endTime = e }
  end
  return out
end

local function vpp_value(n, text)
  local spec = reads.VPP[n]
  if spec == "schedule" then return schedule(text) end
  if spec == "datetime" then
    return tostring(text or ""):match("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$") and text or nil
  end
  return int_in(text, spec[1], spec[2])
end

local NOT_STORED = { [2] = true, [6] = true, [25] = true, [27] = true }

local function vpp(c, devices)
  local e = devices[1]
  if not reads.VPP_TYPES[e.type] then return fail(7) end
  local n = reads.vpp_number(c.params.setType)
  local value = n and vpp_value(n, c.params.value)
  if value == nil then return fail(6) end
  local s = world.settings(c.state, e)
  if n == 2 then s.on_off = value end -- the on/off command acts, and is not kept as a parameter
  if not NOT_STORED[n] then s.vpp[tostring(n)] = value end
  return done()
end
M.vpp, M.new_vpp = vpp, vpp

function M.remove_vpp_period(c, devices)
  local e = devices[1]
  if not reads.VPP_TYPES[e.type] then return fail(7) end
  if reads.vpp_number(c.params.setType) ~= 34 then return fail(6) end
  world.settings(c.state, e).vpp["34"] = data.array()
  return done()
end

return M
