-- Every device of a token through the OpenAPI v4: the device list (every page), then the
-- last data of each device type (queryLastData; growatt.v4 splits more than 100 serials
-- into requests of 100 and merges them).
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_TOKEN=... lua5.4 examples/v4.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo token.
local growatt = require("growatt")

local api = growatt.v4({
  server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/",
  token = os.getenv("GROWATT_TOKEN") or "demo-token",
})

-- The serials of each device type, in the order the list gives them.
local devices = assert(api:devices())
local types, sns_of = {}, {}
for _, d in ipairs(devices) do
  if not sns_of[d.deviceType] then types[#types + 1], sns_of[d.deviceType] = d.deviceType, {} end
  table.insert(sns_of[d.deviceType], d.deviceSn)
end
print(string.format("%d devices of %d types", #devices, #types))

-- What each type calls its serial, output power and battery charge (docs/v4.md).
local SERIAL = { inv = "inverterId", noah = "deviceSn" }
local POWER = { storage = "outPutPower" }
local SOC = { sph = "soc", spa = "soc", ["sph-s"] = "soc", wit = "soc", min = "bmsSoc", storage = "capacity",
              noah = "totalBatteryPackSoc" }

local function show(v)
  if v == nil or v == growatt.null then return "-" end
  return tostring(v)
end

for _, t in ipairs(types) do
  local last, err = api:last_data(sns_of[t], t) -- one request per 100 serials of the type
  if not last then
    print(string.format("%-7s %d devices: %s", t, #sns_of[t], tostring(err)))
  else
    for _, r in ipairs(last[t] or {}) do
      print(string.format("%-7s %-11s power %6s W  pv %6s W  battery %4s %%  at %s", t,
        show(r[SERIAL[t] or "serialNum"]), show(r[POWER[t] or "pac"]), show(r.ppv), show(SOC[t] and r[SOC[t]]),
        show(r.time_local or r.calendar_local or r.timeCalendar_local or r.time)))
    end
  end
end
api:close()
