-- Every settings read and write of the ShinePhone API against the sandbox: the exact request
-- the sandbox received (method, path, op, every parameter, its placement and order), what
-- the caller got back, the state round trip (written, then read back), refusals, every
-- validation rule (nothing sent), dry runs per api and per call, and misuse.
local growatt = require("growatt")
local S = require("spec.support.sandbox")

local MIX, TLX, CLASSIC, NOAH = "SPH6K00207", "MIN4K00208", "INV3K00209", "NOAH200209"
local PLANT = "2222207"
local unpack = table.unpack or unpack

-- The reference's 18-parameter AC charge schedule (settings_example.py).
local SCHEDULE = { "100", "100", "1", "00", "40", "04", "20", "1", "00", "00", "00", "00", "0",
                   "00", "00", "00", "00", "0" }
-- The reference's 17-parameter SPA schedule (settings_example_AC.py).
local SPA = { "100", "40", "0", "40", "04", "30", "1", "00", "00", "00", "00", "0", "00", "00", "00", "00", "0" }

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

-- name=value pairs as the sandbox shows them (strings; integral numbers without ".0").
local function strings(list)
  local out = {}
  for i, p in ipairs(list or {}) do
    local v = p[2]
    if type(v) == "number" and v == math.floor(v) then v = string.format("%d", v) end
    out[i] = { p[1], tostring(v) }
  end
  return out
end

local function param_pairs(values, first)
  local out = first or {}
  for i, v in ipairs(values) do out[#out + 1] = { "param" .. i, v } end
  return out
end

local PLANT_FIELDS = { "plantCoal", "plantSo2", "accountName", "plantID", "plantFirm", "plantCountry", "plantType",
                       "plantIncome", "plantAddress", "plantTimezone", "plantLng", "plantCity", "plantCo2",
                       "plantMoney", "plantPower", "plantLat", "plantDate", "plantName" }

describe("ShinePhone settings", function()
  local url, api
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    api = growatt.new({ server_url = url })
    assert(api:login("demo", "demo-password"))
  end)

  -- Asserts the last request the sandbox received: method, path and every pair in order.
  local function received(method, path, query, form, multipart)
    local r = S.last()
    assert.equal(method, r.method)
    assert.equal(path, r.path)
    assert.same(query, r.query)
    assert.same(form or {}, r.form)
    assert.same(multipart or {}, strings(r.multipart))
    if not form and not multipart then assert.equal("", r.body) end
    return r
  end

  -- Runs fn and asserts it sent nothing.
  local function sends_nothing(fn)
    local before = #S.requests()
    local a, b = fn()
    assert.equal(before, #S.requests())
    return a, b
  end

  local ACCEPTED = { success = true, msg = "inv_set_success" }

  describe("plant settings", function()
    local QUERY = { { "op", "getPlant" }, { "plantId", PLANT } }

    it("plant_settings gets getPlant's flat object", function()
      local s = assert(api:plant_settings(PLANT))
      received("GET", "newPlantAPI.do", QUERY)
      assert.equal(2222207, s.id)
      if math.type then assert.equal("integer", math.type(s.id)) end
      assert.equal("Garden mix + storage", s.plantName)
      assert.equal(1, s.timezone)
      assert.equal("demo", s.userAccount)
      assert.equal("2021-04-17", s.createDateText)
      assert.equal(121, s.createDate.year)
      assert.equal("52.0907", s.plant_lat)
      assert.equal("euro", s.formulaMoneyUnitId)
    end)

    it("get_plant_settings is the same call under its old name", function()
      local old = assert(api:get_plant_settings(PLANT))
      received("GET", "newPlantAPI.do", QUERY)
      assert.same(assert(api:plant_settings(PLANT)), old)
    end)

    it("a plant of another user is refused", function()
      local s, err = api:plant_settings("3333301")
      assert.is_nil(s)
      assert.equal("api", err.kind)
      assert.equal(0, err.response.result)
      received("GET", "newPlantAPI.do", { { "op", "getPlant" }, { "plantId", "3333301" } })
    end)

    it("update_plant_settings reads the current settings, then posts every field as multipart", function()
      local reply = assert(api:update_plant_settings(PLANT, { plantTimezone = 0, plantName = "Renamed" }))
      assert.same({ success = true, msg = "" }, reply)
      local log = S.requests()
      assert.equal(3, #log) -- login, getPlant, updatePlant
      assert.equal("getPlant", log[2].op)
      local r = received("POST", "newTwoPlantAPI.do", { { "op", "updatePlant" } }, nil, {
        { "plantCoal", "0.4" }, { "plantSo2", "0.03" }, { "accountName", "demo" }, { "plantID", "2222207" },
        { "plantFirm", "0" }, { "plantCountry", "Netherlands" }, { "plantType", "0" }, { "plantIncome", "0.25" },
        { "plantAddress", "Zonnestraat 7" }, { "plantTimezone", "0" }, { "plantLng", "5.1214" },
        { "plantCity", "Utrecht" }, { "plantCo2", "0.997" }, { "plantMoney", "euro" }, { "plantPower", "6000" },
        { "plantLat", "52.0907" }, { "plantDate", "2021-04-17" }, { "plantName", "Renamed" } })
      assert.matches("^multipart/form%-data", r.content_type)
      for _, part in ipairs(r.multipart) do assert.is_nil(part[3]) end -- plain fields, no file names
      local s = assert(api:plant_settings(PLANT))
      assert.equal("Renamed", s.plantName)
      assert.equal(0, s.timezone)
      local names = {}
      for _, p in ipairs(assert(api:plant_list(1234567)).data) do names[p.plantId] = p.plantName end
      assert.equal("Renamed", names[PLANT]) -- the rename shows in the reads too
    end)

    it("update_plant_settings with the current settings given sends only the update; new keys go last, sorted",
      function()
        local current = assert(api:plant_settings(PLANT))
        local before = #S.requests()
        assert(api:update_plant_settings(PLANT, { zeta = "z", alpha = 1.5, plantCity = "Zeist" }, current))
        assert.equal(before + 1, #S.requests())
        local parts = strings(S.last().multipart)
        assert.equal(20, #parts)
        assert.same({ "plantCity", "Zeist" }, parts[12])
        assert.same({ { "alpha", "1.5" }, { "zeta", "z" } }, { parts[19], parts[20] })
        assert.equal("Zeist", assert(api:plant_settings(PLANT)).city)
      end)

    it("a refused update is an api error with the server's msg, and changes nothing", function()
      local reply, err = api:update_plant_settings(PLANT, { plantTimezone = "99" })
      assert.is_nil(reply)
      assert.equal("api", err.kind)
      assert.equal("plant_set_param_error", err.code)
      assert.is_false(err.response.success)
      assert.equal(1, assert(api:plant_settings(PLANT)).timezone)
    end)

    it("given current settings without a field the form needs: invalid, nothing sent", function()
      local current = assert(api:plant_settings(PLANT))
      current.formulaCoal = nil
      local reply, err = sends_nothing(function() return api:update_plant_settings(PLANT, {}, current) end)
      assert.is_nil(reply)
      assert.equal("invalid", err.kind)
      assert.equal("plantCoal", err.param)
      assert.matches("formulaCoal", err.message)
    end)

    it("fetched settings without a field the form needs: a protocol error, the update is not sent", function()
      S.state({ settings = { plants = { [PLANT] = { plantName = growatt.null } } } })
      local reply, err = api:update_plant_settings(PLANT, { plantTimezone = "0" })
      assert.is_nil(reply)
      assert.equal("protocol", err.kind)
      assert.equal("plantName", err.param)
      assert.equal("getPlant", S.last().op)
    end)

    it("a plant of another user: the read's refusal, nothing posted", function()
      local _, err = api:update_plant_settings("3333301", { plantName = "Mine now" })
      assert.equal("api", err.kind)
      assert.equal("getPlant", S.last().op)
    end)

    it("a dry run without current settings sends nothing, not even the read, and says so", function()
      local req = sends_nothing(function()
        return api:update_plant_settings(PLANT, { plantTimezone = "0" }, nil, { dry_run = true })
      end)
      assert.equal("POST", req.method)
      assert.equal(url .. "newTwoPlantAPI.do?op=updatePlant", req.url)
      assert.same({ { "plantFirm", "0" }, { "plantTimezone", "0" } }, req.multipart)
      assert.is_false(req.current_settings)
      assert.equal("GET", req.before.method)
      assert.equal(url .. "newPlantAPI.do", req.before.url)
      assert.same(QUERY, req.before.query)
    end)

    it("a dry run with current settings is the request a real call then sends", function()
      local current = assert(api:plant_settings(PLANT))
      local req = sends_nothing(function()
        return api:update_plant_settings(PLANT, { plantName = "Dry" }, current, { dry_run = true })
      end)
      assert.is_nil(req.current_settings)
      assert(api:update_plant_settings(PLANT, { plantName = "Dry" }, current))
      local r = S.last()
      assert.equal(req.method, r.method)
      assert.equal(url .. r.path .. "?op=" .. r.op, req.url)
      assert.same(req.multipart, strings(r.multipart))
      local names = {}
      for i, p in ipairs(req.multipart) do names[i] = p[1] end
      assert.same(PLANT_FIELDS, names)
    end)

    it("raises on wrong argument types and sends nothing", function()
      sends_nothing(function()
        assert.has_error(function() api:update_plant_settings({}, {}) end,
          "bad argument 'plant_id' to 'update_plant_settings' (string or number expected, got table)")
        assert.has_error(function() api:update_plant_settings(PLANT, "x") end,
          "bad argument 'changed_settings' to 'update_plant_settings' (table expected, got string)")
        assert.has_error(function() api:update_plant_settings(PLANT, { "0" }) end,
          "bad argument 'changed_settings' to 'update_plant_settings' (a table with names expected, got a list)")
        assert.has_error(function() api:update_plant_settings(PLANT, { plantName = true }) end,
          "bad argument 'changed_settings' to 'update_plant_settings' " ..
          "(string or number values expected, got boolean at plantName)")
        assert.has_error(function() api:update_plant_settings(PLANT, {}, "current") end,
          "bad argument 'current_settings' to 'update_plant_settings' (table expected, got string)")
      end)
    end)
  end)

  describe("mix and AC-coupled writes", function()
    it("get_mix_inverter_settings gets getMixSetParams as it is", function()
      local reply = assert(api:get_mix_inverter_settings(MIX))
      received("GET", "newMixApi.do", { { "op", "getMixSetParams" }, { "serialNum", MIX }, { "kind", "0" } })
      assert.equal(1, reply.result)
      assert.equal("100", reply.obj.mixBean.chargePowerCommand)
      assert.equal("0:0", reply.obj.mixBean.forcedChargeTimeStart1)
    end)

    it("update_mix_inverter_setting sends everything in the query; the value is read back", function()
      local reply = assert(api:update_mix_inverter_setting(MIX, "pf_sys_year", { param1 = "2026-11-25 08:30:00" }))
      assert.same(ACCEPTED, reply)
      received("POST", "newTcpsetAPI.do", { { "op", "mixSetApiNew" }, { "serialNum", MIX }, { "type", "pf_sys_year" },
                                           { "param1", "2026-11-25 08:30:00" } })
      assert.equal("2026-11-25 08:30:00", assert(api:get_mix_inverter_settings(MIX)).obj.mixBean.pf_sys_year)
    end)

    it("a list becomes param1..param18 in order: the AC charge schedule is read back", function()
      assert.same(ACCEPTED, assert(api:update_mix_inverter_setting(MIX, "mix_ac_charge_time_period", SCHEDULE)))
      received("POST", "newTcpsetAPI.do", param_pairs(SCHEDULE, { { "op", "mixSetApiNew" }, { "serialNum", MIX },
                                                                 { "type", "mix_ac_charge_time_period" } }))
      local bean = assert(api:get_mix_inverter_settings(MIX)).obj.mixBean
      assert.same({ "1", "0:40", "4:20", "1", "0" },
        { bean.acChargeEnable, bean.forcedChargeTimeStart1, bean.forcedChargeTimeStop1, bean.forcedChargeStopSwitch1,
          bean.forcedChargeStopSwitch2 })
    end)

    it("update_ac_inverter_setting sends op=spaSetApi; the 17-parameter schedule is read back", function()
      assert.same(ACCEPTED, assert(api:update_ac_inverter_setting(MIX, "spa_ac_charge_time_period", SPA)))
      received("POST", "newTcpsetAPI.do", param_pairs(SPA, { { "op", "spaSetApi" }, { "serialNum", MIX },
                                                            { "type", "spa_ac_charge_time_period" } }))
      local bean = assert(api:get_mix_inverter_settings(MIX)).obj.mixBean
      assert.same({ "40", "0:40", "4:30", "1" },
        { bean.wchargeSOCLowLimit, bean.forcedChargeTimeStart1, bean.forcedChargeTimeStop1,
          bean.forcedChargeStopSwitch1 })
    end)

    it("update_inverter_setting ignores serial and type, merges defaults and parameters as a dict", function()
      local defaults = { type = "placeholder", serialNum = MIX, op = "mixSetApiNew" }
      local params = { param1 = "1", param2 = "60", type = "backflow_setting" }
      assert.same(ACCEPTED, assert(api:update_inverter_setting("ignored", "ignored", defaults, params)))
      received("POST", "newTcpsetAPI.do", { { "op", "mixSetApiNew" }, { "serialNum", MIX },
                                           { "type", "backflow_setting" }, { "param1", "1" }, { "param2", "60" } })
      local bean = assert(api:get_mix_inverter_settings(MIX)).obj.mixBean
      assert.same({ "1", "60" }, { bean.backflow_setting, bean.exportLimitPowerRate })
    end)

    it("names are sorted, numbered ones by number; an unknown type passes through unchanged", function()
      local params = { param10 = "j", param2 = "b", param1 = "a", note = "x" }
      assert(api:update_mix_inverter_setting(MIX, "some_future_type", params))
      received("POST", "newTcpsetAPI.do", { { "op", "mixSetApiNew" }, { "serialNum", MIX },
                                           { "type", "some_future_type" }, { "note", "x" }, { "param1", "a" },
                                           { "param2", "b" }, { "param10", "j" } })
    end)

    it("numbers go on the wire as the reference's str() writes them", function()
      assert(api:update_mix_inverter_setting(MIX, "backflow_setting", { 1, 55 }))
      assert.same({ { "param1", "1" }, { "param2", "55" } }, { S.last().query[4], S.last().query[5] })
    end)

    it("a write to an unknown device is refused: an api error with the server's msg", function()
      local reply, err = api:update_mix_inverter_setting("SPH0000000", "pf_sys_year", { "2026-11-25 08:30:00" })
      assert.is_nil(reply)
      assert.equal("api", err.kind)
      assert.equal("device_not_exist", err.code)
      assert.same(false, err.response.success)
      assert.matches("device_not_exist", tostring(err))
      received("POST", "newTcpsetAPI.do", { { "op", "mixSetApiNew" }, { "serialNum", "SPH0000000" },
                                           { "type", "pf_sys_year" }, { "param1", "2026-11-25 08:30:00" } })
    end)

    it("a mix write to the MIN is refused by the server (wrong device type)", function()
      local _, err = api:update_mix_inverter_setting(TLX, "pf_sys_year", { "2026-11-25 08:30:00" })
      assert.equal("device_not_exist", err.code)
      received("POST", "newTcpsetAPI.do", { { "op", "mixSetApiNew" }, { "serialNum", TLX }, { "type", "pf_sys_year" },
                                           { "param1", "2026-11-25 08:30:00" } })
    end)
  end)

  describe("TLX (MIN) settings", function()
    it("tlx_all_settings posts serialNum and returns obj.tlxSetBean", function()
      local bean = assert(api:tlx_all_settings(TLX))
      received("POST", "newTlxApi.do", { { "op", "getTlxSetData" } }, { { "serialNum", TLX } })
      assert.equal(TLX, bean.serialNum)
      assert.same({ "1", "1:0", "5:0", "1" }, { bean.time1Mode, bean.forcedTimeStart1, bean.forcedTimeStop1,
                                               bean.forcedStopSwitch1 })
      assert.is_nil(bean.tlxSetBean)
    end)

    it("tlx_all_settings of a device that is not a MIN is refused", function()
      local bean, err = api:tlx_all_settings(MIX)
      assert.is_nil(bean)
      assert.equal("api", err.kind)
      received("POST", "newTlxApi.do", { { "op", "getTlxSetData" } }, { { "serialNum", MIX } })
    end)

    it("tlx_enabled_settings posts to the login path with today's date and type 5; returns obj", function()
      local today = os.date("%Y-%m-%d")
      local obj = assert(api:tlx_enabled_settings(TLX))
      received("POST", "newLoginAPI.do", { { "op", "getSetPass" } },
        { { "deviceSn", TLX }, { "stringTime", today }, { "type", "5" } })
      assert.equal("1", obj.enable.charge_power)
      assert.equal("1", obj.enable.time_segment9)
      assert.equal("0", obj.enable.backflow_setting)
      assert(api:tlx_enabled_settings(TLX, "2026-11-05"))
      assert.same({ "stringTime", "2026-11-05" }, S.last().form[2])
    end)

    it("update_tlx_inverter_setting: one value is param1, in the query; it is read back", function()
      assert.same(ACCEPTED, assert(api:update_tlx_inverter_setting(TLX, "charge_power", 55)))
      received("POST", "newTcpsetAPI.do", { { "op", "tlxSet" }, { "serialNum", TLX }, { "type", "charge_power" },
                                           { "param1", "55" } })
      assert.equal("55", assert(api:tlx_all_settings(TLX)).chargePowerCommand)
    end)

    it("update_tlx_inverter_setting: a list and a table with names", function()
      assert(api:update_tlx_inverter_setting(TLX, "ac_charge", { "1" }))
      assert.same({ "param1", "1" }, S.last().query[4])
      assert(api:update_tlx_inverter_setting(TLX, "on_grid_discharge_stop_soc", { param1 = "20" }))
      assert.same({ "param1", "20" }, S.last().query[4])
      local bean = assert(api:tlx_all_settings(TLX))
      assert.same({ "1", "20" }, { bean.acChargeEnable, bean.onGridDischargeStopSOC })
    end)

    it("update_tlx_inverter_time_segment posts a form of zero-padded times; it is read back", function()
      local reply = assert(api:update_tlx_inverter_time_segment(TLX, 3, growatt.BATT_MODE_BATTERY_FIRST, "6:05",
        { hour = 8, min = 0 }, true))
      assert.same(ACCEPTED, reply)
      received("POST", "newTcpsetAPI.do", { { "op", "tlxSet" } }, {
        { "serialNum", TLX }, { "type", "time_segment3" }, { "param1", "1" }, { "param2", "06" }, { "param3", "05" },
        { "param4", "08" }, { "param5", "00" }, { "param6", "1" } })
      local bean = assert(api:tlx_all_settings(TLX))
      assert.same({ "1", "6:5", "8:0", "1" }, { bean.time3Mode, bean.forcedTimeStart3, bean.forcedTimeStop3,
                                               bean.forcedStopSwitch3 })
      assert(api:update_tlx_inverter_time_segment(TLX, 3, 0, "06:05", "08:00", false))
      assert.same({ "param6", "0" }, S.last().form[8])
    end)

    it("an overlapping segment is refused, even against a disabled one: an api error with the server's msg",
      function()
        local reply, err = api:update_tlx_inverter_time_segment(TLX, 3, 1, "04:00", "06:00", true)
        assert.is_nil(reply)
        assert.equal("api", err.kind)
        assert.equal("inv_set_time_overlap", err.code)
        assert.equal("failed to update TLX inverter time segment: inv_set_time_overlap", err.message)
        reply, err = api:update_tlx_inverter_time_segment(TLX, 4, 2, "18:00", "20:00", false) -- segment 2 is off
        assert.is_nil(reply)
        assert.equal("inv_set_time_overlap", err.code)
        assert.equal("0:0", assert(api:tlx_all_settings(TLX)).forcedTimeStart4)
      end)

    it("a reply without success is a failure, as the reference reads it", function()
      S.faults({ { path = "newTcpsetAPI.do", body = '{"msg":"busy"}' } })
      local _, err = api:update_tlx_inverter_time_segment(TLX, 3, 1, "06:00", "08:00", true)
      assert.equal("api", err.kind)
      assert.equal("busy", err.code)
      S.faults({ { path = "newTcpsetAPI.do", body = "{}" } })
      _, err = api:update_tlx_inverter_time_segment(TLX, 3, 1, "06:00", "08:00", true)
      assert.equal("failed to update TLX inverter time segment: Unknown error", err.message)
    end)
  end)

  describe("Noah", function()
    it("update_noah_settings posts serialNum, type and the parameters as a form; noah_info shows them", function()
      local reply = assert(api:update_noah_settings(NOAH, "charging_soc", { "95", "5" }))
      assert.same({ success = true, result = 1, msg = "inv_set_success" }, reply)
      received("POST", "noahDeviceApi/noah/set", {}, { { "serialNum", NOAH }, { "type", "charging_soc" },
                                                      { "param1", "95" }, { "param2", "5" } })
      assert(api:update_noah_settings(NOAH, "default_power", { param1 = 300 }))
      local noah = assert(api:noah_info(NOAH)).obj.noah
      assert.same({ "95", "5", "300" }, { noah.chargingSocHighLimit, noah.chargingSocLowLimit, noah.defaultPower })
    end)

    it("a table with names may override the fixed fields, in their place", function()
      assert(api:update_noah_settings(NOAH, "x", { type = "default_power", param1 = "250" }))
      assert.same({ { "serialNum", NOAH }, { "type", "default_power" }, { "param1", "250" } }, S.last().form)
    end)

    it("Noah types are undocumented: the client sends them unchecked, the device refuses what it cannot do",
      function()
        local reply, err = api:update_noah_settings(NOAH, "default_power", { "5000" })
        assert.is_nil(reply)
        assert.equal("api", err.kind)
        assert.equal("inv_set_param_error", err.code)
        assert.equal(0, err.response.result)
        received("POST", "noahDeviceApi/noah/set", {}, { { "serialNum", NOAH }, { "type", "default_power" },
                                                        { "param1", "5000" } })
        assert.equal("200", assert(api:noah_info(NOAH)).obj.noah.defaultPower)
      end)
  end)

  describe("classic inverters", function()
    local function info() return assert(api:classic_inverter_info(CLASSIC)) end

    it("classic_inverter_info reads the HTML settings page", function()
      local inv = info()
      received("GET", "commonDeviceSetC/setInverter", { { "type", "server" }, { "invSn", CLASSIC } })
      assert.same({ CLASSIC, "1", "100", "Growatt 3000-S" }, { inv.sn, inv.onOff, inv.activeRate, inv.deviceModel })
      assert.equal("string", type(inv.nominalPower))
    end)

    it("set_classic_inverter_on_off sends 0000 / 0001 in the query; onOff follows", function()
      assert.same(ACCEPTED, assert(api:set_classic_inverter_on_off(CLASSIC, false)))
      received("POST", "tcpSet.do", { { "action", "inverterSet" }, { "serialNum", CLASSIC }, { "paramId", "pv_on_off" },
                                     { "command_1", "0000" }, { "command_2", "" } })
      assert.equal("0", info().onOff)
      assert(api:set_classic_inverter_on_off(CLASSIC, true))
      assert.equal("1", info().onOff)
    end)

    it("set_classic_inverter_active_power_rate sends str(rate); activeRate follows", function()
      assert.same(ACCEPTED, assert(api:set_classic_inverter_active_power_rate(CLASSIC, 40)))
      received("POST", "tcpSet.do", { { "action", "inverterSet" }, { "serialNum", CLASSIC },
                                     { "paramId", "pv_active_p_rate" }, { "command_1", "40" }, { "command_2", "" } })
      assert.equal("40", info().activeRate)
    end)

    it("update_classic_inverter_setting merges defaults and parameters, names sorted", function()
      local reply = assert(api:update_classic_inverter_setting({ action = "inverterSet", serialNum = CLASSIC },
        { paramId = "pv_reactive_p_rate", command_1 = "30", command_2 = "over" }))
      assert.same(ACCEPTED, reply)
      received("POST", "tcpSet.do", { { "action", "inverterSet" }, { "serialNum", CLASSIC }, { "command_1", "30" },
                                     { "command_2", "over" }, { "paramId", "pv_reactive_p_rate" } })
      assert.equal("30", info().reactiveRate)
    end)

    it("update_classic_inverter_setting: a list becomes param1..N, which a known paramId refuses", function()
      local defaults = { action = "inverterSet", serialNum = CLASSIC, paramId = "pv_on_off" }
      local reply, err = sends_nothing(function()
        return api:update_classic_inverter_setting(defaults, { "0001", "" })
      end)
      assert.is_nil(reply)
      assert.equal("command_1", err.param)
      defaults.paramId = "pv_future_setting" -- unknown: sent as given
      assert(api:update_classic_inverter_setting(defaults, { "a", "b" }))
      received("POST", "tcpSet.do", { { "action", "inverterSet" }, { "paramId", "pv_future_setting" },
                                     { "serialNum", CLASSIC }, { "param1", "a" }, { "param2", "b" } })
    end)

    it("the neighbour's inverter is refused", function()
      local _, err = api:set_classic_inverter_on_off("INV5K00301", false)
      assert.equal("api", err.kind)
      assert.equal("device_not_exist", err.code)
      received("POST", "tcpSet.do", { { "action", "inverterSet" }, { "serialNum", "INV5K00301" },
                                     { "paramId", "pv_on_off" }, { "command_1", "0000" }, { "command_2", "" } })
    end)

    it("a page without the inverter's data, or with broken data, is a protocol error", function()
      local inv, err = api:classic_inverter_info("INV5K00301")
      assert.is_nil(inv)
      assert.equal("protocol", err.kind)
      assert.matches("no inverter data", err.message)
      local broken = "<script>var inv=JSON.parse('{\"sn\":}');</script>"
      S.faults({ { path = "commonDeviceSetC/setInverter", body = broken } })
      inv, err = api:classic_inverter_info(CLASSIC)
      assert.is_nil(inv)
      assert.equal("protocol", err.kind)
      assert.matches("not a JSON object", err.message)
    end)

    it("the data must be on one line, as the reference's pattern reads it", function()
      S.faults({ { path = "commonDeviceSetC/setInverter", body = "inv=JSON.parse('{\"sn\":\n\"X\"}')" } })
      local _, err = api:classic_inverter_info(CLASSIC)
      assert.equal("protocol", err.kind)
      S.faults({ { path = "commonDeviceSetC/setInverter", body = "a inv=JSON.parse('{\"sn\":\"X\"}') b" } })
      assert.same({ sn = "X" }, assert(api:classic_inverter_info(CLASSIC)))
    end)

    it("without a session the page is a redirect: session_expired", function()
      local fresh = growatt.new({ server_url = url })
      local _, err = fresh:classic_inverter_info(CLASSIC)
      assert.equal("session_expired", err.kind)
      local r = received("GET", "commonDeviceSetC/setInverter", { { "type", "server" }, { "invSn", CLASSIC } })
      assert.is_nil(r.cookie)
    end)
  end)

  describe("validation before sending", function()
    local function with(list, i, v)
      local t = copy(list)
      t[i] = v
      return t
    end
    local short, long = copy(SCHEDULE), copy(SCHEDULE)
    short[18] = nil
    long[19] = "0"

    -- { method, args, param, message }: each returns nil and an invalid error naming param.
    local cases = {
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", with(SCHEDULE, 5, "75") }, "param5",
        "param5 (schedule 1 start minute) must be 0..59, got 75" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", with(SCHEDULE, 1, 101) }, "param1",
        "param1 (charge power) must be 0..100, got 101" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", with(SCHEDULE, 2, "-1") }, "param2",
        "param2 (stop SOC) must be 0..100, got -1" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", with(SCHEDULE, 3, "2") }, "param3",
        "param3 (AC charge) must be 0 or 1, got 2" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", with(SCHEDULE, 9, "24") }, "param9",
        "param9 (schedule 2 start hour) must be 0..23, got 24" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", with(SCHEDULE, 18, "on") }, "param18",
        'param18 (schedule 3 enable) must be 0 or 1, got "on"' },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", with(SCHEDULE, 7, 1.5) }, "param7",
        "param7 (schedule 1 end minute) must be 0..59, got 1.5" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", short }, "param18",
        "param18 (schedule 3 enable) is missing: mix_ac_charge_time_period takes 18 parameters (param1..param18)" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", long }, "param19",
        "param19 is one too many: mix_ac_charge_time_period takes 18 parameters (param1..param18)" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_discharge_time_period", with(SPA, 2, "150") }, "param2",
        "param2 (discharge stop SOC) must be 0..100, got 150" },
      { "update_mix_inverter_setting", { MIX, "pf_sys_year", { "2026-13-01 00:00:00" } }, "param1",
        'param1 (system time) must be "YYYY-MM-DD HH:MM:SS", got "2026-13-01 00:00:00"' },
      { "update_mix_inverter_setting", { MIX, "pf_sys_year", { param1 = "now" } }, "param1",
        'param1 (system time) must be "YYYY-MM-DD HH:MM:SS", got "now"' },
      { "update_mix_inverter_setting", { MIX, "backflow_setting", { "1", "150" } }, "param2",
        "param2 (export limit rate) must be 0..100, got 150" },
      { "update_mix_inverter_setting", { MIX, "mix_off_grid_enable", { "2" } }, "param1",
        "param1 (off-grid output) must be 0 or 1, got 2" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_discharge_frequency", { "2" } }, "param1",
        "param1 (off-grid frequency) must be 0 (50 Hz) or 1 (60 Hz), got 2" },
      { "update_mix_inverter_setting", { MIX, "mix_ac_discharge_voltage", { "3" } }, "param1",
        "param1 (off-grid voltage) must be 0 (230 V), 1 (208 V) or 2 (240 V), got 3" },
      { "update_ac_inverter_setting", { MIX, "spa_ac_charge_time_period", with(SPA, 7, "5") }, "param7",
        "param7 (schedule 1 enable) must be 0 or 1, got 5" },
      { "update_ac_inverter_setting", { MIX, "spa_ac_charge_time_period", SCHEDULE }, "param18",
        "param18 is one too many: spa_ac_charge_time_period takes 17 parameters (param1..param17)" },
      { "update_tlx_inverter_setting", { TLX, "charge_power", 101 }, "param1",
        "param1 (charge power) must be 0..100, got 101" },
      { "update_tlx_inverter_setting", { TLX, "charge_stop_soc", "full" }, "param1",
        'param1 (charge stop SOC) must be 0..100, got "full"' },
      { "update_tlx_inverter_setting", { TLX, "discharge_power", { "200" } }, "param1",
        "param1 (discharge power) must be 0..100, got 200" },
      { "update_tlx_inverter_setting", { TLX, "discharge_stop_soc", { param1 = "101" } }, "param1",
        "param1 (discharge stop SOC) must be 0..100, got 101" },
      { "update_tlx_inverter_setting", { TLX, "on_grid_discharge_stop_soc", "-5" }, "param1",
        "param1 (on-grid discharge stop SOC) must be 0..100, got -5" },
      { "update_tlx_inverter_setting", { TLX, "ac_charge", 2 }, "param1", "param1 (AC charge) must be 0 or 1, got 2" },
      { "update_tlx_inverter_setting", { TLX, "charge_power", { 50, 60 } }, "param2",
        "param2 is one too many: charge_power takes 1 parameter (param1)" },
      { "update_tlx_inverter_setting", { TLX, "pf_sys_year", "2026-11-25 25:00:00" }, "param1",
        'param1 (system time) must be "YYYY-MM-DD HH:MM:SS", got "2026-11-25 25:00:00"' },
      { "update_tlx_inverter_setting", { TLX, "time_segment1", { "3", "1", "0", "5", "0", "1" } }, "param1",
        "param1 (battery mode) must be 0..2, got 3" },
      { "update_tlx_inverter_time_segment", { TLX, 0, 1, "06:00", "08:00", true }, "type",
        "type (time segment) must be time_segment1..time_segment9, got time_segment0" },
      { "update_tlx_inverter_time_segment", { TLX, 10, 1, "06:00", "08:00", true }, "type",
        "type (time segment) must be time_segment1..time_segment9, got time_segment10" },
      { "update_tlx_inverter_time_segment", { TLX, 1, 3, "06:00", "08:00", true }, "param1",
        "param1 (battery mode) must be 0..2, got 3" },
      { "update_tlx_inverter_time_segment", { TLX, 1, -1, "06:00", "08:00", true }, "param1",
        "param1 (battery mode) must be 0..2, got -1" },
      { "update_tlx_inverter_time_segment", { TLX, 1, 1, "24:00", "08:00", true }, "param2",
        "param2 (start hour) must be 0..23, got 24" },
      { "update_tlx_inverter_time_segment", { TLX, 1, 1, "06:00", { hour = 8, min = 60 }, true }, "param5",
        "param5 (end minute) must be 0..59, got 60" },
      { "update_inverter_setting", { nil, nil, { op = "tlxSet", serialNum = TLX, type = "charge_power" }, { "200" } },
        "param1", "param1 (charge power) must be 0..100, got 200" },
      { "set_classic_inverter_active_power_rate", { CLASSIC, 150 }, "command_1",
        "command_1 (active power rate) must be 0..100, got 150" },
      { "set_classic_inverter_active_power_rate", { CLASSIC, "-5" }, "command_1",
        "command_1 (active power rate) must be 0..100, got -5" },
      { "update_classic_inverter_setting", { { action = "inverterSet", serialNum = CLASSIC },
          { paramId = "pv_on_off", command_1 = "0002", command_2 = "" } }, "command_1",
        "command_1 (on/off) must be 0001 or 0000, got 0002" },
      { "update_classic_inverter_setting", { { action = "inverterSet", serialNum = CLASSIC },
          { paramId = "pv_reactive_p_rate", command_1 = "50", command_2 = "sideways" } }, "command_2",
        'command_2 (inductive or capacitive) must be over or under, got "sideways"' },
      { "update_classic_inverter_setting", { { action = "inverterSet", serialNum = CLASSIC },
          { paramId = "pv_power_factor", command_1 = "0.5", command_2 = "" } }, "command_1",
        "command_1 (power factor) must be -1..-0.8 or 0.8..1, got 0.5" },
      { "update_classic_inverter_setting", { { action = "inverterSet", serialNum = CLASSIC },
          { paramId = "pf_sys_year", command_1 = "2026-11-25 08:30:00" } }, "command_2",
        "command_2 (unused) is missing: pf_sys_year takes 2 parameters (command_1..command_2)" },
      { "update_classic_inverter_setting", { { action = "inverterSet", serialNum = CLASSIC },
          { paramId = "pv_grid_voltage_high", command_1 = "high", command_2 = "" } }, "command_1",
        'command_1 (grid voltage high limit) must be a voltage, got "high"' },
    }

    it("every rule: an invalid value is refused as invalid, naming the parameter; nothing is sent", function()
      local before = #S.requests()
      for _, c in ipairs(cases) do
        local what = c[1] .. ": " .. c[4]
        local reply, err = api[c[1]](api, unpack(c[2], 1, 6))
        assert.is_nil(reply, what)
        assert.equal("invalid", err.kind, what)
        assert.equal(c[3], err.param, what)
        assert.equal(c[4], err.message, what)
        assert.equal("growatt: invalid: " .. c[4], tostring(err), what)
      end
      assert.equal(before, #S.requests())
    end)

    it("a valid write of each documented type is accepted by the device as it is", function()
      local writes = {
        { "update_mix_inverter_setting", MIX, "mix_ac_discharge_time_period", SPA },
        { "update_mix_inverter_setting", MIX, "mix_ac_discharge_voltage", { "2" } },
        { "update_mix_inverter_setting", MIX, "mix_ac_discharge_frequency", { "1" } },
        { "update_mix_inverter_setting", MIX, "mix_off_grid_enable", { "0" } },
        { "update_tlx_inverter_setting", TLX, "discharge_stop_soc", "15" },
        { "update_tlx_inverter_setting", TLX, "pf_sys_year", "2026-11-25 08:30:00" },
        { "update_tlx_inverter_setting", TLX, "time_segment5", { "2", "20", "0", "22", "30", "1" } },
      }
      for _, w in ipairs(writes) do
        assert.same(ACCEPTED, assert(api[w[1]](api, w[2], w[3], w[4])))
      end
      local mix = assert(api:get_mix_inverter_settings(MIX)).obj.mixBean
      assert.same({ "100", "40", "0:40", "2", "1", "0" },
        { mix.disChargePowerCommand, mix.wdisChargeSOCLowLimit, mix.forcedDischargeTimeStart1, mix.epsVoltSet,
          mix.epsFreqSet, mix.epsFunEn })
      local tlx = assert(api:tlx_all_settings(TLX))
      assert.same({ "15", "2026-11-25 08:30:00", "2", "20:0", "22:30" },
        { tlx.wdisChargeSOCLowLimit, tlx.sysTime, tlx.time5Mode, tlx.forcedTimeStart5, tlx.forcedTimeStop5 })
    end)
  end)

  describe("dry runs", function()
    -- One call of every write: { method, arguments }.
    local writes = {
      { "update_mix_inverter_setting", { MIX, "mix_ac_charge_time_period", SCHEDULE } },
      { "update_ac_inverter_setting", { MIX, "spa_ac_charge_time_period", SPA } },
      { "update_inverter_setting", { "x", "y", { op = "mixSetApiNew", serialNum = MIX, type = "pf_sys_year" },
                                     { "2026-11-25 08:30:00" } } },
      { "update_tlx_inverter_setting", { TLX, "charge_power", 80 } },
      { "update_tlx_inverter_time_segment", { TLX, 6, 2, "20:00", "21:15", true } },
      { "update_noah_settings", { NOAH, "default_power", { "350" } } },
      { "update_classic_inverter_setting", { { action = "inverterSet", serialNum = CLASSIC },
                                             { paramId = "pv_active_p_rate", command_1 = "70", command_2 = "" } } },
      { "set_classic_inverter_active_power_rate", { CLASSIC, 60 } },
      { "set_classic_inverter_on_off", { CLASSIC, false } },
    }

    for _, w in ipairs(writes) do
      it(w[1] .. " per call returns the request a real call then sends", function()
        local args, n = copy(w[2]), #w[2]
        args[n + 1] = { dry_run = true }
        local req = sends_nothing(function() return api[w[1]](api, unpack(args, 1, n + 1)) end)
        assert.equal("POST", req.method)
        assert(api[w[1]](api, unpack(w[2], 1, n)))
        local r = S.last()
        assert.equal(url .. r.path, req.url)
        assert.same(r.query, strings(req.query))
        assert.same(r.form, strings(req.form))
        assert.same({}, r.multipart)
        assert.is_nil(req.multipart)
      end)
    end

    it("an api made with dry_run sends no write; a call may turn it off", function()
      local dry = growatt.new({ server_url = url, dry_run = true })
      local n = #S.requests()
      for _, w in ipairs(writes) do
        local req = dry[w[1]](dry, unpack(w[2], 1, #w[2]))
        assert.equal("POST", req.method)
        assert.equal(url, req.url:sub(1, #url))
      end
      assert.equal(n, #S.requests())
      local req, err = dry:update_mix_inverter_setting(MIX, "pf_sys_year", { "2026-11-25 08:30:00" },
        { dry_run = false })
      assert.is_nil(req)
      assert.equal("session_expired", err.kind) -- sent: this object never logged in
      assert.equal(n + 1, #S.requests())
    end)

    it("a dry run of an invalid value is still invalid", function()
      local req, err = sends_nothing(function()
        return api:update_tlx_inverter_setting(TLX, "charge_power", 101, { dry_run = true })
      end)
      assert.is_nil(req)
      assert.equal("invalid", err.kind)
    end)

    it("bad per-call options raise", function()
      sends_nothing(function()
        assert.has_error(function() api:set_classic_inverter_on_off(CLASSIC, true, { dryrun = true }) end,
          "set_classic_inverter_on_off: unknown option 'dryrun'")
        assert.has_error(function() api:set_classic_inverter_on_off(CLASSIC, true, "dry") end,
          "bad argument 'options' to 'set_classic_inverter_on_off' (table expected, got string)")
        assert.has_error(function() api:set_classic_inverter_on_off(CLASSIC, true, { dry_run = 1 }) end,
          "bad argument 'options.dry_run' to 'set_classic_inverter_on_off' (boolean expected, got number)")
      end)
    end)
  end)

  describe("misuse raises at the caller's line and sends nothing", function()
    local cases = {
      { function() api:update_mix_inverter_setting(nil, "pf_sys_year", {}) end,
        "bad argument 'serial_number' to 'update_mix_inverter_setting' (string or number expected, got nil)" },
      { function() api:update_mix_inverter_setting(MIX, 5, {}) end,
        "bad argument 'setting_type' to 'update_mix_inverter_setting' (string expected, got number)" },
      { function() api:update_mix_inverter_setting(MIX, "t", "100") end,
        "bad argument 'parameters' to 'update_mix_inverter_setting' (table expected, got string)" },
      { function() api:update_ac_inverter_setting(MIX, "t", { "1", true }) end,
        "bad argument 'parameters' to 'update_ac_inverter_setting' " ..
        "(string or number values expected, got boolean at 2)" },
      { function() api:update_ac_inverter_setting(MIX, "t", { "1", param2 = "2" }) end,
        "bad argument 'parameters' to 'update_ac_inverter_setting' (a list or a table with names expected, " ..
        "got a table with both)" },
      { function() api:update_inverter_setting(MIX, "t", { "mixSetApiNew" }, {}) end,
        "bad argument 'default_parameters' to 'update_inverter_setting' (a table with names expected, got a list)" },
      { function() api:update_tlx_inverter_setting(TLX, "ac_charge", true) end,
        "bad argument 'parameters' to 'update_tlx_inverter_setting' (string, number or table expected, got boolean)" },
      { function() api:update_tlx_inverter_time_segment(TLX, {}, 1, "06:00", "08:00", true) end,
        "bad argument 'segment_id' to 'update_tlx_inverter_time_segment' (number or string expected, got table)" },
      { function() api:update_tlx_inverter_time_segment(TLX, 1, 1, "6", "08:00", true) end,
        "bad argument 'start_time' to 'update_tlx_inverter_time_segment' " ..
        '("HH:MM" or a table with hour and min expected, got "6")' },
      { function() api:update_tlx_inverter_time_segment(TLX, 1, 1, "06:00", { hour = 8 }, true) end,
        "bad argument 'end_time' to 'update_tlx_inverter_time_segment' " ..
        '("HH:MM" or a table with hour and min expected, got table)' },
      { function() api:update_tlx_inverter_time_segment(TLX, 1, 1, "06:00", "08:00", "yes") end,
        "bad argument 'enabled' to 'update_tlx_inverter_time_segment' (boolean expected, got string)" },
      { function() api:update_tlx_inverter_time_segment(TLX, 1, nil, "06:00", "08:00", true) end,
        "bad argument 'batt_mode' to 'update_tlx_inverter_time_segment' (string or number expected, got nil)" },
      { function() api:update_noah_settings(NOAH, "default_power", 300) end,
        "bad argument 'parameters' to 'update_noah_settings' (table expected, got number)" },
      { function() api:update_classic_inverter_setting(nil, {}) end,
        "bad argument 'default_parameters' to 'update_classic_inverter_setting' (table expected, got nil)" },
      { function() api:set_classic_inverter_active_power_rate(CLASSIC, {}) end,
        "bad argument 'rate' to 'set_classic_inverter_active_power_rate' (string or number expected, got table)" },
      { function() api:set_classic_inverter_on_off(CLASSIC, "on") end,
        "bad argument 'enabled' to 'set_classic_inverter_on_off' (boolean expected, got string)" },
      { function() api:set_classic_inverter_on_off(CLASSIC, 2) end,
        "bad argument 'enabled' to 'set_classic_inverter_on_off' (boolean expected, got 2)" },
      { function() api:classic_inverter_info({}) end,
        "bad argument 'device_sn' to 'classic_inverter_info' (string or number expected, got table)" },
      { function() api:tlx_all_settings(nil) end,
        "bad argument 'tlx_id' to 'tlx_all_settings' (string or number expected, got nil)" },
      { function() api:get_mix_inverter_settings(true) end,
        "bad argument 'serial_number' to 'get_mix_inverter_settings' (string or number expected, got boolean)" },
    }
    it("each with its message; nothing is sent", function()
      sends_nothing(function()
        for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
      end)
    end)

    it("the error points at the caller's line", function()
      local ok, msg = pcall(function() api:set_classic_inverter_on_off(CLASSIC, "on") end)
      local _
      assert.is_false(ok)
      assert.matches("api_settings_spec%.lua:%d+: bad argument 'enabled'", msg)
      _, msg = pcall(function() api:update_mix_inverter_setting(MIX, "t", { true }) end)
      assert.matches("api_settings_spec%.lua:%d+: bad argument 'parameters'", msg)
      _, msg = pcall(function() api:update_mix_inverter_setting(MIX, "t", {}, { dry = true }) end)
      assert.matches("api_settings_spec%.lua:%d+: update_mix_inverter_setting: unknown option", msg)
    end)
  end)

  describe("the sandbox refuses parameters where the reference does not put them", function()
    local function cookie() return "JSESSIONID=" .. api.session:cookies():match("JSESSIONID%s+(%x+)") end

    it("an inverter write with its parameters in the form", function()
      local res = S.http("POST", "newTcpsetAPI.do", { query = "op=mixSetApiNew", cookie = cookie(),
        form = "serialNum=" .. MIX .. "&type=ac_charge&param1=1", content_type = "application/x-www-form-urlencoded" })
      assert.same({ success = false, msg = "param_misplaced", error = "serialNum must be in the query, not the form" },
        res.json)
    end)

    it("a plant update in a urlencoded form, and a write sent with GET", function()
      local res = S.http("POST", "newTwoPlantAPI.do", { query = "op=updatePlant", cookie = cookie(),
        form = "plantName=x", content_type = "application/x-www-form-urlencoded" })
      assert.equal("param_misplaced", res.json.msg)
      res = S.http("GET", "tcpSet.do", { query = "action=inverterSet&serialNum=" .. CLASSIC, cookie = cookie() })
      assert.equal("method_not_allowed", res.json.msg)
    end)

    it("a parameter sent twice", function()
      local res = S.http("POST", "newTcpsetAPI.do", { cookie = cookie(),
        query = "op=tlxSet&serialNum=" .. TLX .. "&type=ac_charge&param1=1&param1=0" })
      assert.same({ success = false, msg = "param_repeated", error = "param1 was sent twice" }, res.json)
    end)

    it("the classic settings page is HTML with the data on one line", function()
      local res = S.http("GET", "commonDeviceSetC/setInverter", { query = "type=server&invSn=" .. CLASSIC,
                                                                  cookie = cookie() })
      assert.equal(200, res.status)
      assert.matches("^text/html", res.headers["content-type"])
      assert.matches("\n  var inv=JSON%.parse%('{[^\n]*\"sn\":\"INV3K00209\"[^\n]*}'%);\n", res.body)
    end)
  end)
end)
