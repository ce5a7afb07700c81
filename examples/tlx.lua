-- A TLX (MIN) hybrid system, as the ShinePhone app shows it: the plants (plant_list_two),
-- their devices (device_list: a TLX plant lists them only through getAllDeviceList), then
-- for each TLX inverter its parameters, today's production, status and energies, and for
-- each battery ("bat") its state. It presents itself as the ShinePhone iOS app.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... lua5.4 examples/tlx.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo account.
local growatt = require("growatt")

local api = growatt.new({
  server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/",
  agent_identifier = "ShinePhone/8.1.17 (iPhone; iOS 15.6.1; Scale/2.00)",
})
local username, password = os.getenv("GROWATT_USERNAME") or "demo", os.getenv("GROWATT_PASSWORD") or "demo-password"
local login = assert(api:login(username, password))
print("logged in as user " .. tostring(login.user.id))

local function say(fmt, ...) print(string.format(fmt, ...)) end

-- The 5-minute power series of a day: its number of points and its highest value.
local function peak(series)
  local n, best, at = 0, 0, "-"
  for time, watts in pairs(series or {}) do
    n = n + 1
    if watts > best then best, at = watts, time end
  end
  return n, best, at
end

local tlx_count = 0
for _, plant in ipairs(assert(api:plant_list_two())) do
  local plant_id = plant.id
  local info = assert(api:plant_info(plant_id))
  local energy = assert(api:plant_energy_data(plant_id))
  say("plant %s %s: today %s kWh, total %s kWh, now %s", plant_id, plant.plantName, info.todayEnergy,
    info.totalEnergy, energy.powerValueStr)
  for _, device in ipairs(assert(api:device_list(plant_id))) do
    local sn = device.deviceSn
    if device.deviceType == "tlx" then
      tlx_count = tlx_count + 1
      local params = assert(api:tlx_params(sn))
      local n, best, at = peak(assert(api:tlx_data(sn)).invPacData)
      local detail = assert(api:tlx_detail(sn)).data
      local status = assert(api:tlx_system_status(plant_id, sn))
      local overview = assert(api:tlx_energy_overview(plant_id, sn))
      local prod_cons = assert(api:tlx_energy_prod_cons(plant_id, sn))
      say("  TLX %s (%s, firmware %s)", sn, params.newBean.modelText, params.newBean.fwVersion)
      say("    today: %d points, peak %.0f W at %s", n, best, at)
      say("    now: PV %s kW, battery charging %s kW / discharging %s kW, AC out %s W",
        status.ppv, status.chargePower, status.pdisCharge, detail.pac)
      say("    today: PV %s kWh (overview), AC %s kWh, to grid %s kWh, from grid %s kWh, load %s kWh",
        overview.epvToday, detail.eacToday, detail.etoGridToday, detail.etoUserToday, prod_cons.elocalLoad)
      say("    self-consumed %s of production", prod_cons.ratio1)
    elseif device.deviceType == "bat" then
      local battery = assert(api:tlx_battery_info(sn))
      local detailed = assert(api:tlx_battery_info_detailed(plant_id, sn)).data
      local power = tonumber(detailed.chargeOrDisPower) or 0
      say("  battery %s: %s%% (%s), %s %.2f kW, discharged %s kWh in all", sn, battery.soc,
        battery.lost and "offline" or "online", power >= 0 and "charging" or "discharging", math.abs(power),
        detailed.dischargeTotal)
    end
  end
end
if tlx_count == 0 then print("no TLX inverter in this account") end
api:close()
