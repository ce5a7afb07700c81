-- The settings a freshly seeded world starts with: what the settings endpoints
-- (settings.lua) serve and their writes change. Built from the plants and devices of
-- data.lua when the world is seeded:
--   state.settings.plants[plantId]   the flat getPlant object (plantName, timezone, city, ...)
--   state.settings.mix[serial]       getMixSetParams' obj.mixBean: the SPH's charge and
--                                    discharge schedules, system time, export limit, off-grid
--   state.settings.tlx[serial]       getTlxSetData's obj.tlxSetBean: the MIN's powers, SOC
--                                    limits and nine time segments
--   state.settings.classic[serial]   the `inv` object of the classic inverter settings page
-- Values are strings, as Growatt sends them, except the plant's numbers. Noah settings
-- live in the Noah device's `noah` table above.

-- Plain Lua 5.1-5.4, no ngx.
local M = {}

local SETTINGS_TIME = "2026-11-24 07:15:00" -- the devices' clocks at seed time

-- Days since 1970-01-01 of a civil date (no os.time: it depends on the local time zone).
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end
M.days_from_civil = days_from_civil

local function plant_settings(plant, account)
  local y, m, d = plant.created:match("^(%d+)-(%d+)-(%d+)$")
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  local days = days_from_civil(y, m, d)
  return {
    id = tonumber(plant.id), plantName = plant.name, userAccount = account and account.name or "",
    country = plant.country, city = plant.city, plantAddress = "Zonnestraat " .. tonumber(plant.id:sub(-2)),
    timezone = plant.timezone, plant_lat = string.format("%.4f", plant.lat),
    plant_lng = string.format("%.4f", plant.lng), nominalPower = plant.nominal_power, plantType = 0,
    formulaCoal = "0.4", formulaSo2 = "0.03", formulaCo2 = "0.997",
    formulaMoney = plant.price, formulaMoneyStr = tostring(plant.price),
    formulaMoneyUnitId = plant.currency == "EUR" and "euro" or plant.currency:lower(),
    moneyUnitText = plant.currency == "EUR" and "€" or plant.currency,
    unitMap = { euro = "€", dollar = "$", pound = "£", yuan = "¥" },
    createDateText = plant.created,
    createDate = { year = y - 1900, month = m - 1, date = d, day = (days + 4) % 7, hours = 0, minutes = 0,
                   seconds = 0, time = days * 86400000, timezoneOffset = 0 },
    eToday = plant.today_energy, eTotal = plant.total_energy,
  }
end

-- Three schedules "<prefix>TimeStart<i>" / "TimeStop<i>" / "StopSwitch<i>", all off.
local function schedules(bean, prefix, n)
  for i = 1, n do
    bean[prefix .. "TimeStart" .. i], bean[prefix .. "TimeStop" .. i] = "0:0", "0:0"
    bean[prefix .. "StopSwitch" .. i] = "0"
  end
  return bean
end

local function mix_settings(device)
  local bean = { serialNum = device.sn, chargePowerCommand = "100", wchargeSOCLowLimit = "100",
                 acChargeEnable = "0", disChargePowerCommand = "100", wdisChargeSOCLowLimit = "10",
                 pf_sys_year = SETTINGS_TIME, backflow_setting = "0", exportLimitPowerRate = "0",
                 epsFunEn = "1", epsFreqSet = "0", epsVoltSet = "0", priorityChoose = "0" }
  schedules(bean, "forcedCharge", 3)
  return schedules(bean, "forcedDischarge", 3)
end

local function tlx_settings(device)
  local bean = { serialNum = device.sn, chargePowerCommand = "100", wchargeSOCLowLimit = "100",
                 disChargePowerCommand = "100", wdisChargeSOCLowLimit = "10", onGridDischargeStopSOC = "10",
                 acChargeEnable = "0", sysTime = SETTINGS_TIME, onOff = "1", activeRate = "100", pf = "1.0",
                 exportLimit = "0", exportLimitPowerRate = "0" }
  for i = 1, 9 do
    bean["time" .. i .. "Mode"], bean["forcedStopSwitch" .. i] = "0", "0"
    bean["forcedTimeStart" .. i], bean["forcedTimeStop" .. i] = "0:0", "0:0"
  end
  -- Battery first at night; grid first in the evening, switched off (it still blocks overlaps).
  bean.time1Mode, bean.forcedTimeStart1, bean.forcedTimeStop1, bean.forcedStopSwitch1 = "1", "1:0", "5:0", "1"
  bean.time2Mode, bean.forcedTimeStart2, bean.forcedTimeStop2 = "2", "16:0", "19:0"
  return bean
end

local function classic_settings(device, plant)
  return {
    sn = device.sn, alias = device.alias, datalogSn = device.datalog, plantId = device.plant,
    model = "A0B0D0T0PFU1M3S4", modelText = "A0B0D0T0PFU1M3S4", deviceModel = device.model,
    fwVersion = device.firmware or "G.1.8", innerVersion = "GHAA0404", sysTime = SETTINGS_TIME,
    lastUpdateTime = SETTINGS_TIME, status = "1", lost = "false", onOff = "1", activeRate = "100",
    reactiveRate = "0", pf = "1.0", pfModel = "0", voltageHighLimit = "263.0", voltageLowLimit = "186.0",
    workingFrequencyMin = "47.53", workingFrequencyMax = "51.5",
    nominalPower = tostring(device.nominal_power), timezone = tostring(plant and plant.timezone or 1),
    isBig = "0", wideVoltageEnable = "0", haveAfci = "0", pvPfCmdMemoryState = "0",
    location = plant and plant.city or "",
  }
end

-- The settings tables of a freshly seeded world (see the shape above); account_by_id(state,
-- id) finds a plant's owner.
function M.settings(state, account_by_id)
  local out = { plants = {}, mix = {}, tlx = {}, classic = {} }
  for id, plant in pairs(state.plants) do
    out.plants[id] = plant_settings(plant, account_by_id(state, plant.owner))
  end
  for sn, device in pairs(state.devices) do
    if device.type == "mix" then out.mix[sn] = mix_settings(device) end
    if device.type == "tlx" then out.tlx[sn] = tlx_settings(device) end
    if device.type == "inverter" then out.classic[sn] = classic_settings(device, state.plants[device.plant]) end
  end
  return out
end


return M
