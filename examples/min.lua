-- A MIN (TLX) inverter through Growatt's official OpenAPI v1: find it among the plants'
-- devices, then read its detail, its latest values and its time-of-use segments.
--   GROWATT_TOKEN=... GROWATT_SERVER=https://openapi.growatt.com/ lua5.4 examples/min.lua
-- Without them it talks to a local sandbox (make sandbox) with its demo token.
-- Growatt answers the same request once per 5 minutes: run it again later, not at once.
local growatt = require("growatt")

local token = os.getenv("GROWATT_TOKEN") or "demo-token"
local server = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/"

local function check(v, err)
  if v == nil then
    io.stderr:write("failed: ", tostring(err), err and err.retry_after and
      (" (retry in " .. err.retry_after .. " s)") or "", "\n")
    os.exit(1)
  end
  return v
end

local api = growatt.openapi({ token = token, server_url = server })

-- The first MIN of the account.
local min
for _, plant in ipairs(check(api:plant_list()).plants) do
  for _, d in ipairs(check(api:device_list(plant.plant_id)).devices) do
    if not min and d.type == growatt.DeviceType.MIN then
      print(("plant %s %q: MIN %s (%s)"):format(plant.plant_id, plant.name, d.device_sn, d.model))
      min = check(api:device(d.device_sn, d.type))
    end
  end
end
if not min then
  io.stderr:write("no MIN inverter on this account\n")
  os.exit(1)
end

local detail = check(min:detail())
print(("%s, firmware %s, logger %s"):format(detail.alias, detail.fwVersion, detail.dataLogSn))

local now = check(min:energy())
print(("now %s W from PV, battery %s %%; today %s kWh, total %s kWh"):format(
  now.ppv, now.bdc1Soc, now.eacToday, now.eacTotal))

-- The segments come from the settings read once (each endpoint counts against the 5-minute rule).
local settings = check(min:settings())
for _, s in ipairs(check(min:read_time_segments(settings))) do
  if s.enabled then
    print(("segment %d: %s-%s %s"):format(s.segment_id, s.start_time, s.end_time, s.mode_name))
  end
end
api:close()
