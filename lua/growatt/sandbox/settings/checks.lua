-- What the inverters accept, for the sandbox's settings writes (settings.lua,
-- settings/writes.lua). Plain Lua 5.1-5.4.
-- What the inverters accept. A check is a function(value) -> true, or it is the range
-- { lo, hi } of an integer.

local function integer_in(range, v)
  local n = tonumber(v)
  return v:match("^%d+$") ~= nil and n >= range[1] and n <= range[2]
end

local function datetime(v)
  local y, mo, d, h, mi, s = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d) (%d%d):(%d%d):(%d%d)$")
  return y ~= nil and tonumber(mo) >= 1 and tonumber(mo) <= 12 and tonumber(d) >= 1 and tonumber(d) <= 31
    and tonumber(h) < 24 and tonumber(mi) < 60 and tonumber(s) < 60
end

local function number_in(lo, hi)
  return function(v)
    local n = tonumber(v)
    return v:match("^%-?%d+%.?%d*$") ~= nil and n >= lo and n <= hi
  end
end

local function among(...)
  local set = {}
  for _, s in ipairs({ ... }) do set[s] = true end
  return function(v) return set[v] == true end
end

local function anything() return true end

-- The first value that fails its check, as "param<i> <value>", or nil.
local function out_of_range(values, checks, prefix)
  for i, check in ipairs(checks) do
    local v = values[i]
    local ok
    if type(check) == "function" then ok = check(v) else ok = integer_in(check, v) end
    if not ok then return (prefix or "param") .. i .. " " .. v .. " is out of range" end
  end
end

local PCT, BIT, HOUR, MINUTE, MODE = { 0, 100 }, { 0, 1 }, { 0, 23 }, { 0, 59 }, { 0, 2 }

-- Checks of `head` and then of three schedules (start h, start m, end h, end m, enable).
local function three_schedules(head)
  for _ = 1, 3 do
    for _, c in ipairs({ HOUR, MINUTE, HOUR, MINUTE, BIT }) do head[#head + 1] = c end
  end
  return head
end

return {
  integer_in = integer_in,
  datetime = datetime,
  number_in = number_in,
  among = among,
  anything = anything,
  out_of_range = out_of_range,
  PCT = PCT,
  BIT = BIT,
  HOUR = HOUR,
  MINUTE = MINUTE,
  MODE = MODE,
  three_schedules = three_schedules,
}
