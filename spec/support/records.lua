-- Spec helper for growatt.readings records.
local records = {}

-- The field names a record has, sorted (raw, err and the identity left out).
function records.fields_of(r)
  local list = {}
  for k in pairs(r) do
    if k ~= "raw" and k ~= "err" and k ~= "serial" and k ~= "type" and k ~= "plant_id" and k ~= "api" then
      list[#list + 1] = k
    end
  end
  table.sort(list)
  return list
end

-- The records by serial.
function records.by_serial(list)
  local t = {}
  for _, r in ipairs(list) do t[r.serial] = r end
  return t
end

-- The requests the sandbox `S` received besides logins, as "METHOD path[ op]", sorted.
function records.requests(S)
  local list = {}
  for _, r in ipairs(S.requests()) do
    if r.path ~= "newTwoLoginAPI.do" then
      list[#list + 1] = r.method .. " " .. r.path .. (r.query[1] and r.query[1][1] == "op" and " " .. r.query[1][2]
        or "")
    end
  end
  table.sort(list)
  return list
end

return records
