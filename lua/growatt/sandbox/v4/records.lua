-- The telemetry records of OpenAPI v4 (queryLastData, the history endpoints) per deviceType,
-- from the world's values (energy.lua: the same flows ShinePhone and v1 show). A record has
-- every field name of protocol-v4.md appendix A for its type: those the sandbox models carry
-- the device's values, the others Growatt's idle values (0, "", "null", false). Kept quirks
-- (§6): inv's SN is `inverterId`, noah's `time` is epoch ms next to `timeStr`, min's
-- `debug1` uses full-width commas and `pex1` the -0.1 sentinel, sph's `epvtoday` is a
-- float32 artefact, `innerVersion` and friends are the string "null".
-- Plain Lua 5.1-5.4 (no ngx).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")
local common = require("growatt.sandbox.v4.common")
local LAST = require("growatt.sandbox.v4.last_fields")
local world = require("growatt.sandbox.v4.world")

local round = common.round

local M = {}

---------------------------------------------------------------------------
-- Idle values for the fields the sandbox does not model.

local STRINGS = {
  alias = "", location = "", portName = "", plantname = "", plantName = "", userName = "", treeName = "",
  imgPath = "", tcpServerIp = "", modelText = "", statusText = "", errorText = "Unknown", warnText = "Unknown",
  innerVersion = "null", monitorVersion = "null", mcVersion = "null", hwVersion = "null",
  timeTotalText = "0", createDate = "", sysTime = "",
}
local BOOLEANS = { lost = true, again = true, withTime = true, bigDevice = true, updating = true, isAuthorize = true }
local ARRAYS = { children = true, optimezerList = true, batteryList = true }

function M.idle(name)
  if STRINGS[name] then return STRINGS[name] end
  if BOOLEANS[name] then return false end
  if ARRAYS[name] then return data.array() end
  if name:find("Bean$") or name:find("Map$") or name:find("MapMap$") or name == "day" then return data.null end
  if name:find("Text$") or name:find("Sn$") or name:find("SN$") or name:find("SerialNum") or
     name:find("Version$") then return "" end
  return 0
end

-- Every name of the list, with the value of `known` or its idle value.
function M.fill(names, known)
  local r = {}
  for _, name in ipairs(names) do
    local v = known[name]
    if v == nil then v = M.idle(name) end
    r[name] = v
  end
  return r
end

-- Only the names of the list that `known` has (the records of the history endpoints).
function M.pick(names, known)
  local r = {}
  for _, name in ipairs(names) do
    if known[name] ~= nil then r[name] = known[name] end
  end
  return r
end

---------------------------------------------------------------------------
-- The moment a record describes: f = flows (W), soc (%), today = the day's kWh so far,
-- text/epoch = its time (common.clock), on = the device is switched on.

local function moment_now(state, e)
  local _, _, date = common.wall_time(e.plant)
  local f = energy.flows(state, e.device)
  local text, epoch = common.clock(e.plant)
  local on = world.settings(state, e).on_off ~= 0
  if not on then f = { pv = f.pv, charge = 0, discharge = 0, out = 0, load = f.load, to_grid = 0, to_user = f.load } end
  return { f = f, soc = e.battery and e.battery.soc or 0, today = energy.day_totals(state, e.device, date),
           text = text, epoch = epoch, on = on, now = true }
end

-- The moment of a 5-minute point of `date` (energy.day); `sums` are the day's kWh up to it
-- ({ pv, charge, discharge, export, import, load }).
function M.moment_of_point(date, p, sums)
  local h, m = p.time:match("^(%d+):(%d+)$")
  local text = date .. " " .. p.time .. ":00"
  local w = function(kw) return round(kw * 1000, 1) end
  local out = p.pv - p.charge + p.discharge
  return { f = { pv = w(p.pv), charge = w(p.charge), discharge = w(p.discharge), out = w(out), load = w(p.load),
                 to_grid = w(p.export), to_user = w(p.import) },
           soc = round(p.soc, 0), today = sums, eac_today = sums.pv - sums.charge + sums.discharge,
           text = text, epoch = common.wall_epoch(date, tonumber(h), tonumber(m)), on = true }
end

---------------------------------------------------------------------------
-- What each type's record says about a device at a moment.

local function strings_of(d, pv, n, out)
  local s = energy.strings(d, pv)
  for i = 1, n do
    local si = s[i] or { v = 0, i = 0, p = 0 }
    out["vpv" .. i], out["ipv" .. i], out["ppv" .. i] = si.v, round(si.i, 2), round(si.p, 1)
  end
  return out
end

-- What most types share: serialNum/dataLogSn, calendar/time, status, the AC side and energies.
local function base(state, e, m)
  local d, f, life = e.device, m.f, energy.lifetime(state, e.device)
  local r = strings_of(d, f.pv, 4, {
    serialNum = d.sn, dataLogSn = d.datalog, calendar = m.epoch, time = m.text, alias = d.alias,
    status = m.on and 1 or 0, statusText = m.on and "Normal" or "Waiting", lost = false, again = false,
    withTime = false, address = 1, ppv = f.pv, pac = f.out, pac1 = f.out, fac = d.frequency,
    vac1 = d.grid_voltage, iac1 = d.grid_voltage > 0 and round(f.out / d.grid_voltage, 1) or 0,
    eacToday = round(m.eac_today or d.today_energy), eacTotal = round(d.total_energy), epvTotal = round(life.pv),
    pacToGridTotal = f.to_grid, pacToUserTotal = f.to_user, pacToLocalLoad = f.load, plocalLoadTotal = f.load,
    etoGridToday = round(m.today.export), etoUserToday = round(m.today.import),
    etoGridTotal = round(life.export), etoUserTotal = round(life.import), elocalLoadToday = round(m.today.load),
    elocalLoadTotal = round(life.load), temp1 = d.temperature, temp2 = round(d.temperature + 2.5),
    temp3 = round(d.temperature + 5), pcharge1 = f.charge, pdischarge1 = f.discharge, soc = m.soc,
    bmsSOC = m.soc, bmsSoc = m.soc, vbat = e.battery and e.battery.voltage or 0, priorityChoose = 0,
    echarge1Today = round(m.today.charge), edischarge1Today = round(m.today.discharge),
    echarge1Total = round(life.charge), edischarge1Total = round(life.discharge), timeTotal = 12798429.9,
  })
  r.epv1Today, r.epv2Today = round(m.today.pv * 0.55), round(m.today.pv * 0.45)
  return r
end

local LAST_BY_TYPE = {}

function LAST_BY_TYPE.inv(state, e, m)
  local r = base(state, e, m)
  r.inverterId, r.timeCalendar, r.id, r.bigDevice = e.sn, m.epoch, 0, false
  r.pacr, r.vacr, r.iacr = r.pac, r.vac1, r.iac1
  r.powerToday, r.powerTotal = r.eacToday, r.eacTotal
  r.temperature, r.ipmTemperature = e.device.temperature, r.temp2
  r.faultType, r.warnCode, r.timeTotal, r.timeTotalText = 0, 0, 94.97958333333334, "95"
  r.realOPPercent = world.settings(state, e).active_rate
  return r
end

function LAST_BY_TYPE.min(state, e, m)
  local r = base(state, e, m)
  if e.device.type == "tlx" and m.now and m.on then -- the values ShinePhone and v1 show
    for k, v in pairs(energy.tlx_record(state, e.device, m.text:sub(1, 10))) do r[k] = v end
  end
  r.bdc1Soc, r.bdc1ChargePower, r.bdc1DischargePower = m.soc, m.f.charge, m.f.discharge
  r.calendar, r.time, r.status = m.epoch, m.text, m.on and 1 or 0
  r.debug1, r.debug2 = "0，0，0，0，0，0，0，0", "0，0，0，0，0，0，0，0"
  r.pex1, r.pex2, r.batteryNo, r.bMerterConnectFlag, r.batterySN = -0.1, -0.1, -1, -1, data.null
  r.timeTotal, r.pacToUserTotal = data.number_text("1.27984299E7"), common.float(r.pacToUserTotal)
  r.isAgain = false
  return r
end

function LAST_BY_TYPE.sph(state, e, m)
  local r = base(state, e, m)
  r.status, r.statusText = m.on and 5 or 0, m.on and "PV Bat Online" or "Waiting"
  r.epvtoday = m.today.pv > 0 and round(m.today.pv) + 0.000000381469727 or 0
  r.esystemtoday, r.eselftoday = round(m.today.pv), round(m.today.pv - m.today.export)
  r.etogridTotal, r.psystem, r.pself = r.etoGridTotal, m.f.pv, -0.1
  r.ppvText, r.socText = string.format("%.1f W", m.f.pv), string.format("%d%%", m.soc)
  r.uwSysWorkMode, r.bmsBatteryVolt = 5, r.vbat
  return r
end

LAST_BY_TYPE.spa = function(state, e, m)
  local r = LAST_BY_TYPE.sph(state, e, m)
  r.ppvInverter, r.edischargeToday = m.f.pv, r.edischarge1Today
  return r
end

function LAST_BY_TYPE.storage(state, e, m)
  local r, f, b = base(state, e, m), m.f, e.battery or {}
  r.status, r.statusText = f.discharge > 0 and 2 or 1, f.discharge > 0 and "Discharge" or "Charge"
  r.capacity, r.vBat, r.pBat = common.float(m.soc), b.voltage or 0, f.charge - f.discharge
  r.vpv, r.ipv, r.outPutPower, r.outPutVolt = r.vpv1, r.ipv1, f.out, e.device.grid_voltage
  r.freqOutPut, r.vGrid, r.freqGrid, r.pAcInPut = e.device.frequency, e.device.grid_voltage, e.device.frequency, 0
  r.loadPercent = round(f.out / e.device.nominal_power * 100)
  r.pCharge, r.pDischarge = f.charge, f.discharge
  r.eChargeToday, r.eDischargeToday = r.echarge1Today, r.edischarge1Today
  r.eToUserToday, r.eToGridToday, r.epvToday = r.etoUserToday, r.etoGridToday, round(m.today.pv)
  r.invTemperature, r.dcDcTemperature, r.bmsSoc = e.device.temperature, round(e.device.temperature - 3.2), m.soc
  return r
end

function LAST_BY_TYPE.max(state, e, m)
  local r = LAST_BY_TYPE.inv(state, e, m)
  strings_of(e.device, m.f.pv, 16, r)
  r.pacs, r.pact, r.vacs, r.vact = r.pac / 3, r.pac / 3, r.vac1, r.vac1
  r.pacr = r.pac / 3
  return r
end

function LAST_BY_TYPE.wit(state, e, m)
  local r = base(state, e, m)
  r.bSoc, r.batPower, r.epvToday = m.soc, m.f.charge - m.f.discharge, round(m.today.pv)
  r.vac2, r.vac3, r.pac2, r.pac3 = r.vac1, r.vac1, 0, 0
  return r
end

LAST_BY_TYPE["sph-s"] = function(state, e, m)
  local r = base(state, e, m)
  r.batPower, r.epvToday, r.ppvText = m.f.charge - m.f.discharge, round(m.today.pv), string.format("%.1f W", m.f.pv)
  r.socText, r.deviceType = string.format("%d%%", m.soc), "sph-s"
  return r
end

function LAST_BY_TYPE.noah(state, e, m)
  local d, f, n = e.device, m.f, e.device.noah
  local total = d.total_energy
  local r = strings_of(d, f.pv, 0, {
    deviceSn = d.sn, datalogSn = d.datalog, time = m.epoch, timeStr = m.text, isAgain = 0, status = 1,
    pac = math.floor(f.out + 0.5), ppv = common.float(f.pv), eacToday = round(m.eac_today or d.today_energy),
    eacMonth = round(d.today_energy * 18.3), eacYear = round(total * 0.71), eacTotal = round(total),
    workMode = n.work_mode, totalBatteryPackChargingPower = f.charge - f.discharge,
    totalBatteryPackChargingStatus = f.charge > 0 and 1 or (f.discharge > 0 and 2 or 0),
    batteryPackageQuantity = #n.battery_sns, totalBatteryPackSoc = m.soc, chargeSocLimit = n.charging_soc_high,
    dischargeSocLimit = n.charging_soc_low, batterySoh = 100, batteryCycles = 112, maxCellVoltage = common.float(3311),
    minCellVoltage = common.float(3287), onGridPower = common.float(f.out), onGridVoltage = d.grid_voltage,
    systemTemp = d.temperature,
    onGridCurrent = round(f.out / d.grid_voltage, 2), onOffGrid = world.settings(state, e).off_grid,
    settableTimePeriod = 9, totalHouseholdLoad = common.float(f.load), ctSelfPower = common.float(-85),
  })
  for i = 1, 4 do
    local sn = n.battery_sns[i]
    r["battery" .. i .. "SerialNum"] = sn or ""
    r["battery" .. i .. "Soc"] = sn and m.soc or 0
    r["battery" .. i .. "Temp"] = sn and round(d.temperature - 1.2) or 0
    r["battery" .. i .. "TempF"] = sn and round((d.temperature - 1.2) * 1.8 + 32) or 0
  end
  for i, v in ipairs(d.pv_voltages) do
    r["pv" .. i .. "Voltage"], r["pv" .. i .. "Current"] = v, round(f.pv / #d.pv_voltages / v, 2)
    r["pv" .. i .. "Temp"] = round(d.temperature + 12)
  end
  return r
end

-- The full record of the device now (queryLastData).
function M.last(state, e)
  return M.fill(LAST.names(e.type), LAST_BY_TYPE[e.type](state, e, moment_now(state, e)))
end

-- The record of the device at a moment of its history (the modelled fields only).
function M.at(state, e, m)
  return M.pick(LAST.names(e.type), LAST_BY_TYPE[e.type](state, e, m))
end

return M
