-- Helpers for the Lua fuzz targets (loaded by fuzz/lua_target.c before each target script).
-- Runs under Lua 5.4 and LuaJIT.
local fail, exchange = ...
local H = { fail = fail, exchange = exchange }

-- Aborts the fuzzer with a message unless cond holds.
function H.check(cond, fmt, ...)
  if not cond then fail(string.format(fmt, ...)) end
end

-- Turns the fuzzer's bytes into values; reading past the end gives zeros and empty strings,
-- so that every input means something.
function H.reader(data)
  local pos = 1
  local r = {}
  function r.more() return pos <= #data end
  function r.byte()
    local b = data:byte(pos) or 0
    pos = pos + 1
    return b
  end
  function r.bytes(n)
    local s = data:sub(pos, pos + n - 1)
    pos = pos + n
    return s
  end
  -- a string of up to 255 bytes, preceded by its length
  function r.field() return r.bytes(r.byte()) end
  function r.rest()
    local s = data:sub(pos)
    pos = #data + 1
    return s
  end
  -- one of the values of a list
  function r.pick(list) return list[r.byte() % #list + 1] end
  -- any 64-bit integer or double (NaN, infinities and -0.0 included); Lua 5.3+
  function r.integer() return (string.unpack("<i8", r.bytes(8) .. ("\0"):rep(8))) end
  function r.float() return (string.unpack("<d", r.bytes(8) .. ("\0"):rep(8))) end
  return r
end

-- The reference form encoding (encode.c): A-Z a-z 0-9 -._~ stay, space is +, the rest %XX;
-- numbers as the core writes them: integral ones (|n| < 2^63) without a decimal point.
local function text(v)
  if type(v) ~= "number" then return v end
  if math.type and math.type(v) == "integer" then return string.format("%d", v) end
  if v == math.floor(v) and v >= -2 ^ 63 and v < 2 ^ 63 then
    return string.format("%d", math.tointeger and math.tointeger(v) or v)
  end
  return string.format("%.14g", v)
end

local function escape(s)
  return (s:gsub("[^A-Za-z0-9%-%._~ ]", function(c) return string.format("%%%02X", c:byte()) end):gsub(" ", "+"))
end

function H.encoded(list)
  local out = {}
  for i, pair in ipairs(list) do out[i] = escape(text(pair[1])) .. "=" .. escape(text(pair[2])) end
  return table.concat(out, "&")
end

H.text = text

-- A well-formed reply, for checking that a session still works after anything.
H.GOOD_REPLY = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\nok"

-- Runs a plain GET on the session against GOOD_REPLY and checks that it is answered as such
-- and that nothing of an earlier request (method, body, headers) went out with it.
function H.still_works(s)
  local ok, res, err, wire = exchange(s, H.GOOD_REPLY, "GET", "http://fuzz.test/next")
  H.check(ok and res, "the next request failed: %s %s", tostring(res), tostring(err))
  H.check(res.status == 200 and res.body == "ok", "the next reply was read as %s %q", res.status, res.body)
  H.check(wire:sub(1, 15) == "GET /next HTTP/", "the next request went out as %q", wire:sub(1, 40))
  local head = wire:match("^(.-)\r\n\r\n")
  H.check(head ~= nil and #wire == #head + 4, "the next request has a body: %q", wire)
  for line in head:gmatch("\r\n([^\r\n]*)") do
    local name = line:match("^([^:]+):"):lower()
    H.check(name == "host" or name == "user-agent" or name == "accept" or name == "accept-encoding" or
      name == "cookie",
      "the next request carries a header of an earlier one: %q", line)
  end
end

return H
