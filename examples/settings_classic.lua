-- A classic (PV-only) inverter, as the reference's settings_example_classic: switch it off
-- and on, limit its active power, and read each change back from its settings page.
-- The User-Agent is the user name plus five random digits, as that example sets it.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... \
--     lua5.4 examples/settings_classic.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo account.
-- This switches your inverter off for a moment: try it on the sandbox first.
local growatt = require("growatt")

local function fail(...)
  io.stderr:write("settings_classic: ", string.format(...), "\n")
  os.exit(1)
end

local function check(v, err)
  if v == nil then fail("%s", tostring(err)) end
  return v
end

local username = os.getenv("GROWATT_USERNAME") or "demo"
local api = growatt.new({ server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/",
                          add_random_user_id = true, agent_identifier = username })
local login = check(api:login(username, os.getenv("GROWATT_PASSWORD") or "demo-password"))

local device_sn
for _, plant in ipairs(check(api:plant_list(login.user.id)).data) do
  for _, device in ipairs(check(api:device_list(plant.plantId))) do
    if not device_sn and device.deviceType == "inverter" then device_sn = device.deviceSn end
  end
end
if not device_sn then fail("no classic inverter") end

-- Makes a change, then reads `field` back from the settings page and expects `want`.
local function change(what, field, want, reply, err)
  check(reply, err)
  local inv = check(api:classic_inverter_info(device_sn))
  print(("%s: %s = %s"):format(what, field, tostring(inv[field])))
  if inv[field] ~= want then fail("%s did not take", what) end
end

local inv = check(api:classic_inverter_info(device_sn))
print(("%s (%s, %s W): on %s, active power %s%%"):format(device_sn, tostring(inv.deviceModel),
  tostring(inv.nominalPower), tostring(inv.onOff), tostring(inv.activeRate)))
change("off", "onOff", "0", api:set_classic_inverter_on_off(device_sn, false))
change("on", "onOff", "1", api:set_classic_inverter_on_off(device_sn, true))
change("power limited to 80%", "activeRate", "80", api:set_classic_inverter_active_power_rate(device_sn, 80))
change("power back to 100%", "activeRate", "100", api:update_classic_inverter_setting(
  { action = "inverterSet", serialNum = device_sn },
  { paramId = "pv_active_p_rate", command_1 = "100", command_2 = "" }))
api:close()
