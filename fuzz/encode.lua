-- Fuzz target: core.encode, the form encoding of query strings and form bodies (encode.c),
-- and the number-to-text rule with it. The bytes become a list of {name, value} pairs whose
-- values are strings, integers or floats (NaN, infinities, -0.0 and huge ones included),
-- sometimes with a bad pair; the result must be exactly the reference encoding of
-- fuzz/common.lua, and a bad pair must raise the error that names it.
local data, core, H = ...
local r = H.reader(data)

local list, bad = {}, nil
while r.more() and #list < 64 do
  local name, kind = r.field(), r.byte() % 8
  local value
  if kind <= 3 then
    value = r.field()
  elseif kind == 4 then
    value = r.integer()
  elseif kind == 5 or kind == 6 then
    value = r.float()
  else
    local wrong = r.pick({ "boolean", "table", "name", "pair" })
    bad = bad or #list + 1
    if wrong == "name" then
      list[#list + 1] = { r.integer(), "x" }
    elseif wrong == "pair" then
      list[#list + 1] = r.field()
    else
      value = wrong == "boolean" or {}
    end
  end
  if value ~= nil then list[#list + 1] = { name, value } end
end

local ok, out = pcall(core.encode, list)
if bad then
  H.check(not ok, "a bad pair %d was encoded as %q", bad, tostring(out))
  H.check(out:find("^encode pair " .. bad .. ": "), "the error names pair %d: %s", bad, out)
else
  H.check(ok, "encode raised: %s", tostring(out))
  local want = H.encoded(list)
  H.check(out == want, "encoded as %q, want %q", out, want)
end
