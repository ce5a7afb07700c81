--- Parameter values of the ShinePhone writes as the reference sends them: Python's str()
-- of a value, and parameter tables turned into ordered {name, value} pairs and merged as a
-- Python dict is (see growatt.shinephone.settings).

local json = require("growatt.json")

local values = {}

--- Python's str() of a value from JSON or the caller, as the reference sends it; integral
-- numbers without ".0". JSON null becomes "" (str() would send the text "None").
function values.str(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  if t == "boolean" then return v and "True" or "False" end
  if v == json.null then return "" end
  return nil
end

-- A key order for tables with names: numbered names by their number, the rest by name.
local function before(a, b)
  local pa, na = a:match("^(.-)(%d+)$")
  local pb, nb = b:match("^(.-)(%d+)$")
  if pa and pa == pb then return tonumber(na) < tonumber(nb) end
  return a < b
end

-- The {name, value} pairs of a parameter table: a list is param1..paramN (or `prefix`..i),
-- a table with names is sorted by `before`. Assumes the table passed `check_params`.
local function pairs_of(t, prefix)
  local out = {}
  if #t > 0 then
    for i = 1, #t do out[i] = { (prefix or "param") .. i, t[i] } end
    return out
  end
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out, before)
  for i, k in ipairs(out) do out[i] = { k, t[k] } end
  return out
end
values.pairs_of = pairs_of

--- Merges `more` pairs into `list` as a Python dict update does (in place).
function values.merge(list, more)
  local at = {}
  for i, p in ipairs(list) do at[p[1]] = i end
  for _, p in ipairs(more) do
    if at[p[1]] then
      list[at[p[1]]][2] = p[2]
    else
      list[#list + 1] = { p[1], p[2] }
      at[p[1]] = #list
    end
  end
  return list
end

return values
