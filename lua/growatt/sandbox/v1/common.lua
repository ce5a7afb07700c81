-- What the OpenAPI v1 modules of the sandbox share: the envelope and its error codes, how
-- numbers, dates and pages are read and written. Runs inside nginx (LuaJIT, Lua 5.1 API).
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy")

local M = {}

M.MESSAGES = {
  [-1] = "error_server_domain_changed: please use the new domain name",
  [10001] = "error_system", [10002] = "error_device_not_exist", [10003] = "error_device_offline",
  [10004] = "error_sn_empty", [10005] = "error_datalogger_offline", [10006] = "error_type",
  [10007] = "error_value_empty", [10008] = "error_value_out_of_range", [10009] = "error_param_type",
  [10011] = "error_permission_denied", [10012] = "error_frequently_access",
  [10013] = "error_page_size_over_100", [10014] = "error_page_over_250",
}

M.DEVICE_TYPES = { inverter = 1, storage = 2, bat = 3, noah = 3, max = 4, mix = 5, spa = 6, tlx = 7 }

function M.envelope(payload, code, message, extra)
  local t = { data = payload == nil and data.null or payload, error_code = code or 0, error_msg = message or "" }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

function M.fail(code, message) return M.envelope(nil, code, message or M.MESSAGES[code] or "error") end

-- Dates and numbers as v1 writes them.
function M.now_text() return os.date("%Y-%m-%d %H:%M:%S") end
function M.today() return os.date("%Y-%m-%d") end
function M.round(x, digits) local f = 10 ^ (digits or 1) return math.floor(x * f + 0.5) / f end
function M.text(x, digits) return string.format("%." .. (digits or 1) .. "f", x) end

function M.number_param(params, name, default)
  return params[name] and tonumber(params[name]) or default
end

function M.page_of(list, params)
  local page, perpage = M.number_param(params, "page", 1), M.number_param(params, "perpage", 20)
  local out = data.array()
  for i = (page - 1) * perpage + 1, math.min(#list, page * perpage) do out[#out + 1] = list[i] end
  return out
end

function M.valid_date(s)
  local y, m, d = tostring(s or ""):match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  if not y then return nil end
  local t = os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 })
  if os.date("%Y-%m-%d", t) ~= s then return nil end
  return t
end

function M.day_points(state, device, date)
  return energy.day(state, device, date, date ~= M.today() and energy.day_energy(state, device, date) or nil)
end

return M
