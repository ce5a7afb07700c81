-- Plant and hybrid (mix/SPH) inverter settings, as the reference's settings example: the
-- plant's time zone, the inverter's clock and its 18-parameter AC charge schedule. Each
-- change is read back to show that it took; a value out of range is refused unsent.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... lua5.4 examples/settings.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo account.
-- This changes your plant and your inverter: try it on the sandbox first.
local growatt = require("growatt")

local function fail(...)
  io.stderr:write("settings: ", string.format(...), "\n")
  os.exit(1)
end

local function check(v, err)
  if v == nil then fail("%s", tostring(err)) end
  return v
end

local api = growatt.new({ server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/" })
local username, password = os.getenv("GROWATT_USERNAME") or "demo", os.getenv("GROWATT_PASSWORD") or "demo-password"
local login = check(api:login(username, password))
local plants = check(api:plant_list(login.user.id))

-- The first plant with a mix inverter.
local plant_id, device_sn
for _, plant in ipairs(plants.data) do
  for _, device in ipairs(check(api:device_list(plant.plantId))) do
    if not device_sn and device.deviceType == "mix" then plant_id, device_sn = plant.plantId, device.deviceSn end
  end
end
if not device_sn then fail("no plant with a mix inverter") end
print(("plant %s, mix inverter %s"):format(plant_id, device_sn))

-- The plant's time zone: update_plant_settings reads the current settings by itself.
local current = check(api:plant_settings(plant_id))
print(("time zone now %s; changing it to 0"):format(tostring(current.timezone)))
check(api:update_plant_settings(plant_id, { plantTimezone = "0" }))
local zone = check(api:plant_settings(plant_id)).timezone
if tostring(zone) ~= "0" then fail("the time zone reads back as %s", tostring(zone)) end
print("time zone read back: " .. tostring(zone))

-- The inverter's clock.
local now = os.date("%Y-%m-%d %H:%M:%S")
check(api:update_mix_inverter_setting(device_sn, "pf_sys_year", { param1 = now }))
print("inverter time set to " .. now)

-- The AC charge schedule (param1..param18): power %, stop SOC %, AC charging on, then three
-- periods of start hour, start minute, end hour, end minute, enabled.
local schedule = { "100", "100", "1",
                   "00", "40", "04", "20", "1",
                   "00", "00", "00", "00", "0",
                   "00", "00", "00", "00", "0" }
local request = check(api:update_mix_inverter_setting(device_sn, "mix_ac_charge_time_period", schedule,
  { dry_run = true }))
local shown = {}
for _, p in ipairs(request.query) do shown[#shown + 1] = p[1] .. "=" .. p[2] end
print(request.method .. " " .. request.url .. "?" .. table.concat(shown, "&"))
check(api:update_mix_inverter_setting(device_sn, "mix_ac_charge_time_period", schedule))

local bean = (check(api:get_mix_inverter_settings(device_sn)).obj or {}).mixBean or {}
print(("charge schedule read back: AC charge %s, period 1 %s-%s (enabled %s)"):format(tostring(bean.acChargeEnable),
  tostring(bean.forcedChargeTimeStart1), tostring(bean.forcedChargeTimeStop1), tostring(bean.forcedChargeStopSwitch1)))
if bean.forcedChargeTimeStart1 ~= "0:40" or bean.forcedChargeTimeStop1 ~= "4:20" then
  fail("the schedule did not take")
end

-- A minute of 75 never reaches the inverter.
schedule[5] = "75"
local _, err = api:update_mix_inverter_setting(device_sn, "mix_ac_charge_time_period", schedule)
if not err or err.kind ~= "invalid" then fail("an invalid schedule was not refused") end
print("refused before sending: " .. err.message)
api:close()
