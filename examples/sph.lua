-- An SPH (mix) inverter through Growatt's official OpenAPI v1: its detail, its latest
-- values and its AC charge and discharge periods.
--   GROWATT_TOKEN=... GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_SPH_SN=... lua5.4 examples/sph.lua
-- Without them it talks to a local sandbox (make sandbox) with its demo token and SPH.
-- Growatt answers the same request once per 5 minutes: run it again later, not at once.
local growatt = require("growatt")

local token = os.getenv("GROWATT_TOKEN") or "demo-token"
local server = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/"
local serial = os.getenv("GROWATT_SPH_SN") or "SPH6K00207"

local function check(v, err)
  if v == nil then
    io.stderr:write("failed: ", tostring(err), err and err.retry_after and
      (" (retry in " .. err.retry_after .. " s)") or "", "\n")
    os.exit(1)
  end
  return v
end

local api = growatt.openapi({ token = token, server_url = server })
local sph = check(api:device(serial, growatt.DeviceType.SPH))

-- The detail holds the settings too: read it once and derive the periods from it.
local detail = check(sph:detail())
print(("SPH %s (%s), status %s, battery type %s"):format(serial, detail.alias, detail.status, detail.batteryType))

local now = check(sph:energy())
print(("now %s W from PV, battery %s %% at %s V; today %s kWh from PV, %s kWh charged"):format(
  now.ppv, now.bmsSOC, now.vbat, now.epvtoday, now.echarge1Today))

local charge = check(sph:read_ac_charge_times(detail))
print(("AC charge: %d %% power up to %d %% SOC, from the grid: %s"):format(
  charge.charge_power, charge.charge_stop_soc, tostring(charge.mains_enabled)))
local discharge = check(sph:read_ac_discharge_times(detail))
print(("AC discharge: %d %% power down to %d %% SOC"):format(discharge.discharge_power, discharge.discharge_stop_soc))
for _, p in ipairs(discharge.periods) do
  if p.enabled then print(("  discharge %s-%s"):format(p.start_time, p.end_time)) end
end
for _, p in ipairs(charge.periods) do
  if p.enabled then print(("  charge %s-%s"):format(p.start_time, p.end_time)) end
end
api:close()
