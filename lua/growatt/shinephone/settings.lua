--- Settings of the ShinePhone API: the reads of current settings, the writes, and the
-- validation every write passes before anything is sent. The writes' argument kinds are in
-- growatt.shinephone.kinds, the validation rules in .rules, and how parameter values go on
-- the wire in .values.
--
-- Writes (protocol.md §3) return the server's reply as it is, or nil and an error: kind
-- `api` when the server refused (`success: false`; `code` is its msg), kind `invalid` when
-- a value failed the rules below (`param` names the parameter; nothing was sent).
-- Every write takes one more, optional argument after its own: per-call options,
-- `{ dry_run = true }`, which returns the request instead of sending it (as the api-wide
-- `dry_run` option does).
--
-- Parameters: a list becomes param1..paramN; a table with names is sent as given. A Lua
-- table has no order, so its names go on the wire sorted: alphabetically, and numbered
-- names (param2, param10, command_1) by their number. They are merged over the call's
-- fixed parameters as a Python dict is: a name already there keeps its place and takes
-- the new value; a new name goes at the end. Values are strings or numbers.

local client = require("growatt.engine.client")
local reply = require("growatt.engine.reply")
local errors = require("growatt.errors")
local json = require("growatt.json")
local A = require("growatt.shinephone.endpoints").A
local values = require("growatt.shinephone.values")
local kinds = require("growatt.shinephone.kinds")
local rules = require("growatt.shinephone.rules")

local settings = {}

settings.str, settings.pairs_of, settings.merge = values.str, values.pairs_of, values.merge
local pairs_of = values.pairs_of

--- The rules (growatt.shinephone.rules): param types, classic types, the families and check.
settings.types, settings.classic_types = rules.types, rules.classic_types
settings.families, settings.check = rules.families, rules.check

---------------------------------------------------------------------------
-- Finishing a write's request (the `finish` hook of growatt.Api._complete): the parameters
-- that depend on the caller's tables, then the rules.

-- The op/action among a request's pairs.
local function op_of(list)
  for _, p in ipairs(list) do
    if p[1] == "op" or p[1] == "action" then return p[2] end
  end
end

-- Merges the tables returned by ep.params(...) into the request's `ep.into` pairs
-- ("query" or "form"), then checks them.
local function merged(_, ep, req, _, ...)
  local list = req[ep.into] or {}
  for _, t in ipairs({ ep.params(...) }) do
    if type(t) ~= "table" then t = { t } end -- one value: param1
    settings.merge(list, pairs_of(t))
  end
  req[ep.into] = list
  local all = {} -- the op may be in the query and the parameters in the form
  for _, where in ipairs({ req.query or {}, req.form or {} }) do
    for _, p in ipairs(where) do all[#all + 1] = p end
  end
  req.op = op_of(all)
  local err = settings.check(all)
  if err then return nil, err end
  return req
end

-- update_plant_settings: multipart field <- getPlant key (protocol.md §3.4), in the
-- reference's order; plantFirm is always "0".
local PLANT_FORM = {
  { "plantCoal", "formulaCoal" }, { "plantSo2", "formulaSo2" }, { "accountName", "userAccount" },
  { "plantID", "id" }, { "plantFirm", value = "0" }, { "plantCountry", "country" },
  { "plantType", "plantType" }, { "plantIncome", "formulaMoneyStr" }, { "plantAddress", "plantAddress" },
  { "plantTimezone", "timezone" }, { "plantLng", "plant_lng" }, { "plantCity", "city" },
  { "plantCo2", "formulaCo2" }, { "plantMoney", "formulaMoneyUnitId" }, { "plantPower", "nominalPower" },
  { "plantLat", "plant_lat" }, { "plantDate", "createDateText" }, { "plantName", "plantName" },
}

-- Fetches the current settings unless given (or in a dry run, which sends nothing: its
-- request then has `current_settings = false` and `before`, the read a real call sends
-- first, and its multipart holds only the fields known without them).
local function plant_form(api, _, req, dry_run, plant_id, changed, current)
  local fetched = current == nil and not dry_run
  if fetched then
    local err
    current, err = api:plant_settings(plant_id)
    if not current then return nil, err end
  end
  local form = {}
  for _, f in ipairs(PLANT_FORM) do
    local v = f.value
    if not v and current then
      v = settings.str(current[f[2]])
      if not v then
        return nil, errors.new(fetched and "protocol" or "invalid",
          ("current settings have no plain value '%s' (for %s)"):format(f[2], f[1]), { param = f[1] })
      end
    end
    if v then form[#form + 1] = { f[1], v } end
  end
  local more = pairs_of(changed)
  for _, p in ipairs(more) do p[2] = settings.str(p[2]) end
  req.multipart = settings.merge(form, more)
  req.op = "updatePlant"
  if not current then
    req.current_settings = false
    req.before = api:_prepare(client.build(settings.endpoints.plant_settings, "plant_settings", plant_id))
  end
  return req
end

-- The reply of update_tlx_inverter_time_segment: as the reference, anything but a true
-- `success` is a failure.
local function segment_result(v)
  if v.success == true then return v end
  local msg = v.msg ~= nil and tostring(v.msg) or "Unknown error"
  return nil, errors.new("api", "failed to update TLX inverter time segment: " .. msg, { code = v.msg, response = v })
end

-- tlx_all_settings returns obj.tlxSetBean.
local function set_bean(v)
  local obj, err = reply.extract(v, "obj")
  if obj == nil then return nil, err end
  if type(obj.tlxSetBean) ~= "table" then
    return nil, errors.new("protocol", "the reply has no obj.tlxSetBean", { response = v })
  end
  return obj.tlxSetBean
end

--- classic_inverter_info's page: the object in `inv=JSON.parse('{...}')` on one line.
function settings.classic_info(page)
  local text = page:match("inv=JSON%.parse%('({[^\n]-})'%)")
  if not text then
    return nil, errors.new("protocol", "the settings page has no inverter data (inv=JSON.parse)")
  end
  local v = json.decode(text)
  if type(v) ~= "table" then
    return nil, errors.new("protocol", "the settings page's inverter data is not a JSON object")
  end
  return v
end

---------------------------------------------------------------------------
-- Endpoint entries (the format of growatt.shinephone.endpoints, plus `finish`, `params` and `into`).

local SN = { "serial_number", "id" }

-- A write over update_inverter_setting's wire form: POST newTcpsetAPI.do, everything in
-- the query: op, serialNum, type, then the parameters (protocol.md §3.2).
local function tcpset(op, params_kind_name)
  return {
    method = "POST", path = "newTcpsetAPI.do", write = true, result = "raw",
    args = { SN, { "setting_type", "string" }, { "parameters", params_kind_name } },
    query = { { "op", op }, { "serialNum", A "serial_number" }, { "type", A "setting_type" } },
    finish = merged, into = "query", params = function(_, _, p) return p end,
  }
end

-- A classic inverter's tcpSet.do command (protocol.md §3.6): everything in the query.
local function classic(param_id, arg)
  return {
    method = "POST", path = "tcpSet.do", write = true, result = "raw",
    args = { SN, arg },
    query = { { "action", "inverterSet" }, { "serialNum", A "serial_number" }, { "paramId", param_id },
              { "command_1", A(arg[1]) }, { "command_2", "" } },
    finish = merged, into = "query", params = function() return {} end,
  }
end

local function hh_mm(t)
  local h, m = kinds.clock(t)
  return string.format("%02d", h), string.format("%02d", m)
end

settings.endpoints = {
  plant_settings = {
    method = "GET", path = "newPlantAPI.do", result = "raw",
    args = { { "plant_id", "id" } },
    query = { { "op", "getPlant" }, { "plantId", A "plant_id" } },
  },
  update_plant_settings = {
    method = "POST", path = "newTwoPlantAPI.do?op=updatePlant", write = true, result = "raw",
    args = { { "plant_id", "id" }, { "changed_settings", "named" },
             { "current_settings", "settings_table", optional = true } },
    finish = plant_form,
  },
  update_inverter_setting = {
    method = "POST", path = "newTcpsetAPI.do", write = true, result = "raw",
    args = { { "serial_number", "id", optional = true }, { "setting_type", "string", optional = true },
             { "default_parameters", "named" }, { "parameters", "params" } },
    query = {},
    finish = merged, into = "query", params = function(_, _, defaults, p) return defaults, p end,
  },
  update_mix_inverter_setting = tcpset("mixSetApiNew", "params"),
  update_ac_inverter_setting = tcpset("spaSetApi", "params"),
  update_tlx_inverter_setting = tcpset("tlxSet", "param_or_params"),
  update_tlx_inverter_time_segment = {
    method = "POST", path = "newTcpsetAPI.do", write = true, result = segment_result,
    args = { SN, { "segment_id", "segment" }, { "batt_mode", "text" }, { "start_time", "clock" },
             { "end_time", "clock" }, { "enabled", "flag" } },
    query = { { "op", "tlxSet" } },
    form = { { "serialNum", A "serial_number" }, { "type", A "segment_id" } },
    finish = merged, into = "form",
    params = function(_, _, mode, start, stop, enabled)
      local h1, m1 = hh_mm(start)
      local h2, m2 = hh_mm(stop)
      return { settings.str(mode), h1, m1, h2, m2, kinds.truth(enabled) and "1" or "0" }
    end,
  },
  tlx_all_settings = {
    method = "POST", path = "newTlxApi.do", result = set_bean,
    args = { { "tlx_id", "id" } },
    query = { { "op", "getTlxSetData" } }, form = { { "serialNum", A "tlx_id" } },
  },
  tlx_enabled_settings = {
    method = "POST", path = "newLoginAPI.do", result = "obj",
    args = { { "tlx_id", "id" }, { "date", "date" } },
    query = { { "op", "getSetPass" } },
    form = { { "deviceSn", A "tlx_id" }, { "stringTime", A "date" }, { "type", "5" } },
  },
  get_mix_inverter_settings = {
    method = "GET", path = "newMixApi.do", result = "raw",
    args = { SN },
    query = { { "op", "getMixSetParams" }, { "serialNum", A "serial_number" }, { "kind", 0 } },
  },
  update_noah_settings = {
    method = "POST", path = "noahDeviceApi/noah/set", write = true, result = "raw",
    args = { SN, { "setting_type", "string" }, { "parameters", "params" } },
    form = { { "serialNum", A "serial_number" }, { "type", A "setting_type" } },
    finish = merged, into = "form", params = function(_, _, p) return p end,
  },
  update_classic_inverter_setting = {
    method = "POST", path = "tcpSet.do", write = true, result = "raw",
    args = { { "default_parameters", "named" }, { "parameters", "params" } },
    query = {},
    finish = merged, into = "query", params = function(defaults, p) return defaults, p end,
  },
  set_classic_inverter_active_power_rate = classic("pv_active_p_rate", { "rate", "text" }),
  set_classic_inverter_on_off = classic("pv_on_off", { "enabled", "on_off" }),
  classic_inverter_info = {
    method = "GET", path = "commonDeviceSetC/setInverter", expect = "text", result = settings.classic_info,
    args = { { "device_sn", "id" } },
    query = { { "type", "server" }, { "invSn", A "device_sn" } },
  },
}
-- What each method is for (tools/gendocs.lua makes docs/api.md and types/ from it; examples
-- where the sample arguments would not make a valid call).
local docs = {
  plant_settings = { "A plant's settings, as update_plant_settings reads them.",
    returns = "flat: `plantName`, `timezone`, `city`, ..." },
  update_plant_settings = { "Changes a plant's settings: reads the current ones unless given, fills the form's "
    .. "18 fields from them and lets `changed_settings` (form field names) override or add fields.",
    example = 'api:update_plant_settings("2222207", { plantName = "Garden" })' },
  update_inverter_setting = { "Any newTcpsetAPI.do write: `default_parameters` (op, serialNum, type, ...) "
    .. "then `parameters`, all in the query.",
    example = 'api:update_inverter_setting("MIN4K00208", "charge_power", '
      .. '{ op = "tlxSet", serialNum = "MIN4K00208", type = "charge_power" }, { "80" })' },
  update_mix_inverter_setting = { "A mix (SPH) inverter setting (op mixSetApiNew); see docs/settings.md.",
    example = 'api:update_mix_inverter_setting("SPH6K00207", "charge_power", { "80" })' },
  update_ac_inverter_setting = { "An AC-coupled (SPA) inverter setting (op spaSetApi); see docs/settings.md.",
    example = 'api:update_ac_inverter_setting("SPH6K00207", "charge_stop_soc", { "90" })' },
  update_tlx_inverter_setting = { "A TLX/MIN inverter setting (op tlxSet); one value is param1.",
    example = 'api:update_tlx_inverter_setting("MIN4K00208", "charge_power", 80)' },
  update_tlx_inverter_time_segment = { "One of a TLX/MIN inverter's nine time-of-use segments; anything but "
    .. "`success: true` in the reply is an `api` error.", returns = "the whole reply",
    example = 'api:update_tlx_inverter_time_segment("MIN4K00208", 1, growatt.BATT_MODE_BATTERY_FIRST, '
      .. '"01:00", "05:00", true)' },
  tlx_all_settings = { "Every setting of a TLX/MIN inverter.", result = "table", returns = "`obj.tlxSetBean`" },
  tlx_enabled_settings = { "Which settings of a TLX/MIN inverter may be changed.",
    returns = "`enable`: setting name -> \"1\"" },
  get_mix_inverter_settings = { "A mix (SPH) inverter's settings.", returns = "`obj.mixBean`" },
  update_noah_settings = { "A Noah battery setting (its types are undocumented: not validated).",
    example = 'api:update_noah_settings("NOAH200209", "default_power", { "200" })' },
  update_classic_inverter_setting = { "Any tcpSet.do write of a classic inverter: `default_parameters` "
    .. "(action, serialNum, paramId) then `parameters` (command_1, command_2).",
    example = 'api:update_classic_inverter_setting({ action = "inverterSet", serialNum = "INV3K00209", '
      .. 'paramId = "pv_active_p_rate" }, { command_1 = "80", command_2 = "" })' },
  set_classic_inverter_active_power_rate = { "A classic inverter's active power rate, in % (pv_active_p_rate)." },
  set_classic_inverter_on_off = { "Turns a classic inverter on or off (pv_on_off, \"0001\" / \"0000\")." },
  classic_inverter_info = { "A classic inverter's settings, read from the app's settings page (HTML).",
    returns = "the page's `inv=JSON.parse('{...}')` object" },
}
for name, doc in pairs(docs) do settings.endpoints[name].doc = doc end
settings.endpoints.get_plant_settings = settings.endpoints.plant_settings -- its name up to 1.x

return settings
