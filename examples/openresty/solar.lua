-- The Lua side of examples/openresty/nginx.conf: solar data from Growatt, cached in a shared
-- dict and refreshed in the background, served as JSON and as Prometheus metrics.
--
-- One refresh runs at a time over all workers, and at most one per GROWATT_REFRESH seconds
-- (default 300), whatever the request rate: requests are only ever answered from the cache.
-- When Growatt is slow or down, requests get the last good data with its age; the Growatt
-- calls run in nginx's thread pool (growatt.ngx), so no worker ever waits on them.
local gngx = require("growatt.ngx")
local json = require("growatt.json")

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
-- From Growatt's replies to numbers: values are often strings with units ("2.4 kW", "12.6 kWh",
-- "45%", "200Watt"), and each device type names its fields its own way.

local SCALE = { w = 1, watt = 1, watts = 1, kw = 1e3, mw = 1e6, wh = 1e-3, kwh = 1, mwh = 1e3, gwh = 1e6 }

-- A number in the unit whose scale is 1 (W or kWh); `unit` is what a bare number is in.
local function quantity(v, unit)
  if type(v) == "number" then return v * SCALE[unit] end
  if type(v) ~= "string" then return nil end
  local n, u = v:match("^%s*(%-?%d+%.?%d*)%s*(%a*)")
  n = tonumber(n)
  if not n then return nil end
  local scale = SCALE[u ~= "" and u:lower() or unit]
  return scale and n * scale
end

local function percent(v)
  return tonumber(type(v) == "string" and v:match("^%s*(%-?%d+%.?%d*)") or v)
end

-- Where each figure is found in a device's replies, by the name its type uses. Power is
-- the AC output where the device reports it, else its PV power.
local FIELDS = {
  power = { "pac", "ppv", "outPutPower", "activePower", "power" },
  today = { "eacToday", "epvToday", "powerToday", "eToday", "todayEnergy" },
  total = { "eacTotal", "epvTotal", "powerTotal", "eTotal", "totalEnergy" },
  soc = { "SOC", "soc", "capacity" },
}

-- The first of `names` present in the status object or the table it wraps (obj, data).
local function field(status, names)
  for _, t in ipairs({ status, status.obj, status.data }) do
    if type(t) == "table" then
      for _, name in ipairs(names) do
        if t[name] ~= nil and t[name] ~= json.null and t[name] ~= "" then return t[name], t end
      end
    end
  end
end

-- The devices whose status has no energy figures, and the call that has them.
local ENERGY = {
  mix = function(sn, plant_id) return { "mix_totals", sn, plant_id } end,
  tlx = function(sn, plant_id) return { "tlx_energy_overview", plant_id, sn } end,
}
ENERGY.min = ENERGY.tlx

-- A device of the walk (sn, type, status or err) as figures; `online` only where a status
-- reply says it (a device type without a status call has none).
local function device_figures(d)
  local out = { sn = d.sn, type = d.type }
  local status = type(d.status) == "table" and d.status
  if not status then
    if d.err then out.online = 0 end
    return out
  end
  local energy = type(d.energy) == "table" and d.energy or status
  local power, where = field(status, FIELDS.power)
  out.power_w = quantity(power, where and where.unit == "kW" and "kw" or "w")
  out.today_kwh = quantity(field(energy, FIELDS.today), "kwh")
  out.total_kwh = quantity(field(energy, FIELDS.total), "kwh")
  out.soc_percent = percent(field(status, FIELDS.soc))
  local lost = field(status, { "lost" })
  out.online = (lost == true or lost == "true" or lost == 1 or lost == "1") and 0 or 1
  return out
end

-- Adds the energy figures of the devices whose status lacks them (d.energy), in one batch.
local function add_energy(tree)
  local calls, targets = {}, {}
  for _, p in ipairs(tree.plants) do
    for _, d in ipairs(p.devices) do
      local call = ENERGY[d.type]
      if call and d.status then
        calls[#calls + 1], targets[#targets + 1] = call(d.sn, p.id), d
      end
    end
  end
  if #calls == 0 then return end
  local values = api:batch(calls, { concurrency = CONCURRENCY })
  for i, d in ipairs(targets) do d.energy = values and values[i] end
end

-- The plant list's totals (plant_list) and the walk's devices, as one list of plants.
local function collect(list, tree)
  local plants, by_id = {}, {}
  for _, p in ipairs(type(list.data) == "table" and list.data or {}) do
    local plant = {
      id = tostring(p.plantId), name = p.plantName, devices = {},
      power_w = quantity(p.currentPower, "w"),
      today_kwh = quantity(p.todayEnergy, "kwh"),
      total_kwh = quantity(p.totalEnergy, "kwh"),
    }
    plants[#plants + 1], by_id[plant.id] = plant, plant
  end
  for _, p in ipairs(tree.plants) do
    local plant = by_id[tostring(p.id)]
    if plant then
      for _, d in ipairs(p.devices or {}) do plant.devices[#plant.devices + 1] = device_figures(d) end
    end
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
  local tree
  tree, err = api:walk({ concurrency = CONCURRENCY })
  if not tree then return fail(tostring(err)) end
  add_energy(tree)
  -- lua-cjson writes an empty table as {}: a plant without devices gets [] as it should
  local text = json.encode({ updated_at = ngx.now(), plants = collect(list, tree) })
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

local DEVICE_METRICS = {
  { "growatt_device_power_watts", "gauge", "Current power of the device, in watts.", "power_w" },
  { "growatt_device_energy_today_kwh", "gauge", "Energy the device produced today, in kWh.", "today_kwh" },
  { "growatt_device_energy_kwh_total", "counter", "Energy the device produced in its lifetime, in kWh.", "total_kwh" },
  { "growatt_device_battery_soc_percent", "gauge", "State of charge of the device's battery, in percent.",
    "soc_percent" },
  { "growatt_device_online", "gauge", "1 when the device reports to Growatt, else 0.", "online" },
}

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
  for _, m in ipairs(DEVICE_METRICS) do
    e.family(m[1], m[2], m[3])
    for _, p in ipairs(plants) do
      for _, d in ipairs(p.devices) do
        e.sample(m[1], { { "plant", p.id }, { "device", d.sn }, { "type", d.type or "" } }, d[m[4]])
      end
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
  ngx.print(e.text())
end

return M
