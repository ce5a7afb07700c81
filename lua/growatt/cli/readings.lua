--- The reading commands of the `growatt` tool: status (every device of every plant now),
-- history (energy per day, month or year) and chart (today's power curve).
-- `require("growatt.cli.readings").register(commands)` adds them to growatt.cli.commands.

local cli = require("growatt.cli")
local output = require("growatt.cli.output")
local chart = require("growatt.cli.chart")
local export = require("growatt.export")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local readings = {}

local function list_of(v)
  return type(v) == "table" and v or {}
end

--- Makes `calls` ({ "method", args... } each) through api:batch and returns values, errs in
-- their order. `what` names the calls on the progress line.
function readings.fetch(ctx, api, calls, what)
  if #calls == 0 then return {}, {} end
  ctx:progress(string.format("%s (%d request%s)...", what, #calls, #calls == 1 and "" or "s"))
  return api:batch(calls)
end

---------------------------------------------------------------------------
-- status: growatt.readings' records, shown as a table or exported (growatt.export)

local STATUS_FORMATS = { "table", "json", "csv", "prom", "influx" }

--- One record per device of every plant (api:readings). A device whose reading failed keeps
-- its record and gets a note; the first failure decides the exit status.
function readings.status(ctx)
  ctx:progress("readings of every device...")
  local records = ctx:check(ctx:api():readings())
  ctx:progress(nil)
  local failed
  for _, r in ipairs(records) do
    if r.err then
      failed = failed or r.err
      ctx:note("growatt: ", r.serial or ("plant " .. tostring(r.plant_id)), ": ", cli.describe(r.err))
    end
  end
  return records, failed
end

-- The table's rows of the records: the devices (a failed plant list has no row).
local function status_rows(records)
  local rows = {}
  for _, r in ipairs(records) do
    if r.serial then
      local state -- nil where the API does not say (no "offline" for an unknown)
      if r.online ~= nil then state = r.online and "online" or "offline" end
      rows[#rows + 1] = { plant = r.plant_id, device = r.serial, type = r.type, power_w = r.power_w,
                          today_kwh = r.energy_today_kwh, soc = r.battery_soc_pct, state = state }
    end
  end
  return rows
end

-- The text of the records in an export format (every line ends with a newline).
local EXPORTS = { json = function(r) return export.json(r) .. "\n" end, csv = export.csv,
                  prom = export.prometheus, influx = export.influx }

local function lines_of(text)
  local lines = {}
  for l in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  return lines
end

---------------------------------------------------------------------------
-- history

local function date_parts(s, by, option)
  local shapes = { day = "^(%d%d%d%d)%-(%d%d)%-(%d%d)$", month = "^(%d%d%d%d)%-(%d%d)$", year = "^(%d%d%d%d)$" }
  local y, m, d = s:match(shapes[by])
  local t = { year = tonumber(y), month = tonumber(m) or 1, day = tonumber(d) or 1 }
  if not y or t.month < 1 or t.month > 12 or t.day < 1 or t.day > 31 then
    local example = { day = "2026-11-24", month = "2026-11", year = "2026" }
    cli.fail("usage", string.format("%s %s: expected a %s like %s", option, s, by, example[by]))
  end
  return t
end

-- The first and last period of the history (tables of year, month, day), by the options
-- or by default: this month's days, this year's months, the last five years.
local function range(args)
  local by, now = args.by, os.date("*t")
  local to = args.to and date_parts(args.to, by, "--to") or { year = now.year, month = now.month, day = now.day }
  local from = args.from and date_parts(args.from, by, "--from")
    or { year = by == "year" and to.year - 4 or to.year, month = by == "day" and to.month or 1, day = 1 }
  return from, to
end

local function key_of(by, y, m, d)
  if by == "year" then return string.format("%04d", y) end
  if by == "month" then return string.format("%04d-%02d", y, m) end
  return string.format("%04d-%02d-%02d", y, m, d)
end

-- The plant_detail calls of a plant's history: a month of days each, or a year of months.
local function history_calls(plant, by, from, to)
  local calls = {}
  if by == "day" then
    local y, m = from.year, from.month
    while y * 12 + m <= to.year * 12 + to.month do
      calls[#calls + 1] = { "plant_detail", plant, 1, string.format("%04d-%02d-01", y, m), year = y, month = m }
      y, m = m == 12 and y + 1 or y, m % 12 + 1
    end
  else
    for y = from.year, to.year do
      calls[#calls + 1] = { "plant_detail", plant, 2, string.format("%04d-01", y), year = y }
    end
  end
  return calls
end

local HISTORY_COLUMNS = {
  { "plant", "PLANT" },
  { "date", "DATE" },
  { "energy_kwh", "ENERGY", format = output.kwh, align = "right" },
}

-- The rows of one plant_detail reply (`data`: "01".."31" or "01".."12" -> kWh) in the range.
local function history_rows(rows, plant, by, call, back, first, last)
  local sums = {}
  for k, v in pairs(list_of(back.data)) do
    local n, e = tonumber(k), output.energy_kwh(v)
    if n and e then
      local key = by == "day" and key_of(by, call.year, call.month, n) or key_of(by, call.year, n)
      if key >= first and key <= last then sums[key] = (sums[key] or 0) + e end
    end
  end
  local keys = {}
  for k in pairs(sums) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    rows[#rows + 1] = { plant = plant, date = k, energy_kwh = math.floor(sums[k] * 1000 + 0.5) / 1000 }
  end
end

-- The OpenAPI v1's plant_energy_history calls of a range: at most 8 days, two calendar
-- years of months or 21 years per call (its range rules), 100 rows a page.
local function v1_history_calls(plant, by, from, to)
  local calls = {}
  local function add(s, e) calls[#calls + 1] = { "plant_energy_history", plant, s, e, by, 1, 100 } end
  if by == "day" then
    local t = os.time({ year = from.year, month = from.month, day = from.day, hour = 12 })
    local last = os.time({ year = to.year, month = to.month, day = to.day, hour = 12 })
    while t <= last do
      local e = math.min(t + 7 * 86400, last)
      add(os.date("%Y-%m-%d", t), os.date("%Y-%m-%d", e))
      t = e + 86400
    end
  else
    local step = by == "month" and 2 or 21
    for y = from.year, to.year, step do
      local last = math.min(y + step - 1, to.year)
      add(string.format("%04d-%02d-01", y, y == from.year and from.month or 1),
        string.format("%04d-%02d-01", last, last == to.year and to.month or 12))
    end
  end
  return calls
end

-- The rows of one plant_energy_history reply ({ energys = { { date, energy } } }) in the range.
local function v1_history_rows(rows, plant, reply, first, last)
  for _, e in ipairs(list_of(list_of(reply).energys)) do
    local date, kwh = tostring(e.date), output.energy_kwh(e.energy)
    if kwh and date >= first and date <= last then
      rows[#rows + 1] = { plant = plant, date = date, energy_kwh = kwh }
    end
  end
end

--- The energy of each day, month or year of the range, per plant.
function readings.history(ctx, commands)
  local args = ctx.args
  local from, to = range(args)
  local first, last = key_of(args.by, from.year, from.month, from.day), key_of(args.by, to.year, to.month, to.day)
  if first > last then cli.fail("usage", "--from " .. first .. " is after --to " .. last) end
  local plants = args.plant and { { id = args.plant } } or commands.plants(ctx)
  local v1 = ctx:v1_api()
  local api = v1 or ctx:session_api()
  local calls_of = v1 and v1_history_calls or history_calls
  local rows, n, total, calls = {}, 0, 0, {}
  for i, p in ipairs(plants) do
    calls[i] = calls_of(p.id, args.by, from, to)
    total = total + #calls[i]
  end
  for i, p in ipairs(plants) do
    for _, call in ipairs(calls[i]) do
      n = n + 1
      ctx:progress(string.format("history of plant %s: %d/%d...", p.id, n, total))
      local reply, err = api[call[1]](api, unpack(call, 2, #call))
      ctx:progress(nil)
      reply = ctx:check(reply, err)
      if v1 then
        v1_history_rows(rows, p.id, reply, first, last)
      else
        history_rows(rows, p.id, args.by, call, reply, first, last)
      end
    end
  end
  return rows
end

---------------------------------------------------------------------------
-- chart

local function hhmm(minute)
  return string.format("%02d:%02d", math.floor(minute / 60), minute % 60)
end

--- The points of a day's power curve of a plant: { minute, watts } in time order, and the
-- reply's plantData.
function readings.day_curve(ctx, plant, date)
  local points = {}
  local function add(time, power)
    local h, m = tostring(time):match("(%d%d?):(%d%d)$")
    local w = output.power_w(power)
    if h and w then points[#points + 1] = { minute = tonumber(h) * 60 + tonumber(m), watts = w } end
  end
  local info = {}
  local v1 = ctx:v1_api()
  if v1 then -- { powers = { { time = "YYYY-MM-DD HH:MM", power = W or null } } }
    for _, p in ipairs(list_of(ctx:check(v1:plant_power_overview(plant, date)).powers)) do add(p.time, p.power) end
  else -- back.data = { ["HH:MM"] = W }
    local back = ctx:check(ctx:session_api():plant_detail(plant, 0, date))
    for k, v in pairs(list_of(back.data)) do add(k, v) end
    info = list_of(back.plantData)
  end
  table.sort(points, function(a, b) return a.minute < b.minute end)
  return points, info
end

-- The peak of the curve and its energy (5-minute points: each counts 5/60 h).
local function summary(points)
  local peak, energy = { watts = 0, minute = 0 }, 0
  for i, p in ipairs(points) do
    if p.watts > peak.watts then peak = p end
    local step = points[i + 1] and points[i + 1].minute - p.minute or 5
    energy = energy + p.watts * math.min(step, 5) / 60 / 1000
  end
  return peak, energy
end

local CHART_COLUMNS = { { "time", "TIME" }, { "power_w", "POWER", format = output.watts, align = "right" } }

function readings.chart(ctx, commands)
  local args = ctx.args
  local plant, name = args.plant, nil
  if not plant then
    local first = commands.plants(ctx)[1] or cli.fail("api", "the account has no plants")
    plant, name = first.id, first.name
  end
  local date = args.date or os.date("%Y-%m-%d")
  if not date:match("^%d%d%d%d%-%d%d%-%d%d$") then cli.fail("usage", "--date " .. date .. ": expected YYYY-MM-DD") end
  local points, info = readings.day_curve(ctx, plant, date)
  name = info.plantName or name
  local peak, energy = summary(points)
  local rows = {}
  for i, p in ipairs(points) do rows[i] = { time = hhmm(p.minute), power_w = p.watts } end
  local report = { columns = CHART_COLUMNS, rows = rows, json = {
    plant = plant, name = name, date = date, peak_w = peak.watts, peak_time = hhmm(peak.minute),
    energy_kwh = math.floor(energy * 100 + 0.5) / 100, points = rows,
  } }
  if ctx.format == "text" then
    local title = string.format("%s · %s · peak %s at %s · %.1f kWh", name or plant, date,
      output.watts(peak.watts), hhmm(peak.minute), energy)
    local width = args.width or ctx.sys.columns(ctx.env)
    local lines, err = chart.draw(points, { width = width, height = args.height, title = title })
    report.lines = lines or cli.fail("usage", err)
  end
  return report
end

---------------------------------------------------------------------------
-- The commands

local function positive(min)
  return function(s)
    local n = tonumber(s)
    if n and n == math.floor(n) and n >= min then return n end
    return nil, "expected a whole number of at least " .. min .. ", got " .. s
  end
end

-- The `status` command.
local function register_status(commands)
  local C = commands.COLUMNS
  local STATUS_COLUMNS = { { "plant", "PLANT" }, { "device", "DEVICE" }, { "type", "TYPE" }, C.power, C.today,
    C.battery, C.state }
  commands.command {
    name = "status",
    summary = "One row per device of every plant: power, energy today, battery, online.",
    description = [[
One record per device of every plant (growatt.readings): power, PV power, energy today and
in total, battery charge and power, grid and load power, online. --format chooses the output:
an aligned table (default), json, csv, prom (Prometheus text) or influx (line protocol).]],
    define = function(p)
      p:option("--format", "table, json, csv, prom or influx."):choices(STATUS_FORMATS)
    end,
    bare = true,
    run = function(ctx)
      local records, failed = readings.status(ctx)
      local format = ctx.args.format or (ctx.format ~= "text" and ctx.format) or "table"
      local report
      if format == "table" then
        report = commands.table_report(STATUS_COLUMNS, status_rows(records))
      else
        report = { lines = lines_of(EXPORTS[format](records)) }
        ctx.format = "text" -- the lines are the output, whatever --json or --csv said
      end
      if failed then report.status = cli.exit_status(failed) end
      return report
    end,
  }
end

--- Adds the reading commands (status, history, chart) to growatt.cli.commands.
function readings.register(commands)
  register_status(commands)
  commands.command {
    name = "history",
    summary = "Energy per day, month or year (--csv for spreadsheets).",
    description = [[
Energy per day (of a month), month (of a year) or year, for one plant or all of them.
Default range: this month's days, this year's months, or the last five years.]],
    define = function(p)
      p:argument("plant", "The plant's id (default: every plant)."):args("?")
      p:option("--by", "day, month or year."):choices({ "day", "month", "year" }):default("day")
      p:option("--from", "The first day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY)."):argname("DATE")
      p:option("--to", "The last one (default: today)."):argname("DATE")
    end,
    run = function(ctx)
      return commands.table_report(HISTORY_COLUMNS, readings.history(ctx, commands))
    end,
  }
  commands.command {
    name = "chart",
    summary = "Today's power curve as a terminal chart.",
    description = [[
Today's power curve of a plant (default: the first one), drawn with block characters
across the terminal's width: kW on the left, hours along the bottom. With --csv or
--json, the 5-minute points.]],
    define = function(p)
      p:argument("plant", "The plant's id (default: the account's first plant)."):args("?")
      p:option("--date", "Another day (YYYY-MM-DD)."):argname("DATE")
      p:option("--width", "Columns (default: the terminal's, $COLUMNS, else 80)."):argname("N"):convert(positive(32))
      p:option("--height", "Rows of the plot (default 8)."):argname("N"):convert(positive(2))
    end,
    run = function(ctx)
      return readings.chart(ctx, commands)
    end,
  }
end

return readings
