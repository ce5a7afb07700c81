--- How the command-line tool shows results: aligned text tables (the default), CSV and
-- JSON. A command returns a report:
--
--   { json = <any value>,                   -- what --json prints (list = true: a JSON array;
--                                           -- json == rows: the rows, keys in column order)
--     columns = { { key, title, format = fn|nil, align = "right"|nil }, ... },
--     rows = { { [key] = raw value, ... }, ... },   -- a table, for text and --csv
--     lines = { "...", ... } }              -- or free text lines (e.g. a chart), shown as text
--                                           -- in place of the rows
--
-- Rows hold raw values (numbers stay numbers); a column's `format` makes the text shown in
-- the table, while CSV carries the raw value so that spreadsheets get numbers.
--
-- Much of what is shown comes from a server: every format escapes control characters
-- (growatt.errors.escape), and values under secret keys (a password hash, a token) are shown
-- as "***".

local json = require("growatt.json")
local escape = require("growatt.errors").escape

local output = {}

--- The width of a UTF-8 string in terminal columns (every character we print is one column).
function output.width(s)
  local _, continuation = s:gsub("[\128-\191]", "")
  return #s - continuation
end

local function pad(s, width, right)
  local fill = string.rep(" ", width - output.width(s))
  return right and (fill .. s) or (s .. fill)
end

-- A raw value as text: nil and JSON null as "-", integral numbers without ".0", control
-- characters escaped.
local function text(v)
  if v == nil or v == json.null then return "-" end
  if type(v) == "number" then
    if v == math.floor(v) and v > -1e15 and v < 1e15 then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  return escape(tostring(v))
end
output.text = text

local function cell(col, row)
  local v = row[col[1]]
  if col.format and v ~= nil and v ~= json.null then return escape(col.format(v, row)) end
  return text(v)
end

--- The rows as an aligned table with a header line; the last column is not padded.
function output.table(columns, rows)
  local cells, widths = {}, {}
  for c, col in ipairs(columns) do widths[c] = output.width(col[2]) end
  for r, row in ipairs(rows) do
    cells[r] = {}
    for c, col in ipairs(columns) do
      local s = cell(col, row)
      cells[r][c] = s
      if output.width(s) > widths[c] then widths[c] = output.width(s) end
    end
  end
  local function line(values)
    local parts = {}
    for c, col in ipairs(columns) do
      local last = c == #columns and col.align ~= "right"
      parts[c] = last and values[c] or pad(values[c], widths[c], col.align == "right")
    end
    return table.concat(parts, "  ")
  end
  local titles = {}
  for c, col in ipairs(columns) do titles[c] = col[2] end
  local lines = { line(titles) }
  for r = 1, #rows do lines[r + 1] = line(cells[r]) end
  return lines
end

local function csv_field(v)
  local s = (v == nil or v == json.null) and "" or text(v)
  if s:find('[,"]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- One CSV line (RFC 4180 quoting) of the rows' raw values, in column order.
function output.csv_line(columns, row)
  local fields = {}
  for c, col in ipairs(columns) do fields[c] = csv_field(row[col[1]]) end
  return table.concat(fields, ",")
end

--- The rows as CSV lines: a header of column keys, then one line per row.
function output.csv(columns, rows)
  local header = {}
  for c, col in ipairs(columns) do header[c] = col[1] end
  local lines = { table.concat(header, ",") }
  for r, row in ipairs(rows) do lines[r + 1] = output.csv_line(columns, row) end
  return lines
end

--- Encodes a value as JSON text; with `list`, an empty table is written as [] (cjson 2.1
-- writes {} for every empty table). cjson's "\/" escapes become plain slashes; the C1
-- controls, which cjson leaves as they are, become \u escapes.
function output.json(v, list)
  if list and type(v) == "table" and next(v) == nil then return "[]" end
  local s = assert(json.encode(v == nil and json.null or v))
  s = s:gsub("\194([\128-\159])", function(c) return string.format("\\u%04x", c:byte()) end)
  return (s:gsub("(\\+)/", function(slashes)
    if #slashes % 2 == 1 then return slashes:sub(2) .. "/" end
  end))
end

-- Whether a key names a secret: a password (or its hash), a token, a cookie.
local function secret_key(k)
  if type(k) ~= "string" then return false end
  k = k:lower()
  return k:find("password", 1, true) or k:find("passwd", 1, true) or k:find("token", 1, true)
    or k:find("cookie", 1, true) or k:find("secret", 1, true)
end

--- A copy of `v` with "***" for every string or number under a secret key, at any depth.
function output.mask(v)
  if type(v) ~= "table" or v == json.null then return v end
  local copy = {}
  for k, x in pairs(v) do
    if secret_key(k) and (type(x) == "string" or type(x) == "number" or type(x) == "table") then
      copy[k] = "***"
    elseif type(x) ~= "function" then -- code in a dry run's request (a reply's reader) is no data
      copy[k] = output.mask(x)
    end
  end
  return copy
end

--- The rows as a JSON array of objects whose keys follow the columns' order.
function output.json_rows(columns, rows)
  local objects = {}
  for r, row in ipairs(rows) do
    local fields = {}
    for _, col in ipairs(columns) do
      if row[col[1]] ~= nil then fields[#fields + 1] = output.json(col[1]) .. ":" .. output.json(row[col[1]]) end
    end
    objects[r] = "{" .. table.concat(fields, ",") .. "}"
  end
  return "[" .. table.concat(objects, ",") .. "]"
end

--- Writes a report to `out` in the chosen format ("text", "csv" or "json"), secrets masked
-- and control characters escaped.
function output.write(out, report, format)
  local lines
  if format == "json" and report.json == report.rows then
    lines = { output.json_rows(report.columns, output.mask(report.rows)) }
  elseif format == "json" then
    lines = { output.json(output.mask(report.json), report.list) }
  elseif report.rows and format == "csv" then
    lines = output.csv(report.columns, report.rows)
  elseif report.lines then
    lines = report.lines
  elseif report.rows then
    lines = output.table(report.columns, report.rows)
  end
  lines = lines or {}
  for _, l in ipairs(lines) do out:write(escape(l), "\n") end
end

---------------------------------------------------------------------------
-- Units, as the table shows them.

function output.watts(w)
  if math.abs(w) >= 1000 then return string.format("%.2f kW", w / 1000) end
  return string.format("%d W", math.floor(w + 0.5))
end

function output.kwh(e)
  if math.abs(e) >= 1000 then return string.format("%.1f MWh", e / 1000) end
  return string.format("%.1f kWh", e)
end

function output.percent(p)
  return string.format("%d %%", math.floor(p + 0.5))
end

-- Values Growatt sends ("2.4 kW", "12.6 kWh", "62%") as numbers: growatt.readings' parser.
local parse = require("growatt.readings").parse

--- The percentage of a value ("62%" -> 62); nil when there is none.
function output.number(v)
  return parse(v, "%")
end

--- Watts out of a power value; a bare number is in `unit` ("W" or "kW", default W).
function output.power_w(v, unit)
  return parse(v, unit or "W")
end

--- kWh out of an energy value ("10.5 MWh" -> 10500); a bare number is in kWh.
function output.energy_kwh(v)
  return parse(v, "kWh")
end

return output
