-- OpenAPI v1 plants (protocol.md §4): plant/list, details, data, power, energy and
-- device/list. Handlers are handler(req, ctx, account) behind v1.lua's gate.
-- Runs inside nginx (LuaJIT, Lua 5.1 API).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")
local common = require("growatt.sandbox.v1.common")
local DEVICE_TYPES, fail, now_text, today = common.DEVICE_TYPES, common.fail, common.now_text, common.today
local round, text, page_of = common.round, common.text, common.page_of
local valid_date, day_points = common.valid_date, common.day_points

local M = {}

---------------------------------------------------------------------------
-- Plants

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
function M.plant_list(_, ctx, account)
  local keyword = ctx.params.search_keyword or ""
  local rows = {}
  for _, plant in ipairs(data.plants_of(ctx.state, account)) do
    if keyword == "" or plant.name:lower():find(keyword:lower(), 1, true) then
      rows[#rows + 1] = plant_row(plant, account)
    end
  end
  return { count = #rows, plants = page_of(rows, ctx.params) }
end

function M.with_plant(handler)
  return function(req, ctx, account)
    local plant = data.plant_of(ctx.state, account, ctx.params.plant_id)
    if not plant then return fail(10011) end
    return handler(req, ctx, plant, account)
  end
end

function M.plant_details(_, ctx, plant, account)
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

function M.plant_data(_, _, plant)
  return {
    current_power = round(plant.current_power / 1000, 3), today_energy = text(plant.today_energy),
    monthly_energy = text(plant.today_energy * 21), yearly_energy = text(plant.total_energy * 0.16),
    total_energy = text(plant.total_energy), carbon_offset = text(plant.total_energy * 0.997),
    peak_power_actual = text(plant.nominal_power / 1000 * 0.92, 2), efficiency = "",
    timezone = "GMT+" .. plant.timezone, last_update_time = now_text(),
  }
end

-- GET plant/power: the plant's PV power (W) every 5 minutes; null for times still to come.
function M.plant_power(_, ctx, plant)
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

function M.plant_energy(_, ctx, plant)
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

function M.device_list(_, ctx, plant)
  local rows = {}
  for _, d in ipairs(data.devices_of(ctx.state, plant)) do
    rows[#rows + 1] = {
      device_sn = d.sn, device_id = device_id(d.sn), type = DEVICE_TYPES[d.type] or 3, model = d.model,
      manufacturer = "Growatt", lost = d.lost == true, status = 1, datalogger_sn = d.datalog,
      last_update_time = now_text(),
    }
  end
  return { count = #rows, devices = page_of(rows, ctx.params) }
end

return M
