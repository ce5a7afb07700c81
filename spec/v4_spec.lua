-- The OpenAPI v4 client against a recording server over real HTTP: every endpoint's exact
-- request (method, path, token header, every parameter in the form body and none in the
-- query), the rules kept before sending (nothing sent), each error code's kind, what the
-- replies become, the calls that are more than one request, and the token kept secret.
local growatt = require("growatt")
local scripted = require("spec.support.scripted")
local header = scripted.header
local unpack = table.unpack or unpack -- luacheck: ignore 143

local TOKEN = "v4-secret-token-0123456789abcdef"
local NOAH, MIN = "0PVPF12345", "MIN4K00208"

local OK_WRITE = '{"code":0,"data":null,"message":"PARAMETER_SETTING_SUCCESSFUL"}'

describe("growatt.v4", function()
  local server
  setup(function() server = scripted.start() end)
  teardown(function() server:stop() end)
  before_each(function() server:reply('{"code":0,"data":null,"message":"SUCCESSFUL_OPERATION"}') end)

  local function api(opts)
    opts = opts or {}
    opts.token = opts.token or TOKEN
    opts.server_url = opts.server_url or server.url
    return growatt.v4(opts)
  end

  -- The one request received: POST to the path, the token, no query, the form `form`.
  local function sent(path, form)
    local list = server:requests()
    assert.equal(1, #list)
    local r = list[1]
    assert.equal("POST /" .. path .. " HTTP/1.1", r.head:match("^[^\r\n]+"))
    assert.equal(TOKEN, header(r, "token"))
    assert.equal("application/x-www-form-urlencoded", header(r, "content-type"))
    assert.equal(form, r.body)
    return r
  end

  local function nothing_sent() assert.same({}, server:requests()) end

  describe("construction", function()
    it("is a client of the engine with v4's methods and none of the other families'", function()
      local a = api()
      assert.equal(require("growatt.v4.client").V4, getmetatable(a))
      assert.equal("https://openapi.growatt.com/", growatt.v4({ token = TOKEN }).server_url)
      assert.equal("https://openapi-us.growatt.com/",
        growatt.v4({ token = TOKEN, region = "north_america" }).server_url)
      for _, name in ipairs({ "batch", "stats", "close", "set_token", "devices", "device_list", "last_data",
        "set_time_segment", "raw" }) do
        assert.equal("function", type(a[name]), name)
      end
      for _, name in ipairs({ "login", "resume", "walk", "plant_list", "tlx_data", "min_energy", "device",
        "discover_server", "_login_request" }) do
        assert.is_nil(a[name], name)
      end
      local ok, msg = pcall(a.batch, a, { { "plant_list" } })
      assert.is_false(ok)
      assert.matches("batch: call 1", msg)
      nothing_sent()
    end)

    it("raises at the caller's line on a missing token, a wrong option type or an unknown option", function()
      local _, where = pcall(function() growatt.v4({}) end)
      assert.matches("v4_spec%.lua:%d+: growatt%.v4: option 'token' is required", where)
      assert.has_error(function() growatt.v4({ token = 42 }) end,
        "growatt.v4: option 'token' must be a string, got number")
      assert.has_error(function() growatt.v4({ token = TOKEN, timezone = "+2" }) end,
        "growatt.v4: option 'timezone' must be a number, got string")
      assert.has_error(function() growatt.v4({ token = TOKEN, tokn = "x" }) end, "growatt.v4: unknown option 'tokn'")
      assert.has_error(function() growatt.v4({ token = "a\nb" }) end,
        "growatt.v4: option 'token' must not contain control characters")
      nothing_sent()
    end)
  end)

  describe("requests", function()
    -- method, arguments, path, form body
    local CASES = {
      { "device_list", {}, "queryDeviceList", "page=1" },
      { "device_list", { 3 }, "queryDeviceList", "page=3" },
      { "device_info", { { NOAH, "0PVPF12346" }, "noah" }, "queryDeviceInfo",
        "deviceSn=0PVPF12345%2C0PVPF12346&deviceType=noah" },
      { "last_data", { MIN, "min" }, "queryLastData", "deviceSn=MIN4K00208&deviceType=min" },
      { "history", { MIN, "min", "2026-05-14" }, "queryHistoricalData",
        "deviceSn=MIN4K00208&deviceType=min&date=2026-05-14" },
      { "history", { MIN, "min", { year = 2026, month = 1, day = 2 } }, "queryHistoricalData",
        "deviceSn=MIN4K00208&deviceType=min&date=2026-01-02" },
      { "devices_history", { { "A1", "A2" }, "inv", "2026-05-14" }, "queryDevicesHistoricalData",
        "deviceSn=A1%2CA2&deviceType=inv&date=2026-05-14" },
      { "read_power", { NOAH, "noah" }, "readPower", "deviceSn=0PVPF12345&deviceType=noah" },
      { "wifi_signal", { MIN, "min" }, "getWiFiSignalByDevice", "deviceSn=MIN4K00208&deviceType=min" },
      { "read_vpp_parameter", { MIN, "min", 5 }, "readVppParameter",
        "deviceSn=MIN4K00208&deviceType=min&setType=set_param_5" },
      { "read_vpp_parameter", { MIN, "sph", "set_param_34" }, "readVppParameter",
        "deviceSn=MIN4K00208&deviceType=sph&setType=set_param_34" },
      { "dfc_data", { MIN, "min" }, "queryDfcData", "deviceSn=MIN4K00208&deviceType=min" },
      { "device_info_param", { NOAH, "noah" }, "queryDeviceInfoParam", "deviceSn=0PVPF12345&deviceType=noah" },
      { "set_on_off", { MIN, "min", true }, "setOnOrOff", "deviceSn=MIN4K00208&deviceType=min&value=1" },
      { "set_on_off", { "NHB691514F", "inv", 0 }, "setOnOrOff", "deviceSn=NHB691514F&deviceType=inv&value=0" },
      { "set_power", { MIN, "min", 40 }, "setPower", "deviceSn=MIN4K00208&deviceType=min&value=40" },
      { "set_power", { NOAH, "noah", 800 }, "setPower", "deviceSn=0PVPF12345&deviceType=noah&value=800" },
      { "set_high_limit_soc", { NOAH, "noah", 95 }, "setHighLimitSoc", "deviceSn=0PVPF12345&deviceType=noah&value=95" },
      { "set_low_limit_soc", { NOAH, "noah", 10 }, "setLowLimitSoc", "deviceSn=0PVPF12345&deviceType=noah&value=10" },
      { "set_grid_charge", { NOAH, "noah", false }, "setGridCharge", "deviceSn=0PVPF12345&deviceType=noah&value=0" },
      { "set_off_grid", { NOAH, "noah", 1 }, "setOffGrid", "deviceSn=0PVPF12345&deviceType=noah&value=1" },
      { "set_device", { NOAH, "noah", '{"deviceId":""}' }, "setDevice",
        "deviceSn=0PVPF12345&deviceType=noah&value=%7B%22deviceId%22%3A%22%22%7D" },
      { "set_time_segment", { NOAH, "noah", 1, "01:06", "02:05", 0, 150, false }, "setTimeSegment",
        "deviceSn=0PVPF12345&deviceType=noah&type=1&startTime=01%3A06&endTime=02%3A05&mode=0&power=150&enable=0" },
      { "set_time_segment", { NOAH, "noah", 9, "22:00", "23:59", 2, 0 }, "setTimeSegment",
        "deviceSn=0PVPF12345&deviceType=noah&type=9&startTime=22%3A00&endTime=23%3A59&mode=2&power=0&enable=1" },
      { "set_vpp_parameter", { MIN, "min", 22, 90 }, "setVppParameter",
        "deviceSn=MIN4K00208&deviceType=min&setType=set_param_22&value=90" },
      { "set_vpp_parameter", { MIN, "wit", "set_param_3", "2026-05-14 12:00:00" }, "setVppParameter",
        "deviceSn=MIN4K00208&deviceType=wit&setType=set_param_3&value=2026-05-14+12%3A00%3A00" },
      { "set_new_vpp_parameter", { MIN, "spa", 34, { { percentage = 95, startTime = 0, endTime = 300 } } },
        "setNewVppParameter", "deviceSn=MIN4K00208&deviceType=spa&setType=set_param_34&value=" ..
        "%5B%7B%22percentage%22%3A95%2C%22startTime%22%3A0%2C%22endTime%22%3A300%7D%5D" },
      { "remove_vpp_time_period", { MIN, "min", 34 }, "removeVppTimePeriod",
        "deviceSn=MIN4K00208&deviceType=min&setType=set_param_34" },
    }

    for _, case in ipairs(CASES) do
      it(case[1] .. " sends " .. case[4], function()
        local a = api()
        local args = case[2]
        local v, err = a[case[1]](a, unpack(args, 1, 8))
        assert.is_nil(err)
        assert.is_not_nil(v)
        sent("v4/new-api/" .. case[3], case[4])
      end)
    end

    it("every endpoint has a case above", function()
      local seen = {}
      for _, case in ipairs(CASES) do seen[case[1]] = true end
      for name in pairs(require("growatt.v4.client").endpoints) do assert.is_true(seen[name], name) end
    end)
  end)

  describe("rules kept before sending", function()
    local function refused(param, pattern, name, ...)
      local a = api()
      local v, err = a[name](a, ...)
      assert.is_nil(v)
      assert.equal("invalid", err.kind)
      assert.equal(param, err.param)
      assert.matches(pattern, err.message)
      nothing_sent()
    end

    it("device types, serials, pages and dates", function()
      refused("device_type", "must be one of inv, storage", "last_data", MIN, "tlx")
      refused("device_type", "must be one of", "read_power", MIN, "MIN")
      refused("device_sn", "at least one", "last_data", {}, "min")
      refused("device_sn", "item 2 is not a serial", "last_data", { "A", "B,C" }, "min")
      refused("device_sn", "item 1 is not a serial", "device_info", { " A" }, "min")
      refused("device_sn", "names 2 devices; one request takes at most 1", "history", { "A", "B" }, "min", "2026-01-01")
      refused("device_sn", "at most 1", "set_power", { "A", "B" }, "min", 50)
      refused("page", "must be an integer 1..", "device_list", 0)
      refused("date", "yyyy%-MM%-dd", "history", MIN, "min", "2026-5-1")
      refused("date", "real day", "history", MIN, "min", "2026-02-30")
      refused("date", "real day", "devices_history", { MIN }, "min", "14.05.2026")
    end)

    it("each write's range and device types", function()
      refused("value", "0..100", "set_power", MIN, "min", 101)
      refused("value", "0..800", "set_power", NOAH, "noah", 801)
      refused("value", "0..100", "set_power", MIN, "min", 50.5)
      refused("device_type", "cannot be switched on or off", "set_on_off", NOAH, "noah", true)
      refused("value", "true, false, 0 or 1", "set_on_off", MIN, "min", 2)
      refused("value", "0..100", "set_high_limit_soc", NOAH, "noah", 101)
      refused("value", "0..100", "set_low_limit_soc", NOAH, "noah", -1)
      refused("device_type", "noah devices only", "set_high_limit_soc", MIN, "min", 90)
      refused("device_type", "noah devices only", "set_grid_charge", MIN, "sph", true)
      refused("device_type", "noah devices only", "set_time_segment", MIN, "min", 1, "01:00", "02:00", 0, 100)
      refused("value", "true, false, 0 or 1", "set_off_grid", NOAH, "noah", "yes")
      refused("value", "JSON text", "set_device", NOAH, "noah", "not json")
    end)

    it("setTimeSegment: slot 1..9, HH:mm times, mode 0..2, power 0..800, enable 0/1", function()
      local function seg(param, pattern, ...) refused(param, pattern, "set_time_segment", NOAH, "noah", ...) end
      seg("slot", "1..9", 0, "01:00", "02:00", 0, 100)
      seg("slot", "1..9", 10, "01:00", "02:00", 0, 100)
      seg("start_time", "HH:mm", 1, "1:00", "02:00", 0, 100)
      seg("end_time", "HH:mm", 1, "01:00", "24:00", 0, 100)
      seg("end_time", "HH:mm", 1, "01:00", "02:60", 0, 100)
      seg("mode", "0..2", 1, "01:00", "02:00", 3, 100)
      seg("power", "0..800", 1, "01:00", "02:00", 0, 801)
      seg("enabled", "true, false, 0 or 1", 1, "01:00", "02:00", 0, 100, 2)
    end)

    it("the VPP parameter table: types, set_type and each range", function()
      refused("device_type", "sph, spa, min and wit only", "set_vpp_parameter", NOAH, "noah", 1, 0)
      refused("device_type", "sph, spa, min and wit only", "read_vpp_parameter", "X", "inv", 1)
      refused("set_type", "1..34", "set_vpp_parameter", MIN, "min", 35, 0)
      refused("set_type", "1..34", "read_vpp_parameter", MIN, "min", "set_param_x")
      refused("set_type", "1..34", "remove_vpp_time_period", MIN, "min", 0)
      local function vpp(n, bad_value)
        refused("value", "", "set_vpp_parameter", MIN, "min", n, bad_value)
      end
      vpp(1, 2); vpp(5, 101); vpp(9, 7); vpp(10, 61); vpp(12, 20001); vpp(14, -101); vpp(16, 301)
      vpp(22, 69); vpp(23, 31); vpp(24, 9); vpp(26, 1441); vpp(27, 101); vpp(30, 15001); vpp(33, 2001)
      vpp(3, "2026-05-14"); vpp(3, 1)
      refused("value[1]", "percentage", "set_vpp_parameter", MIN, "min", 34,
        { { percentage = 101, startTime = 0, endTime = 10 } })
      refused("value[1]", "ends before it starts", "set_vpp_parameter", MIN, "min", 34,
        { { percentage = 50, startTime = 600, endTime = 10 } })
      local many = {}
      for i = 1, 21 do many[i] = { percentage = 1, startTime = i, endTime = i } end
      refused("value", "at most 20 periods", "set_new_vpp_parameter", MIN, "min", 34, many)
      refused("value", "at most 20 periods", "set_vpp_parameter", MIN, "min", 34, '{"percentage":1}')
      refused("value", "at most 20 periods", "set_vpp_parameter", MIN, "min", 34, "not json")
    end)

    it("wrong argument types raise at the caller's line, also with { verify = true }", function()
      local a = api()
      local _, msg = pcall(function() a:last_data(42, "min") end)
      assert.matches("v4_spec%.lua:%d+: bad argument 'device_sn' to 'last_data' " ..
        "%(string or table expected, got number%)", msg)
      _, msg = pcall(function() a:last_data({ "A", 7 }, "min") end)
      assert.matches("v4_spec%.lua:%d+: bad argument 'device_sn%[2%]' to 'last_data'", msg)
      _, msg = pcall(function() a:history(MIN, "min", { year = 2026, month = 1.5, day = 1 }) end)
      assert.matches("v4_spec%.lua:%d+: bad argument 'date' to 'history' %(a table with year, month and day", msg)
      local v, err = a:history(MIN, "min", 2 ^ 52) -- a time far beyond yyyy
      assert.is_nil(v)
      assert.equal("date", err.param)
      _, msg = pcall(function() a:set_power(NOAH, nil, 10, { verify = true }) end)
      assert.matches("v4_spec%.lua:%d+: bad argument 'device_type' to 'set_power'", msg)
      _, msg = pcall(function() a:set_power(NOAH, "noah", 10, { verify = "yes" }) end)
      assert.matches("v4_spec%.lua:%d+: bad argument 'options.verify' to 'set_power'", msg)
      _, msg = pcall(function() a:set_off_grid(NOAH, "noah", 1, { verify = true }) end)
      assert.matches("v4_spec%.lua:%d+: set_off_grid: unknown option 'verify'", msg)
      local list = {}
      for i = 1, 150 do list[i] = "SN" .. i end
      list[120] = false
      _, msg = pcall(function() a:last_data(list, "min") end)
      assert.matches("v4_spec%.lua:%d+: .*device_sn%[20%]", msg)
      nothing_sent()
    end)
  end)

  describe("error codes", function()
    local CODES = {
      { '{"code":101,"message":"PERMISSION_DENIED"}', "auth" },
      { '{"code":2,"data":null,"message":"TOKEN_IS_INVALID"}', "auth" },
      { '{"code":12,"data":null,"message":"DEVICE_SN_DOES_NOT_HAVE_PERMISSION"}', "permission" },
      { '{"code":3,"data":null,"message":""}', "permission" },
      { '{"code":4,"data":null,"message":"DEVICE_NOT_FOUND"}', "not_found" },
      { '{"code":5,"data":null,"message":"DEVICE_OFFLINE"}', "offline" },
      { '{"code":6,"data":null,"message":"PARAMETER_SETTING_FAILED"}', "api" },
      { '{"code":15,"data":null,"message":"PARAMETER_SETTING_DEVICE_NOT_RESPONDING"}', "api" },
      { '{"code":16,"data":null,"message":"PARAMETER_SETTING_RESPONSE_TIMEOUT"}', "api" },
      { '{"code":1,"data":null,"message":"SYSTEM_ERROR"}', "api" },
      { '{"code":11,"data":null}', "api" },
    }
    for _, case in ipairs(CODES) do
      it(case[1] .. " is " .. case[2] .. " with the code", function()
        server:reply(case[1])
        local v, err = api():read_power(NOAH, "noah")
        assert.is_nil(v)
        assert.equal(case[2], err.kind)
        assert.equal(tonumber(case[1]:match('"code":(%d+)')), err.code)
        assert.is_nil(err.maybe_applied) -- a read
        assert.equal(1, #server:requests())
      end)
    end

    it("102 and 100 are rate_limited with the endpoint's interval as retry_after", function()
      for _, body in ipairs({ '{"code":102,"data":null,"message":"x"}', '{"code":100}' }) do
        server:reply(body)
        local a = api()
        local _, err = a:read_power(NOAH, "noah")
        assert.equal("rate_limited", err.kind)
        assert.equal(5, err.retry_after)
        _, err = a:last_data(NOAH, "noah")
        assert.equal(60, err.retry_after)
        _, err = a:last_data(MIN, "min")
        assert.equal(300, err.retry_after)
        assert.matches("queryLastData once per 300 s", err.message)
        _, err = a:device_list()
        assert.equal(5, err.retry_after)
        _, err = a:history(MIN, "min", "2026-01-01")
        assert.equal(300, err.retry_after)
      end
    end)

    it("code 1 on a write says the change may have been applied", function()
      server:reply('{"code":1,"data":null,"message":"SYSTEM_ERROR"}')
      local v, err = api():set_power(NOAH, "noah", 200)
      assert.is_nil(v)
      assert.equal("api", err.kind)
      assert.equal(1, err.code)
      assert.is_true(err.maybe_applied)
      assert.matches("verify = true", err.message)
    end)

    it("a redirect to a login page, or a password form, is auth for both token APIs, never session_expired",
      function()
        local redirect = "302 Found\r\nLocation: /login.do"
        server:reply("", redirect)
        local v, err = api():last_data(MIN, "min")
        assert.is_nil(v)
        assert.equal("auth", err.kind)
        assert.matches("token was refused, or server_url", err.message)
        assert.equal(1, #server:requests()) -- nothing to log in again with: sent once
        local v1 = growatt.openapi({ token = TOKEN, server_url = server.url })
        for _, reply in ipairs({ { "", redirect },
          { '<html><body><form method="post"><input type="password" name="p"></form></body></html>' } }) do
          server:reply(reply[1], reply[2])
          v, err = v1:plant_list()
          assert.is_nil(v)
          assert.equal("auth", err.kind)
          assert.equal(1, #server:requests())
          v1.min_interval = 0
        end
      end)

    it("an HTML login page is auth naming the token and the server", function()
      server:reply('<!DOCTYPE html><html data-name="login"><body><form action="login"></form></body></html>')
      local v, err = api():last_data(MIN, "min")
      assert.is_nil(v)
      assert.equal("auth", err.kind)
      assert.matches("token", err.message)
      assert.matches("server_url", err.message)
      server:reply("<html><body>maintenance</body></html>")
      local _
      _, err = api():last_data(MIN, "min")
      assert.equal("protocol", err.kind)
      server:reply('{"code":"0"}')
      _, err = api():last_data(MIN, "min")
      assert.equal("protocol", err.kind)
      server:reply("[1,2]")
      _, err = api():last_data(MIN, "min")
      assert.equal("protocol", err.kind)
      server:reply("{", "200 OK")
      _, err = api():last_data(MIN, "min")
      assert.equal("protocol", err.kind)
      server:reply("", "502 Bad Gateway")
      _, err = api({ retries = false }):read_power(MIN, "min")
      assert.equal("http", err.kind)
      assert.equal(502, err.status)
    end)
  end)

  describe("replies", function()
    it("last data: the type's list, null strings and sentinels as growatt.null, integers, local and UTC times",
      function()
        server:reply('{"code":0,"data":{"noah":[{"deviceSn":"0PVPF12345","time":1757298629105,"pac":261.0,' ..
          '"ppv":295,"eacToday":9.600000381469727,"vpv1":49.98,"alias":"null","battery2SerialNum":"",' ..
          '"pex1":-0.1,"status":-1,"timeStr":"2025-09-08 10:30:29"}]},"message":"SUCCESSFUL_OPERATION"}')
        local a = api()
        local v = assert(a:last_data(NOAH, "noah"))
        local r = v.noah[1]
        assert.equal(261, r.pac)
        if math.type then
          assert.equal("integer", math.type(r.pac))
          assert.equal("integer", math.type(r.time))
        end
        assert.equal(9.6, r.eacToday)
        assert.equal(49.98, r.vpv1)
        assert.equal(growatt.null, r.alias)
        assert.equal(growatt.null, r.battery2SerialNum)
        assert.equal(growatt.null, r.pex1)
        assert.equal(-1, r.status) -- -1 means something in a status: kept
        assert.equal(r.timeStr, r.time_local)
        assert.is_nil(r.time_utc) -- the plant's offset is unknown
        local raw = a:raw(v)
        assert.equal("null", raw.data.noah[1].alias)
        assert.equal(9.600000381469727, raw.data.noah[1].eacToday)
        assert.equal(1, #server:requests())
        -- the client's timezone option (hours east of UTC) gives the real instant
        server:reply('{"code":0,"data":{"noah":[{"time":1757298629105}]}}')
        r = assert(api({ timezone = 2 }):last_data(NOAH, "noah")).noah[1]
        assert.equal(os.time({ year = 2025, month = 9, day = 8, hour = 8, min = 30, sec = 29 }) -
          os.time(os.date("!*t", 0)), r.time_utc) -- 10:30:29 at UTC+2 is 08:30:29 UTC
      end)

    it("device info: the object's own timezone dates lastUpdateTime; a missing list is empty", function()
      server:reply('{"code":0,"data":{"min":[{"serialNum":"AFE494403F","lastUpdateTime":1716535759000,' ..
        '"lastUpdateTimeText":"2024-05-24 15:29:19","timezone":8.0,"sysTime":"","monitorVersion":"null",' ..
        '"model":720575940630937650}]},"message":"SUCCESSFUL_OPERATION"}')
      local d = assert(api():device_info("AFE494403F", "min")).min[1]
      assert.equal("2024-05-24 15:29:19", d.lastUpdateTime_local)
      assert.equal(1716535759, d.lastUpdateTime_utc) -- at UTC+8 the wall clock read as UTC+8 is the instant
      assert.equal(growatt.null, d.sysTime)
      assert.equal(growatt.null, d.monitorVersion)
      assert.equal(720575940630937650.0, d.model) -- past 2^53 the core decodes a float: kept as it is
      server:reply('{"code":0,"data":{},"message":"SUCCESSFUL_OPERATION"}')
      assert.same({ min = {} }, assert(api():device_info("X", "min")))
      server:reply('{"code":0,"message":"SUCCESSFUL_OPERATION"}')
      assert.same({ sph = {} }, assert(api():last_data("X", "sph")))
    end)

    it("readPower's number, the WiFi signal from message, VPP values and schedules", function()
      server:reply('{"code":0,"data":40.0,"message":"success"}')
      local p = assert(api():read_power(NOAH, "noah"))
      assert.equal(40, p)
      if math.type then assert.equal("integer", math.type(p)) end
      server:reply('{"code":0,"data":"SUCCESSFUL_OPERATION","message":"-70"}')
      assert.equal(-70, assert(api():wifi_signal(MIN, "min")))
      server:reply('{"code":0,"data":[{"percentage":95,"startTime":0,"endTime":300}],"message":"success"}')
      assert.same({ { percentage = 95, startTime = 0, endTime = 300 } },
        assert(api():read_vpp_parameter(MIN, "min", 34)))
      server:reply(OK_WRITE)
      assert.is_true(api():set_vpp_parameter(MIN, "min", 34, { { percentage = 95, startTime = 0, endTime = 300 } }))
    end)

    it("history, many devices' history, device list, dfc data and device parameters as sent", function()
      server:reply('{"code":0,"data":{"datas":[{"inverterId":"HTB1708008","ppv":1111.9,"timeCalendar":1716627393000,' ..
        '"time":"2024-05-25 16:56:33"}],"start":1,"haveNext":false},"message":"SUCCESSFUL_OPERATION"}')
      local h = assert(api():history("HTB1708008", "inv", "2024-05-25"))
      assert.equal(1111.9, h.datas[1].ppv)
      assert.equal("2024-05-25 16:56:33", h.datas[1].timeCalendar_local)
      assert.is_false(h.haveNext)
      server:reply('{"code":0,"data":{"A1":[{"pac":1.5}],"A2":[]},"message":"SUCCESSFUL_OPERATION"}')
      assert.same({ A1 = { { pac = 1.5 } }, A2 = {} }, assert(api():devices_history({ "A1", "A2" }, "inv")))
      server:reply('{"code":0,"data":{"activePower":0.00,"batPower":-4816.00,"utcTime":"2026-02-25 00:10:01",' ..
        '"batteryList":[{"index":1,"soc":100,"vbat":376.50}]}}')
      local dfc = assert(api():dfc_data(MIN, "min"))
      assert.equal(-4816, dfc.batPower)
      assert.equal(376.5, dfc.batteryList[1].vbat)
      assert.equal("2026-02-25 00:10:01", dfc.utcTime)
    end)
  end)

  describe("calls of more than one request", function()
    it("devices walks the pages of device_list until lastPager", function()
      server:script([[return function(n, path, body)
        local page = tonumber(body:match("page=(%d+)"))
        return string.format('{"code":0,"data":{"pages":3,"pageSize":100,"count":3,"lastPager":%s,' ..
          '"data":[{"deviceSn":"SN%d","deviceType":"noah"}]},"message":"SUCCESSFUL_OPERATION"}',
          tostring(page == 3), page)
      end]])
      local list = assert(api():devices())
      assert.same({ "SN1", "SN2", "SN3" }, { list[1].deviceSn, list[2].deviceSn, list[3].deviceSn })
      local r = server:requests()
      assert.equal(3, #r)
      assert.same({ "page=1", "page=2", "page=3" }, { r[1].body, r[2].body, r[3].body })
      server:reply('{"code":101,"message":"PERMISSION_DENIED"}')
      local none, err = api():devices()
      assert.is_nil(none)
      assert.equal("auth", err.kind)
    end)

    it("more than 100 serials are split into requests of 100 and the lists merged by type", function()
      server:script([[return function(n, path, body)
        local sns = body:match("deviceSn=([^&]*)"):gsub("%%2C", ",")
        local items = {}
        for sn in sns:gmatch("[^,]+") do items[#items + 1] = '{"serialNum":"' .. sn .. '"}' end
        return '{"code":0,"data":{"min":[' .. table.concat(items, ",") .. ']},"message":"SUCCESSFUL_OPERATION"}'
      end]])
      local sns = {}
      for i = 1, 250 do sns[i] = string.format("SN%03d", i) end
      local v = assert(api():last_data(sns, "min"))
      assert.equal(250, #v.min)
      for i = 1, 250 do assert.equal(sns[i], v.min[i].serialNum) end
      local r = server:requests()
      assert.equal(3, #r)
      assert.equal("deviceSn=" .. table.concat(sns, "%2C", 1, 100) .. "&deviceType=min", r[1].body)
      assert.equal("deviceSn=" .. table.concat(sns, "%2C", 201, 250) .. "&deviceType=min", r[3].body)
      -- devices_history: 50 per request, keyed by serial
      server:script([[return function(n, path, body)
        local sn = body:match("deviceSn=([^&%%]*)")
        return '{"code":0,"data":{"' .. sn .. '":[]},"message":"SUCCESSFUL_OPERATION"}'
      end]])
      local h = assert(api():devices_history({ unpack(sns, 1, 120) }, "min", "2026-01-01"))
      assert.same({}, h.SN001)
      assert.same({}, h.SN051)
      assert.same({}, h.SN101)
      assert.equal(3, #server:requests())
    end)

    it("an empty part keeps what the others returned", function()
      server:script([[return function(n, path, body)
        if body:find("deviceSn=SN101", 1, true) then return '{"code":0,"data":{"min":[]}}' end
        return '{"code":0,"data":{"min":[{"serialNum":"SN1"}]},"message":"SUCCESSFUL_OPERATION"}'
      end]])
      local sns = {}
      for i = 1, 101 do sns[i] = "SN" .. i end
      assert.same({ min = { { serialNum = "SN1" } } }, api():last_data(sns, "min"))
      assert.equal(2, #server:requests())
    end)

    it("when one part fails, the call fails with its error and the parts that came", function()
      server:script([[return function(n, path, body)
        local first = body:match("deviceSn=(SN%d+)")
        if first == "SN101" then return '{"code":102,"data":null}' end
        return '{"code":0,"data":{"min":[{"serialNum":"' .. first .. '"}]},"message":"SUCCESSFUL_OPERATION"}'
      end]])
      local sns = {}
      for i = 1, 201 do sns[i] = "SN" .. i end
      local v, err = api():device_info(sns, "min")
      assert.is_nil(v)
      assert.equal("rate_limited", err.kind)
      assert.same({ min = { { serialNum = "SN1" }, { serialNum = "SN201" } } }, err.partial)
    end)

    it("a batch call keeps the limit of one request", function()
      local list = {}
      for i = 1, 101 do list[i] = "SN" .. i end
      local a = api()
      local values, errs = a:batch({ { "last_data", list, "min" }, { "read_power", NOAH, "noah" } })
      assert.is_nil(values[1])
      assert.equal("invalid", errs[1].kind)
      assert.equal("device_sn", errs[1].param)
      assert.equal(1, #server:requests())
    end)
  end)

  describe("writes read back with { verify = true }", function()
    it("code 1 and the value took: true, verified", function()
      server:script([[return function(n, path)
        if path:find("setPower") then return '{"code":1,"data":null,"message":"SYSTEM_ERROR"}' end
        return '{"code":0,"data":300,"message":"success"}'
      end]])
      local ok, info = api():set_power(NOAH, "noah", 300, { verify = true })
      assert.is_true(ok)
      assert.same({ verified = true, read = 300, code = 1 }, info)
      local r = server:requests()
      assert.equal(2, #r)
      assert.equal("v4/new-api/readPower", r[2].path)
      assert.equal("deviceSn=0PVPF12345&deviceType=noah", r[2].body)
    end)

    it("accepted but another value read back: nil and an error saying so", function()
      server:script([[return function(n, path)
        if path:find("setHighLimitSoc") then return ']] .. OK_WRITE .. [[' end
        return '{"code":0,"data":{"noah":[{"deviceSn":"0PVPF12345","chargingSocHighLimit":100}]}}'
      end]])
      local ok, err = api():set_high_limit_soc(NOAH, "noah", 90, { verify = true })
      assert.is_nil(ok)
      assert.equal("api", err.kind)
      assert.is_false(err.verified)
      assert.equal(100, err.read)
      assert.equal(2, #server:requests())
    end)

    it("a time segment is compared with the details' unpadded H:M", function()
      server:script([[return function(n, path)
        if path:find("setTimeSegment") then return ']] .. OK_WRITE .. [[' end
        return '{"code":0,"data":{"noah":[{"time2Start":"6:5","time2End":"9:30","time2Mode":1,"time2Power":300,' ..
          '"time2Enable":1}]}}'
      end]])
      local ok, info = api():set_time_segment(NOAH, "noah", 2, "06:05", "09:30", 1, 300, true, { verify = true })
      assert.is_true(ok)
      assert.is_true(info.verified)
    end)

    it("code 6 is not read back; a dry run sends nothing", function()
      server:reply('{"code":6,"data":null,"message":"PARAMETER_SETTING_FAILED"}')
      local ok, err = api():set_vpp_parameter(MIN, "min", 5, 80, { verify = true })
      assert.is_nil(ok)
      assert.equal(6, err.code)
      assert.equal(1, #server:requests())
      server:reply(OK_WRITE)
      local req = api():set_power(NOAH, "noah", 100, { verify = true, dry_run = true })
      assert.equal("POST", req.method)
      nothing_sent()
    end)
  end)

  describe("dry runs and secrets", function()
    it("a dry run returns the request with the token marked and sends nothing", function()
      local a = api({ dry_run = true })
      local req = a:set_time_segment(NOAH, "noah", 1, "01:00", "02:00", 0, 100)
      assert.equal(server.url .. "v4/new-api/setTimeSegment", req.url)
      assert.same({ { "token", "***" } }, req.headers)
      assert.same({ "deviceSn", "0PVPF12345" }, req.form[1])
      local list = {}
      for i = 1, 150 do list[i] = "S" .. i end
      local reqs = a:last_data(list, "min")
      assert.equal(2, #reqs)
      assert.equal(server.url .. "v4/new-api/queryDeviceList", a:devices().url)
      assert.equal("***", reqs[2].headers[1][2])
      nothing_sent()
    end)

    it("the token is in no error, hook payload or stats", function()
      local seen = {}
      local function text(v, out, depth)
        out = out or {}
        if type(v) == "table" and (depth or 0) < 6 then
          for k, x in pairs(v) do text(k, out, (depth or 0) + 1) text(x, out, (depth or 0) + 1) end
        elseif type(v) ~= "function" then out[#out + 1] = tostring(v) end
        return table.concat(out, "\n")
      end
      local a = api({ on_request = function(info) seen[#seen + 1] = text(info) end })
      for _, body in ipairs({ '{"code":101,"message":"PERMISSION_DENIED"}', '{"code":12,"data":null}',
        '<html data-name="login"></html>', '{"code":1}', "{" }) do
        server:reply(body)
        local _, err = a:set_power(NOAH, "noah", 10)
        seen[#seen + 1] = tostring(err) .. text(err)
        _, err = a:last_data(NOAH, "noah")
        seen[#seen + 1] = tostring(err) .. text(err)
      end
      seen[#seen + 1] = text(a:stats())
      seen[#seen + 1] = text(a)
      for _, s in ipairs(seen) do assert.is_nil(s:find(TOKEN, 1, true)) end
      assert.is_true(#seen > 10)
    end)
  end)

  describe("intervals, kept before sending", function()
    local policy = require("growatt.engine.policy")
    local real_now = policy.now
    local now
    before_each(function()
      now = 1000
      policy.now = function() return now end
    end)
    after_each(function() policy.now = real_now end)

    -- The same call at `first`, at the window's last second (refused, nothing sent) and at
    -- its end (sent again).
    local function window(seconds, name, ...)
      local a = api()
      server:reply('{"code":0,"data":{"noah":[],"min":[]},"message":"SUCCESSFUL_OPERATION"}')
      now = 1000
      assert.is_not_nil(a[name](a, ...))
      now = 1000 + seconds - 1
      local v, err = a[name](a, ...)
      assert.is_nil(v)
      assert.equal("rate_limited", err.kind)
      assert.equal(1, err.retry_after)
      assert.equal(1, #server:requests())
      now = 1000 + seconds
      assert.is_not_nil(a[name](a, ...))
      assert.equal(2, #server:requests())
    end

    it("5 s for the device list, small reads and writes", function()
      window(5, "device_list", 1)
      window(5, "read_power", NOAH, "noah")
      window(5, "wifi_signal", MIN, "min")
      window(5, "read_vpp_parameter", MIN, "min", 5)
      window(5, "set_power", NOAH, "noah", 100)
      window(5, "set_time_segment", NOAH, "noah", 1, "01:00", "02:00", 0, 100)
    end)

    it("1 min for noah last data, 5 min for other last data, details and history", function()
      window(60, "last_data", NOAH, "noah")
      window(300, "last_data", MIN, "min")
      window(300, "device_info", NOAH, "noah")
      window(300, "history", MIN, "min", "2026-01-01")
      window(300, "devices_history", { MIN }, "min", "2026-01-01")
    end)

    it("per device set and parameters: another serial, page or value is another window", function()
      local a = api()
      server:reply('{"code":0,"data":{"min":[]},"message":"SUCCESSFUL_OPERATION"}')
      assert.truthy(a:last_data(MIN, "min"))
      assert.truthy(a:last_data({ MIN, "MIN4K00209" }, "min"))
      assert.truthy(a:device_list(2))
      assert.truthy(a:set_power(MIN, "min", 10))
      assert.truthy(a:set_power(MIN, "min", 20))
      assert.equal(5, #server:requests())
    end)

    it("intervals = false leaves them to the server (a test server without them)", function()
      local a = api({ intervals = false })
      server:reply('{"code":0,"data":40,"message":"success"}')
      assert.equal(40, a:read_power(NOAH, "noah"))
      assert.equal(40, a:read_power(NOAH, "noah"))
      assert.equal(2, #server:requests())
      assert.has_error(function() api({ intervals = 0 }) end,
        "growatt.v4: option 'intervals' must be a boolean, got number")
    end)

    it("with cache = true a repeat answers the last good value and its age", function()
      local a = api({ cache = true })
      server:reply('{"code":0,"data":40,"message":"success"}')
      assert.equal(40, a:read_power(NOAH, "noah"))
      now = 1003
      local v, info = a:read_power(NOAH, "noah")
      assert.equal(40, v)
      assert.same({ cached = true, age = 3 }, info)
      assert.equal(1, #server:requests())
    end)

    it("a split call answered from the cache is no error", function()
      local a = api({ cache = true })
      server:reply('{"code":0,"data":{"min":[{"serialNum":"SN1"}]},"message":"SUCCESSFUL_OPERATION"}')
      local sns = {}
      for i = 1, 101 do sns[i] = "SN" .. i end
      assert.equal(2, #assert(a:last_data(sns, "min")).min)
      now = 1010.5
      assert.equal(2, #assert(a:last_data(sns, "min")).min)
      assert.equal(2, #server:requests())
    end)

    it("a verify inside the read's window is no verification, also with the cache", function()
      local a = api({ cache = true })
      server:script([[return function(n, path)
        if path:find("setPower") then return '{"code":0,"data":null,"message":"PARAMETER_SETTING_SUCCESSFUL"}' end
        return '{"code":0,"data":100,"message":"success"}'
      end]])
      assert.equal(100, a:read_power(NOAH, "noah"))
      now = 1001.5
      local ok, info = a:set_power(NOAH, "noah", 300, { verify = true })
      assert.is_true(ok)
      assert.is_false(info.verified)
      assert.equal("rate_limited", info.verify_error.kind)
      assert.equal(2, #server:requests()) -- the read, the write; no second read
    end)

    it("is kept in the store: processes sharing a state file never send inside a window", function()
      policy.now = real_now
      local H = require("spec.support.session")
      local dir = H.tempdir()
      local path = dir .. "/state.json"
      server:reply('{"code":0,"data":{"noah":[{"deviceSn":"' .. NOAH .. '"}]},"message":"SUCCESSFUL_OPERATION"}')
      local sent_count, limited, out = H.race(dir, 4, "v4", string.format("{ token = %q, server_url = %q, " ..
        "state_file = %q }", TOKEN, server.url, path), string.format("last_data(%q, 'noah')", NOAH))
      assert.equal(1, sent_count, out)
      assert.equal(3, limited, out)
      assert.equal(1, #server:requests())
      assert.is_nil(H.read(path):find(TOKEN, 1, true))
      -- this process too, with the same state file
      local v, err = api({ state_file = path }):last_data(NOAH, "noah")
      assert.is_nil(v)
      assert.equal("rate_limited", err.kind)
      assert.is_true(err.retry_after > 50 and err.retry_after <= 60)
      assert.equal(1, #server:requests())
      H.remove(dir)
    end)
  end)
end)
