-- Noah balcony batteries: which plants have one (is_plant_noah_system), then each Noah's
-- status and settings. Every reply must have result == 1.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... lua5.4 examples/noah.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo account.
local growatt = require("growatt")

local api = growatt.new({ server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/" })
local username, password = os.getenv("GROWATT_USERNAME") or "demo", os.getenv("GROWATT_PASSWORD") or "demo-password"
local login = assert(api:login(username, password))
local plants = assert(api:plant_list(login.user.id))

-- A Noah reply, checked as the reference's example does.
local function checked(reply, err)
  assert(reply, err)
  assert(reply.result == 1, "the server answered result " .. tostring(reply.result))
  return reply
end

local found = 0
for _, plant in ipairs(plants.data) do
  local noah = checked(api:is_plant_noah_system(plant.plantId)).obj
  print(string.format("plant %s %s: %s", plant.plantId, plant.plantName,
    noah.isPlantNoahSystem and "a Noah system" or noah.isPlantHaveNoah and "has a Noah" or "no Noah"))
  if noah.isPlantNoahSystem or noah.isPlantHaveNoah then
    found = found + 1
    local status = checked(api:noah_system_status(noah.deviceSn)).obj
    local info = checked(api:noah_info(noah.deviceSn)).obj.noah
    print(string.format("  Noah %s (%s, firmware %s)", noah.deviceSn, info.model, info.version))
    print(string.format("  battery %s%%, solar %s, charging %s, discharging %s, output %s",
      status.soc, status.ppv, status.chargePower, status.disChargePower, status.pac))
    print(string.format("  today %s, in all %s; charge limits %s..%s %%, default output %s W",
      status.eacToday, status.eacTotal, info.chargingSocLowLimit, info.chargingSocHighLimit, info.defaultPower))
    local i = 1
    while info.time_segment and info.time_segment["time_segment" .. i] do
      local mode, from, to, watts = info.time_segment["time_segment" .. i]:match("^(%d+)_([%d:]+)_([%d:]+)_(%d+)$")
      print(string.format("  time segment %d: %s from %s to %s, %s W", i,
        mode == "1" and "battery first" or "load first", from, to, watts))
      i = i + 1
    end
  end
end
if found == 0 then print("no Noah in this account") end
api:close()
