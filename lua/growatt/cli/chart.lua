--- A day's power curve as a terminal chart of Unicode block characters: kW along the left,
-- hours along the bottom, exactly `width` columns wide (no line is wider).
--
--   chart.draw({ { minute = 780, watts = 4310 }, ... }, { width = 80, height = 8, title = "..." })
--     -> { "title", " 5 kW ┤      ▂▅██▆▃", ..., "     0 └──────", "       00    03 ..." }
--
-- Each plot column covers an equal slice of the day (00:00 to 24:00) and shows the mean
-- power of the points in it; a column with no point of its own repeats a point of the last
-- ten minutes (wide terminals have more columns than a day has 5-minute points), and is
-- blank otherwise (the hours still to come).

local output = require("growatt.cli.output")

local chart = {}

local BLOCKS = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" }
local DAY = 24 * 60
local HOLD = 10 -- minutes a point stands for when a column has none of its own

-- The smallest "round" number of kW at or above `kw` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k).
local NICE = { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 }
local function nice_ceil(kw)
  if kw <= 0 then return 1 end
  local scale = 10 ^ math.floor(math.log(kw, 10))
  for _, n in ipairs(NICE) do
    if n * scale >= kw - 1e-9 then return n * scale end
  end
  return 10 * scale
end

local function kw_label(kw)
  if kw == 0 then return "0" end
  local s = string.format("%.2f", kw):gsub("0+$", ""):gsub("%.$", "")
  return s .. " kW"
end

-- The mean power of each plot column, or false where there is nothing to show.
local function columns(points, n)
  local sums, counts = {}, {}
  for _, p in ipairs(points) do
    local c = math.floor(p.minute * n / DAY) + 1
    if c >= 1 and c <= n then
      sums[c] = (sums[c] or 0) + p.watts
      counts[c] = (counts[c] or 0) + 1
    end
  end
  local values, last_minute, last_value = {}, nil, nil
  for c = 1, n do
    local start = (c - 1) * DAY / n
    if counts[c] then
      values[c] = sums[c] / counts[c]
      last_minute, last_value = c * DAY / n, values[c]
    elseif last_minute and start - last_minute < HOLD then
      values[c] = last_value
    else
      values[c] = false
    end
  end
  return values
end

-- The character of plot row `row` (1 = bottom) for a value of `units` eighths of a row.
local function block(units, row)
  local above = units - (row - 1) * 8
  if above >= 8 then return BLOCKS[8] end
  if above >= 1 then return BLOCKS[above] end
  return " "
end

-- The hour labels under the plot: every 3 hours where they fit, else every 6 or 12.
local function hour_line(margin, n)
  local step = n >= 48 and 3 or (n >= 24 and 6 or 12)
  local line, used = string.rep(" ", margin), margin
  for h = 0, 24, step do
    local label = string.format("%02d", h)
    local at = margin + math.floor(h * n / 24)
    at = math.min(at, margin + n - #label)
    if at >= used + (used > margin and 1 or 0) then
      line = line .. string.rep(" ", at - used) .. label
      used = at + #label
    end
  end
  return line
end

--- The chart's lines (see the top of this file). `opts.width` is the total width in
-- columns (at least 32), `opts.height` the plot's rows (default 8), `opts.title` a first line
-- (cut to the width).
function chart.draw(points, opts)
  local width, height = opts.width, opts.height or 8
  local peak = 0
  for _, p in ipairs(points) do
    if p.watts > peak then peak = p.watts end
  end
  local top = nice_ceil(peak / 1000)
  local labels = { [height] = kw_label(top), [math.floor(height / 2)] = kw_label(top / 2) }
  local margin = math.max(output.width(labels[height]), output.width(labels[math.floor(height / 2)]), 1) + 1
  local n = width - margin - 1 -- plot columns, after the margin and the axis
  if n < 24 then return nil, "the chart needs at least " .. (width - n + 24) .. " columns" end
  local values = columns(points, n)
  local lines = {}
  if opts.title then
    local title = opts.title
    while output.width(title) > width do title = title:gsub("[^\128-\191][\128-\191]*$", "") end
    lines[1] = title
  end
  for row = height, 1, -1 do
    local label = labels[row] or ""
    local cells = {}
    for c = 1, n do
      local v = values[c]
      local units = v and v > 0 and math.max(1, math.floor(v / 1000 / top * height * 8 + 0.5)) or 0
      cells[c] = block(units, row)
    end
    local plot = table.concat(cells):gsub("%s+$", "")
    lines[#lines + 1] = string.rep(" ", margin - 1 - output.width(label)) .. label .. " " ..
      (labels[row] and "┤" or "│") .. plot
  end
  lines[#lines + 1] = string.rep(" ", margin - 2) .. "0 └" .. string.rep("─", n)
  lines[#lines + 1] = hour_line(margin + 1, n)
  return lines
end

return chart
