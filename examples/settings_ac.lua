-- AC charging of an AC-coupled (SPA) inverter, as the reference's settings_example_AC: a
-- 17-parameter schedule, then read back. Arguments: stop SOC %, start hour, start minute,
-- end hour, end minute, enabled (1/0); without them 40 00 40 04 30 1.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... \
--     lua5.4 examples/settings_ac.lua 40 0 40 4 30 1
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox), where the SPH stands
-- in for an SPA. This changes your inverter: try it on the sandbox first.
local growatt = require("growatt")

local function fail(...)
  io.stderr:write("settings_ac: ", string.format(...), "\n")
  os.exit(1)
end

local function check(v, err)
  if v == nil then fail("%s", tostring(err)) end
  return v
end

local soc, start_h, start_m, end_h, end_m, run = "40", "00", "40", "04", "30", "1"
if #arg == 6 then
  local two = function(s) return string.format("%02d", tonumber(s) or -1) end
  soc, start_h, start_m, end_h, end_m, run = arg[1], two(arg[2]), two(arg[3]), two(arg[4]), two(arg[5]), arg[6]
end

local api = growatt.new({ server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/" })
local username, password = os.getenv("GROWATT_USERNAME") or "demo", os.getenv("GROWATT_PASSWORD") or "demo-password"
local login = check(api:login(username, password))
local plant = check(api:plant_list(login.user.id)).data[1] or fail("no plant")
local device = check(api:device_list(plant.plantId))[1] or fail("no device in plant %s", plant.plantId)

-- Every parameter is sent, the unused periods too.
local schedule = { "100", soc,                             -- charge power %, stop at SOC %
                   start_h, start_m, end_h, end_m, run,    -- period 1
                   "00", "00", "00", "00", "0",            -- period 2
                   "00", "00", "00", "00", "0" }           -- period 3
local reply = check(api:update_ac_inverter_setting(device.deviceSn, "spa_ac_charge_time_period", schedule))
print(("%s: %s"):format(device.deviceSn, tostring(reply.msg)))

local bean = (check(api:get_mix_inverter_settings(device.deviceSn)).obj or {}).mixBean or {}
local period = ("%d:%d-%d:%d"):format(tonumber(start_h), tonumber(start_m), tonumber(end_h), tonumber(end_m))
local got = ("%s-%s"):format(tostring(bean.forcedChargeTimeStart1), tostring(bean.forcedChargeTimeStop1))
print(("read back: stop at %s%%, period 1 %s, enabled %s"):format(tostring(bean.wchargeSOCLowLimit), got,
  tostring(bean.forcedChargeStopSwitch1)))
if got ~= period or bean.wchargeSOCLowLimit ~= tostring(tonumber(soc)) then fail("the schedule did not take") end
api:close()
