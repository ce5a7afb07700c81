-- Every read of the ShinePhone API against the sandbox: the exact request the sandbox
-- received (method, path, op, every parameter, its placement and order) and what the caller
-- got back; date and timespan arguments; errors.
local growatt = require("growatt")
local S = require("spec.support.sandbox")
local H = require("spec.support.session")
local data = require("growatt.sandbox.data")

local DAY = "2026-11-05"
local unpack = table.unpack or unpack

local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

local function is_integer(v)
  if math.type then return math.type(v) == "integer" end
  return type(v) == "number" and v == math.floor(v)
end

describe("ShinePhone reads", function()
  local url, api
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    api = growatt.new({ server_url = url })
    assert(api:login("demo", "demo-password"))
  end)

  -- Asserts the last request: method, path, query and form pairs in order, and no other body.
  local function received(method, path, query, form)
    local r = S.last()
    assert.equal(method, r.method)
    assert.equal(path, r.path)
    assert.same(query, r.query)
    assert.same(form or {}, r.form)
    assert.same({}, r.multipart)
    if not form then assert.equal("", r.body) end
    return r
  end

  -- Each method: its call, the request the sandbox must see and what the result must be.
  local cases = {
    { "plant_detail", { "2222207", growatt.Timespan.hour, DAY },
      "GET", "PlantDetailAPI.do", { { "plantId", "2222207" }, { "type", "0" }, { "date", DAY } }, nil,
      function(back)
        assert.is_true(back.success)
        assert.same("2222207", back.plantData.plantId)
        assert.equal("12.6 kWh", back.plantData.currentEnergy)
        assert.equal(data.STEPS, count(back.data))
        assert.equal("0", back.data["03:00"])
        assert.is_true(tonumber(back.data["13:00"]) > 0)
      end },
    { "plant_list_two", {},
      "POST", "newTwoPlantAPI.do", { { "op", "getAllPlantListTwo" } },
      { { "language", "1" }, { "nominalPower", "" }, { "order", "1" }, { "pageSize", "15" }, { "plantName", "" },
        { "plantStatus", "" }, { "toPageNum", "1" } },
      function(list)
        assert.equal(3, #list)
        assert.equal(2222207, list[1].id)
        assert.is_true(is_integer(list[1].id))
        assert.equal("Roof MIN hybrid", list[2].plantName)
        assert.is_nil(list.PlantList)
      end },
    { "plant_info", { "2222207" },
      "GET", "newTwoPlantAPI.do", { { "op", "getAllDeviceListTwo" }, { "plantId", "2222207" }, { "pageNum", "1" },
                                   { "pageSize", "1" } }, nil,
      function(info)
        assert.equal("12.6", info.todayEnergy)
        assert.equal("3.1/EUR", info.plantMoneyText)
        assert.equal(6000, info.nominal_Power)
        assert.is_true(is_integer(info.nominalPower))
        assert.same({ "SPH6K00207", "STO5K00207" }, { info.deviceList[1].deviceSn, info.deviceList[2].deviceSn })
        assert.equal("mix", info.deviceList[1].deviceType)
        assert.equal("Garage SPH", info.deviceList[1].deviceAilas)
        assert.is_false(info.deviceList[1].lost)
      end },
    { "plant_energy_data", { "2222208" },
      "POST", "newTwoPlantAPI.do", { { "op", "getUserCenterEnertyDataByPlantid" } },
      { { "language", "1" }, { "plantId", "2222208" } },
      function(v)
        assert.equal(2222208, v.plantBean.id)
        assert.equal("9.4kWh", v.todayStr)
        assert.equal("1.85kW", v.powerValueStr)
      end },
    { "inverter_data", { "INV3K00209", DAY },
      "GET", "newInverterAPI.do", { { "op", "getInverterData" }, { "id", "INV3K00209" }, { "type", "1" },
                                   { "date", DAY } }, nil,
      function(v)
        assert.equal(data.STEPS, count(v.invPacData))
        assert.equal(0, v.invPacData[DAY .. " 05:00"])
        assert.is_true(v.invPacData[DAY .. " 13:00"] > 0)
        assert.equal("3.1", v.eToday)
      end },
    { "inverter_detail", { "INV3K00209" },
      "GET", "newInverterAPI.do", { { "op", "getInverterDetailData" }, { "inverterId", "INV3K00209" } }, nil,
      function(v)
        assert.equal(650, v.pac)
        assert.equal(3.1, v.powerToday)
        assert.equal(301.7, v.vpv1)
      end },
    { "inverter_detail_two", { "INV3K00209" },
      "GET", "newInverterAPI.do", { { "op", "getInverterDetailData_two" }, { "inverterId", "INV3K00209" } }, nil,
      function(v) assert.equal("INV3K00209", v.serialNum) end },
    { "tlx_data", { "MIN4K00208", DAY },
      "GET", "newTlxApi.do", { { "op", "getTlxData" }, { "id", "MIN4K00208" }, { "type", "1" }, { "date", DAY } }, nil,
      function(v) assert.equal(data.STEPS, count(v.invPacData)) end },
    { "tlx_detail", { "MIN4K00208" },
      "GET", "newTlxApi.do", { { "op", "getTlxDetailData" }, { "id", "MIN4K00208" } }, nil,
      function(v)
        assert.equal(1850, v.data.pac)
        assert.is_number(v.data.eacToday)
        assert.is_number(v.data.epv1Today)
        assert.is_nil(v.data.epvToday) -- as Growatt's: it comes from the energy overview
      end },
    { "tlx_params", { "MIN4K00208" },
      "GET", "newTlxApi.do", { { "op", "getTlxParams" }, { "id", "MIN4K00208" } }, nil,
      function(v) assert.equal("MIN 4200TL-XH", v.newBean.modelText) end },
    { "tlx_system_status", { "2222208", "MIN4K00208" },
      "POST", "newTlxApi.do", { { "op", "getSystemStatus_KW" } }, { { "plantId", "2222208" }, { "id", "MIN4K00208" } },
      function(obj)
        assert.equal("0.4", obj.chargePower)
        assert.equal("0", obj.pdisCharge)
        assert.equal("kW", obj.unit)
        assert.is_nil(obj.obj)
      end },
    { "tlx_energy_overview", { "2222208", "MIN4K00208" },
      "POST", "newTlxApi.do", { { "op", "getEnergyOverview" } }, { { "plantId", "2222208" }, { "id", "MIN4K00208" } },
      function(obj)
        assert.equal("9.4", obj.epvToday)
        assert.equal("6830.5", obj.epvTotal)
      end },
    { "tlx_energy_prod_cons", { "2222208", "MIN4K00208", growatt.Timespan.hour, DAY },
      "POST", "newTlxApi.do", { { "op", "getEnergyProdAndCons_KW" } },
      { { "date", DAY }, { "plantId", "2222208" }, { "language", "1" }, { "id", "MIN4K00208" }, { "type", "0" } },
      function(obj)
        assert.equal(data.STEPS, count(obj.chartData))
        assert.equal("kWh", obj.unit)
      end },
    { "tlx_battery_info", { "APX5K00208" },
      "POST", "newTlxApi.do", { { "op", "getBatInfo" } }, { { "lan", "1" }, { "serialNum", "APX5K00208" } },
      function(obj)
        assert.is_false(obj.lost)
        assert.equal("71", obj.soc)
      end },
    { "tlx_battery_info_detailed", { "2222208", "APX5K00208" },
      "POST", "newTlxApi.do", { { "op", "getBatDetailData" } },
      { { "lan", "1" }, { "plantId", "2222208" }, { "id", "APX5K00208" } },
      function(v)
        assert.equal(1, v.result)
        assert.equal("0.4", v.data.chargeOrDisPower)
        assert.equal("1156.2", v.data.dischargeTotal)
      end },
    { "mix_info", { "SPH6K00207", "2222207" },
      "GET", "newMixApi.do", { { "op", "getMixInfo" }, { "mixId", "SPH6K00207" }, { "plantId", "2222207" } }, nil,
      function(obj)
        assert.equal("62%", obj.soc)
        assert.equal("62", obj.capacity)
        assert.equal("12.6", obj.epvToday)
        assert.is_nil(obj.result)
      end },
    { "mix_totals", { "SPH6K00207", "2222207" },
      "POST", "newMixApi.do", { { "op", "getEnergyOverview" }, { "mixId", "SPH6K00207" }, { "plantId", "2222207" } },
      nil,
      function(obj)
        assert.equal("12.6", obj.epvToday)
        assert.is_string(obj.etogridTotal)
        assert.equal("EUR", obj.unit)
      end },
    { "mix_system_status", { "SPH6K00207", "2222207" },
      "POST", "newMixApi.do", { { "op", "getSystemStatus_KW" }, { "mixId", "SPH6K00207" }, { "plantId", "2222207" } },
      nil,
      function(obj)
        assert.equal("62", obj.SOC)
        assert.equal("1.2", obj.chargePower)
        assert.equal("mix.status.normal", obj.lost)
        assert.equal("2.4", obj.ppv)
      end },
    { "mix_detail", { "SPH6K00207", "2222207", growatt.Timespan.hour, DAY },
      "POST", "newMixApi.do", { { "op", "getEnergyProdAndCons_KW" }, { "plantId", "2222207" },
                                { "mixId", "SPH6K00207" }, { "type", "0" }, { "date", DAY } }, nil,
      function(obj)
        assert.equal(data.STEPS, count(obj.chartData))
        for h = 0, 23 do
          for m = 0, 55, 5 do
            local point = obj.chartData[string.format("%02d:%02d", h, m)]
            assert.is_string(point.ppv)
            assert.is_string(point.sysOut)
          end
        end
        assert.equal("0", obj.chartData["04:00"].ppv)
        assert.equal("0", obj.chartData["21:00"].ppv)
        assert.matches("%%$", obj.ratio1)
      end },
    { "dashboard_data", { "2222207", growatt.Timespan.hour, DAY },
      "POST", "newPlantAPI.do", { { "action", "getEnergyStorageData" }, { "date", DAY }, { "type", "0" },
                                  { "plantId", "2222207" } }, nil,
      function(v)
        assert.matches("^[%d.]+kWh$", v.etouser)
        assert.equal(data.STEPS, count(v.chartData))
        assert.equal("kW", v.chartDataUnit)
        assert.equal(4, #v.keyNames)
      end },
    { "storage_detail", { "STO5K00207" },
      "GET", "newStorageAPI.do", { { "op", "getStorageInfo_sacolar" }, { "storageId", "STO5K00207" } }, nil,
      function(v)
        assert.equal("52.6", v.vbat)
        assert.equal("58", v.capacity)
      end },
    { "storage_params", { "STO5K00207" },
      "GET", "newStorageAPI.do", { { "op", "getStorageParams_sacolar" }, { "storageId", "STO5K00207" } }, nil,
      function(v) assert.equal("52.6", v.storageDetailBean.vbat) end },
    { "storage_energy_overview", { "2222207", "STO5K00207" },
      "POST", "newStorageAPI.do", { { "op", "getEnergyOverviewData_sacolar" }, { "plantId", "2222207" },
                                    { "storageSn", "STO5K00207" } }, nil,
      function(obj)
        assert.equal("2.2", obj.epvToday)
        assert.equal("912.4", obj.eChargeTotal)
      end },
    { "is_plant_noah_system", { "2222209" },
      "POST", "noahDeviceApi/noah/isPlantNoahSystem", {}, { { "plantId", "2222209" } },
      function(v)
        assert.equal(1, v.result)
        assert.is_true(v.obj.isPlantHaveNoah)
        assert.is_false(v.obj.isPlantNoahSystem)
        assert.equal("NOAH200209", v.obj.deviceSn)
      end },
    { "noah_system_status", { "NOAH200209" },
      "POST", "noahDeviceApi/noah/getSystemStatus", {}, { { "deviceSn", "NOAH200209" } },
      function(v)
        assert.equal(1, v.result)
        assert.equal("45", v.obj.soc)
        assert.equal("200Watt", v.obj.pac)
        assert.equal("320Watt", v.obj.ppv)
      end },
    { "noah_info", { "NOAH200209" },
      "POST", "noahDeviceApi/noah/getNoahInfoBySn", {}, { { "deviceSn", "NOAH200209" } },
      function(v)
        assert.equal(1, v.result)
        assert.equal("0_0:0_8:0_150", v.obj.noah.time_segment.time_segment1)
        assert.equal("NOAH 2000", v.obj.noah.model)
        assert.equal(3, #v.obj.plantList)
      end },
  }

  describe("sends exactly what the reference sends and returns its part of the reply:", function()
    for _, case in ipairs(cases) do
      local name, args, method, path, query, form, check = case[1], case[2], case[3], case[4], case[5], case[6],
        case[7]
      it(name, function()
        local v, err = api[name](api, unpack(args))
        assert.is_nil(err)
        local r = received(method, path, query, form)
        assert.matches("JSESSIONID=", r.cookie)
        check(v)
      end)
    end
  end)

  describe("mix_info", function()
    it("leaves plantId out when it is not given (nil, false or empty)", function()
      for _, plant in ipairs({ false, "" }) do
        assert(api:mix_info("SPH6K00207", plant))
        received("GET", "newMixApi.do", { { "op", "getMixInfo" }, { "mixId", "SPH6K00207" } })
      end
      local obj = assert(api:mix_info("SPH6K00207"))
      received("GET", "newMixApi.do", { { "op", "getMixInfo" }, { "mixId", "SPH6K00207" } })
      assert.equal("62%", obj.soc)
    end)
  end)

  describe("mix_detail", function()
    it("has a chart whose 5-minute kW add up (x 5/60) to the day's PV energy, as the mix example derives it", function()
      local obj = assert(api:mix_detail("SPH6K00207", "2222207", growatt.Timespan.hour, DAY))
      local kwh = 0
      for _, point in pairs(obj.chartData) do kwh = kwh + tonumber(point.ppv) * 5 / 60 end
      assert.is_true(math.abs(kwh - 12.6) < 0.1, "chart adds up to " .. kwh)
    end)

    it("follows the sun: nothing before 06:00 or after 20:00, the most around 13:00", function()
      local obj = assert(api:mix_detail("SPH6K00207", "2222207", growatt.Timespan.hour, DAY))
      local best, at = -1, nil
      for time, point in pairs(obj.chartData) do
        local ppv = tonumber(point.ppv)
        if time < "06:00" or time > "20:00" then assert.equal(0, ppv, time) end
        if ppv > best then best, at = ppv, time end
      end
      assert.is_true(at >= "11:00" and at <= "15:00", "peak at " .. tostring(at))
    end)

    it("charts the days of the month for Timespan.day and the months of the year for Timespan.month", function()
      local days = assert(api:mix_detail("SPH6K00207", "2222207", growatt.Timespan.day, DAY))
      assert.equal(30, count(days.chartData))
      assert.is_string(days.chartData["30"].ppv)
      local months = assert(api:mix_detail("SPH6K00207", "2222207", growatt.Timespan.month, DAY))
      assert.equal("2026-11", S.last().query[5][2])
      assert.equal(12, count(months.chartData))
    end)

    it("gives the same day for the same date, another for another date", function()
      local a = assert(api:mix_detail("SPH6K00207", "2222207", 0, DAY))
      local b = assert(api:mix_detail("SPH6K00207", "2222207", 0, DAY))
      local c = assert(api:mix_detail("SPH6K00207", "2222207", 0, "2026-11-06"))
      assert.same(a.chartData, b.chartData)
      assert.are_not.same(a.chartData, c.chartData)
    end)
  end)

  describe("a Noah's settings, once written", function()
    it("are what noah_info and noah_system_status read", function()
      assert(api:update_noah_settings("NOAH200209", "default_power", { "300" }))
      assert(api:update_noah_settings("NOAH200209", "work_mode", { "1" }))
      local noah = assert(api:noah_info("NOAH200209")).obj.noah
      assert.equal("300", noah.defaultPower)
      assert.equal("1", assert(api:noah_system_status("NOAH200209")).obj.workMode)
    end)
  end)

  describe("device_list", function()
    it("returns plant_info's deviceList", function()
      local list = assert(api:device_list("2222209"))
      received("GET", "newTwoPlantAPI.do", { { "op", "getAllDeviceListTwo" }, { "plantId", "2222209" },
                                             { "pageNum", "1" }, { "pageSize", "1" } })
      assert.equal(2, #list)
      assert.same({ "inverter", "noah" }, { list[1].deviceType, list[2].deviceType })
      assert.equal(1, #S.requests() - 1)
    end)

    it("asks getAllDeviceList when plant_info's list is empty, as for TLX plants", function()
      assert.same({}, assert(api:plant_info("2222208")).deviceList)
      local before = #S.requests()
      local list = assert(api:device_list("2222208"))
      local log = S.requests()
      assert.equal(before + 2, #log)
      assert.equal("getAllDeviceListTwo", log[before + 1].op)
      received("GET", "newTwoPlantAPI.do", { { "op", "getAllDeviceList" }, { "plantId", "2222208" },
                                             { "language", "1" } })
      assert.same({ "MIN4K00208", "APX5K00208" }, { list[1].deviceSn, list[2].deviceSn })
      assert.same({ "tlx", "bat" }, { list[1].deviceType, list[2].deviceType })
    end)

    it("inverter_list is the same call", function()
      local written, stderr = {}, io.stderr
      local function capture(_, ...)
        for _, s in ipairs({ ... }) do written[#written + 1] = s end
      end
      io.stderr = { write = capture } -- luacheck: ignore 122
      local ok, list = pcall(api.inverter_list, api, "2222208")
      io.stderr = stderr -- luacheck: ignore 122
      assert.is_true(ok, list)
      assert.equal("getAllDeviceList", S.last().op)
      assert.equal("MIN4K00208", list[1].deviceSn)
      local warning = "growatt: inverter_list is deprecated, use device_list\n"
      assert.is_true(#written == 0 or table.concat(written) == warning) -- once per process: maybe done already
    end)

    it("returns the error of plant_info, without asking further", function()
      local list, err = api:device_list("3333301")
      assert.is_nil(list)
      assert.equal("api", err.kind)
      assert.equal(2, #S.requests())
    end)
  end)

  describe("inverter_list", function()
    -- In a child process: the warning is once per process, and this file's may have gone already.
    it("warns once per process on stderr that it is deprecated", function()
      local script = 'local a = require("growatt").new{ dry_run = true } ' ..
        'a:inverter_list("1") a:inverter_list("2") a:device_list("3") io.stdout:write("done")'
      local cmd = string.format("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s' %s -e '%s' 2>&1",
        H.CPATH .. ";;", H.LUA, script)
      local pipe = assert(io.popen(cmd))
      local out = pipe:read("*a")
      pipe:close()
      assert.equal("growatt: inverter_list is deprecated, use device_list\ndone", out)
    end)
  end)

  describe("dates and timespans", function()
    local function date_sent() return S.last().query[3][2] end
    local function type_sent() return S.last().query[2][2] end

    it("take YYYY-MM-DD strings, os.time() numbers and os.date('*t') tables", function()
      local noon = os.time({ year = 2026, month = 11, day = 5, hour = 12 })
      for _, date in ipairs({ DAY, noon, os.date("*t", noon), { year = 2026, month = 11, day = 5 } }) do
        assert(api:plant_detail("2222207", growatt.Timespan.day, date))
        assert.equal(DAY, date_sent())
        assert.equal("1", type_sent())
      end
    end)

    it("default to today in local time", function()
      assert(api:plant_detail("2222207", growatt.Timespan.hour))
      local today = os.date("%Y-%m-%d")
      assert.equal(today, date_sent())
      assert(api:inverter_data("INV3K00209"))
      assert.equal(today, S.last().query[4][2])
      assert(api:mix_detail("SPH6K00207", "2222207"))
      assert.same({ "type", "0" }, S.last().query[4])
      assert.same({ "date", today }, S.last().query[5])
    end)

    it("go on the wire as YYYY-MM for Timespan.month", function()
      local noon = os.time({ year = 2026, month = 11, day = 5, hour = 12 })
      for _, date in ipairs({ DAY, "2026-11", { year = 2026, month = 11 }, noon }) do
        local back = assert(api:plant_detail("2222207", growatt.Timespan.month, date))
        assert.equal("2026-11", date_sent())
        assert.equal("2", type_sent())
        assert.equal(12, count(back.data))
      end
    end)

    it("accept the plain numbers 0, 1 and 2 as timespans", function()
      assert(api:dashboard_data("2222207", 1, DAY))
      assert.same({ "type", "1" }, S.last().query[3])
    end)

    it("raise on anything else, before sending", function()
      local before = #S.requests()
      local function raises(msg, f) assert.has_error(f, msg) end
      raises("bad argument 'timespan' to 'plant_detail' (0, 1 or 2 expected, got 5)",
        function() api:plant_detail("2222207", 5, DAY) end)
      raises("bad argument 'timespan' to 'plant_detail' (0, 1 or 2 expected, got nil)",
        function() api:plant_detail("2222207") end)
      raises("bad argument 'timespan' to 'mix_detail' (0, 1 or 2 expected, got string)",
        function() api:mix_detail("SPH6K00207", "2222207", "day") end)
      raises("bad argument 'timespan' to 'dashboard_data' (0, 1 or 2 expected, got 0.5)",
        function() api:dashboard_data("2222207", 0.5) end)
      raises("bad argument 'date' to 'plant_detail' (\"YYYY-MM-DD\" or \"YYYY-MM\" expected, got \"05/11/2026\")",
        function() api:plant_detail("2222207", 0, "05/11/2026") end)
      raises("bad argument 'date' to 'plant_detail' (a real month and day expected, got \"2026-13-01\")",
        function() api:plant_detail("2222207", 0, "2026-13-01") end)
      raises("bad argument 'date' to 'inverter_data' " ..
        "(\"YYYY-MM-DD\" (a day, for this timespan) expected, got \"2026-11\")",
        function() api:inverter_data("INV3K00209", "2026-11") end)
      raises("bad argument 'date' to 'tlx_energy_prod_cons' (string or number or table expected, got boolean)",
        function() api:tlx_energy_prod_cons("2222208", "MIN4K00208", 0, true) end)
      raises("bad argument 'date' to 'mix_detail' (a table with year, month and day expected, got table)",
        function() api:mix_detail("SPH6K00207", "2222207", 0, { 2026, 11, 5 }) end)
      assert.equal(before, #S.requests())
    end)
  end)

  describe("misuse", function()
    it("a wrong argument type raises at the caller and sends nothing", function()
      local before = #S.requests()
      assert.has_error(function() api:plant_info({}) end,
        "bad argument 'plant_id' to 'plant_info' (string or number expected, got table)")
      assert.has_error(function() api:tlx_system_status("2222208") end,
        "bad argument 'tlx_id' to 'tlx_system_status' (string or number expected, got nil)")
      assert.has_error(function() api:noah_info(true) end,
        "bad argument 'serial_number' to 'noah_info' (string or number expected, got boolean)")
      assert.has_error(function() api:mix_info("SPH6K00207", {}) end,
        "bad argument 'plant_id' to 'mix_info' (string or number expected, got table)")
      assert.equal(before, #S.requests())
    end)

    it("the error points at the caller's line", function()
      for _, f in ipairs({
        function() api:mix_info("SPH6K00207", {}) end,
        function() api:plant_detail("2222207", 9) end,
        function() api:plant_detail("2222207", 0, "today") end,
        function() api:plant_detail("2222207", 0, false) end,
      }) do
        local ok, err = pcall(f)
        assert.is_false(ok)
        assert.matches("^spec/api_read_spec%.lua:%d+: bad argument", err)
      end
    end)

    it("numbers are sent as integers", function()
      assert(api:plant_info(2222207))
      assert.same({ "plantId", "2222207" }, S.last().query[2])
      local list = assert(api:plant_list_two())
      assert(api:plant_info(list[1].id))
      assert.same({ "plantId", "2222207" }, S.last().query[2])
    end)
  end)

  describe("refusals", function()
    it("an obj read of someone else's device is an api error with the server's code and reply", function()
      local obj, err = api:mix_info("INV5K00301")
      assert.is_nil(obj)
      assert.equal("api", err.kind)
      assert.equal(0, err.code)
      assert.equal("no such device: INV5K00301", err.response.msg)
    end)

    it("a back read of someone else's plant is an api error with the server's msg", function()
      local back, err = api:plant_detail("3333301", 0, DAY)
      assert.is_nil(back)
      assert.equal("api", err.kind)
      assert.equal("no plant 3333301 for this user", err.code)
    end)

    it("a device of the wrong kind or plant is refused", function()
      assert.equal("api", select(2, api:tlx_detail("SPH6K00207")).kind)
      assert.equal("api", select(2, api:tlx_system_status("2222207", "MIN4K00208")).kind)
      assert.equal("api", select(2, api:storage_energy_overview("2222207", "SPH6K00207")).kind)
      assert.equal("api", select(2, api:noah_system_status("NOAH-NONE")).kind)
      assert.equal("api", select(2, api:is_plant_noah_system("3333301")).kind)
      assert.equal(1 + 5, #S.requests()) -- the login, then each refusal came from the sandbox
    end)

    it("the sandbox refuses a read whose parameters are missing, so a misnamed one would fail", function()
      assert(api:plant_info("2222207"))
      local cookie = S.last().cookie
      local res = S.http("GET", "newMixApi.do", { query = "op=getMixInfo&serialNum=SPH6K00207", cookie = cookie })
      assert.equal(0, res.json.result)
      assert.equal("mixId is required", res.json.msg)
    end)

    it("without a session every read is session_expired", function()
      local fresh = growatt.new({ server_url = url })
      local v, err = fresh:tlx_detail("MIN4K00208")
      assert.is_nil(v)
      assert.equal("session_expired", err.kind)
      local r = received("GET", "newTlxApi.do", { { "op", "getTlxDetailData" }, { "id", "MIN4K00208" } })
      assert.is_nil(r.cookie)
    end)
  end)

  describe("dry_run", function()
    it("returns the request; a fixed query in the path goes before the call's parameters", function()
      local dry = growatt.new({ server_url = url, dry_run = true })
      local before = #S.requests()
      local req = dry:storage_energy_overview("2222207", "STO5K00207")
      assert.equal(before, #S.requests())
      assert.equal("POST", req.method)
      assert.equal(url .. "newStorageAPI.do?op=getEnergyOverviewData_sacolar", req.url)
      assert.same({ { "plantId", "2222207" }, { "storageSn", "STO5K00207" } }, req.query)
      assert.equal("getEnergyOverviewData_sacolar", req.op)
      local dev = dry:device_list("2222208")
      assert.equal("getAllDeviceListTwo", dev.op)
    end)
  end)
end)
