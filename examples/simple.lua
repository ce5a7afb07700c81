-- Log in and list the account's plants.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... lua5.4 examples/simple.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo account.
local growatt = require("growatt")

local server = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/"
local username = os.getenv("GROWATT_USERNAME") or "demo"
local password = os.getenv("GROWATT_PASSWORD") or "demo-password"

local api = growatt.new({ server_url = server })
local login, err = api:login(username, password)
if not login then
  io.stderr:write("login failed: ", tostring(err), "\n")
  os.exit(1)
end
print(("logged in as user %s"):format(login.user.id))

local plants = assert(api:plant_list(login.user.id))
for _, p in ipairs(plants.data) do
  print(("%-10s %-24s now %-10s today %-12s total %s"):format(
    p.plantId, p.plantName, p.currentPower, p.todayEnergy, p.totalEnergy))
end
api:close()
