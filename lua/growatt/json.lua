--- JSON through a private lua-cjson instance (no global cjson settings are touched).
-- lua-cjson 2.1 decodes every number as a float; on Lua 5.3+ integral values are turned
-- back into integers, so that an id read from a reply goes back on the wire as `1234567`.

local cjson = require("cjson").new()

local json = {}

json.null = cjson.null
cjson.decode_max_depth(1000)
cjson.encode_sparse_array(true)
cjson.encode_number_precision(14)

local tointeger = math.tointeger -- nil on Lua 5.1 / LuaJIT: numbers are doubles there anyway

local normalise
if tointeger then
  local mtype = math.type
  normalise = function(v)
    local t = type(v)
    if t == "number" then
      if mtype(v) == "float" and v >= -2^53 and v <= 2^53 then
        return tointeger(v) or v
      end
      return v
    elseif t == "table" then
      for k, x in next, v do
        local tx = type(x)
        if tx == "number" or tx == "table" then v[k] = normalise(x) end
      end
    end
    return v
  end
else
  normalise = function(v) return v end
end

--- Decodes `s`; returns the value, or nil and cjson's message.
function json.decode(s)
  local ok, v = pcall(cjson.decode, s)
  if not ok then return nil, tostring(v) end
  return normalise(v)
end

--- Encodes `v`; returns the string, or nil and cjson's message.
function json.encode(v)
  local ok, s = pcall(cjson.encode, v)
  if not ok then return nil, tostring(s) end
  return s
end

return json
