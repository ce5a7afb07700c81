-- OpenAPI v1 devices, MIN (tlx) and SPH (mix) (protocol.md §4): their details, latest values,
-- settings and history. Handlers are handler(req, ctx, device, kind) behind with_device.
-- Runs inside nginx (LuaJIT, Lua 5.1 API).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")
local common = require("growatt.sandbox.v1.common")
local DEVICE_TYPES, fail, now_text, today = common.DEVICE_TYPES, common.fail, common.now_text, common.today
local round, text, number_param, valid_date = common.round, common.text, common.number_param, common.valid_date
local day_points = common.day_points

local M = {}

---------------------------------------------------------------------------
-- Devices: MIN (tlx) and SPH (mix)

local KINDS = {
  tlx = { sn_field = "tlx_sn", params = 19 },
  mix = { sn_field = "mix_sn", params = 18 },
}

-- handler(req, ctx, device, kind) for the serial in `field` (default the kind's own field).
function M.with_device(type_, handler, field)
  return function(req, ctx, account)
    local sn = ctx.params[field or KINDS[type_].sn_field]
    if not sn or sn == "" then return fail(10004) end
    local d, plant = data.device_of(ctx.state, account, sn)
    if not plant or d.type ~= type_ then return fail(10002) end
    local payload, extra = handler(req, ctx, d, KINDS[type_])
    extra = extra or {}
    extra.datalogger_sn, extra[KINDS[type_].sn_field] = d.datalog, d.sn
    return payload, extra
  end
end

function M.clock_time(h, m) return string.format("%d:%d", h, m) end

-- The settings a device starts with; writes change them. Times are "H:M", as Growatt sends them.
function M.settings_of(state, d)
  if d.v1_settings then return d.v1_settings end
  local battery = data.battery_of(state, d)
  local s = {
    serialNum = d.sn, onOff = "1", activeRate = 100, reactiveRate = 0, pf = "1.0",
    exportLimit = "0", exportLimitPowerRate = "0", acChargeEnable = "0",
    chargePowerCommand = 100, disChargePowerCommand = 100, wchargeSOCLowLimit = 100,
    wdisChargeSOCLowLimit = battery and 10 or "null", onGridDischargeStopSOC = "10",
    priorityChoose = "0", epsFunEn = "1", epsFreqSet = "0", epsVoltSet = "0",
    vacHigh = "264.5", vacLow = "184.0", pfSysYear = "", sysTime = now_text(),
  }
  if d.type == "tlx" then
    for i = 1, 9 do
      s["forcedTimeStart" .. i], s["forcedTimeStop" .. i] = "0:0", "0:0"
      s["time" .. i .. "Mode"], s["forcedStopSwitch" .. i] = "null", "0"
    end
    -- battery first 1:00-5:00, as many owners set for a night tariff
    s.forcedTimeStart1, s.forcedTimeStop1, s.time1Mode, s.forcedStopSwitch1 = "1:0", "5:0", "1", "1"
    for k = 1, 4 do s["season" .. k .. "_time1"] = "0_0_0_0_0_0_0" end
  else
    for i = 1, 3 do
      for _, what in ipairs({ "Charge", "Discharge" }) do
        s["forced" .. what .. "TimeStart" .. i], s["forced" .. what .. "TimeStop" .. i] = "0:0", "0:0"
        s["forced" .. what .. "StopSwitch" .. i] = 0
      end
    end
    s.forcedDischargeTimeStart1, s.forcedDischargeTimeStop1, s.forcedDischargeStopSwitch1 = "17:0", "21:0", 1
    s.batteryType = "1"
  end
  d.v1_settings = s
  return s
end

local function device_info(state, d)
  local info = {
    serialNum = d.sn, alias = d.alias, addr = 1, dataLogSn = d.datalog, fwVersion = d.firmware,
    modelText = d.model, deviceType = DEVICE_TYPES[d.type], nominalPower = d.nominal_power,
    plantId = tonumber(d.plant), lost = false, status = 1, lastUpdateTime = now_text(),
  }
  local settings = M.settings_of(state, d)
  if d.type == "tlx" then
    info.tlxSetbean = settings
  else
    info.status = 6 -- normal
    for k, v in pairs(settings) do info[k] = v end
  end
  return info
end

-- The device's latest values (tlx_last_data, mix_last_data), from its day so far.
local function last_data(state, d, point, totals)
  local battery = data.battery_of(state, d) or {}
  local pv = d.power
  local pv1 = d.pv_voltages[1] and pv * 0.55 or pv
  local r = {
    serialNum = d.sn, time = now_text(), status = 1, statusText = "Normal", lost = false,
    ppv = pv, ppv1 = round(pv1, 1), ppv2 = round(pv - pv1, 1),
    vpv1 = d.pv_voltages[1] or 0, vpv2 = d.pv_voltages[2] or 0,
    pac = pv, vac1 = d.grid_voltage, fac = d.frequency, temp1 = d.temperature,
    eacToday = round(d.today_energy, 1), eacTotal = text(d.total_energy),
    epvTotal = text(d.total_energy * 1.02), pself = round(point.load * 1000, 1),
    pacToGridTotal = round(point.export * 1000, 1), pacToUserTotal = round(point.import * 1000, 1),
    pacToLocalLoad = round(point.load * 1000, 1),
    echargeToday = round(totals.charge, 1), edischargeToday = round(totals.discharge, 1),
    etoGridToday = round(totals.export, 1), etoUserToday = round(totals.import, 1),
    elocalLoadToday = round(totals.load, 1), elocalLoadTotal = text(d.total_energy * 0.8),
  }
  if d.type == "tlx" then
    r.bdc1Soc, r.bmsSoc = battery.soc or 0, battery.soc or 0
    r.bdc1ChargePower, r.bdc1DischargePower = battery.charge or 0, battery.discharge or 0
    r.epvToday = round(totals.pv, 1)
    -- the rest of a MIN's record as ShinePhone's getTlxDetailData has it, its strings included
    for k, v in pairs(energy.tlx_record(state, d, today())) do
      if r[k] == nil or k:find("^[vip]pv%d") then r[k] = v end
    end
  else -- SPH names
    r.epvtoday, r.esystemtoday = round(totals.pv, 1), round(totals.pv, 1)
    r.eselfToday = round(totals.pv - totals.export, 1)
    r.echarge1Today, r.echarge1Total = round(totals.charge, 1), text(battery.charged or 0)
    r.edischarge1Today, r.edischarge1Total = round(totals.discharge, 1), text(battery.discharged or 0)
    r.etogridTotal, r.bmsSOC, r.vbat = text(d.total_energy * 0.45), battery.soc or 0, battery.voltage or 0
    r.pcharge1, r.pdischarge1, r.pacToUserR = battery.charge or 0, battery.discharge or 0, r.pacToUserTotal
    -- the load's energy today from the battery and straight from the panels
    r.echarge1 = round(totals.discharge, 1)
    r.eChargeToday = round(math.max(totals.load - totals.discharge - totals.import, 0), 1)
    for i, temp in ipairs(energy.temperatures(d)) do r["temp" .. i] = temp end
  end
  return r
end

local function current_point(state, d)
  local points = day_points(state, d, today())
  local h, m = tonumber(os.date("%H")), tonumber(os.date("%M"))
  return points[h * 12 + math.floor(m / 5) + 1], energy.day_totals(state, d, today())
end

function M.detail(_, ctx, d) return device_info(ctx.state, d) end

function M.latest(_, ctx, d)
  local point, totals = current_point(ctx.state, d)
  return last_data(ctx.state, d, point, totals)
end

function M.settings(_, ctx, d) return M.settings_of(ctx.state, d) end

-- tlx_data / mix_data: the device's 5-minute records between two dates, a page at a time.
function M.history(_, ctx, d, kind)
  local p = ctx.params
  local s, e = valid_date(p.start_date), valid_date(p.end_date)
  if not s or not e then return fail(10001, "error_date_format") end
  local days = math.floor((e - s) / 86400 + 0.5) + 1
  local count = days * data.STEPS
  local page, perpage = number_param(p, "page", 1), number_param(p, "perpage", 20)
  local first, last = (page - 1) * perpage + 1, math.min(count, page * perpage)
  local datas, points, points_day = data.array(), nil, nil
  local battery = data.battery_of(ctx.state, d) or {}
  for i = first, last do
    local day, step = math.floor((i - 1) / data.STEPS), (i - 1) % data.STEPS + 1
    local date = os.date("%Y-%m-%d", s + day * 86400)
    if points_day ~= date then points, points_day = day_points(ctx.state, d, date), date end
    local pt = points[step]
    datas[#datas + 1] = {
      serialNum = d.sn, time = date .. " " .. pt.time .. ":00", ppv = round(pt.pv * 1000, 1),
      pac = round(pt.pv * 1000, 1), pacToGridTotal = round(pt.export * 1000, 1),
      pacToUserTotal = round(pt.import * 1000, 1), pacToLocalLoad = round(pt.load * 1000, 1),
      bdc1Soc = battery.soc and round(pt.soc, 0) or 0, bdc1ChargePower = round(pt.charge * 1000, 1),
      bdc1DischargePower = round(pt.discharge * 1000, 1), status = 1,
    }
  end
  local out = { count = count, datalogger_sn = d.datalog, datas = datas,
                next_page_start_id = last < count and last + 1 or data.null }
  out[kind.sn_field] = d.sn
  return out
end

return M
