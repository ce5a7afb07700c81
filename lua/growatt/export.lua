--- Readings (growatt.readings records) as text for other programs: Prometheus exposition,
-- InfluxDB line protocol, JSON and CSV.
--
--   local export = require("growatt.export")
--   local records = assert(api:readings())
--   io.write(export.prometheus(records))

local json = require("growatt.json")

local export = {}

-- The record fields in the order CSV and the table show them.
export.COLUMNS = { "plant_id", "serial", "type", "api", "power_w", "pv_power_w", "energy_today_kwh",
                   "energy_total_kwh", "battery_soc_pct", "battery_power_w", "grid_power_w", "load_power_w",
                   "online", "time", "epoch", "error" }

local function number(v)
  if math.type and math.type(v) == "integer" then return string.format("%d", v) end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
  return string.format("%.14g", v)
end

-- A record's error as one line: kind and message (errors never hold secrets).
local function error_text(err)
  if err == nil then return nil end
  return (tostring(err):gsub("[%c]", " "))
end

---------------------------------------------------------------------------
-- Prometheus text format 0.0.4

-- name, type, help, field, scale: per Prometheus conventions, units in the name and
-- ratios for percentages; lifetime energy is a counter.
local METRICS = {
  { "growatt_power_watts", "gauge", "Output power of the device now.", "power_w" },
  { "growatt_pv_power_watts", "gauge", "Solar (PV) power of the device now.", "pv_power_w" },
  { "growatt_energy_today_kilowatt_hours", "gauge", "Energy the device made today.", "energy_today_kwh" },
  { "growatt_energy_kilowatt_hours_total", "counter", "Energy the device made in its lifetime.",
    "energy_total_kwh" },
  { "growatt_battery_charge_ratio", "gauge", "State of charge of the battery (0 to 1).", "battery_soc_pct", 0.01 },
  { "growatt_battery_power_watts", "gauge", "Battery power: positive while it charges.", "battery_power_w" },
  { "growatt_grid_power_watts", "gauge", "Grid power: positive while the site imports.", "grid_power_w" },
  { "growatt_load_power_watts", "gauge", "Power the house uses now.", "load_power_w" },
  { "growatt_online", "gauge", "1 when Growatt says the device reports, else 0.", "online" },
  { "growatt_reading_timestamp_seconds", "gauge", "When the device measured its values (UTC).", "epoch" },
}

local function label_value(v)
  return (tostring(v):gsub('[\\"\n]', { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }))
end

local function labels(r)
  local parts = {}
  for _, k in ipairs({ "serial", "type", "plant", "api" }) do
    local v = r[k == "plant" and "plant_id" or k]
    if v ~= nil then parts[#parts + 1] = k .. '="' .. label_value(v) .. '"' end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

--- The records as Prometheus text (version 0.0.4): per device `growatt_up` (1 when its read
-- succeeded) and each field it has, labelled serial, type, plant and api.
function export.prometheus(records)
  local lines = { "# HELP growatt_up 1 when the device's readings were fetched, else 0.", "# TYPE growatt_up gauge" }
  for _, r in ipairs(records) do
    lines[#lines + 1] = "growatt_up" .. labels(r) .. " " .. (r.err and "0" or "1")
  end
  for _, m in ipairs(METRICS) do
    local samples = {}
    for _, r in ipairs(records) do
      local v = r[m[4]]
      if type(v) == "boolean" then v = v and 1 or 0 end
      if type(v) == "number" then samples[#samples + 1] = m[1] .. labels(r) .. " " .. number(v * (m[5] or 1)) end
    end
    if #samples > 0 then
      lines[#lines + 1] = "# HELP " .. m[1] .. " " .. m[3]
      lines[#lines + 1] = "# TYPE " .. m[1] .. " " .. m[2]
      for _, s in ipairs(samples) do lines[#lines + 1] = s end
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

---------------------------------------------------------------------------
-- InfluxDB line protocol

local function tag(v)
  return (tostring(v):gsub("[,= \\]", "\\%0"):gsub("[\r\n]", ""))
end

local function string_field(v)
  return '"' .. tostring(v):gsub('[\\"]', "\\%0"):gsub("[\r\n]", " ") .. '"'
end

local INFLUX_FIELDS = { "power_w", "pv_power_w", "energy_today_kwh", "energy_total_kwh", "battery_soc_pct",
                        "battery_power_w", "grid_power_w", "load_power_w", "online" }

--- The records as InfluxDB line protocol: measurement `growatt` (or opts.measurement), tags
-- api, plant, serial, type; fields `up` and each reading the device has (floats, online a
-- boolean, `error` a string); the timestamp is the record's epoch, else opts.time, else now
-- (in seconds; written in nanoseconds).
function export.influx(records, opts)
  opts = opts or {}
  local lines = {}
  for _, r in ipairs(records) do
    local tags = { tag(opts.measurement or "growatt") }
    for _, k in ipairs({ "api", "plant", "serial", "type" }) do
      local v = r[k == "plant" and "plant_id" or k]
      if v ~= nil and tostring(v) ~= "" then tags[#tags + 1] = k .. "=" .. tag(v) end
    end
    local fields = { "up=" .. (r.err and "false" or "true") }
    for _, k in ipairs(INFLUX_FIELDS) do
      local v = r[k]
      if type(v) == "boolean" then fields[#fields + 1] = k .. "=" .. tostring(v)
      elseif type(v) == "number" then fields[#fields + 1] = k .. "=" .. string.format("%.14g", v) end
    end
    if r.err then fields[#fields + 1] = "error=" .. string_field(error_text(r.err)) end
    local t = r.epoch or opts.time or os.time()
    lines[#lines + 1] = table.concat(tags, ",") .. " " .. table.concat(fields, ",") .. " "
      .. string.format("%d", t) .. "000000000"
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

---------------------------------------------------------------------------
-- JSON and CSV

-- A record without raw, its error as text.
local function plain(r)
  local out = {}
  for _, k in ipairs(export.COLUMNS) do out[k] = r[k] end
  out.error = error_text(r.err)
  return out
end

--- The records as a JSON array of objects (the fields each has, `error` as text; `raw` only
-- with opts.raw).
function export.json(records, opts)
  local list = {}
  for i, r in ipairs(records) do
    list[i] = plain(r)
    if opts and opts.raw then list[i].raw = r.raw end
  end
  if #list == 0 then return "[]" end
  return (assert(json.encode(list)))
end

local function csv_field(v)
  if v == nil then return "" end
  if type(v) == "number" then return number(v) end
  v = tostring(v)
  if v:find('[,"\r\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

--- The records as CSV: a header of export.COLUMNS, then one line per record (empty cells
-- for the fields a device does not report).
function export.csv(records)
  local lines = { table.concat(export.COLUMNS, ",") }
  for _, r in ipairs(records) do
    local p, cells = plain(r), {}
    for i, k in ipairs(export.COLUMNS) do cells[i] = csv_field(p[k]) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

return export
