-- OpenAPI v1 endpoints of the sandbox (protocol.md §4), and the ShinePhone server lookup
-- newLoginAPI.do?op=getServerUrlByName (§5). Runs inside nginx (LuaJIT); registered by
-- server.init via register(server).
--
-- Every v1 reply is an envelope {"data": ..., "error_code": 0, "error_msg": ""}. Before a
-- handler runs:
--   * the `token` header must be a known token (M.TOKENS, plus state.v1.tokens = { token =
--     userName }), else 10011 error_permission_denied;
--   * page must be <= 250 (10014) and perpage <= 100 (10013);
--   * the same request (token, method, path and parameters) is answered once per window,
--     else 10012 error_frequently_access. The window is 300 s; specs change it with
--     S.state{ v1 = { window = seconds } } (0 turns the rule off); a reset restores it.
-- Fault rules gain `error_code` (answer that v1 error, e.g. -1 "use the new domain") and
-- `error_msg` (its message).
-- Writes (tlxSet, mixSet) change the device's settings, which tlx_set_info and
-- mix_data_info read back. Numbers come as numbers or numeric strings, as Growatt sends them.
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")

local M = {}

M.WINDOW = 300
M.TOKENS = {
  [data.DEMO.token] = data.DEMO.user,
  ["6eb6f069523055a339d71e5b1f6c88cc"] = "demo", -- the documented public test token
}

M.MESSAGES = {
  [-1] = "error_server_domain_changed: please use the new domain name",
  [10001] = "error_system", [10002] = "error_device_not_exist", [10003] = "error_device_offline",
  [10004] = "error_sn_empty", [10005] = "error_datalogger_offline", [10006] = "error_type",
  [10007] = "error_value_empty", [10008] = "error_value_out_of_range", [10009] = "error_param_type",
  [10011] = "error_permission_denied", [10012] = "error_frequently_access",
  [10013] = "error_page_size_over_100", [10014] = "error_page_over_250",
}

local DEVICE_TYPES = { inverter = 1, storage = 2, bat = 3, noah = 3, mix = 5, tlx = 7 }

local function envelope(payload, code, message, extra)
  local t = { data = payload == nil and data.null or payload, error_code = code or 0, error_msg = message or "" }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

local function fail(code, message) return envelope(nil, code, message or M.MESSAGES[code] or "error") end

local function now_text() return os.date("%Y-%m-%d %H:%M:%S") end
local function today() return os.date("%Y-%m-%d") end
local function round(x, digits) local f = 10 ^ (digits or 1) return math.floor(x * f + 0.5) / f end
local function text(x, digits) return string.format("%." .. (digits or 1) .. "f", x) end

---------------------------------------------------------------------------
-- The gate every v1 request passes.

local function config(state) return state.v1 or {} end

local function account_of(state, token)
  if not token or token == "" then return nil end
  local name = (config(state).tokens or {})[token] or M.TOKENS[token]
  return name and state.accounts[name]
end

local function pairs_text(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = p[1] .. "=" .. p[2] end
  return table.concat(out, "&")
end

local function number_param(params, name, default)
  return params[name] and tonumber(params[name]) or default
end

-- handler(req, ctx, account) -> payload | envelope (a table with error_code) [, extra top-level fields]
local function v1(handler)
  return function(req, ctx)
    local token = req.headers.token
    local account = account_of(ctx.state, token)
    if not account then return fail(10011) end
    local params = ctx.params
    if number_param(params, "perpage", 0) > 100 then return fail(10013) end
    if number_param(params, "page", 0) > 250 then return fail(10014) end
    local window = config(ctx.state).window or M.WINDOW
    if window > 0 then
      local key = "v1:" .. ngx.md5(table.concat({ token, req.method, req.path, pairs_text(req.query),
                                                  pairs_text(req.form) }, "\n"))
      if not ngx.shared.growatt_sandbox:add(key, true, window) then return fail(10012) end
    end
    local payload, extra = handler(req, ctx, account)
    if type(payload) == "table" and payload.error_code ~= nil then return payload end
    return envelope(payload, 0, "", extra)
  end
end

---------------------------------------------------------------------------
-- Plants

local function page_of(list, params)
  local page, perpage = number_param(params, "page", 1), number_param(params, "perpage", 20)
  local out = data.array()
  for i = (page - 1) * perpage + 1, math.min(#list, page * perpage) do out[#out + 1] = list[i] end
  return out
end

local function plant_row(plant, account)
  return {
    plant_id = tonumber(plant.id), name = plant.name, status = 1, locale = "en_US",
    country = plant.country, city = plant.city, create_date = plant.created,
    current_power = round(plant.current_power / 1000, 3), total_energy = text(plant.total_energy),
    peak_power = plant.nominal_power / 1000, user_id = account.id, installer = "0", operator = "0",
    image_url = "", latitude = tostring(plant.lat), longitude = tostring(plant.lng),
    latitude_d = data.null, latitude_f = data.null,
  }
end

-- GET plant/list with a form body: page, perpage, search_type, search_keyword.
local function plant_list(_, ctx, account)
  local keyword = ctx.params.search_keyword or ""
  local rows = {}
  for _, plant in ipairs(data.plants_of(ctx.state, account)) do
    if keyword == "" or plant.name:lower():find(keyword:lower(), 1, true) then
      rows[#rows + 1] = plant_row(plant, account)
    end
  end
  return { count = #rows, plants = page_of(rows, ctx.params) }
end

local function with_plant(handler)
  return function(req, ctx, account)
    local plant = data.plant_of(ctx.state, account, ctx.params.plant_id)
    if not plant then return fail(10011) end
    return handler(req, ctx, plant, account)
  end
end

local function plant_details(_, ctx, plant, account)
  local inverters, loggers = data.array(), data.array()
  for _, d in ipairs(data.producers(ctx.state, plant)) do
    inverters[#inverters + 1] = { inverter_man = "Growatt", inverter_md = d.model, inverter_num = 1 }
    loggers[#loggers + 1] = { datalogger_sn = d.datalog, datalogger_md = "ShineWiFi-X" }
  end
  return {
    name = plant.name, city = plant.city, country = plant.country, create_date = plant.created,
    currency = plant.currency, latitude = tostring(plant.lat), longitude = tostring(plant.lng),
    locale = "en_US", peak_power = plant.nominal_power / 1000, timezone = "GMT+" .. plant.timezone,
    user_id = account.id, image_url = "", status = 1,
    arrays = data.array({ { module_man = "Growatt", module_md = "GW-400M", num_modules = plant.nominal_power / 400 } }),
    inverters = inverters, dataloggers = loggers, maxs = data.array(),
    designer_contact = data.null, designer_organization = data.null,
    installer_contact = data.null, installer_organization = data.null,
  }
end

local function plant_data(_, _, plant)
  return {
    current_power = round(plant.current_power / 1000, 3), today_energy = text(plant.today_energy),
    monthly_energy = text(plant.today_energy * 21), yearly_energy = text(plant.total_energy * 0.16),
    total_energy = text(plant.total_energy), carbon_offset = text(plant.total_energy * 0.997),
    peak_power_actual = text(plant.nominal_power / 1000 * 0.92, 2), efficiency = "",
    timezone = "GMT+" .. plant.timezone, last_update_time = now_text(),
  }
end

local function valid_date(s)
  local y, m, d = tostring(s or ""):match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if not y then return nil end
  local t = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
  if os.date("%Y-%m-%d", t) ~= s then return nil end
  return t
end

local function day_points(state, device, date)
  return energy.day(state, device, date, date ~= today() and energy.day_energy(state, device, date) or nil)
end

-- GET plant/power: the plant's PV power (W) every 5 minutes; null for times still to come.
local function plant_power(_, ctx, plant)
  local date = ctx.params.date
  if not valid_date(date) then return fail(10001, "error_date_format") end
  local powers, still_to_come = data.array(), date == today() and os.date("%H:%M") or nil
  for i = 1, data.STEPS do powers[i] = 0 end
  for _, d in ipairs(data.producers(ctx.state, plant)) do
    for i, p in ipairs(day_points(ctx.state, d, date)) do powers[i] = powers[i] + p.pv * 1000 end
  end
  local out = data.array()
  for i = 1, data.STEPS do
    local at = string.format("%02d:%02d", math.floor((i - 1) / 12), (i - 1) % 12 * 5)
    out[i] = { time = date .. " " .. at,
               power = (still_to_come and at > still_to_come) and data.null or round(powers[i], 1) }
  end
  return { count = #out, powers = out }
end

local function plant_day_energy(state, plant, date)
  local kwh = 0
  for _, d in ipairs(data.producers(state, plant)) do kwh = kwh + energy.day_energy(state, d, date) end
  return kwh
end

-- The periods between two dates in a time unit, as { label, kWh }.
local ENERGY_UNITS = {
  day = function(state, plant, s, e)
    local list = {}
    for t = s, e, 86400 do
      local date = os.date("%Y-%m-%d", t)
      list[#list + 1] = { date, plant_day_energy(state, plant, date) }
    end
    return list
  end,
  month = function(state, plant, s, e)
    local list = {}
    local y, m = tonumber(os.date("%Y", s)), tonumber(os.date("%m", s))
    while string.format("%04d-%02d", y, m) <= os.date("%Y-%m", e) do
      local label = string.format("%04d-%02d", y, m)
      list[#list + 1] = { label, 30 * plant_day_energy(state, plant, label .. "-15") }
      y, m = m == 12 and y + 1 or y, m % 12 + 1
    end
    return list
  end,
  year = function(state, plant, s, e)
    local list = {}
    for y = tonumber(os.date("%Y", s)), tonumber(os.date("%Y", e)) do
      local kwh = 0
      for m = 1, 12 do kwh = kwh + 30 * plant_day_energy(state, plant, string.format("%04d-%02d-15", y, m)) end
      list[#list + 1] = { tostring(y), kwh }
    end
    return list
  end,
}

local function plant_energy(_, ctx, plant)
  local p = ctx.params
  local s, e = valid_date(p.start_date), valid_date(p.end_date)
  local unit = p.time_unit or "day"
  if not s or not e then return fail(10001, "error_date_format") end
  if not ENERGY_UNITS[unit] then return fail(10001, "error_time_unit") end
  local rows = {}
  for i, r in ipairs(ENERGY_UNITS[unit](ctx.state, plant, s, e)) do rows[i] = { date = r[1], energy = text(r[2]) } end
  return { count = #rows, time_unit = unit, energys = page_of(rows, p) }
end

local function device_id(sn)
  local n = 0
  for i = 1, #sn do n = (n * 31 + sn:byte(i)) % 1000000 end
  return n
end

local function device_list(_, ctx, plant)
  local rows = {}
  for _, d in ipairs(data.devices_of(ctx.state, plant)) do
    rows[#rows + 1] = {
      device_sn = d.sn, device_id = device_id(d.sn), type = DEVICE_TYPES[d.type] or 3, model = d.model,
      manufacturer = "Growatt", lost = false, status = 1, datalogger_sn = d.datalog,
      last_update_time = now_text(),
    }
  end
  return { count = #rows, devices = page_of(rows, ctx.params) }
end

---------------------------------------------------------------------------
-- Devices: MIN (tlx) and SPH (mix)

local KINDS = {
  tlx = { sn_field = "tlx_sn", params = 19 },
  mix = { sn_field = "mix_sn", params = 18 },
}

-- handler(req, ctx, device, kind) for the serial in `field` (default the kind's own field).
local function with_device(type_, handler, field)
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

local function clock_time(h, m) return string.format("%d:%d", h, m) end

-- The settings a device starts with; writes change them. Times are "H:M", as Growatt sends them.
local function settings_of(state, d)
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
  local settings = settings_of(state, d)
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

local function detail(_, ctx, d) return device_info(ctx.state, d) end

local function latest(_, ctx, d)
  local point, totals = current_point(ctx.state, d)
  return last_data(ctx.state, d, point, totals)
end

local function settings(_, ctx, d) return settings_of(ctx.state, d) end

-- tlx_data / mix_data: the device's 5-minute records between two dates, a page at a time.
local function history(_, ctx, d, kind)
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

---------------------------------------------------------------------------
-- Parameters: reads and writes

-- paramId / write type -> the setting it is, and its range.
local VALUE_SETTINGS = {
  ac_charge = { "acChargeEnable", 0, 1 }, charge_power = { "chargePowerCommand", 0, 100 },
  discharge_power = { "disChargePowerCommand", 0, 100 }, charge_stop_soc = { "wchargeSOCLowLimit", 0, 100 },
  discharge_stop_soc = { "wdisChargeSOCLowLimit", 0, 100 }, on_off = { "onOff", 0, 1 },
  pv_on_off = { "onOff", 0, 1 }, pv_active_p_rate = { "activeRate", 0, 100 },
  pv_reactive_p_rate = { "reactiveRate", 0, 100 }, pv_power_factor = { "pf", -1, 1 },
  pv_grid_voltage_high = { "vacHigh", 0, 400 }, pv_grid_voltage_low = { "vacLow", 0, 400 },
  mix_off_grid_enable = { "epsFunEn", 0, 1 }, mix_ac_discharge_frequency = { "epsFreqSet", 0, 1 },
  mix_ac_discharge_voltage = { "epsVoltSet", 0, 2 }, backflow_setting = { "exportLimit", 0, 1 },
}

local function read_parameter(_, ctx, d)
  local id = ctx.params.paramId
  if id == "set_any_reg" then
    local at = tonumber(ctx.params.startAddr)
    if not at then return fail(10009) end
    return tostring(at * 7 % 100)
  end
  local setting = VALUE_SETTINGS[id or ""]
  if not setting then return fail(10009) end
  return tostring(settings_of(ctx.state, d)[setting[1]])
end

-- A number param within lo..hi, or nil.
local function ranged(v, lo, hi)
  local n = v and tonumber(v)
  if n and n >= lo and n <= hi then return n end
end

-- The periods of a write: `count` groups of 5 params from `base`: start H, M, end H, M, on.
local function periods_from(params, base, count)
  local list = {}
  for k = 0, count - 1 do
    local at = base + 5 * k
    local sh, sm = ranged(params[at], 0, 23), ranged(params[at + 1], 0, 59)
    local eh, em = ranged(params[at + 2], 0, 23), ranged(params[at + 3], 0, 59)
    local on = ranged(params[at + 4], 0, 1)
    if not (sh and sm and eh and em and on) then return nil end
    list[k + 1] = { clock_time(sh, sm), clock_time(eh, em), on }
  end
  return list
end

local function apply_periods(s, what, list)
  for i, p in ipairs(list) do
    s["forced" .. what .. "TimeStart" .. i], s["forced" .. what .. "TimeStop" .. i] = p[1], p[2]
    s["forced" .. what .. "StopSwitch" .. i] = p[3]
  end
end

-- Write types with several params: type -> function(settings, params, type) -> code or nil.
local MULTI_WRITES = {
  mix_ac_charge_time_period = function(s, params)
    local power, soc, mains = ranged(params[1], 0, 100), ranged(params[2], 0, 100), ranged(params[3], 0, 1)
    local list = periods_from(params, 4, 3)
    if not (power and soc and mains and list) then return 10008 end
    s.chargePowerCommand, s.wchargeSOCLowLimit, s.acChargeEnable = power, soc, tostring(mains)
    apply_periods(s, "Charge", list)
  end,
  mix_ac_discharge_time_period = function(s, params)
    local power, soc = ranged(params[1], 0, 100), ranged(params[2], 0, 100)
    local list = periods_from(params, 3, 3)
    if not (power and soc and list) then return 10008 end
    s.disChargePowerCommand, s.wdisChargeSOCLowLimit = power, soc
    apply_periods(s, "Discharge", list)
  end,
}

local function time_segment(s, params, type_)
  local n = tonumber(type_:match("^time_segment(%d)$"))
  local mode = ranged(params[1], 0, 2)
  local list = periods_from(params, 2, 1)
  if not (n and mode and list) then return 10008 end
  s["forcedTimeStart" .. n], s["forcedTimeStop" .. n] = list[1][1], list[1][2]
  s["time" .. n .. "Mode"], s["forcedStopSwitch" .. n] = tostring(mode), tostring(list[1][3])
end

-- tlxSet / mixSet: the serial, `type` and param1..paramN. Parameter writes send all N params
-- (unused ones empty); the discharge period write stops at param17.
local function write(req, ctx, d, kind)
  local params, names = {}, {}
  for _, p in ipairs(req.form) do
    local i = tonumber(p[1]:match("^param(%d+)$"))
    if i then
      if i > kind.params then return fail(10006, "error_param_" .. i) end
      params[i] = p[2] ~= "" and p[2] or nil
      names[i] = true
    end
  end
  local type_ = ctx.params.type or ""
  local needed = type_ == "mix_ac_discharge_time_period" and 17 or kind.params
  for i = 1, needed do
    if not names[i] then return fail(10007, "error_param" .. i .. "_missing") end
  end
  local s = settings_of(ctx.state, d)
  local multi = MULTI_WRITES[type_] or (d.type == "tlx" and type_:find("^time_segment%d$") and time_segment)
  local setting = VALUE_SETTINGS[type_]
  local code
  if multi then
    code = multi(s, params, type_)
  elseif setting then
    local v = ranged(params[1], setting[2], setting[3])
    if params[1] == nil then code = 10007 elseif not v then code = 10008 else s[setting[1]] = params[1] end
  else
    code = 10006
  end
  if code then return fail(code) end
  ctx.server.count("v1_writes")
  return data.null
end

---------------------------------------------------------------------------
-- Where an account lives: newLoginAPI.do?op=getServerUrlByName&userName=<name>.
-- ShinePhone gets {"success": true, "msg": "<host>"}; state.accounts[name].server sets the host.

local function server_by_name(_, ctx)
  local account = ctx.state.accounts[ctx.params.userName or ""]
  if not account then return { success = false, msg = "" } end
  return { success = true, msg = account.server or "openapi.growatt.com" }
end

---------------------------------------------------------------------------

function M.register(server)
  local route = server.family("v1/", v1)
  route("GET", "plant/list", plant_list)
  route("GET", "plant/details", with_plant(plant_details))
  route("GET", "plant/data", with_plant(plant_data))
  route("GET", "plant/power", with_plant(plant_power))
  route("GET", "plant/energy", with_plant(plant_energy))
  route("GET", "device/list", with_plant(device_list))
  for type_, dir in pairs({ tlx = "device/tlx/tlx_", mix = "device/mix/mix_" }) do
    route("GET", dir .. "data_info", with_device(type_, detail, "device_sn"))
    route("POST", dir .. "last_data", with_device(type_, latest))
    route("POST", dir .. "data", with_device(type_, history))
  end
  route("GET", "device/tlx/tlx_set_info", with_device("tlx", settings, "device_sn"))
  route("POST", "readMinParam", with_device("tlx", read_parameter, "device_sn"))
  route("POST", "readMixParam", with_device("mix", read_parameter, "device_sn"))
  route("POST", "tlxSet", with_device("tlx", write))
  route("POST", "mixSet", with_device("mix", write))
  server.route("newLoginAPI.do", "getServerUrlByName", server_by_name)

  server.knob("error_code", function(code, _, rule)
    return server.reply(200, fail(code, rule.error_msg))
  end, server.expect("number"))
  server.knob("error_msg", function() end, server.expect("string")) -- the message of error_code
end

return M
