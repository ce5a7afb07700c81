-- ShinePhone settings endpoints of the sandbox: the plant settings (getPlant, updatePlant),
-- the inverter settings reads (getMixSetParams, getTlxSetData, getSetPass, the classic
-- inverter's HTML page) and every settings write (newTcpsetAPI.do, tcpSet.do, Noah's set).
--
-- It plays the inverter as well as the cloud: a write is checked as the real device would
-- check it (its serial belongs to the session's user, the parameters are where the
-- reference sends them, each value in range, TLX time segments do not overlap) and, when
-- accepted, changes state.settings (seeded by defaults.lua) or the Noah's `noah` table, so
-- that the next read shows it. Accepted writes answer {"success":true,"msg":"inv_set_success"};
-- refused ones {"success":false,"msg":<code>,"error":<why>}.
-- Runs inside nginx (LuaJIT); registered by server.init via register(server).
-- What a write checks and changes is settings/writes.lua's; what the inverters accept,
-- settings/checks.lua's.
local data = require("growatt.sandbox.data")
local checks = require("growatt.sandbox.settings.checks")
local number_in, among, anything = checks.number_in, checks.among, checks.anything
local writes = require("growatt.sandbox.settings.writes")
local refused, TCPSET, CLASSIC, NOAH = writes.refused, writes.TCPSET, writes.CLASSIC, writes.NOAH

local M = {}

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
  return writes.set(types, p[key], p, target(ctx, device), prefix)
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
