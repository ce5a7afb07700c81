-- The Lua side of examples/openresty/nginx.conf: solar data from Growatt, cached in a shared
-- dict and refreshed in the background, served as JSON and as Prometheus metrics.
--
-- One refresh runs at a time over all workers, and at most one per GROWATT_REFRESH seconds
-- (default 300), whatever the request rate: requests are only ever answered from the cache.
-- When Growatt is slow or down, requests get the last good data with its age; the Growatt
-- calls run in nginx's thread pool (growatt.ngx), so no worker ever waits on them.
local gngx = require("growatt.ngx")
local json = require("growatt.json")
local readings = require("growatt.readings")
local export = require("growatt.export")

local M = {}

local DICT = "growatt"
local CONCURRENCY = 4 -- Growatt calls in flight at once during a refresh

local function dict() return ngx.shared[DICT] end

local function interval()
  return tonumber(os.getenv("GROWATT_REFRESH") or "") or 300
end

-- The client holds options only, so one per worker serves every request and timer.
local api

---------------------------------------------------------------------------
-- The plant list's totals, and each device's record of api:readings (growatt.readings).

-- The plants of the plant list with their devices' records (as growatt.export.json has them).
local function collect(list, records)
  local plants, by_id = {}, {}
  for _, p in ipairs(type(list.data) == "table" and list.data or {}) do
    local plant = {
      id = tostring(p.plantId), name = p.plantName, devices = {},
      power_w = readings.parse(p.currentPower, "W"),
      today_kwh = readings.parse(p.todayEnergy, "kWh"),
      total_kwh = readings.parse(p.totalEnergy, "kWh"),
    }
    plants[#plants + 1], by_id[plant.id] = plant, plant
  end
  for _, d in ipairs(json.decode(export.json(records))) do
    local plant = by_id[tostring(d.plant_id)]
    if plant and d.serial then plant.devices[#plant.devices + 1] = d end
  end
  return plants
end

---------------------------------------------------------------------------
-- Refresh (ngx.timer.every in every worker; one worker does the work)

local function fail(message)
  dict():incr("solar:refreshes:error", 1, 0)
  dict():set("solar:last_error", json.encode({ message = message, at = ngx.now() }))
  ngx.log(ngx.WARN, "solar refresh failed, serving the last good data: ", message)
end

local function fetch()
  local login, err = api:login()
  if not login then return fail(tostring(err)) end
  local list
  list, err = api:plant_list(login.user.id)
  if not list then return fail(tostring(err)) end
  local ids = {}
  for i, p in ipairs(type(list.data) == "table" and list.data or {}) do ids[i] = tostring(p.plantId) end
  local records
  records, err = api:readings({ plants = ids, concurrency = CONCURRENCY })
  if not records then return fail(tostring(err)) end
  -- lua-cjson writes an empty table as {}: a plant without devices gets [] as it should
  local text = json.encode({ updated_at = ngx.now(), plants = collect(list, records) })
    :gsub('"devices":{}', '"devices":[]')
  dict():set("solar:data", text)
  dict():delete("solar:last_error")
  dict():incr("solar:refreshes:ok", 1, 0)
end

local function refresh(premature)
  if premature then return end
  local d = dict()
  -- "running" keeps a second refresh from starting while one is in flight (its expiry frees a
  -- crashed one); "due" holds the next refresh back until the interval has passed.
  if not d:add("solar:running", ngx.worker.pid(), 600) then return end
  if d:add("solar:due", true, interval()) then
    local ok, err = pcall(fetch)
    if not ok then fail("refresh raised: " .. tostring(err)) end
  end
  d:delete("solar:running")
end

--- init_worker: makes this worker's client and starts its refresh timer.
function M.start()
  api = gngx.new({
    server_url = os.getenv("GROWATT_SERVER") or "https://openapi.growatt.com/",
    username = os.getenv("GROWATT_USERNAME") or "demo",
    password = os.getenv("GROWATT_PASSWORD") or "demo-password",
    shdict = DICT, pool = "growatt", timeout = 30,
  })
  local tick = math.max(1, math.min(interval(), 10)) -- how often a worker looks whether a refresh is due
  ngx.timer.at(0, refresh)
  ngx.timer.every(tick, refresh)
end

---------------------------------------------------------------------------
-- Requests: answered from the cache only.

local function cached()
  local text = dict():get("solar:data")
  local data = text and json.decode(text)
  local last_error = dict():get("solar:last_error")
  return data, last_error and json.decode(last_error)
end

--- GET /solar/plants.json: the cached plants, with age_seconds (and the Age header); 503
-- until the first refresh has succeeded.
function M.plants()
  local data, last_error = cached()
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-cache"
  if not data then
    ngx.status = 503
    ngx.header["Retry-After"] = 10
    ngx.say(json.encode({ error = last_error and last_error.message or "no data yet: the first refresh is running" }))
    return
  end
  local age = math.max(0, math.floor(ngx.now() - data.updated_at))
  data.age_seconds = age
  data.last_error = last_error and last_error.message
  ngx.header["Age"] = age
  ngx.say(json.encode(data))
end

---------------------------------------------------------------------------
-- Prometheus text format (version 0.0.4)

local function label_value(v)
  return (tostring(v):gsub('[\\"\n]', { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }))
end

-- Collects metric families in order: family(name, type, help) then sample(name, labels, value).
local function exposition()
  local lines = {}
  local e = {}
  function e.family(name, kind, help)
    lines[#lines + 1] = "# HELP " .. name .. " " .. help
    lines[#lines + 1] = "# TYPE " .. name .. " " .. kind
  end
  function e.sample(name, labels, value)
    if value == nil then return end
    local parts = {}
    for _, kv in ipairs(labels or {}) do parts[#parts + 1] = kv[1] .. '="' .. label_value(kv[2]) .. '"' end
    local head = #parts > 0 and (name .. "{" .. table.concat(parts, ",") .. "}") or name
    lines[#lines + 1] = head .. " " .. string.format("%.14g", value)
  end
  function e.text() return table.concat(lines, "\n") .. "\n" end
  return e
end

local PLANT_METRICS = {
  { "growatt_plant_power_watts", "gauge", "Current power of the plant, in watts.", "power_w" },
  { "growatt_plant_energy_today_kwh", "gauge", "Energy the plant produced today, in kWh.", "today_kwh" },
  { "growatt_plant_energy_kwh_total", "counter", "Energy the plant produced in its lifetime, in kWh.", "total_kwh" },
}

--- GET /metrics
function M.metrics()
  local data = cached()
  local plants = data and data.plants or {}
  local e = exposition()
  for _, m in ipairs(PLANT_METRICS) do
    e.family(m[1], m[2], m[3])
    for _, p in ipairs(plants) do e.sample(m[1], { { "plant", p.id }, { "name", p.name or "" } }, p[m[4]]) end
  end
  -- the devices: growatt.export's metrics of their records (growatt_up, growatt_power_watts, ...)
  local records = {}
  for _, p in ipairs(plants) do
    for _, d in ipairs(p.devices) do
      d.err = d.error -- export.json's text of the record's error
      records[#records + 1] = d
    end
  end
  local stats = api:stats()
  e.family("growatt_client_calls_total", "counter", "API calls made by the client.")
  e.sample("growatt_client_calls_total", nil, stats.calls)
  e.family("growatt_client_requests_total", "counter", "HTTP requests the client sent to Growatt.")
  e.sample("growatt_client_requests_total", nil, stats.requests)
  e.family("growatt_client_logins_total", "counter", "Logins the client made.")
  e.sample("growatt_client_logins_total", nil, stats.logins)
  e.family("growatt_client_errors_total", "counter", "Calls that ended in an error, by kind.")
  local kinds = {}
  for kind in pairs(stats.errors) do kinds[#kinds + 1] = kind end
  table.sort(kinds)
  for _, kind in ipairs(kinds) do e.sample("growatt_client_errors_total", { { "kind", kind } }, stats.errors[kind]) end
  e.family("growatt_refreshes_total", "counter", "Background refreshes of the cached data, by result.")
  for _, result in ipairs({ "ok", "error" }) do
    e.sample("growatt_refreshes_total", { { "result", result } }, dict():get("solar:refreshes:" .. result) or 0)
  end
  e.family("growatt_data_age_seconds", "gauge", "Age of the served data, in seconds (absent before the first refresh).")
  if data then e.sample("growatt_data_age_seconds", nil, math.max(0, ngx.now() - data.updated_at)) end
  ngx.header["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
  ngx.print(e.text(), export.prometheus(records))
end

return M
