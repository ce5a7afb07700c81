-- ShinePhone settings endpoints of the sandbox: the plant settings (getPlant, updatePlant),
-- the inverter settings reads (getMixSetParams, getTlxSetData, getSetPass, the classic
-- inverter's HTML page) and every settings write (newTcpsetAPI.do, tcpSet.do, Noah's set).
--
-- It plays the inverter as well as the cloud: a write is checked as the real device would
-- check it (its serial belongs to the session's user, the parameters are where the
-- reference sends them, each value in range, TLX time segments do not overlap) and, when
-- accepted, changes state.settings (data.lua, "Settings") or the Noah's `noah` table, so
-- that the next read shows it. Accepted writes answer {"success":true,"msg":"inv_set_success"};
-- refused ones {"success":false,"msg":<code>,"error":<why>}.
-- Runs inside nginx (LuaJIT); registered by server.init via register(server).
local data = require("growatt.sandbox.data")

local M = {}

local ACCEPTED = "inv_set_success"

local function refused(code, why) return { success = false, msg = code, error = why } end

-- The refusal of a read (new*Api.do envelope).
local function no_read(why) return { result = 0, msg = why } end

---------------------------------------------------------------------------
-- Requests

-- Checks the method and that every parameter is in `place` ("query", "form", "multipart"),
-- except `op`, which may ride in the query; a parameter sent twice is refused too.
-- Returns a refusal, or nil when the request is well formed.
local function malformed(req, method, place)
  if req.method ~= method then return refused("method_not_allowed", req.method .. " where " .. method .. " is due") end
  local seen = {}
  for _, where in ipairs({ "query", "form", "multipart" }) do
    for _, p in ipairs(req[where]) do
      if where ~= place and not (where == "query" and p[1] == "op") then
        return refused("param_misplaced", p[1] .. " must be in the " .. place .. ", not the " .. where)
      end
      if seen[p[1]] then return refused("param_repeated", p[1] .. " was sent twice") end
      seen[p[1]] = true
    end
  end
end

-- Where a write's parameters may be: the place of its first parameter other than op.
local function place_of(req)
  for _, where in ipairs({ "multipart", "form", "query" }) do
    for _, p in ipairs(req[where]) do
      if p[1] ~= "op" then return where end
    end
  end
  return "query"
end

-- The device `sn` if it is of a type in `kinds` and belongs to the session's user.
local function own_device(ctx, sn, kinds)
  local device = data.device_of(ctx.state, ctx.account, sn)
  if device and kinds[device.type] then return device end
end

-- param1..paramN (or command_1..) of a request: the list of values, or nil and why not
-- when they are not exactly 1..n.
local function numbered(params, prefix, n)
  local list = {}
  for i = 1, n do
    list[i] = params[prefix .. i]
    if list[i] == nil then return nil, prefix .. i .. " is missing" end
  end
  if params[prefix .. (n + 1)] ~= nil then return nil, "too many parameters: " .. prefix .. (n + 1) end
  return list
end

---------------------------------------------------------------------------
-- What the inverters accept. A check is a function(value) -> true, or it is the range
-- { lo, hi } of an integer.

local function integer_in(range, v)
  local n = tonumber(v)
  return v:match("^%d+$") ~= nil and n >= range[1] and n <= range[2]
end

local function datetime(v)
  local y, mo, d, h, mi, s = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d) (%d%d):(%d%d):(%d%d)$")
  return y ~= nil and tonumber(mo) >= 1 and tonumber(mo) <= 12 and tonumber(d) >= 1 and tonumber(d) <= 31
    and tonumber(h) < 24 and tonumber(mi) < 60 and tonumber(s) < 60
end

local function number_in(lo, hi)
  return function(v)
    local n = tonumber(v)
    return v:match("^%-?%d+%.?%d*$") ~= nil and n >= lo and n <= hi
  end
end

local function among(...)
  local set = {}
  for _, s in ipairs({ ... }) do set[s] = true end
  return function(v) return set[v] == true end
end

local function anything() return true end

-- The first value that fails its check, as "param<i> <value>", or nil.
local function out_of_range(values, checks, prefix)
  for i, check in ipairs(checks) do
    local v = values[i]
    local ok
    if type(check) == "function" then ok = check(v) else ok = integer_in(check, v) end
    if not ok then return (prefix or "param") .. i .. " " .. v .. " is out of range" end
  end
end

local PCT, BIT, HOUR, MINUTE, MODE = { 0, 100 }, { 0, 1 }, { 0, 23 }, { 0, 59 }, { 0, 2 }

-- Checks of `head` and then of three schedules (start h, start m, end h, end m, enable).
local function three_schedules(head)
  for _ = 1, 3 do
    for _, c in ipairs({ HOUR, MINUTE, HOUR, MINUTE, BIT }) do head[#head + 1] = c end
  end
  return head
end

---------------------------------------------------------------------------
-- The effect of each accepted write on the settings it changes. An entry of a write table
-- is { checks..., apply = function(settings, values, extra) }.

local function num(v) return tostring(tonumber(v)) end -- "05" -> "5", as Growatt stores it

local function clock(h, m) return num(h) .. ":" .. num(m) end

-- Sets a bean's three schedules "<prefix>TimeStart<i>" etc. from values[first..first+14].
local function set_schedules(bean, prefix, values, first)
  for i = 1, 3 do
    local b = first + (i - 1) * 5
    bean[prefix .. "TimeStart" .. i] = clock(values[b], values[b + 1])
    bean[prefix .. "TimeStop" .. i] = clock(values[b + 2], values[b + 3])
    bean[prefix .. "StopSwitch" .. i] = num(values[b + 4])
  end
end

-- A one-value setting stored in the bean's field `name`.
local function field(name, check)
  return { check, apply = function(bean, v) bean[name] = check == datetime and v[1] or num(v[1]) end }
end

-- The minutes of the day a segment covers, as [from, to) intervals; empty when start = end.
local function intervals(start, stop)
  local function minutes(s) local h, m = s:match("^(%d+):(%d+)$") return h * 60 + m end
  local a, b = minutes(start), minutes(stop)
  if a < b then return { { a, b } } end
  if a > b then return { { a, 1440 }, { 0, b } } end -- over midnight
  return {}
end

local function overlaps(s1, e1, s2, e2)
  for _, x in ipairs(intervals(s1, e1)) do
    for _, y in ipairs(intervals(s2, e2)) do
      if x[1] < y[2] and y[1] < x[2] then return true end
    end
  end
  return false
end

-- A TLX time segment: the inverter refuses one that overlaps another, enabled or not.
local function set_segment(bean, v, id)
  local start, stop = clock(v[2], v[3]), clock(v[4], v[5])
  for other = 1, 9 do
    if other ~= id and overlaps(start, stop, bean["forcedTimeStart" .. other], bean["forcedTimeStop" .. other]) then
      return refused("inv_set_time_overlap", ("time segment %d (%s-%s) overlaps time segment %d"):format(
        id, start, stop, other))
    end
  end
  bean["time" .. id .. "Mode"], bean["forcedStopSwitch" .. id] = num(v[1]), num(v[6])
  bean["forcedTimeStart" .. id], bean["forcedTimeStop" .. id] = start, stop
end

local SYSTEM_TIME_MIX = field("pf_sys_year", datetime)

-- newTcpsetAPI.do: op -> { kinds (device types), settings (state.settings table), types }.
local TCPSET = {
  mixSetApiNew = { kinds = { mix = true }, settings = "mix", types = {
    pf_sys_year = SYSTEM_TIME_MIX,
    mix_ac_charge_time_period = three_schedules { PCT, PCT, BIT, apply = function(b, v)
      b.chargePowerCommand, b.wchargeSOCLowLimit, b.acChargeEnable = num(v[1]), num(v[2]), num(v[3])
      set_schedules(b, "forcedCharge", v, 4)
    end },
    mix_ac_discharge_time_period = three_schedules { PCT, PCT, apply = function(b, v)
      b.disChargePowerCommand, b.wdisChargeSOCLowLimit = num(v[1]), num(v[2])
      set_schedules(b, "forcedDischarge", v, 3)
    end },
    backflow_setting = { BIT, PCT, apply = function(b, v)
      b.backflow_setting, b.exportLimitPowerRate = num(v[1]), num(v[2])
    end },
    mix_off_grid_enable = field("epsFunEn", BIT),
    mix_ac_discharge_frequency = field("epsFreqSet", BIT),
    mix_ac_discharge_voltage = field("epsVoltSet", MODE),
  } },
  -- The SPH stands in for an AC-coupled (SPA) inverter: its charge schedule is the same bean's.
  spaSetApi = { kinds = { mix = true }, settings = "mix", types = {
    pf_sys_year = SYSTEM_TIME_MIX,
    spa_ac_charge_time_period = three_schedules { PCT, PCT, apply = function(b, v)
      b.chargePowerCommand, b.wchargeSOCLowLimit = num(v[1]), num(v[2])
      set_schedules(b, "forcedCharge", v, 3)
    end },
  } },
  tlxSet = { kinds = { tlx = true }, settings = "tlx", types = {
    pf_sys_year = field("sysTime", datetime),
    charge_power = field("chargePowerCommand", PCT),
    charge_stop_soc = field("wchargeSOCLowLimit", PCT),
    discharge_power = field("disChargePowerCommand", PCT),
    discharge_stop_soc = field("wdisChargeSOCLowLimit", PCT),
    on_grid_discharge_stop_soc = field("onGridDischargeStopSOC", PCT),
    ac_charge = field("acChargeEnable", BIT),
  } },
}
for id = 1, 9 do
  TCPSET.tlxSet.types["time_segment" .. id] = { MODE, HOUR, MINUTE, HOUR, MINUTE, BIT,
    apply = function(b, v) return set_segment(b, v, id) end }
end

-- tcpSet.do (classic inverters): paramId -> command_1, command_2 and the `inv` field(s) set.
local CLASSIC = {
  pv_on_off = { among("0001", "0000"), anything,
                apply = function(inv, v) inv.onOff = v[1] == "0001" and "1" or "0" end },
  pv_active_p_rate = { PCT, anything, apply = function(inv, v) inv.activeRate = num(v[1]) end },
  pv_reactive_p_rate = { PCT, among("over", "under"), apply = function(inv, v)
    inv.reactiveRate, inv.pfModel = num(v[1]), v[2] == "over" and "1" or "2"
  end },
  pf_sys_year = { datetime, anything, apply = function(inv, v) inv.sysTime = v[1] end },
  pv_power_factor = { function(v) return number_in(-1, -0.8)(v) or number_in(0.8, 1)(v) end, anything,
                      apply = function(inv, v) inv.pf = v[1] end },
  pv_grid_voltage_high = { number_in(230, 300), anything, apply = function(inv, v) inv.voltageHighLimit = v[1] end },
  pv_grid_voltage_low = { number_in(150, 230), anything, apply = function(inv, v) inv.voltageLowLimit = v[1] end },
}

-- Noah (type -> checks and the `noah` table fields of the device set).
local function noah_segment(id)
  return { BIT, HOUR, MINUTE, HOUR, MINUTE, { 0, 800 }, apply = function(n, v)
    for i = #n.time_segments + 1, id - 1 do n.time_segments[i] = "0_0:0_0:0_0" end
    n.time_segments[id] = table.concat({ num(v[1]), clock(v[2], v[3]), clock(v[4], v[5]), num(v[6]) }, "_")
  end }
end

local NOAH = {
  default_power = { { 0, 800 }, apply = function(n, v) n.default_power = tonumber(v[1]) end },
  charging_soc = { { 70, 100 }, { 0, 30 }, apply = function(n, v)
    n.charging_soc_high, n.charging_soc_low = tonumber(v[1]), tonumber(v[2])
  end },
  work_mode = { BIT, apply = function(n, v) n.work_mode = tonumber(v[1]) end },
}
for id = 1, 9 do NOAH["time_segment" .. id] = noah_segment(id) end

-- Checks the numbered values of a known type and applies them; unknown types are accepted
-- and change nothing (the inverter takes them; the sandbox does not model them).
local function set(types, stype, params, target, prefix)
  local spec = types[stype]
  if not spec then return { success = true, msg = ACCEPTED } end
  local values, why = numbered(params, prefix, #spec)
  if not values then return refused("inv_set_param_error", why) end
  why = out_of_range(values, spec, prefix)
  if why then return refused("inv_set_param_error", why) end
  return spec.apply(target, values) or { success = true, msg = ACCEPTED }
end

---------------------------------------------------------------------------
-- Handlers

-- A settings write: a POST with its parameters in `place`, serialNum a device of the user of
-- a type in `kinds`, and the parameter `key` naming the write among `types`; set() checks
-- and applies the numbered values to target(ctx, device).
local function write(req, ctx, place, kinds, key, types, target, prefix)
  local wrong = malformed(req, "POST", place)
  if wrong then return wrong end
  local p = ctx.params
  local device = own_device(ctx, p.serialNum, kinds)
  if not device then return refused("device_not_exist", "no such device: " .. tostring(p.serialNum)) end
  if not p[key] then return refused("inv_set_param_error", key .. " is required") end
  return set(types, p[key], p, target(ctx, device), prefix)
end

-- POST newTcpsetAPI.do op=mixSetApiNew|spaSetApi|tlxSet: everything in the query, or (the
-- TLX time segment) op in the query and the rest in the form. `place` forces one place.
local function tcpset(op, place)
  local spec = TCPSET[op]
  local function bean(ctx) return ctx.state.settings[spec.settings][ctx.params.serialNum] end
  return function(req, ctx)
    local where = place or (op == "tlxSet" and place_of(req) == "form" and "form" or "query")
    return write(req, ctx, where, spec.kinds, "type", spec.types, bean, "param")
  end
end

-- POST tcpSet.do action=inverterSet: everything in the query.
local function classic_set(req, ctx)
  return write(req, ctx, "query", { inverter = true }, "paramId", CLASSIC,
               function(c) return c.state.settings.classic[c.params.serialNum] end, "command_")
end

-- POST noahDeviceApi/noah/set: everything in the form. Answers in Noah's envelope as well.
local function noah_set(req, ctx)
  local reply = write(req, ctx, "form", { noah = true }, "type", NOAH,
                      function(_, device) return device.noah end, "param")
  reply.result = reply.success and 1 or 0
  return reply
end

-- GET newPlantAPI.do op=getPlant plantId: the flat plant settings.
local function get_plant(req, ctx)
  local wrong = malformed(req, "GET", "query")
  if wrong then return no_read(wrong.error) end
  local id = ctx.params.plantId
  if not data.plant_of(ctx.state, ctx.account, id) then
    return no_read("no plant " .. tostring(id) .. " for this user")
  end
  return ctx.state.settings.plants[id]
end

-- updatePlant's fields (all required, as the real form): field -> getPlant key, check.
local PLANT_FIELDS = {
  plantName = { "plantName", function(v) return v ~= "" end },
  plantTimezone = { "timezone", function(v) return number_in(-12, 14)(v) and v:match("^%-?%d+$") end, tonumber },
  plantCity = { "city" }, plantCountry = { "country" }, plantAddress = { "plantAddress" },
  plantLat = { "plant_lat", number_in(-90, 90) }, plantLng = { "plant_lng", number_in(-180, 180) },
  plantPower = { "nominalPower", function(v) return v:match("^%d+$") and tonumber(v) > 0 end, tonumber },
  plantIncome = { "formulaMoneyStr", number_in(0, 1000) }, plantMoney = { "formulaMoneyUnitId" },
  plantCoal = { "formulaCoal", number_in(0, 10) }, plantSo2 = { "formulaSo2", number_in(0, 10) },
  plantCo2 = { "formulaCo2", number_in(0, 10) }, plantType = { "plantType", number_in(0, 9), tonumber },
  plantDate = { "createDateText", function(v) return v:match("^%d%d%d%d%-%d%d%-%d%d$") end },
  plantFirm = { nil, among("0") }, accountName = { nil, anything }, plantID = { nil, anything },
}

-- POST newTwoPlantAPI.do?op=updatePlant with a multipart body of plain fields.
local function update_plant(req, ctx)
  local wrong = malformed(req, "POST", "multipart")
  if wrong then return wrong end
  local f = ctx.params
  for name, spec in pairs(PLANT_FIELDS) do
    if f[name] == nil then return refused("plant_set_param_error", name .. " is required") end
    if spec[2] and not spec[2](f[name]) then
      return refused("plant_set_param_error", name .. " " .. f[name] .. " is not acceptable")
    end
  end
  local plant = data.plant_of(ctx.state, ctx.account, f.plantID)
  if not plant or f.accountName ~= ctx.account.name then
    return refused("plant_not_exist", "no plant " .. f.plantID .. " of account " .. f.accountName)
  end
  local settings = ctx.state.settings.plants[f.plantID]
  for name, spec in pairs(PLANT_FIELDS) do
    if spec[1] then settings[spec[1]] = (spec[3] or tostring)(f[name]) end
  end
  settings.formulaMoney = tonumber(f.plantIncome)
  plant.name = f.plantName -- a rename shows in every read, as on the real server
  return { success = true, msg = "" }
end

-- A device settings read: path's op, the parameter naming the device, its kinds, where the
-- parameters go, and the payload.
local function device_read(method, place, param, kinds, build)
  return function(req, ctx)
    local wrong = malformed(req, method, place)
    if wrong then return no_read(wrong.error) end
    local device = own_device(ctx, ctx.params[param], kinds)
    if not device then return no_read("no such device: " .. tostring(ctx.params[param])) end
    local payload, why = build(ctx, device)
    if not payload then return no_read(why) end
    return { result = 1, msg = "", obj = payload }
  end
end

-- GET newMixApi.do op=getMixSetParams serialNum kind=0
local mix_settings = device_read("GET", "query", "serialNum", { mix = true }, function(ctx, device)
  if ctx.params.kind ~= "0" then return nil, "kind must be 0" end
  return { mixBean = ctx.state.settings.mix[device.sn] }
end)

-- POST newTlxApi.do op=getTlxSetData, form serialNum
local tlx_settings = device_read("POST", "form", "serialNum", { tlx = true }, function(ctx, device)
  return { tlxSetBean = ctx.state.settings.tlx[device.sn] }
end)

-- The settings the MIN lets its owner change ("1") and those it does not ("0").
local ENABLED = { "ac_charge", "charge_power", "charge_stop_soc", "discharge_power", "discharge_stop_soc",
                  "on_grid_discharge_stop_soc", "pf_sys_year" }

-- POST newLoginAPI.do op=getSetPass, form deviceSn, stringTime (a day), type=5
local tlx_enabled = device_read("POST", "form", "deviceSn", { tlx = true }, function(ctx)
  local p = ctx.params
  if not (p.stringTime or ""):match("^%d%d%d%d%-%d%d%-%d%d$") then return nil, "stringTime must be YYYY-MM-DD" end
  if p.type ~= "5" then return nil, "type must be 5" end
  local enable = { backflow_setting = "0", pv_reactive_p_rate = "0" }
  for _, name in ipairs(ENABLED) do enable[name] = "1" end
  for id = 1, 9 do enable["time_segment" .. id] = "1" end
  return { enable = enable }
end)

-- The classic inverter's settings page: its data in `inv=JSON.parse('...')` on one line.
local function inverter_page(server, inv)
  local script = ""
  if inv then
    local text = server.encode(inv):gsub("'", "\\u0027"):gsub("</", "<\\/")
    script = "<script type=\"text/javascript\">\n  var inv=JSON.parse('" .. text .. "');\n" ..
      "  $(function () { showInverter(inv); });\n</script>\n"
  end
  local page = "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Inverter setting</title></head>\n" ..
    "<body>\n<div class=\"inv-set\" id=\"invSet\">" .. (inv and "" or "No inverter data.") .. "</div>\n" ..
    script .. "</body>\n</html>\n"
  return server.reply(200, page, { ["Content-Type"] = "text/html;charset=UTF-8" })
end

-- GET commonDeviceSetC/setInverter?type=server&invSn=<sn>; without a known inverter the page
-- has no data (as the real page shows an empty form).
local function classic_page(req, ctx)
  local p = ctx.params
  local device = malformed(req, "GET", "query") == nil and p.type == "server"
    and own_device(ctx, p.invSn, { inverter = true })
  return inverter_page(ctx.server, device and ctx.state.settings.classic[device.sn])
end

function M.register(server)
  local session = { session = true }
  server.route("newPlantAPI.do", "getPlant", get_plant, session)
  server.route("newTwoPlantAPI.do", "updatePlant", update_plant, session)
  server.route("newMixApi.do", "getMixSetParams", mix_settings, session)
  server.route("newTlxApi.do", "getTlxSetData", tlx_settings, session)
  server.route("newLoginAPI.do", "getSetPass", tlx_enabled, session)
  for op in pairs(TCPSET) do server.route("newTcpsetAPI.do", op, tcpset(op), session) end
  server.route("tcpSet.do", "inverterSet", classic_set, session)
  -- growattServer 1.4.0 posted the SPH and SPA writes to tcpSet.do, op and all in the form.
  for _, op in ipairs({ "mixSetApiNew", "spaSetApi" }) do server.route("tcpSet.do", op, tcpset(op, "form"), session) end
  server.route("noahDeviceApi/noah/set", nil, noah_set, session)
  server.route("commonDeviceSetC/setInverter", nil, classic_page, session)
end

return M
