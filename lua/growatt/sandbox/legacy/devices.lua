-- ShinePhone reads of devices (protocol.md §2, shapes §2.2): classic inverters, TLX (MIN)
-- and their batteries, mix (SPH), storage (SPF) and Noah. The builders that legacy/reads.lua
-- routes: function(ctx, plant, device, params) -> payload.
-- Runs inside nginx (LuaJIT, Lua 5.1 API).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")
local format = require("growatt.sandbox.legacy.format")
local num, round, kw, today = format.num, format.round, format.kw, format.today
local period, energy_split, chart_of, MIX_CHART = format.period, format.energy_split, format.chart_of, format.MIX_CHART
local money = format.money
local flows, strings, lifetime = energy.flows, energy.strings, energy.lifetime

---------------------------------------------------------------------------
-- Classic inverters

local function inverter_series(ctx, _, device, p)
  local series = {}
  for _, point in ipairs(energy.day(ctx.state, device, p.date)) do
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
  return { data = energy.tlx_record(ctx.state, device, today()) }
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
  local t, life = energy.day_totals(state, device, today()), lifetime(state, device)
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
  local t, b, f = energy.day_totals(state, device, today()), device.battery, flows(state, device)
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
  local t, b, f = energy.day_totals(state, device, today()), device.battery, flows(state, device)
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
  local t, life = energy.day_totals(state, device, today()), lifetime(state, device)
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

return {
  inverter_series = inverter_series, inverter_detail = inverter_detail, tlx_detail = tlx_detail,
  tlx_params = tlx_params, system_status = system_status, energy_overview = energy_overview,
  prod_cons = prod_cons, battery_info = battery_info, battery_detail = battery_detail, mix_info = mix_info,
  storage_info = storage_info, storage_params = storage_params, storage_overview = storage_overview,
  is_noah_system = is_noah_system, noah_status = noah_status, noah_info = noah_info,
}
