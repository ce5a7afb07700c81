--- JSON through a private lua-cjson instance (no global cjson settings are touched).
-- lua-cjson 2.1 decodes every number as a float; on Lua 5.3+ integral values are turned
-- back into integers, so that an id read from a reply goes back on the wire as `1234567`.

local cjson = require("cjson").new()

local json = {}

json.null = cjson.null
cjson.decode_max_depth(1000)
cjson.encode_sparse_array(true)
cjson.encode_number_precision(14)

-- In C (growatt.core): a walk in Lua costs more than cjson's decoding of a typical reply.
-- On Lua 5.1 / LuaJIT numbers are doubles anyway and it returns its argument.
local normalise = require("growatt.core").normalise

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
