--- JSON: decoding by growatt.core (straight into tables of their final size, integral
-- numbers as integers on Lua 5.3+, so that an id read from a reply goes back on the wire
-- as `1234567`), encoding through a private lua-cjson instance (no global cjson settings
-- are touched). JSON null is `json.null`, cjson's null.

local core = require("growatt.core")
local cjson = require("cjson").new()

local json = {}

json.null = cjson.null
cjson.encode_sparse_array(true)
cjson.encode_number_precision(14)

local decode = core.json_decode

--- Decodes `s`; returns the value, or nil and a message ("json: <what> at byte <n>").
function json.decode(s)
  local ok, v = pcall(decode, s)
  if not ok then return nil, tostring(v) end
  return v
end

--- Encodes `v`; returns the string, or nil and cjson's message.
function json.encode(v)
  local ok, s = pcall(cjson.encode, v)
  if not ok then return nil, tostring(s) end
  return s
end

return json
