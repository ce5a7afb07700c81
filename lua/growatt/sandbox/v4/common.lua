-- What the OpenAPI v4 modules of the sandbox share: the envelope and its codes, parameters,
-- serial lists and the plant-local clock (protocol-v4.md §1.2, §2, §5, §6.1).
-- Plain Lua 5.1-5.4 apart from now() (ngx.now inside nginx, os.time outside).
local data = require("growatt.sandbox.data")
local defaults = require("growatt.sandbox.defaults")

local M = {}

M.MESSAGES = {
  [0] = "SUCCESSFUL_OPERATION", [1] = "SYSTEM_ERROR", [2] = "TOKEN_IS_INVALID",
  [3] = "DEVICE_PERMISSION_VERIFICATION_FAILED", [4] = "DEVICE_NOT_FOUND", [5] = "DEVICE_OFFLINE",
  [6] = "PARAMETER_SETTING_FAILED", [7] = "WRONG_DEVICE_TYPE", [8] = "DEVICE_SN_IS_EMPTY",
  [9] = "DATE_CANNOT_BE_EMPTY", [10] = "PAGE_NUMBER_CANNOT_BE_EMPTY", [11] = "DEVICE_SN_EXCEEDS_LIMIT",
  [12] = "DEVICE_SN_DOES_NOT_HAVE_PERMISSION", [15] = "PARAMETER_SETTING_DEVICE_NOT_RESPONDING",
  [16] = "PARAMETER_SETTING_RESPONSE_TIMEOUT", [100] = "API_ACCESS_INTERVAL",
  [101] = "PERMISSION_DENIED", [102] = "ACCESS_FREQUENCY_LIMIT",
}

M.OK_READ, M.OK_WRITE, M.OK_SMALL = "SUCCESSFUL_OPERATION", "PARAMETER_SETTING_SUCCESSFUL", "success"

-- A reply's body. The encoder sorts keys, which gives Growatt's order: code, data, message.
function M.envelope(payload, message, code)
  return { code = code or 0, data = payload == nil and data.null or payload, message = message or M.OK_READ }
end

-- An error reply. 101 has no data key at all, as Growatt sends it.
function M.fail(code, message)
  local t = M.envelope(nil, message or M.MESSAGES[code] or "ERROR", code)
  if code == 101 then t.data = nil end
  return t
end

function M.is_reply_table(t) return type(t) == "table" and type(t.code) == "number" and t.message ~= nil end

-- name -> value from the query string and a form body; the body wins.
function M.params(req)
  local params = {}
  for _, list in ipairs({ req.query or {}, req.form or {} }) do
    for _, p in ipairs(list) do params[p[1]] = p[2] end
  end
  return params
end

local word_lists = {}

-- "a b  c" -> { "a", "b", "c" }, split once per text.
function M.words(text)
  local list = word_lists[text]
  if list then return list end
  list = {}
  for word in text:gmatch("%S+") do list[#list + 1] = word end
  word_lists[text] = list
  return list
end

-- "A,B,C" -> { "A", "B", "C" } (blanks dropped, duplicates kept once, order kept).
function M.serials(text)
  local list, seen = {}, {}
  for sn in tostring(text or ""):gmatch("[^,%s]+") do
    if not seen[sn] then list[#list + 1], seen[sn] = sn, true end
  end
  return list
end

function M.now()
  if ngx then return ngx.now() end
  return os.time()
end

-- The plant's wall clock at `t` (UTC seconds, default now) as text, and as Growatt's epoch ms:
-- that wall clock read as if it were UTC+8 (protocol-v4.md §6.1).
function M.clock(plant, t)
  local wall = math.floor(t or M.now()) + (plant.timezone or 0) * 3600
  return os.date("!%Y-%m-%d %H:%M:%S", wall), (wall - 8 * 3600) * 1000
end

-- Growatt's epoch ms of a plant wall-clock time: it read as if it were UTC+8.
function M.wall_epoch(date, h, m)
  local y, mo, d = date:match("^(%d+)-(%d+)-(%d+)$")
  local days = defaults.days_from_civil(tonumber(y), tonumber(mo), tonumber(d))
  return ((days * 24 + h - 8) * 60 + m) * 60000
end

-- Hours and minutes of the plant's wall clock now.
function M.wall_time(plant)
  local text = M.clock(plant)
  return tonumber(text:sub(12, 13)), tonumber(text:sub(15, 16)), text:sub(1, 10)
end

-- "2026-12-04" -> true when it is a real yyyy-MM-dd date.
function M.valid_date(s)
  local y, m, d = tostring(s or ""):match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if not y then return false end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 then return false end
  local leap = y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
  local days = { 31, leap and 29 or 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  return d <= days[m]
end

-- An integer parameter in [lo, hi], or nil.
function M.int_in(value, lo, hi)
  local n = tonumber(value)
  if not n or n ~= math.floor(n) or n < lo or n > hi then return nil end
  return n
end

-- An integral value written as a float ("261.0"), as Growatt often sends them.
function M.float(x)
  if x == math.floor(x) then return data.number_text(string.format("%.1f", x)) end
  return x
end

function M.round(x, digits)
  local f = 10 ^ (digits or 1)
  return math.floor(x * f + 0.5) / f
end

return M
