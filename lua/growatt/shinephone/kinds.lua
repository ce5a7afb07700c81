--- Argument kinds of the ShinePhone writes (see growatt.engine.client.kind): parameter
-- tables, times of day, segment ids and on/off switches. They raise on misuse, which the
-- call's boundary puts at the caller's line.

local client = require("growatt.engine.client")
local errors = require("growatt.errors")
local str = require("growatt.shinephone.values").str

local kinds = {}

local bad = errors.bad_argument
local kind = client.kind

-- What is wrong with a parameter table, as (expected, got), or nil: a list or a table with
-- names (not both), string keys, string or number values.
local function params_problem(t, named_only)
  if type(t) ~= "table" then return "table", type(t) end
  local n, count = #t, 0
  if n > 0 and named_only then return "a table with names", "a list" end
  for k, v in pairs(t) do
    count = count + 1
    if type(v) ~= "string" and type(v) ~= "number" then
      return "string or number values", type(v) .. " at " .. tostring(k)
    end
    if type(k) ~= "string" and (named_only or n == 0) then
      return "a table with names", type(k) .. " key " .. tostring(k)
    end
  end
  if n > 0 and count ~= n then return "a list or a table with names", "a table with both" end
end

local function params_kind(named_only)
  return function(v, name, fname)
    local expected, got = params_problem(v, named_only)
    if expected then bad(name, fname, expected, got) end
    return v
  end
end

--- A list of values (param1..N) or a table with names.
kind("params", nil, params_kind(false))

--- A table with names only (default parameters, changed plant settings).
kind("named", nil, params_kind(true))

--- One value (param1), a list of values or a table with names (update_tlx_inverter_setting).
kind("param_or_params", nil, function(v, name, fname)
  if type(v) == "string" or type(v) == "number" then return v end
  local expected, got = params_problem(v)
  if expected then bad(name, fname, expected == "table" and "string, number or table" or expected, got) end
  return v
end)

kind("settings_table", "table")

--- A value the reference passes through str(): a string or a number.
kind("text", { "string", "number" }, str)

--- Hours and minutes of a time of day: "H:MM" / "HH:MM[:SS]" or a table with hour and min
-- (os.date("*t")); nil when it is neither.
function kinds.clock(v)
  if type(v) == "table" then
    local h, m = v.hour, v.min
    if type(h) == "number" and type(m) == "number" and client.whole(h) and client.whole(m) then return h, m end
    return nil
  end
  local h, m = tostring(v):match("^(%d%d?):(%d%d)$")
  if not h then h, m = tostring(v):match("^(%d%d?):(%d%d):%d%d$") end
  return tonumber(h), tonumber(m)
end

--- A time of day; on the wire as zero-padded hour and minute (strftime's %H and %M).
-- Ranges are checked by the rules, so "24:00" reaches them and is refused as `invalid`.
kind("clock", { "string", "table" }, function(v, name, fname)
  if not kinds.clock(v) then
    bad(name, fname, '"HH:MM" or a table with hour and min', type(v) == "string" and errors.show(v) or "table")
  end
  return v
end)

--- A time segment id: the setting type "time_segment<id>" (the rules check 1..9).
kind("segment", { "number", "string" }, function(v)
  return "time_segment" .. str(v)
end)

--- An on/off argument: a boolean, or 0/1 as the reference's truthiness reads them; nil if neither.
function kinds.truth(v)
  if type(v) == "boolean" then return v end
  if v == 0 or v == 1 then return v == 1 end
end

local function switch(on, off)
  return function(v, name, fname)
    local t = kinds.truth(v)
    if t == nil then bad(name, fname, "boolean", type(v) == "number" and tostring(v) or type(v)) end
    return t and on or off
  end
end

kind("flag", nil, switch("1", "0"))
kind("on_off", nil, switch("0001", "0000")) -- the classic inverters' on/off command

return kinds
