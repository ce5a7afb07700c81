-- Strict parsers for the text formats the project writes: the Prometheus exposition format
-- (0.0.4: HELP before TYPE before samples, label escapes, values) and InfluxDB line protocol
-- (measurement, tags and fields with their escapes, integer nanosecond timestamp).
local P = {}

function P.parse(text)
  local help, types, samples = {}, {}, {}
  assert(text:sub(-1) == "\n", "the exposition must end with a newline")
  for line in text:gmatch("([^\n]*)\n") do
    if line:find("^#") then
      local kind, name, rest = line:match("^# (%u+) ([%a_:][%w_:]*) (.*)$")
      assert(kind == "HELP" or kind == "TYPE", "bad comment line: " .. line)
      if kind == "HELP" then
        assert(not help[name], "two HELP lines for " .. name)
        help[name] = rest
      else
        assert(({ counter = 1, gauge = 1, histogram = 1, summary = 1, untyped = 1 })[rest], "bad TYPE: " .. line)
        assert(help[name], "TYPE before HELP for " .. name)
        types[name] = rest
      end
    else
      assert(line ~= "", "empty line in the exposition")
      local name, rest = line:match("^([%a_:][%w_:]*)(.*)$")
      assert(name, "bad metric name: " .. line)
      assert(types[name], "sample before its HELP and TYPE: " .. line)
      local labels = {}
      if rest:sub(1, 1) == "{" then
        local pos = 2
        while rest:sub(pos, pos) ~= "}" do
          local lname, after = rest:match("^([%a_][%w_]*)=\"()", pos)
          assert(lname, "bad label in: " .. line)
          local value, i = {}, after
          while true do
            local c = rest:sub(i, i)
            assert(c ~= "" and c ~= "\n", "unterminated label value: " .. line)
            if c == "\\" then
              local esc = rest:sub(i + 1, i + 1)
              assert(({ ["\\"] = 1, ['"'] = 1, n = 1 })[esc], "bad escape in: " .. line)
              value[#value + 1] = esc == "n" and "\n" or esc
              i = i + 2
            elseif c == '"' then
              break
            else
              value[#value + 1] = c
              i = i + 1
            end
          end
          labels[lname] = table.concat(value)
          pos = i + 1
          if rest:sub(pos, pos) == "," then pos = pos + 1 end
        end
        rest = rest:sub(pos + 1)
      end
      local value = rest:match("^ (%S+)$")
      assert(value and (tonumber(value) or value == "NaN" or value == "+Inf" or value == "-Inf"),
        "bad sample value: " .. line)
      samples[#samples + 1] = { name = name, labels = labels, value = tonumber(value) }
    end
  end
  return { help = help, types = types, samples = samples }
end

function P.sample(m, name, labels)
  for _, s in ipairs(m.samples) do
    local match = s.name == name
    for k, v in pairs(labels or {}) do match = match and s.labels[k] == v end
    if match then return s.value end
  end
end


-- Reads an escaped name (measurement, tag key or value, field key) up to one of `stops`.
local function escaped(line, pos, stops)
  local out = {}
  while pos <= #line do
    local c = line:sub(pos, pos)
    if c == "\\" and pos < #line then
      out[#out + 1] = line:sub(pos + 1, pos + 1)
      pos = pos + 2
    elseif stops:find(c, 1, true) then
      break
    else
      out[#out + 1] = c
      pos = pos + 1
    end
  end
  return table.concat(out), pos
end

local function field_value(line, pos)
  if line:sub(pos, pos) == '"' then
    local out, i = {}, pos + 1
    while true do
      local c = line:sub(i, i)
      if c == "" then return nil, "unterminated string field" end
      if c == "\\" and (line:sub(i + 1, i + 1) == '"' or line:sub(i + 1, i + 1) == "\\") then
        out[#out + 1], i = line:sub(i + 1, i + 1), i + 2
      elseif c == '"' then
        return table.concat(out), i + 1
      else
        out[#out + 1], i = c, i + 1
      end
    end
  end
  local raw = line:match("^[^, ]+", pos)
  if not raw then return nil, "empty field value" end
  local after = pos + #raw
  if raw == "t" or raw == "T" or raw == "true" or raw == "True" or raw == "TRUE" then return true, after end
  if raw == "f" or raw == "F" or raw == "false" or raw == "False" or raw == "FALSE" then return false, after end
  if raw:match("^[-+]?%d+[iu]$") then return tonumber(raw:sub(1, -2)), after end
  if raw:match("^[-+]?%d*%.?%d+$") or raw:match("^[-+]?%d+%.?%d*[eE][-+]?%d+$") or raw:match("^[-+]?%d+%.$") then
    return tonumber(raw), after
  end
  return nil, "bad field value " .. raw
end

--- One line of InfluxDB line protocol -> { measurement, tags, fields, time } or nil, why.
function P.line_protocol(line)
  if line == "" or line:find("[\r\n]") then return nil, "empty line or a line break" end
  local measurement, pos = escaped(line, 1, ", ")
  if measurement == "" then return nil, "no measurement" end
  local tags = {}
  while line:sub(pos, pos) == "," do
    local k, v
    k, pos = escaped(line, pos + 1, "=, ")
    if k == "" or line:sub(pos, pos) ~= "=" then return nil, "bad tag key" end
    v, pos = escaped(line, pos + 1, ", =")
    if v == "" then return nil, "empty tag value for " .. k end
    tags[k] = v
  end
  if line:sub(pos, pos) ~= " " then return nil, "no space before the fields" end
  local fields, n = {}, 0
  repeat
    local k, v
    k, pos = escaped(line, pos + 1, "=, ")
    if k == "" or line:sub(pos, pos) ~= "=" then return nil, "bad field key at " .. pos end
    v, pos = field_value(line, pos + 1)
    if v == nil then return nil, pos end
    fields[k], n = v, n + 1
  until line:sub(pos, pos) ~= ","
  if n == 0 then return nil, "no field" end
  local time
  if pos <= #line then
    time = line:match("^ (%-?%d+)$", pos)
    if not time then return nil, "bad timestamp: " .. line:sub(pos) end
  end
  return { measurement = measurement, tags = tags, fields = fields, time = time }
end

return P
