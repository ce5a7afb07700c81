--- Units and times of growatt.readings: one parser for every value Growatt sends, and plant-local
-- times to UTC seconds. growatt.readings re-exports parse and epoch.

local errors = require("growatt.errors")

local units = {}

-- Unit words, lower case, and their dimension and factor to W, kWh or %.
local UNITS = {
  w = { "W", 1 }, watt = { "W", 1 }, watts = { "W", 1 }, kw = { "W", 1e3 }, mw = { "W", 1e6 },
  wh = { "kWh", 1e-3 }, kwh = { "kWh", 1 }, mwh = { "kWh", 1e3 }, gwh = { "kWh", 1e6 },
  ["%"] = { "%", 1 },
}
-- What a bare number is in, per unit a mapping may name.
local BARE = { W = { "W", 1 }, kW = { "W", 1e3 }, kWh = { "kWh", 1 }, Wh = { "kWh", 1e-3 }, ["%"] = { "%", 1 } }

--- A Growatt value as a number in W, kWh or % (the dimension of `unit`, which is also what a
-- bare number is in: "W", "kW", "kWh", "Wh" or "%"). nil for anything that is no reading:
-- JSON null, "null", "", "--", "N/A", NaN, a value of another dimension ("12 kWh" for a power).
function units.parse(v, unit)
  local bare = BARE[unit] or errors.misuse("readings.parse: unknown unit %s", tostring(unit))
  local n, word
  if type(v) == "number" then
    n = v
  elseif type(v) == "string" then
    local num, rest = v:match("^%s*([-+]?%d*%.?%d+[eE]?[-+]?%d*)%s*(.-)%s*$")
    n = tonumber(num)
    if n and rest ~= "" then word = rest:lower() end
  end
  if not n or n ~= n or n == math.huge or n == -math.huge then return nil end
  local u = word and UNITS[word] or (not word and bare)
  if not u or u[1] ~= bare[1] then return nil end
  return n * u[2]
end

-- The dimension of a mapping's unit ("W", "kWh" or "%").
function units.dimension(unit) return BARE[unit] and BARE[unit][1] end

-- true/false out of a `lost` flag (true, "true", 1, "1" mean lost); nil when absent.
function units.not_lost(v)
  if v == true or v == "true" or v == 1 or v == "1" then return false end
  if v == false or v == "false" or v == 0 or v == "0" then return true end
  return nil
end

-- Days from 1970-01-01 to a civil date (proleptic Gregorian), with no time zone involved.
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- UTC seconds of a plant-local "YYYY-MM-DD HH:MM[:SS]" at `offset_hours` east of UTC; nil
-- when the text is no such time or the offset is unknown.
function units.epoch(text, offset_hours)
  if type(text) ~= "string" or type(offset_hours) ~= "number" then return nil end
  local y, mo, d, h, mi, s = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[ T](%d%d):(%d%d):?(%d*)$")
  if not y then return nil end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s) or 0
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or s > 60 then return nil end
  return math.floor(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_hours * 3600)
end

-- The v4's epoch milliseconds are the plant's wall clock read as UTC+8 (protocol-v4.md §6.1).
local V4_CLOCK_OFFSET = 8 * 3600

--- The plant-local "YYYY-MM-DD HH:MM:SS" that a v4 epoch-milliseconds number stands for; nil
-- for anything else.
function units.v4_clock_text(ms)
  if type(ms) ~= "number" or ms ~= ms or ms <= 0 or ms >= 253402300800000 then return nil end -- to year 9999
  return os.date("!%Y-%m-%d %H:%M:%S", math.floor(ms / 1000) + V4_CLOCK_OFFSET)
end

return units
