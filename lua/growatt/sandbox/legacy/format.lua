-- How ShinePhone replies show numbers ("2.4 kW", "12.6", "10.5 MWh") and the periods and
-- energy splits its charts report: what the legacy read modules share.
-- Runs inside nginx (LuaJIT, Lua 5.1 API); plain Lua apart from what energy.lua needs.
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")


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
    for _, p in ipairs(energy.day(state, device, date)) do
      chart[p.time] = p
      add(totals, p, data.STEP_HOURS)
    end
  elseif type_ == "1" then
    for d = 1, days_in(year, month) do
      local day = string.format("%04d-%02d-%02d", year, month, d)
      local t = energy.day_totals(state, device, day, energy.day_energy(state, device, day))
      chart[string.format("%02d", d)] = t
      add(totals, t)
    end
  else
    for m = 1, 12 do
      local mid = string.format("%04d-%02d-15", year, m) -- a month is its middle day, that many times
      local day = energy.day_totals(state, device, mid, energy.day_energy(state, device, mid))
      local t = add(zero(), day, days_in(year, m))
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

local function money(plant, kwh) return num(kwh * plant.price) end

return {
  power_text = power_text,
  energy_text = energy_text,
  money_text = money_text,
  CO2_KG_PER_KWH = CO2_KG_PER_KWH,
  num = num,
  round = round,
  kw = kw,
  days_in = days_in,
  today = today,
  period = period,
  energy_split = energy_split,
  chart_of = chart_of,
  MIX_CHART = MIX_CHART,
  money = money,
}
