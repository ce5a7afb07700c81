-- The sandbox's JSON encoder. Our own rather than cjson.encode: cjson 2.1 cannot tell an
-- empty array from an empty object, and sorted keys make every reply byte-identical from run
-- to run. data.array and data.null mark what a Lua table cannot say by itself.
-- Plain Lua 5.1-5.4, no ngx.
local data = require("growatt.sandbox.data")

local M = {}

local encode_value

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function encode_table(t, out)
  if data.is_array(t) or is_sequence(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], out)
    end
    out[#out + 1] = "]"
    return
  end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then out[#out + 1] = "," end
    out[#out + 1] = encode_string(tostring(k)) .. ":"
    encode_value(t[k], out)
  end
  out[#out + 1] = "}"
end

function encode_value(v, out)
  local kind = type(v)
  if kind == "string" then
    out[#out + 1] = encode_string(v)
  elseif kind == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif v == math.floor(v) and math.abs(v) < 2 ^ 53 then
      out[#out + 1] = string.format("%d", v) -- 1234567, never 1234567.0 or 1.234567e+06
    else
      out[#out + 1] = string.format("%.14g", v)
    end
  elseif kind == "boolean" then
    out[#out + 1] = tostring(v)
  elseif data.is_number_text(v) then
    out[#out + 1] = v.text
  elseif kind == "table" and v ~= data.null then
    encode_table(v, out)
  else -- nil, data.null, ngx.null
    out[#out + 1] = "null"
  end
end

function M.encode(v)
  local out = {}
  encode_value(v, out)
  return table.concat(out)
end

return M
