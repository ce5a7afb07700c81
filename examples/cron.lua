-- Cron-ready: appends the plants' readings to a CSV file on every run, logging in only once.
--
--   */5 * * * *  GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=me GROWATT_PASSWORD=secret \
--                GROWATT_CSV=$HOME/solar.csv lua5.4 /path/to/examples/cron.lua
--
-- The session lives in a state file (GROWATT_STATE_FILE, default: the CSV's path with
-- ".state.json" added; mode 0600, never the password): each run takes it up and sends one
-- request (the plant list); only when Growatt has ended the session does a run log in again
-- (never twice within a minute, never while the account is locked). The CSV gets its header
-- once, when the file is new. Without GROWATT_SERVER it talks to a local sandbox (make
-- sandbox) with its demo account; without GROWATT_CSV it writes a temporary file.
local growatt = require("growatt")
local readings = require("growatt.readings")

local server = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/"
local username = os.getenv("GROWATT_USERNAME") or "demo"
local password = os.getenv("GROWATT_PASSWORD") or "demo-password"
local csv_path = os.getenv("GROWATT_CSV") or os.tmpname()

local function fail(what, err)
  io.stderr:write("cron: ", what, ": ", tostring(err), "\n")
  os.exit(1)
end

-- The session's state file: GROWATT_STATE_FILE, else next to the CSV (one job, one session).
local state_file = os.getenv("GROWATT_STATE_FILE")
if not state_file or state_file == "" then state_file = csv_path .. ".state.json" end

-- "2.4 kW" -> 2400, "650 W" -> 650; "10.5 MWh" -> 10500, "12.6 kWh" -> 12.6 (growatt.readings' parser).
local function number(text, unit)
  local n = readings.parse(text, unit)
  return n and string.format("%.10g", n) or ""
end

local function csv(v)
  v = tostring(v)
  if v:find('[,"\r\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local api = growatt.new({ server_url = server, state_file = state_file })
local login, err = api:login(username, password) -- answered from the state file while the session lives
if not login then fail("login", err) end
local plants
plants, err = api:plant_list(login.userId)
if not plants then fail("plant_list", err) end

local f = assert(io.open(csv_path, "a+"))
if f:seek("end") == 0 then f:write("time,plant_id,plant_name,power_w,today_kwh,total_kwh\n") end
local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
for _, p in ipairs(plants.data or {}) do
  f:write(table.concat({ now, csv(p.plantId), csv(p.plantName), number(p.currentPower, "W"),
    number(p.todayEnergy, "kWh"), number(p.totalEnergy, "kWh") }, ","), "\n")
end
f:close()
local stats = api:stats()
print(("appended %d plants to %s (%d request%s, %d login%s)"):format(#(plants.data or {}), csv_path,
  stats.requests, stats.requests == 1 and "" or "s", stats.logins, stats.logins == 1 and "" or "s"))
api:close()
