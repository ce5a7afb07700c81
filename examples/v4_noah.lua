-- A Noah battery's schedule written through the OpenAPI v4: slot 3 (discharge 300 W from
-- 17:00 to 21:30, load first), first as a dry run (the request is shown, nothing is sent),
-- then for real with verify = true: the client reads the device's details back and says
-- whether the slot took (Growatt's code 1 on a write often means it did anyway).
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_TOKEN=... NOAH_SN=... lua5.4 examples/v4_noah.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo token.
local growatt = require("growatt")

local api = growatt.v4({
  server_url = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/",
  token = os.getenv("GROWATT_TOKEN") or "demo-token",
})
local sn = os.getenv("NOAH_SN") or "NOAH200209"
local SLOT, START, STOP, MODE, WATTS = 3, "17:00", "21:30", 0, 300

-- The dry run: the request as it would go (the token shows as "***").
local req = assert(api:set_time_segment(sn, "noah", SLOT, START, STOP, MODE, WATTS, true, { dry_run = true }))
local form = {}
for _, pair in ipairs(req.form) do form[#form + 1] = pair[1] .. "=" .. tostring(pair[2]) end
print("dry run: " .. req.method .. " " .. req.path .. " " .. table.concat(form, "&"))

-- The write, read back.
local ok, info = api:set_time_segment(sn, "noah", SLOT, START, STOP, MODE, WATTS, true, { verify = true })
if not ok then
  print("not written: " .. tostring(info))
  os.exit(1)
end
if info.verified then
  local r = info.read
  print(string.format("slot %d reads back %s-%s, mode %s, %s W, enabled %s%s", SLOT, r.start, r.stop, r.mode,
    r.power, r.enabled, info.code == 1 and " (after Growatt's code 1)" or ""))
else
  print("written, but not read back: " .. tostring(info.verify_error))
end
api:close()
