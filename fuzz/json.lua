-- Fuzz target: core.json_decode (json.c), which reads every reply body. The bytes are the
-- body. Malformed text must raise "json: <what> at byte <n>"; text it accepts must be valid
-- JSON, so lua-cjson must decode it too, to the same value.
local data, core, H = ...
local has_cjson, cjson = pcall(require, "cjson")
H.check(has_cjson, "lua-cjson is needed: %s", tostring(cjson))
cjson = cjson.new()

local ok, value = pcall(core.json_decode, data)
if not ok then
  H.check(type(value) == "string" and value:find("^json: .+ at byte %d+$"), "error %q", tostring(value))
  return
end

local function same(a, b, path)
  if type(a) == "number" and type(b) == "number" then
    return a == b or (a ~= a and b ~= b) or H.fail(("%s: %.17g ~= %.17g"):format(path, a, b))
  end
  if type(a) ~= type(b) then H.fail(("%s: %s ~= %s"):format(path, type(a), type(b))) end
  if type(a) ~= "table" then
    return a == b or H.fail(("%s: %q ~= %q"):format(path, tostring(a), tostring(b)))
  end
  for k, v in pairs(a) do
    H.check(b[k] ~= nil, "%s.%s: missing in cjson's value", path, tostring(k))
    same(v, b[k], path .. "." .. tostring(k))
  end
  for k in pairs(b) do H.check(a[k] ~= nil, "%s.%s: missing in ours", path, tostring(k)) end
end

local cj_ok, cj_value = pcall(cjson.decode, data)
H.check(cj_ok, "json_decode accepted what lua-cjson refuses (%s)", tostring(cj_value))
same(value, cj_value, "$")
