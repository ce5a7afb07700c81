-- OpenAPI v4 ("new-api") of the sandbox: POST /v4/new-api/<name> (protocol-v4.md). Runs inside
-- nginx (LuaJIT); registered by server.init via register(server), through
-- server.family("v4/new-api/", gate).
--
-- Every request passes the gate, in this order:
--   * the `token` header must be a known token: the v1 tokens (v1.TOKENS, state.v1.tokens)
--     and state.v4.tokens = { token = userName }; else {"code":101,"message":"PERMISSION_DENIED"};
--   * parameters come from the query string and a form body, merged (the body wins);
--   * deviceSn (comma-separated; at most 100, 50 for queryDevicesHistoricalData, 1 for the
--     rest): none 8, too many 11; deviceType not one of the nine 7; a serial nobody has 4, one
--     of another account 12, one of another type 7. Batches drop the serials the token may not
--     see (all dropped: 12). date yyyy-MM-dd (9), page (10) where the endpoint takes them;
--   * the interval (M.INTERVALS) per token, endpoint and device set (and page): inside it 102.
--     state.v4.scale multiplies them (0 turns the rule off), state.v4.intervals = { name =
--     seconds } overrides one endpoint; a reset restores them;
--   * an offline device (the world's `lost`, or state.v4.offline = { SN = true }) answers
--     writes and small reads with 5.
-- Fault rules gain v4_code (answer that code; for 1 the change is still applied, unless
-- v4_applied = false; for others it is not, unless v4_applied = true), v4_message (its
-- message), v4_login (Growatt's HTML login page) and the matcher v4_sn (the request names
-- that serial in deviceSn).
local common = require("growatt.sandbox.v4.common")
local reads = require("growatt.sandbox.v4.reads")
local v1 = require("growatt.sandbox.v1")
local world = require("growatt.sandbox.v4.world")
local writes = require("growatt.sandbox.v4.writes")

local fail = common.fail

local M = {}

M.PREFIX = "v4/new-api/"

-- Seconds between two requests with the same token, endpoint and device set.
M.INTERVALS = { list = 5, write = 5, small = 5, slow = 300, noah_last = 60 }

-- name, handler, interval class, serials per request (nil: none), date / page required
M.ROUTES = {
  { "queryDeviceList", reads.device_list, "list", nil, page = true },
  { "queryDeviceInfo", reads.device_info, "slow", 100 },
  { "queryLastData", reads.last_data, "slow", 100 },
  { "queryHistoricalData", reads.history, "slow", 1, date = true },
  { "queryDevicesHistoricalData", reads.devices_history, "slow", 50, date = true },
  { "readPower", reads.read_power, "small", 1 },
  { "getWiFiSignalByDevice", reads.wifi_signal, "small", 1 },
  { "readVppParameter", reads.read_vpp, "small", 1 },
  { "queryDfcData", reads.dfc, "small", 1 },
  { "queryDeviceInfoParam", reads.info_param, "small", 1 },
  { "setOnOrOff", writes.on_or_off, "write", 1 },
  { "setPower", writes.power, "write", 1 },
  { "setHighLimitSoc", writes.high_limit_soc, "write", 1 },
  { "setLowLimitSoc", writes.low_limit_soc, "write", 1 },
  { "setTimeSegment", writes.time_segment, "write", 1 },
  { "setGridCharge", writes.grid_charge, "write", 1 },
  { "setOffGrid", writes.off_grid, "write", 1 },
  { "setDevice", writes.device, "write", 1 },
  { "setVppParameter", writes.vpp, "write", 1 },
  { "setNewVppParameter", writes.new_vpp, "write", 1 },
  { "removeVppTimePeriod", writes.remove_vpp_period, "write", 1 },
}

local TYPES = {}
for _, t in ipairs(world.ALL_TYPES) do TYPES[t] = true end

local function account_of(state, token)
  if not token or token == "" then return nil end
  local name = (world.state(state).tokens or {})[token] or ((state.v1 or {}).tokens or {})[token] or v1.TOKENS[token]
  return name and state.accounts[name]
end

-- Is the serial anyone's?
local function exists(state, sn)
  if state.devices[sn] then return true end
  for _, d in ipairs(world.state(state).extra or world.extra_devices()) do
    if d.sn == sn then return true end
  end
  return false
end

-- The permitted entries the request names, or nil and the error reply.
local function devices_of(state, account, route, p)
  local limit = route[4]
  if not limit then return {} end
  local sns = common.serials(p.deviceSn)
  if #sns == 0 then return nil, fail(8) end
  if #sns > limit then return nil, fail(11) end
  if not TYPES[p.deviceType] then return nil, fail(7) end
  local index, list = world.index(state, account), {}
  for _, sn in ipairs(sns) do
    local e = index[sn]
    if e and e.type ~= p.deviceType then return nil, fail(7) end
    if e then list[#list + 1] = e end
    if not e and limit == 1 then return nil, fail(exists(state, sn) and 12 or 4) end
  end
  if #list == 0 then return nil, fail(12) end
  return list
end

local function interval(v4, route, p)
  local override = (v4.intervals or {})[route[1]]
  if override then return tonumber(override) or 0 end
  local class = route[3]
  if route[1] == "queryLastData" and p.deviceType == "noah" then class = "noah_last" end
  return M.INTERVALS[class] * (tonumber(v4.scale) or 1)
end

-- True when the same token, endpoint and device set was answered less than the interval ago.
local function too_soon(v4, token, route, p, devices)
  local seconds = interval(v4, route, p)
  if seconds <= 0 then return false end
  local sns = {}
  for i, e in ipairs(devices) do sns[i] = e.sn end
  table.sort(sns)
  local key = "v4:" .. ngx.md5(table.concat({ token, route[1], table.concat(sns, ","),
                                               route.page and p.page or "" }, "\n"))
  return not ngx.shared.growatt_sandbox:add(key, true, seconds)
end

local function checks(route, p)
  if route.date and not common.valid_date(p.date) then return fail(9) end
  if route.page and not common.int_in(p.page, 1, 1e9) then return fail(10) end
end

local function gate(route)
  return function(req, ctx)
    local state, token = ctx.state, req.headers.token
    local account = account_of(state, token)
    if not account then return fail(101) end
    local p = common.params(req)
    local devices, problem = devices_of(state, account, route, p)
    problem = problem or checks(route, p)
    if problem then return problem end
    local v4 = world.state(state)
    if too_soon(v4, token, route, p, devices) then return fail(102) end
    if (route[3] == "write" or route[3] == "small") and world.offline(state, devices[1]) then return fail(5) end
    local payload, message = route[2]({ state = state, account = account, params = p, v4 = v4 }, devices)
    if common.is_reply_table(payload) then return payload end
    return common.envelope(payload, message)
  end
end

-- The page Growatt's front end answers with when token or server is wrong (protocol-v4.md §1.4).
M.LOGIN_PAGE = '<!DOCTYPE html><html data-name="login" lang="en"><head><meta charset="utf-8">' ..
  "<title>Growatt - Login</title></head><body><form action=\"/login\" method=\"post\">" ..
  '<input name="account" type="text"><input name="password" type="password">' ..
  "<button type=\"submit\">Login</button></form></body></html>\n"

local function register_faults(server)
  server.matcher("v4_sn", function(sn, req)
    for _, s in ipairs(common.serials(common.params(req).deviceSn)) do
      if s == sn then return true end
    end
    return false
  end)
  server.knob("v4_login", function()
    return server.reply(200, M.LOGIN_PAGE, { ["Content-Type"] = "text/html;charset=UTF-8" })
  end, server.expect("boolean"))
  server.knob("v4_code", function(code, req, rule)
    local applied = rule.v4_applied
    if applied == nil then applied = code == 1 end
    if applied then require("growatt.sandbox.router").dispatch(req) end
    return server.reply(200, fail(code, rule.v4_message))
  end, server.expect("number"))
  server.knob("v4_applied", function() end, server.expect("boolean"))
  server.knob("v4_message", function() end, server.expect("string"))
end

function M.register(server)
  local route = server.family(M.PREFIX, gate)
  for _, r in ipairs(M.ROUTES) do route("POST", r[1], r) end
  register_faults(server)
end

return M
