--- The reading commands of the `growatt` tool: status (every device of every plant now),
-- history (energy per day, month or year) and chart (today's power curve).
-- `require("growatt.cli.readings").register(commands)` adds them to growatt.cli.commands.

local cli = require("growatt.cli")
local output = require("growatt.cli.output")
local chart = require("growatt.cli.chart")

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
-- status

-- The present power (W), today's energy (kWh) and battery charge (%) of the status replies.
local function hybrid(status, totals)
  return { power_w = output.power_w(status.ppv, "kW"), soc = output.number(status.SOC),
           today_kwh = output.energy_kwh(totals.epvToday) }
end

-- Per device type: the calls that read its present state, and how their replies become
-- the row's power_w, today_kwh and soc.
readings.DEVICES = {
  mix = { calls = function(sn, plant) return { { "mix_system_status", sn, plant }, { "mix_totals", sn, plant } } end,
          read = hybrid },
  tlx = { calls = function(sn, plant)
            return { { "tlx_system_status", plant, sn }, { "tlx_energy_overview", plant, sn } }
          end,
          read = hybrid },
  storage = { calls = function(sn) return { { "storage_detail", sn } } end,
              read = function(d)
                return { power_w = output.power_w(d.outPutPower), today_kwh = output.energy_kwh(d.epvToday),
                         soc = output.number(d.capacity) }
              end },
  inverter = { calls = function(sn) return { { "inverter_detail", sn } } end,
               read = function(d)
                 return { power_w = output.power_w(d.pac), today_kwh = output.energy_kwh(d.powerToday) }
               end },
  noah = { calls = function(sn) return { { "noah_system_status", sn } } end,
           read = function(r)
             local s = list_of(r.obj or r)
             return { power_w = output.power_w(s.pac), today_kwh = output.energy_kwh(s.eacToday),
                      soc = output.number(s.soc) }
           end },
  bat = { calls = function(sn) return { { "tlx_battery_info", sn } } end,
          read = function(b) -- a battery's power: what it gives (negative while it charges)
            local out, into = output.power_w(b.dischargePower), output.power_w(b.chargePower)
            return { power_w = out and into and out - into, soc = output.number(b.soc) }
          end },
}
readings.DEVICES.min, readings.DEVICES.sph = readings.DEVICES.tlx, readings.DEVICES.mix

-- The same through the OpenAPI v1 (token): the latest values of MIN and SPH inverters.
readings.V1_DEVICES = {
  tlx = { calls = function(sn) return { { "min_energy", sn } } end,
          read = function(d)
            return { power_w = output.power_w(d.pac), today_kwh = output.energy_kwh(d.eacToday),
                     soc = output.number(d.bdc1Soc or d.bmsSoc) }
          end },
  mix = { calls = function(sn) return { { "sph_energy", sn } } end,
          read = function(d)
            return { power_w = output.power_w(d.ppv), today_kwh = output.energy_kwh(d.epvtoday),
                     soc = output.number(d.bmsSOC) }
          end },
}


-- Rows of the devices of `plants`, without their readings.
local function device_rows(ctx, commands, plants)
  local api = ctx:api()
  local calls = {}
  for i, p in ipairs(plants) do calls[i] = { "device_list", p.id } end
  local lists, errs = readings.fetch(ctx, api, calls, "devices of " .. #plants .. " plants")
  local rows, failed = {}, nil
  for i, p in ipairs(plants) do
    if errs[i] then
      failed = failed or errs[i]
      ctx:note("growatt: plant ", p.id, ": ", cli.describe(errs[i]))
    end
    for _, d in ipairs(commands.rows_of_devices(ctx, lists[i])) do
      d.plant, d.device = p.id, d.sn
      rows[#rows + 1] = d
    end
  end
  return rows, failed
end

--- One row per device of every plant: power, today's energy, battery charge, online state.
-- A device whose reading failed keeps its row (without readings); the first failure
-- decides the exit status.
function readings.status(ctx, commands)
  local plants = commands.plants(ctx)
  local api = ctx:api()
  local kinds = ctx:token_api() and readings.V1_DEVICES or readings.DEVICES
  local rows, failed = device_rows(ctx, commands, plants)
  local calls, owners = {}, {}
  for _, row in ipairs(rows) do
    local kind = kinds[row.type]
    for _, call in ipairs(kind and kind.calls(row.sn, row.plant) or {}) do
      calls[#calls + 1] = call
      owners[#owners + 1] = row
    end
  end
  local values, errs = readings.fetch(ctx, api, calls, "readings of " .. #rows .. " devices")
  ctx:progress(nil)
  local replies = {}
  for i, row in ipairs(owners) do
    replies[row] = replies[row] or {}
    local r = replies[row]
    r[#r + 1] = values[i]
    if errs[i] and not row.err then
      row.err = errs[i]
      failed = failed or errs[i]
      ctx:note("growatt: ", row.sn, ": ", cli.describe(errs[i]))
    end
  end
  for _, row in ipairs(rows) do
    local r = replies[row]
    if r and not row.err then
      for i = 1, #r do r[i] = list_of(r[i]) end
      for k, v in pairs(kinds[row.type].read(unpack(r))) do row[k] = v end
    end
    row.err = nil
  end
  return rows, failed
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
  local api, v1 = ctx:api(), ctx:token_api()
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
  local v1 = ctx:token_api()
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

function readings.register(commands)
  local C = commands.COLUMNS
  local STATUS_COLUMNS = { { "plant", "PLANT" }, { "device", "DEVICE" }, { "type", "TYPE" }, C.power, C.today,
    C.battery, C.state }
  commands.command {
    name = "status",
    summary = "One row per device of every plant: power, energy today, battery, online.",
    define = function() end,
    bare = true,
    run = function(ctx)
      local rows, failed = readings.status(ctx, commands)
      local report = commands.table_report(STATUS_COLUMNS, rows)
      if failed then report.status = cli.exit_status(failed) end
      return report
    end,
  }
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
