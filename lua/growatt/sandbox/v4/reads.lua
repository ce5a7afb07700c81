-- OpenAPI v4 reads (protocol-v4.md §3). A handler is handler(c, devices) with
--   c        { state, account, params, v4 = state.v4 }
--   devices  the permitted world.lua entries the request names (api.lua checked them)
-- and returns the reply's data [, its message] or a finished envelope (common.fail).
-- Plain Lua 5.1-5.4 (no ngx).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")
local common = require("growatt.sandbox.v4.common")
local details = require("growatt.sandbox.v4.details")
local records = require("growatt.sandbox.v4.records")
local world = require("growatt.sandbox.v4.world")

local M = {}

M.PAGE_SIZE = 100
M.RETENTION_DAYS = 95 -- older days answer an empty history, as Growatt does

-- A device that has lost its link (world.offline) says so in its records.
local function mark_offline(c, e, r)
  if world.offline(c.state, e) then
    r.lost, r.status = true, -1
  end
  return r
end

function M.device_list(c)
  local all = world.devices_of(c.state, c.account)
  local size = tonumber(c.v4.page_size) or M.PAGE_SIZE
  local page = tonumber(c.params.page)
  local items = data.array()
  for i = (page - 1) * size + 1, math.min(#all, page * size) do
    local e = all[i]
    items[#items + 1] = { deviceType = e.type, deviceSn = e.sn, datalogSn = e.device.datalog,
                          createDate = (e.plant.created or "2020-01-01") .. " 09:30:12.0" }
  end
  local pages = math.max(1, math.ceil(#all / size))
  return { pages = pages, pageSize = size, count = #all, other = data.null, notPager = false,
           lastPager = page >= pages, startCount = (page - 1) * size, data = items }
end

-- data = { [deviceType] = [ one object per device ] }
local function by_type(c, devices, build)
  local list = data.array()
  for i, e in ipairs(devices) do list[i] = mark_offline(c, e, build(c.state, e)) end
  return { [devices[1].type] = list }
end

function M.device_info(c, devices) return by_type(c, devices, details.info) end

function M.last_data(c, devices) return by_type(c, devices, records.last) end

-- The device's 5-minute records of a plant-local date: the whole day for a past day, so far
-- for today, none for a future day or one older than RETENTION_DAYS.
local function day_records(c, e, date)
  local h, m, today = common.wall_time(e.plant)
  local list = data.array()
  local age = (common.wall_epoch(today, 0, 0) - common.wall_epoch(date, 0, 0)) / 86400000
  if age < 0 or age > M.RETENTION_DAYS then return list end
  local energy_of_day = date ~= today and energy.day_energy(c.state, e.device, date) or nil
  local points = energy.day(c.state, e.device, date, energy_of_day)
  local last = date == today and (h * 12 + math.floor(m / 5) + 1) or #points
  local sums = { pv = 0, charge = 0, discharge = 0, export = 0, import = 0, load = 0 }
  for i = 1, last do
    for k in pairs(sums) do sums[k] = sums[k] + points[i][k] * data.STEP_HOURS end
    list[#list + 1] = records.at(c.state, e, records.moment_of_point(date, points[i], sums))
  end
  return list
end

function M.history(c, devices)
  return { datas = day_records(c, devices[1], c.params.date), start = 0, haveNext = false }
end

function M.devices_history(c, devices)
  local out = {}
  for _, e in ipairs(devices) do out[e.sn] = day_records(c, e, c.params.date) end
  return out
end

-- readPower: a Noah's output power (W), else the active power rate (%).
function M.read_power(c, devices)
  local e = devices[1]
  if e.type == "noah" then return e.device.noah.default_power, common.OK_SMALL end
  return world.settings(c.state, e).active_rate, common.OK_SMALL
end

-- getWiFiSignalByDevice: the value (dBm) is the message, the data the status text.
function M.wifi_signal(_, devices)
  local sum = 0
  for i = 1, #devices[1].sn do sum = sum + devices[1].sn:byte(i) end
  return common.OK_READ, tostring(-45 - sum % 30)
end

-- VPP parameters (protocol-v4.md §4): n -> { lo, hi, default } or a kind.
M.VPP = {
  [1] = { 0, 1, 0 }, [2] = { 0, 1, 1 }, [3] = "datetime", [4] = { 0, 1, 0 }, [5] = { 0, 100, 100 },
  [6] = { 0, 100, 100 }, [7] = { 0, 1, 0 }, [8] = { 0, 1, 0 }, [9] = { 0, 6, 0 }, [10] = { 0, 60, 60 },
  [11] = { 0, 5, 0 }, [12] = { 0, 20000, 10000 }, [13] = { 0, 1, 0 }, [14] = { -100, 100, 0 },
  [15] = { 0, 100, 0 }, [16] = { 0, 300, 30 }, [17] = { 0, 1, 0 }, [18] = { 0, 1, 0 }, [19] = { 0, 20000, 27 },
  [20] = { 0, 1, 0 }, [21] = { 0, 3, 0 }, [22] = { 70, 100, 100 }, [23] = { 10, 30, 10 }, [24] = { 10, 20, 10 },
  [25] = { 0, 1, 0 }, [26] = { 0, 1440, 0 }, [27] = { -100, 100, 0 }, [28] = { 0, 1, 0 }, [29] = { 10, 30, 10 },
  [30] = { 0, 15000, 0 }, [31] = { 0, 15000, 0 }, [32] = { 0, 2000, 1500 }, [33] = { 0, 2000, 1500 },
  [34] = "schedule",
}
M.VPP_TYPES = { sph = true, spa = true, min = true, wit = true }

-- set_param_<n> -> n, when n is a VPP parameter.
function M.vpp_number(set_type)
  local n = tonumber(tostring(set_type or ""):match("^set_param_(%d+)$"))
  if n and M.VPP[n] then return n end
end

function M.read_vpp(c, devices)
  local e = devices[1]
  if not M.VPP_TYPES[e.type] then return common.fail(7) end
  local n = M.vpp_number(c.params.setType)
  if not n then return common.fail(6) end
  local value = world.settings(c.state, e).vpp[tostring(n)]
  if value == nil then
    local spec = M.VPP[n]
    if spec == "schedule" then value = data.array()
    elseif spec == "datetime" then value = (common.clock(e.plant))
    else value = spec[3] end
  end
  return value, common.OK_SMALL
end

function M.dfc(c, devices) return mark_offline(c, devices[1], details.dfc(c.state, devices[1])) end

function M.info_param(c, devices) return details.param(c.state, devices[1]) end

return M
