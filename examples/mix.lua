-- A mix (SPH hybrid) system: battery, PV, load and grid, today and right now, as the
-- reference's mix example shows them. The kWh of the day are also derived from the 5-minute
-- chart (kW x 5/60), to compare with the totals the server gives.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... lua5.4 examples/mix.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo account.
local growatt = require("growatt")

local api = growatt.new({ server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/" })
local username, password = os.getenv("GROWATT_USERNAME") or "demo", os.getenv("GROWATT_PASSWORD") or "demo-password"
local login = assert(api:login(username, password))
local plants = assert(api:plant_list(login.user.id))

local function say(indent, fmt, ...) print(string.rep(" ", indent) .. string.format(fmt, ...)) end

-- kWh of a day from its 5-minute kW points, field by field.
local function chart_kwh(chart_data, fields)
  local kwh = {}
  for _, field in ipairs(fields) do kwh[field] = 0 end
  for _, point in pairs(chart_data) do
    for _, field in ipairs(fields) do kwh[field] = kwh[field] + (tonumber(point[field]) or 0) * 5 / 60 end
  end
  return kwh
end

print("*** Totals for all plants ***")
for name, value in pairs(plants.totalData) do say(2, "%s: %s", name, value) end

local mixes = 0
for _, plant in ipairs(plants.data) do
  local plant_id = plant.plantId
  local info = assert(api:plant_info(plant_id))
  print()
  print(string.format("*** Plant %s - %s ***", plant_id, plant.plantName))
  say(2, "CO2 reduction: %s, nominal power (W): %s", info.Co2Reduction, info.nominal_Power)
  say(2, "Energy today (kWh): %s, total (kWh): %s", info.todayEnergy, info.totalEnergy)
  for _, device in ipairs(info.deviceList or {}) do
    say(2, "- device %s (%s)", device.deviceSn, device.deviceType)
  end
  for _, device in ipairs(info.deviceList or {}) do
    if device.deviceType == "mix" then
      mixes = mixes + 1
      local sn = device.deviceSn
      local mix = assert(api:mix_info(sn, plant_id))
      local totals = assert(api:mix_totals(sn, plant_id))
      local detail = assert(api:mix_detail(sn, plant_id))
      local dashboard = assert(api:dashboard_data(plant_id))
      local status = assert(api:mix_system_status(sn, plant_id))
      local chart = chart_kwh(detail.chartData, { "ppv", "sysOut", "pacToGrid", "pacToUser", "pdischarge" })

      say(2, "** Mix %s **", sn)
      say(4, "== Today ==")
      say(6, "Battery charge (kWh): %s, discharge (kWh): %s", mix.eBatChargeToday, mix.eBatDisChargeToday)
      say(6, "Solar (kWh): %s (from the chart: %.2f)", mix.epvToday, chart.ppv)
      say(6, "Local load (kWh): %s (from the chart: %.2f)", totals.elocalLoadToday, chart.sysOut)
      say(6, "Export to grid (kWh): %s (from the chart: %.2f)", totals.etoGridToday, chart.pacToGrid)
      say(6, "Import from grid (kWh): %s (dashboard, with AC charging: %s) (from the chart: %.2f)",
        detail.etouser, (dashboard.etouser or ""):gsub("kWh", ""), chart.pacToUser)
      say(6, "Battery discharge (kWh): %s (from the chart: %.2f)", detail.echarge1, chart.pdischarge)
      local solar_to_battery = tonumber(mix.epvToday) - tonumber(detail.eAcCharge) - tonumber(detail.eChargeToday)
      say(6, "Solar to battery (kWh, calculated): %.2f", solar_to_battery)
      say(6, "AC to battery (kWh, calculated): %.2f", tonumber(mix.eBatChargeToday) - solar_to_battery)
      say(4, "== Overall ==")
      say(6, "Battery charge (kWh): %s, discharge (kWh): %s", mix.eBatChargeTotal, mix.eBatDisChargeTotal)
      say(6, "Solar (kWh): %s, local load (kWh): %s, export (kWh): %s",
        mix.epvTotal, totals.elocalLoadTotal, totals.etogridTotal)
      say(4, "== Now ==")
      say(6, "Battery: %s%%, charging %s kW, discharging %s kW", status.SOC, status.chargePower, status.pdisCharge1)
      say(6, "PV1 %s W, PV2 %s W, together %s kW", status.pPv1, status.pPv2, status.ppv)
      say(6, "Load %s kW, import %s kW, export %s kW", status.pLocalLoad, status.pactouser, status.pactogrid)
    end
  end
end
if mixes == 0 then print("no mix inverter in this account") end
api:close()
