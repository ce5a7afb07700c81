-- The device details of OpenAPI v4 (queryDeviceInfo) per deviceType: every field name of
-- protocol-v4.md appendix B, the modelled ones from the world and the v4 settings (world.lua),
-- the rest idle (records.idle). Kept quirks: noah's `deviceSn`/`datalogSn`/`address` against
-- the others' `serialNum`/`dataLogSn`/`addr`, schedule times as non-padded "H:M",
-- `innerVersion` "null", min's `sysTime` "", snake_case keys next to camelCase ones.
-- Also queryDeviceInfoParam and queryDfcData, which describe one device each.
-- Plain Lua 5.1-5.4 (no ngx).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")
local common = require("growatt.sandbox.v4.common")
local INFO = require("growatt.sandbox.v4.info_fields")
local records = require("growatt.sandbox.v4.records")
local world = require("growatt.sandbox.v4.world")

local round = common.round

local M = {}

-- The numeric device type of the v1 device check, which details carry in `deviceType`.
M.TYPE_CODES = { inv = 16, sph = 17, max = 18, spa = 19, min = 22, storage = 96, wit = 218, ["sph-s"] = 260,
                 noah = 1000 }

local function base(state, e)
  local d, s = e.device, world.settings(state, e)
  local text, epoch = common.clock(e.plant)
  local on = s.on_off ~= 0
  return {
    id = tonumber(d.sn:match("%d+")) or 0, serialNum = d.sn, dataLogSn = d.datalog, alias = d.alias,
    portName = "ShinePano - " .. d.datalog, addr = 1, address = 1, location = e.plant.city,
    lost = false, status = on and 1 or 0, statusText = on and "Normal" or "Waiting",
    lastUpdateTime = epoch, lastUpdateTimeText = text, sysTime = text, sysTimeText = text,
    timezone = common.float(e.plant.timezone), fwVersion = d.firmware, innerVersion = "null", model = 720575940,
    modelText = d.model, plantId = tonumber(e.plant.id), plantname = e.plant.name, plantName = e.plant.name,
    deviceType = M.TYPE_CODES[e.type], onOff = s.on_off, activeRate = s.active_rate,
    pmax = d.nominal_power, nominalPower = d.nominal_power, power = d.power, powerMax = d.nominal_power,
    eToday = round(d.today_energy), eTotal = round(d.total_energy), groupId = -1, parentID = "",
    vppOpen = 0, exportLimit = 0, exportLimitPowerRate = 0, pv_active_p_rate = s.active_rate,
    pv_on_off = s.on_off, createDate = e.plant.created and (e.plant.created .. " 10:00:00.0") or "",
  }
end

local INFO_BY_TYPE = {}

function INFO_BY_TYPE.min(state, e)
  local r = base(state, e)
  r.sysTime, r.monitorVersion, r.hwVersion, r.dtc = "", "null", "null", 5200
  r.statusText = r.status == 1 and "tlx.status.normal" or "tlx.status.waiting"
  return r
end

function INFO_BY_TYPE.wit(state, e)
  local r = base(state, e)
  local vpp = world.settings(state, e).vpp
  r.chargeSocLimit, r.dischargeSocLimit = vpp["22"] or 100, vpp["23"] or 10
  return r
end

INFO_BY_TYPE.sph = function(state, e)
  local r = base(state, e)
  local vpp = world.settings(state, e).vpp
  r.wchargeSOCLowLimit1, r.wdisChargeSOCLowLimit1 = vpp["22"] or 100, vpp["23"] or 10
  r.pf_sys_year = r.sysTimeText
  return r
end
INFO_BY_TYPE.spa = INFO_BY_TYPE.sph

function INFO_BY_TYPE.noah(state, e)
  local d, n, s = e.device, e.device.noah, world.settings(state, e)
  local r = base(state, e)
  r.deviceSn, r.datalogSn, r.portName = d.sn, d.datalog, "ShinePano-" .. d.datalog
  r.associatedInvSn = s.associated_inv ~= "" and s.associated_inv or data.null
  r.status, r.model, r.modelName, r.manName = 1, "Noah 2000", d.model, "Growatt"
  r.chargingSocHighLimit, r.chargingSocLowLimit = n.charging_soc_high, n.charging_soc_low
  r.defaultPower = n.default_power
  r.allowGridCharging, r.gridConnectionControl, r.componentPower = s.grid_charge, s.off_grid, common.float(0)
  r.smartSocketPower = common.float(0)
  r.otaDeviceTypeCodeHigh, r.otaDeviceTypeCodeLow, r.mpptVersion, r.pdVersion = "PB", "FU", "212004", "211005"
  r.bmsVersion, r.defaultMode = "213005", n.work_mode
  r.sysTime = r.lastUpdateTime - 600000
  for i, slot in ipairs(world.slots(state, e)) do
    r["time" .. i .. "Start"], r["time" .. i .. "End"] = slot.start, slot["end"]
    r["time" .. i .. "Mode"], r["time" .. i .. "Power"], r["time" .. i .. "Enable"] = slot.mode, slot.power, slot.enable
  end
  return r
end

function M.info(state, e)
  local build = INFO_BY_TYPE[e.type] or base
  return records.fill(INFO.names(e.type), build(state, e))
end

-- queryDeviceInfoParam: what the device is.
function M.param(_, e)
  local d, b = e.device, e.battery or {}
  local capacity = b.capacity or 0
  return {
    deviceSn = d.sn, deviceType = e.type, deviceModel = d.model, dataloggerModel = "ShineWiFi-X",
    batteryModel = capacity > 0 and "ARK-" .. round(capacity / 1000) .. "H" or "", norminalPower = d.nominal_power,
    batteryCapacity = round(capacity / 1000, 2), batteryNominalPower = round(capacity / 2), hasBattery = capacity > 0,
  }
end

-- Watts as the DFC example writes them: two decimals.
local function w2(x) return data.number_text(string.format("%.2f", x)) end

-- queryDfcData: the device's flows now; utcTime is real UTC, unlike every other time of v4.
function M.dfc(state, e)
  local f, b = energy.flows(state, e.device), e.battery or {}
  local soc = b.soc or 0
  local battery_status = f.charge > 0 and 2 or (f.discharge > 0 and 3 or 0)
  return {
    activePower = w2(f.to_user), pac = w2(f.out), ppv = w2(f.pv), payLoadPower = w2(f.load),
    reverActivePower = w2(f.to_grid), batteryStatus = battery_status, batPower = w2(f.charge - f.discharge),
    priority = 0, serialNum = e.sn, soc = soc, status = 6,
    utcTime = os.date("!%Y-%m-%d %H:%M:%S", math.floor(common.now())),
    vac1 = e.device.grid_voltage, vac2 = e.device.grid_voltage, vac3 = e.device.grid_voltage,
    batteryList = (b.capacity or 0) > 0 and { { index = 1, soc = soc, chargePower = f.charge,
      dischargePower = f.discharge, vbat = b.voltage, ibat = round((f.charge - f.discharge) / b.voltage, 2) } }
      or data.array(),
  }
end

return M
