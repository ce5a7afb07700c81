-- ShinePhone (legacy app API) endpoints of the sandbox: login, the login error page, the
-- plant list and every read of plants and devices. Shapes follow protocol.md §1.3 and §2.2:
-- values are mostly strings with units.
-- Runs inside nginx (LuaJIT); registered by server.init via register(server).
local data = require("growatt.sandbox.data")

local M = {}

-- Growatt's password hash (protocol.md §1.2): lowercase MD5 hex, then every '0' at an even
-- 0-based index (an odd 1-based position) becomes 'c'.
function M.hash_password(password)
  return (ngx.md5(password):gsub("()0", function(pos)
    if pos % 2 == 1 then return "c" end
  end))
end

---------------------------------------------------------------------------
-- How numbers are shown in ShinePhone replies.

local function power_text(watts)
  if watts < 1000 then return string.format("%d W", math.floor(watts + 0.5)) end
  return string.format("%.1f kW", watts / 1000)
end

local function energy_text(kwh)
  if kwh < 1000 then return string.format("%.1f kWh", kwh) end
  return string.format("%.1f MWh", kwh / 1000)
end

local function money_text(amount, currency)
  return string.format("%.1f %s", amount, currency)
end

local CO2_KG_PER_KWH = 0.997 -- the factor Growatt's portal shows for avoided CO2

---------------------------------------------------------------------------
-- Login

local function refuse(code, message, extra)
  local back = { success = false, msg = code, error = message }
  for k, v in pairs(extra or {}) do back[k] = v end
  return { back = back }
end

local function login_back(state, account, hash)
  local plants, device_count = data.array(), 0
  for i, plant in ipairs(data.plants_of(state, account)) do
    plants[i] = { plantId = plant.id, plantName = plant.name }
    device_count = device_count + #plant.devices
  end
  return {
    success = true, msg = "", data = plants,
    service = "0", quality = "0", isOpenSmartFamily = false, app_code = "",
    deviceCount = tostring(device_count), totalData = {},
    user = {
      id = account.id, accountName = account.name, password = hash,
      rightlevel = account.rightlevel, timeZone = account.timezone,
      userLanguage = account.language, email = account.email, serverUrl = "",
      token = account.token, inverterList = data.array(), dataAcqList = data.array(),
      enabled = true, country = account.country, counrty = account.country, -- sic: both spellings are seen
      lastLoginTime = account.last_login,
    },
  }
end

-- POST newTwoLoginAPI.do, form userName + password (the hash). Codes: 501 no such user,
-- 502 wrong password, 507 locked (checked first: a locked account refuses any password).
local function login(_, ctx)
  local server, params = ctx.server, ctx.params
  server.count("logins")
  local account = ctx.state.accounts[params.userName or ""]
  local hash = account and M.hash_password(account.password)
  local hours = account and server.lock_of(account)
  local refusal
  if not account then
    refusal = refuse("501", "User does not exist")
  elseif hours then
    refusal = refuse("507", "Current account has been locked for 24 hours", { lockDuration = hours })
  elseif params.password ~= hash then
    server.login_failed(account)
    refusal = refuse("502", "Password is incorrect")
  end
  if refusal then
    server.count("login_failed")
    return refusal
  end
  server.login_succeeded(account)
  server.count("login_ok")
  local session = server.new_session(account.id)
  return { back = login_back(ctx.state, account, hash) }, 200, { ["Set-Cookie"] = server.session_cookie(session) }
end

-- Where Growatt redirects requests without a live session.
local function error_page(_, ctx)
  local server = ctx.server
  return server.html(200, "Growatt", "Error: " .. server.escape_html(ctx.params.errorMess or "error"))
end

---------------------------------------------------------------------------
-- Plant list

local function storage_devices(state, plant)
  local list = {}
  for _, device in ipairs(data.devices_of(state, plant)) do
    if device.battery and (device.type == "mix" or device.type == "storage") then list[#list + 1] = device end
  end
  return list
end

local function plant_row(plant, has_storage)
  return {
    plantId = plant.id, plantName = plant.name,
    currentPower = power_text(plant.current_power),
    todayEnergy = energy_text(plant.today_energy),
    totalEnergy = energy_text(plant.total_energy),
    plantMoneyText = money_text(plant.today_energy * plant.price, plant.currency),
    isHaveStorage = tostring(has_storage),
  }
end

-- GET PlantListAPI.do?userId=<id>. Asking for another user's plants (or sending no userId)
-- is refused with success=false rather than answered with empty data: a client that sends
-- a wrong id (e.g. "1234567.0") should see that at once.
local function plant_list(_, ctx)
  local account = ctx.account
  if not account then return ctx.server.not_logged_in() end -- the session's account was removed
  if ctx.params.userId ~= tostring(account.id) then
    return refuse("no permission", "userId is not the logged-in user")
  end
  local rows = data.array()
  local power, today, total, money = 0, 0, 0, 0
  local batteries = {}
  local currency = ""
  for i, plant in ipairs(data.plants_of(ctx.state, account)) do
    local storage = storage_devices(ctx.state, plant)
    rows[i] = plant_row(plant, #storage > 0)
    power, today, total = power + plant.current_power, today + plant.today_energy, total + plant.total_energy
    money, currency = money + plant.total_energy * plant.price, plant.currency
    for _, device in ipairs(storage) do batteries[#batteries + 1] = device.battery end
  end
  local totals = {
    currentPowerSum = power_text(power),
    todayEnergySum = energy_text(today),
    totalEnergySum = energy_text(total),
    CO2Sum = string.format("%.1f T", total * CO2_KG_PER_KWH / 1000),
    eTotalMoneyText = money_text(money, currency),
    isHaveStorage = tostring(#batteries > 0),
  }
  if #batteries > 0 then
    local charge, discharge, to_user, stored, capacity = 0, 0, 0, 0, 0
    for _, b in ipairs(batteries) do
      charge, discharge, to_user = charge + b.charge, discharge + b.discharge, to_user + b.to_user
      stored, capacity = stored + b.soc * b.capacity, capacity + b.capacity
    end
    totals.storagePCharge = power_text(charge)
    totals.storagePDisCharge = power_text(discharge)
    totals.storagePacToUser = power_text(to_user)
    totals.storageCapacity = string.format("%d%%", math.floor(stored / capacity + 0.5)) -- state of charge
  end
  return { back = { success = true, data = rows, totalData = totals } }
end

---------------------------------------------------------------------------
-- Reads of plants and devices (protocol.md §2, shapes §2.2). Each read is one entry of
-- READS below: the parameters the servlet needs, which of them name a plant or a device of
-- the session's user, how the reply is enveloped and a function that builds the payload.

-- A number as Growatt writes it inside strings: "12.6", "0", "1843.6".
local function num(x, decimals)
  local s = string.format("%." .. (decimals or 1) .. "f", x)
  if s:find(".", 1, true) then s = s:gsub("0+$", ""):gsub("%.$", "") end
  if s == "-0" then s = "0" end
  return s
end

-- A JSON number with at most `decimals` decimals.
local function round(x, decimals)
  local m = 10 ^ (decimals or 1)
  return math.floor(x * m + 0.5) / m
end

local function kw(watts) return num(watts / 1000, 2) end

local DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function days_in(year, month)
  if month == 2 and year % 4 == 0 and (year % 100 ~= 0 or year % 400 == 0) then return 29 end
  return DAYS[month]
end

-- The sandbox's today, for the ops that have no date: their "today" totals.
local function today() return os.date("%Y-%m-%d") end

local ENERGIES = { "pv", "load", "charge", "discharge", "export", "import" }

-- Adds the energies of `from` (times `factor`) to `into`; returns `into`.
local function add(into, from, factor)
  for _, k in ipairs(ENERGIES) do into[k] = (into[k] or 0) + from[k] * (factor or 1) end
  return into
end

local function zero() return { pv = 0, load = 0, charge = 0, discharge = 0, export = 0, import = 0 } end

-- The chart of a device over the period that a request's `type` and `date` name, and its
-- totals (kWh): type 0 is the date's 5-minute points ("HH:MM", kW), type 1 the days of its
-- month ("01".."31", kWh), type 2 the months of its year ("01".."12", kWh).
local function period(state, device, type_, date)
  local chart, totals = {}, zero()
  local year, month = tonumber(date:sub(1, 4)), tonumber(date:sub(6, 7))
  if type_ == "0" then
    for _, p in ipairs(data.day(state, device, date)) do
      chart[p.time] = p
      add(totals, p, data.STEP_HOURS)
    end
  elseif type_ == "1" then
    for d = 1, days_in(year, month) do
      local day = string.format("%04d-%02d-%02d", year, month, d)
      local t = data.day_totals(state, device, day, data.day_energy(state, device, day))
      chart[string.format("%02d", d)] = t
      add(totals, t)
    end
  else
    for m = 1, 12 do
      local mid = string.format("%04d-%02d-15", year, m) -- a month is its middle day, that many times
      local t = add(zero(), data.day_totals(state, device, mid, data.day_energy(state, device, mid)), days_in(year, m))
      chart[string.format("%02d", m)] = t
      add(totals, t)
    end
  end
  return chart, totals
end

-- The split of a period's energy that the mix and TLX charts report (kWh, as strings).
local function energy_split(t, unit)
  local solar_to_load = math.max(t.load - t.discharge - t.import, 0)
  local self_use = solar_to_load + t.discharge
  local produced = self_use + t.export
  local function pct(a, b) return num(b > 0 and a / b * 100 or 0) .. "%" end
  local function e(x) return num(x) .. (unit or "") end
  return {
    eAcCharge = e(t.export), eCharge = e(produced), eChargeToday = e(solar_to_load),
    eChargeToday1 = e(self_use), eChargeToday2 = e(self_use), echarge1 = e(t.discharge),
    elocalLoad = e(t.load), etouser = e(t.import), photovoltaic = e(solar_to_load),
    ratio1 = pct(self_use, produced), ratio2 = pct(t.export, produced), ratio3 = pct(self_use, t.load),
    ratio4 = pct(t.import, t.load), ratio5 = pct(solar_to_load, self_use), ratio6 = pct(t.discharge, self_use),
  }
end

-- A chart as Growatt sends it: key -> { field = value string }, fields from `fields`
-- (wire name -> energy name); kW with two decimals for 5-minute points, kWh with one otherwise.
local function chart_of(chart, type_, fields)
  local out = {}
  for key, p in pairs(chart) do
    local row = {}
    for wire, name in pairs(fields) do row[wire] = num(p[name], type_ == "0" and 2 or 1) end
    out[key] = row
  end
  return out
end

local MIX_CHART = { ppv = "pv", sysOut = "load", pacToGrid = "export", pacToUser = "import", pdischarge = "discharge" }

local flows, strings, lifetime = data.flows, data.strings, data.lifetime

local function money(plant, kwh) return num(kwh * plant.price) end

---------------------------------------------------------------------------
-- Plants

local function plant_detail(ctx, plant, _, p)
  local state, data_, sum = ctx.state, {}, 0
  for _, device in ipairs(data.producers(state, plant)) do
    local chart = period(state, device, p.type, p.date)
    for key, point in pairs(chart) do
      local v = p.type == "0" and point.pv * 1000 or point.pv -- W for the 5-minute view, else kWh
      data_[key] = (data_[key] or 0) + v
      sum = sum + (p.type == "0" and point.pv * data.STEP_HOURS or point.pv)
    end
  end
  for key, v in pairs(data_) do data_[key] = num(v, 2) end
  return {
    plantData = { plantId = plant.id, plantName = plant.name, currentEnergy = energy_text(sum),
                  plantMoneyText = money_text(sum * plant.price, plant.currency) },
    data = data_,
  }
end

local function has_battery(state, plant)
  for _, d in ipairs(data.devices_of(state, plant)) do
    if d.battery then return true end
  end
  return false
end

-- A plant as getAllPlantListTwo lists it (and plant_energy_data's plantBean).
local function plant_bean(ctx, plant)
  return {
    id = tonumber(plant.id), plantName = plant.name, userAccount = ctx.account.name,
    nominalPower = plant.nominal_power, country = plant.country, city = plant.city,
    timezone = plant.timezone, plantAddress = plant.city .. ", " .. plant.country,
    currentPac = plant.current_power, eToday = plant.today_energy, eTotal = plant.total_energy,
    deviceCount = #plant.devices, hasDeviceOnLine = 1, status = 1,
    hasStorage = has_battery(ctx.state, plant) and 1 or 0,
    etodayMoney = round(plant.today_energy * plant.price, 2), etotalMoney = round(plant.total_energy * plant.price, 2),
    formulaMoneyUnitId = plant.currency, createDateText = plant.created, plantImgName = "",
  }
end

local function plant_list_two(ctx, _, _, p)
  local plants = data.plants_of(ctx.state, ctx.account)
  local size, page = tonumber(p.pageSize) or 15, tonumber(p.toPageNum) or 1
  local rows = data.array()
  for i = (page - 1) * size + 1, math.min(page * size, #plants) do rows[#rows + 1] = plant_bean(ctx, plants[i]) end
  return { PlantList = rows, totalNum = #plants, pageSize = size, toPageNum = page,
           totalPageNum = math.max(math.ceil(#plants / size), 1) }
end

local function device_row(state, device)
  local b = data.battery_of(state, device)
  return {
    deviceSn = device.sn, deviceType = device.type, deviceAilas = device.alias, -- sic: Growatt's spelling
    datalogSn = device.datalog, deviceStatus = "1", lost = false, location = "",
    capacity = device.battery and string.format("%d%%", device.battery.soc) or "",
    energy = num(device.total_energy), activePower = num(device.power), apparentPower = num(device.power),
    pCharge = num(b and b.charge or 0), eChargeToday = num(0), storageType = device.battery and "1" or "0",
  }
end

-- getAllDeviceListTwo and getAllDeviceList: the plant's totals and devices. `all` = false
-- leaves TLX plants' list empty, as Growatt does (clients then ask getAllDeviceList).
local function device_list(all)
  return function(ctx, plant)
    local state = ctx.state
    local list, storage = data.array(), { charge = 0, discharge = 0, to_user = 0 }
    local tlx = false
    for _, device in ipairs(data.devices_of(state, plant)) do
      tlx = tlx or device.type == "tlx"
      list[#list + 1] = device_row(state, device)
      if device.type == "mix" or device.type == "storage" then
        for k in pairs(storage) do storage[k] = storage[k] + device.battery[k] end
      end
    end
    if tlx and not all then list = data.array() end
    return {
      todayEnergy = num(plant.today_energy), totalEnergy = num(plant.total_energy),
      invTodayPpv = plant.current_power, nominalPower = plant.nominal_power, nominal_Power = plant.nominal_power,
      Co2Reduction = num(plant.total_energy * CO2_KG_PER_KWH), useEnergy = num(plant.today_energy * 0.8),
      plantMoneyText = num(plant.today_energy * plant.price) .. "/" .. plant.currency,
      totalMoneyText = num(plant.total_energy * plant.price) .. "/" .. plant.currency,
      storageTodayPpv = num(storage.charge), storagePuser = num(storage.to_user), storagePgrid = "0",
      todayDischarge = num(storage.discharge), ammeterType = "0", optimizerType = 0, isHaveOptimizer = false,
      deviceList = list,
    }
  end
end

local function plant_energy_data(ctx, plant)
  local state, date = ctx.state, today()
  local month, year = 0, 0
  for _, device in ipairs(data.producers(state, plant)) do
    for m = 1, tonumber(date:sub(6, 7)) do
      for d = 1, days_in(tonumber(date:sub(1, 4)), m) do
        local day = string.format("%s-%02d-%02d", date:sub(1, 4), m, d)
        if day > date then break end
        local e = day == date and device.today_energy or data.day_energy(state, device, day)
        year = year + e
        if m == tonumber(date:sub(6, 7)) then month = month + e end
      end
    end
  end
  local row = plant_bean(ctx, plant)
  row.energyMonth, row.energyYear = round(month, 1), round(year, 1)
  row.formulaMoney, row.plant_lat, row.plant_lng = plant.price, tostring(plant.lat), tostring(plant.lng)
  return {
    todayStr = num(plant.today_energy) .. "kWh", monthStr = num(month) .. "kWh", yearStr = num(year) .. "kWh",
    totalStr = energy_text(plant.total_energy):gsub(" ", ""), powerValueStr = kw(plant.current_power) .. "kW",
    alarmValue = 0, weatherMap = { tmp = "9", cond_txt = "Partly cloudy", cond_code = "103" }, plantBean = row,
  }
end

local function dashboard(ctx, plant, _, p)
  local device = data.producers(ctx.state, plant)[1]
  local chart, totals = period(ctx.state, device, p.type, p.date)
  local out = energy_split(totals, "kWh")
  out.eChargeToday2Echarge1, out.echargeToat = out.photovoltaic, num(lifetime(ctx.state, device).discharge) .. "kWh"
  out.chartData = chart_of(chart, p.type, { ppv = "pv", sysOut = "load", userLoad = "export", pacToUser = "discharge" })
  out.chartDataUnit = p.type == "0" and "kW" or "kWh"
  out.keyNames = data.array({ "Solar", "Load Consumption", "Export To Grid", "From Battery" })
  return out
end

---------------------------------------------------------------------------
-- Classic inverters

local function inverter_series(ctx, _, device, p)
  local series = {}
  for _, point in ipairs(data.day(ctx.state, device, p.date)) do
    series[p.date .. " " .. point.time] = round(point.pv * 1000, 1)
  end
  return { invPacData = series, eToday = num(device.today_energy), eTotal = num(device.total_energy),
           nominalPower = device.nominal_power }
end

local function inverter_detail(ctx, _, device)
  local f = flows(ctx.state, device)
  local out = {
    serialNum = device.sn, alias = device.alias, powerToday = device.today_energy, powerTotal = device.total_energy,
    ppv = round(f.pv / 0.97), pac = f.out, pacr = f.out, fac = device.frequency, vacr = device.grid_voltage,
    iacr = round(f.out / device.grid_voltage, 2), temperature = device.temperature,
    ipmTemperature = round(device.temperature + 6.5), status = 1, time = today() .. " 12:00:00",
  }
  for i = 1, 3 do
    local s = strings(device, f.pv / 0.97)[i] or { v = 0, i = 0, p = 0 }
    out["vpv" .. i], out["ipv" .. i], out["ppv" .. i] = s.v, round(s.i, 2), round(s.p)
  end
  return out
end

---------------------------------------------------------------------------
-- TLX (MIN) inverters and their batteries

local function tlx_detail(ctx, _, device)
  return { data = data.tlx_record(ctx.state, device, today()) }
end

local function tlx_params(_, plant, device)
  return {
    newBean = {
      serialNum = device.sn, alias = device.alias, plantId = tonumber(plant.id), plantname = plant.name,
      dataLogSn = device.datalog, modelText = device.model, deviceModel = device.model,
      fwVersion = device.firmware, innerVersion = device.firmware .. "01", nominalPower = device.nominal_power,
      status = 1, statusText = "tlx.status.operating", lost = false, location = plant.city,
      lastUpdateTimeText = today() .. " 12:00:00", timezone = plant.timezone, tlxType = "MIN",
    },
    isHaveOptimizer = false,
  }
end

-- The status obj of mix and TLX systems: present flows in kW (PV strings in W).
local function system_status(ctx, _, device)
  local state = ctx.state
  local f, b = flows(state, device), data.battery_of(state, device) or { soc = 0, voltage = 0 }
  local out = {
    SOC = num(b.soc, 0), chargePower = kw(f.charge), pdisCharge1 = kw(f.discharge), pdisCharge = kw(f.discharge),
    fAc = num(device.frequency, 2), lost = device.type .. ".status.normal", pLocalLoad = kw(f.load),
    ppv = kw(f.pv), pactogrid = kw(f.to_grid), pactouser = kw(f.to_user), pmax = num(device.nominal_power / 1000),
    priorityChoose = "0", status = "5", unit = "kW", upsFac = "0", upsVac1 = "0", uwSysWorkMode = "6",
    vAc1 = num(device.grid_voltage), vac1 = num(device.grid_voltage), vBat = num(b.voltage), wBatteryType = "1",
  }
  for i, s in ipairs(strings(device, f.pv)) do
    if i > 2 then break end
    out["pPv" .. i], out["vPv" .. i] = num(s.p, 0), num(s.v)
  end
  return out
end

-- getEnergyOverview of mix and TLX systems: today (the sandbox's) and lifetime energies.
local function energy_overview(ctx, plant, device)
  local state = ctx.state
  local t, life = data.day_totals(state, device, today()), lifetime(state, device)
  return {
    epvToday = num(t.pv), epvTotal = num(life.pv), elocalLoadToday = num(t.load), elocalLoadTotal = num(life.load),
    etoGridToday = num(t.export), etogridTotal = num(life.export), -- sic: the case differs
    etouserToday = num(t.import), etouserTotal = num(life.import),
    echargetoday = num(t.charge), echargetotal = num(life.charge),
    edischarge1Today = num(t.discharge), edischarge1Total = num(life.discharge),
    eselfToday = num(t.load - t.import),
    photovoltaicRevenueToday = money(plant, t.pv), photovoltaicRevenueTotal = money(plant, life.pv),
    unit = plant.currency,
  }
end

-- getEnergyProdAndCons_KW of mix and TLX systems.
local function prod_cons(ctx, _, device, p)
  local chart, totals = period(ctx.state, device, p.type, p.date)
  local out = energy_split(totals)
  out.chartData = chart_of(chart, p.type, MIX_CHART)
  out.echargeToat = num(lifetime(ctx.state, device).discharge) -- sic
  out.unit, out.unit2 = "kWh", "kW"
  return out
end

local function battery_info(_, _, device)
  local b = device.battery
  return {
    serialNum = device.sn, alias = device.alias, model = device.model, lost = false, status = "1",
    soc = num(b.soc, 0), capacity = string.format("%d%%", b.soc), vbat = num(b.voltage),
    chargePower = num(b.charge), dischargePower = num(b.discharge), batteryType = "1",
    dataLogSn = device.datalog, fwVersion = device.firmware,
  }
end

local function battery_detail(_, _, device)
  local b = device.battery
  return {
    soc = num(b.soc, 0), chargeOrDisPower = kw(b.charge - b.discharge), -- + charging, - discharging
    chargeTotal = num(b.charged), dischargeTotal = num(b.discharged), vbat = num(b.voltage),
  }
end

---------------------------------------------------------------------------
-- Mix (SPH) inverters

local function mix_info(ctx, _, device)
  local state = ctx.state
  local t, b, f = data.day_totals(state, device, today()), device.battery, flows(state, device)
  local out = {
    acChargeEnergyToday = "0", acChargeEnergyTotal = "0", acChargePower = 0,
    capacity = num(b.soc, 0), soc = num(b.soc, 0) .. "%",
    eBatChargeToday = num(t.charge), eBatChargeTotal = num(b.charged),
    eBatDisChargeToday = num(t.discharge), eBatDisChargeTotal = num(b.discharged),
    epvToday = num(t.pv), epvTotal = num(device.total_energy), isCharge = b.charge > 0 and 1 or 0,
    pCharge1 = b.charge, pDischarge1 = b.discharge, upsPac1 = 0, upsPac2 = 0, upsPac3 = 0,
    vbat = num(b.voltage), vbatdsp = num(b.voltage),
  }
  for i, s in ipairs(strings(device, f.pv)) do out["vpv" .. i] = num(s.v) end
  return out
end

---------------------------------------------------------------------------
-- Storage (SPF)

local function storage_info(ctx, _, device)
  local state = ctx.state
  local t, b, f = data.day_totals(state, device, today()), device.battery, flows(state, device)
  local life = lifetime(state, device)
  local out = {
    vbat = num(b.voltage), capacity = num(b.soc, 0), loadPercent = num(f.load / device.nominal_power * 100),
    outPutPower = num(f.out), outPutVolt = num(device.grid_voltage), freqOutPut = num(device.frequency, 2),
    vGrid = num(device.grid_voltage), freqGrid = num(device.frequency, 2), activePower = num(f.out),
    apparentPower = num(f.out), epvToday = num(t.pv), epvTotal = num(device.total_energy),
    eBatChargeToday = num(t.charge), eBatChargeTotal = num(b.charged),
    eBatDisChargeToday = num(t.discharge), eBatDisChargeTotal = num(b.discharged), batSn = device.sn .. "B",
    vBat = num(b.voltage), ppv = num(f.pv), pCharge = num(f.charge), pDischarge = num(f.discharge),
    pBat = num(f.charge - f.discharge), -- + charging, - discharging
    rateVA = num(f.out), outPutCurrent = num(f.out / device.grid_voltage, 2),
    -- from the grid: what the load draws (no grid charging in the sandbox's world)
    pAcInPut = num(f.to_user), chgCurr = num(f.to_user / device.grid_voltage, 2), iAcCharge = "0",
    eacChargeToday = "0", eacChargeTotal = "0",
    eacDisChargeToday = num(t.import), eacDisChargeTotal = num(life.import),
    eopDischrToday = num(t.load), eopDischrTotal = num(life.load),
  }
  for i, s in ipairs(strings(device, f.pv)) do
    out["vpv" .. i], out["pCharge" .. i], out["iChargePV" .. i] = num(s.v), num(s.p), num(s.i, 2)
    out["ppv" .. i] = num(s.p)
  end
  out.vpv = out.vpv1 -- the first string, as SPF models name it
  return out
end

local function storage_params(ctx, plant, device)
  return {
    storageDetailBean = storage_info(ctx, plant, device),
    storageBean = { sn = device.sn, alias = device.alias, model = device.model, fwVersion = device.firmware,
                    dataLogSn = device.datalog, plantId = tonumber(plant.id), status = 1, lost = false },
  }
end

local function storage_overview(ctx, _, device)
  local state = ctx.state
  local t, life = data.day_totals(state, device, today()), lifetime(state, device)
  return {
    eChargeToday = num(t.charge), eChargeTotal = num(life.charge),
    eDischargeToday = num(t.discharge), eDischargeTotal = num(life.discharge),
    eToUserToday = num(t.import), eToUserTotal = num(life.import),
    eToGridToday = num(t.export), eToGridTotal = num(life.export),
    epvToday = num(t.pv), epvTotal = num(life.pv),
    useEnergyToday = num(t.load), useEnergyTotal = num(life.load),
  }
end

---------------------------------------------------------------------------
-- Noah

local function noah_of(state, plant)
  for _, d in ipairs(data.devices_of(state, plant)) do
    if d.type == "noah" then return d end
  end
end

local function is_noah_system(ctx, plant)
  local noah = noah_of(ctx.state, plant)
  return { isPlantNoahSystem = noah ~= nil and #plant.devices == 1, isPlantHaveNoah = noah ~= nil,
           plantId = plant.id, plantName = plant.name, deviceSn = noah and noah.sn or "" }
end

local function watt(w) return num(w, 0) .. "Watt" end

-- The inverter a Noah feeds: the plant's first producer.
local function associated_inverter(state, plant)
  local inverter = data.producers(state, plant)[1]
  return inverter and inverter.sn or ""
end

local function noah_status(ctx, plant, device)
  local b, n = device.battery, device.noah
  local associated = associated_inverter(ctx.state, plant)
  return {
    soc = num(b.soc, 0), workMode = tostring(n.work_mode), chargePower = watt(b.charge),
    disChargePower = watt(b.discharge), pac = watt(device.power), ppv = watt(device.power + b.charge - b.discharge),
    eacToday = num(device.today_energy) .. "kWh", eacTotal = num(device.total_energy) .. "kWh",
    batteryNum = tostring(#n.battery_sns), associatedInvSn = associated, plantId = plant.id, alias = device.alias,
    profitToday = money(plant, device.today_energy), profitTotal = money(plant, device.total_energy),
    moneyUnit = plant.currency == "EUR" and "€" or plant.currency, status = "1",
  }
end

local function noah_info(ctx, plant, device)
  local n, segments = device.noah, {}
  for i, s in ipairs(n.time_segments) do segments["time_segment" .. i] = s end
  local plants = data.array()
  for i, p in ipairs(data.plants_of(ctx.state, ctx.account)) do
    plants[i] = { plantId = p.id, plantName = p.name, plantImgName = "" }
  end
  return {
    noah = {
      time_segment = segments, batSns = n.battery_sns, associatedInvSn = associated_inverter(ctx.state, plant),
      plantId = plant.id, plantName = plant.name, chargingSocHighLimit = tostring(n.charging_soc_high),
      chargingSocLowLimit = tostring(n.charging_soc_low), defaultPower = tostring(n.default_power),
      version = device.firmware, deviceSn = device.sn, formulaMoney = num(plant.price, 2), alias = device.alias,
      model = device.model, tempType = "0", moneyUnitText = plant.currency == "EUR" and "euro" or plant.currency,
    },
    unitList = { Euro = "euro", DOLLAR = "dollar", POUND = "pound" },
    neoList = data.array(),
    plantList = plants,
  }
end

---------------------------------------------------------------------------
-- The read table and its one handler.

-- How payloads and refusals go out: inside `obj` (most new*Api ops and Noah), `back`
-- (PlantDetailAPI), `data` (the TLX detail and battery detail) or flat.
local ENVELOPES = {
  obj = { function(p) return { result = 1, msg = "", obj = p } end,
          function(msg) return { result = 0, msg = msg, obj = data.null } end },
  back = { function(p) p.success = true return { back = p } end,
           function(msg) return { back = { success = false, msg = msg } } end },
  data = { function(p) return { result = 1, msg = "", data = p } end,
           function(msg) return { result = 0, msg = msg } end },
  flat = { function(p) return p end,
           function(msg) return { result = 0, msg = msg } end },
}

local MIX, TLX, BAT, INVERTER = { mix = true }, { tlx = true }, { bat = true }, { inverter = true }
local STORAGE, NOAH = { storage = true }, { noah = true }

-- A date that fits the request's type: "YYYY-MM" for 2 (month), else "YYYY-MM-DD".
local function dated(p)
  if p.type ~= "0" and p.type ~= "1" and p.type ~= "2" then return "type must be 0, 1 or 2" end
  local shape = p.type == "2" and "^%d%d%d%d%-%d%d$" or "^%d%d%d%d%-%d%d%-%d%d$"
  if not p.date:find(shape) then return "date " .. p.date .. " does not fit type " .. p.type end
end

-- One entry per read: path, op, and
--   need     parameters that must be present (besides plant and device). Growatt does not
--            ask for `language`, `lan` or page numbers (growattServer up to 1.5.0 sent
--            getAllDeviceList without a language), so neither does the sandbox.
--   plant    the parameter naming a plant of the user (optional_plant: it may be absent)
--   device   the parameter naming a device of the user, whose type is in `kinds`
--   dated    the request carries type and date, checked against each other
--   envelope a key of ENVELOPES (default obj)
--   build    function(ctx, plant, device, params) -> payload
local READS = {
  { "PlantDetailAPI.do", nil, plant = "plantId", need = { "type", "date" }, dated = true, envelope = "back",
    build = plant_detail },
  { "newTwoPlantAPI.do", "getAllPlantListTwo", envelope = "flat", build = plant_list_two },
  { "newTwoPlantAPI.do", "getAllDeviceListTwo", plant = "plantId", envelope = "flat", build = device_list(false) },
  { "newTwoPlantAPI.do", "getAllDeviceList", plant = "plantId", envelope = "flat", build = device_list(true) },
  { "newTwoPlantAPI.do", "getUserCenterEnertyDataByPlantid", plant = "plantId", envelope = "flat",
    build = plant_energy_data },
  { "newPlantAPI.do", "getEnergyStorageData", plant = "plantId", need = { "type", "date" }, dated = true,
    envelope = "flat", build = dashboard },
  { "newInverterAPI.do", "getInverterData", device = "id", kinds = INVERTER, need = { "type", "date" },
    dated = true, envelope = "flat", build = inverter_series },
  { "newInverterAPI.do", "getInverterDetailData", device = "inverterId", kinds = INVERTER, envelope = "flat",
    build = inverter_detail },
  { "newInverterAPI.do", "getInverterDetailData_two", device = "inverterId", kinds = INVERTER, envelope = "flat",
    build = inverter_detail },
  { "newTlxApi.do", "getTlxData", device = "id", kinds = TLX, need = { "type", "date" }, dated = true,
    envelope = "flat", build = inverter_series },
  { "newTlxApi.do", "getTlxDetailData", device = "id", kinds = TLX, envelope = "flat", build = tlx_detail },
  { "newTlxApi.do", "getTlxParams", device = "id", kinds = TLX, envelope = "flat", build = tlx_params },
  { "newTlxApi.do", "getSystemStatus_KW", plant = "plantId", device = "id", kinds = TLX, build = system_status },
  { "newTlxApi.do", "getEnergyOverview", plant = "plantId", device = "id", kinds = TLX, build = energy_overview },
  { "newTlxApi.do", "getEnergyProdAndCons_KW", plant = "plantId", device = "id", kinds = TLX,
    need = { "type", "date" }, dated = true, build = prod_cons },
  { "newTlxApi.do", "getBatInfo", device = "serialNum", kinds = BAT, build = battery_info },
  { "newTlxApi.do", "getBatDetailData", plant = "plantId", device = "id", kinds = BAT,
    envelope = "data", build = battery_detail },
  { "newMixApi.do", "getMixInfo", plant = "plantId", optional_plant = true, device = "mixId", kinds = MIX,
    build = mix_info },
  { "newMixApi.do", "getEnergyOverview", plant = "plantId", device = "mixId", kinds = MIX, build = energy_overview },
  { "newMixApi.do", "getSystemStatus_KW", plant = "plantId", device = "mixId", kinds = MIX, build = system_status },
  { "newMixApi.do", "getEnergyProdAndCons_KW", plant = "plantId", device = "mixId", kinds = MIX,
    need = { "type", "date" }, dated = true, build = prod_cons },
  { "newStorageAPI.do", "getStorageInfo_sacolar", device = "storageId", kinds = STORAGE, envelope = "flat",
    build = storage_info },
  { "newStorageAPI.do", "getStorageParams_sacolar", device = "storageId", kinds = STORAGE, envelope = "flat",
    build = storage_params },
  { "newStorageAPI.do", "getEnergyOverviewData_sacolar", plant = "plantId", device = "storageSn", kinds = STORAGE,
    build = storage_overview },
  { "noahDeviceApi/noah/isPlantNoahSystem", nil, plant = "plantId", build = is_noah_system },
  { "noahDeviceApi/noah/getSystemStatus", nil, device = "deviceSn", kinds = NOAH, build = noah_status },
  { "noahDeviceApi/noah/getNoahInfoBySn", nil, device = "deviceSn", kinds = NOAH, build = noah_info },
}

-- Checks a read's parameters against the session's user, then builds and envelopes its payload.
local function serve(read)
  local ok, refused = ENVELOPES[read.envelope or "obj"][1], ENVELOPES[read.envelope or "obj"][2]
  local need = { read.device }
  if not read.optional_plant then need[#need + 1] = read.plant end
  for _, name in ipairs(read.need or {}) do need[#need + 1] = name end
  return function(_, ctx)
    if not ctx.account then return ctx.server.not_logged_in() end -- the session's account was removed
    local p = ctx.params
    for _, name in ipairs(need) do
      if p[name] == nil or p[name] == "" then return refused(name .. " is required") end
    end
    local plant, device
    if read.plant and p[read.plant] then
      plant = data.plant_of(ctx.state, ctx.account, p[read.plant])
      if not plant then return refused("no plant " .. p[read.plant] .. " for this user") end
    end
    if read.device then
      local home
      device, home = data.device_of(ctx.state, ctx.account, p[read.device])
      if not home or not read.kinds[device.type] then return refused("no such device: " .. p[read.device]) end
      if plant and plant ~= home then return refused("device " .. device.sn .. " is not in plant " .. plant.id) end
      plant = home
    end
    local wrong = read.dated and dated(p)
    if wrong then return refused(wrong) end
    return ok(read.build(ctx, plant, device, p))
  end
end

function M.register(server)
  server.route("newTwoLoginAPI.do", nil, login)
  server.route("error.do", nil, error_page)
  server.route("PlantListAPI.do", nil, plant_list, { session = true })
  for _, read in ipairs(READS) do server.route(read[1], read[2], serve(read), { session = true }) end
end

return M
