-- ShinePhone reads of plants (protocol.md §2, shapes §2.2): the builders that
-- legacy/reads.lua routes. A builder is function(ctx, plant, device, params) -> payload.
-- Runs inside nginx (LuaJIT, Lua 5.1 API).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")
local format = require("growatt.sandbox.legacy.format")
local energy_text, money_text, num = format.energy_text, format.money_text, format.num
local CO2_KG_PER_KWH = format.CO2_KG_PER_KWH
local round, kw, days_in, today = format.round, format.kw, format.days_in, format.today
local period, energy_split, chart_of = format.period, format.energy_split, format.chart_of
local lifetime = energy.lifetime

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
    datalogSn = device.datalog, deviceStatus = device.lost and "-1" or "1", lost = device.lost == true, location = "",
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
        local e = day == date and device.today_energy or energy.day_energy(state, device, day)
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

return {
  plant_detail = plant_detail, plant_list_two = plant_list_two, device_list = device_list,
  plant_energy_data = plant_energy_data, dashboard = dashboard,
}
