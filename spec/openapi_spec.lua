-- The OpenAPI v1 (token) client against the sandbox's v1 endpoints, over real HTTP: what
-- the sandbox received (method, path, token header, every parameter and where it was) and
-- what the caller got back.
local growatt = require("growatt")
local S = require("spec.support.sandbox")
local pairs_of = S.pairs_of

local unpack = table.unpack or unpack

local TOKEN = "demo-token"
local MIN, SPH = "MIN4K00208", "SPH6K00207"

-- "&param<from>=...&param<to>=" with empty values.
local function empty_params(from, to)
  local t = {}
  for i = from, to do t[#t + 1] = "&param" .. i .. "=" end
  return table.concat(t)
end

local PERIODS = {
  { start_time = "1:00", end_time = "5:30", enabled = true },
  { start_time = { hour = 13, min = 0 }, end_time = "14:00", enabled = false },
  { start_time = "0:00", end_time = "0:00" },
}

describe("growatt.openapi", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function() S.reset() end)

  local function api(opts)
    opts = opts or {}
    opts.token = opts.token or TOKEN
    if not opts.region then opts.server_url = opts.server_url or url end
    return growatt.openapi(opts)
  end

  -- The one request the sandbox received: method, path, token, query and form as strings.
  local function sent(method, path, query, form)
    local list = S.requests()
    assert.equal(1, #list)
    local r = list[1]
    assert.equal(method, r.method)
    assert.equal(path, r.path)
    assert.equal(TOKEN, r.headers.token)
    assert.equal(query, pairs_of(r.query))
    assert.equal(form, pairs_of(r.form))
    return r
  end

  describe("construction", function()
    it("is a client of the engine with the token, the official server and its own user agent", function()
      local a = growatt.openapi({ token = TOKEN })
      assert.equal("https://openapi.growatt.com/", a.server_url)
      assert.equal(growatt.Api.close, a.close)
      assert.equal(require("growatt.openapi").OpenApi, getmetatable(a))
      local b = require("growatt.openapi").new({ token = TOKEN, server_url = url })
      assert.truthy(b:plant_list())
      assert.equal(_VERSION:gsub(" ", "/") .. " (lua-growatt/" .. growatt._VERSION .. ")",
        S.last().headers["user-agent"])
      api({ agent_identifier = "my-agent" }):plant_details(2222207)
      assert.equal("my-agent", S.last().headers["user-agent"])
    end)

    it("has the shared methods and none of the ShinePhone client's", function()
      local a = api()
      for _, name in ipairs({ "batch", "stats", "close", "plant_list", "device", "set_token" }) do
        assert.equal("function", type(a[name]), name)
      end
      local shinephone = { "login", "resume", "walk", "tlx_data", "mix_info", "inverter_detail",
        "plant_settings", "update_ac_inverter_setting", "_login_request" }
      for _, name in ipairs(shinephone) do
        assert.is_nil(a[name], name)
        assert.equal("function", type(growatt.Api[name]), name)
      end
      local ok, msg = pcall(function() return a:tlx_data("MIN4K00208") end)
      assert.is_false(ok)
      assert.matches("tlx_data", msg)
      ok, msg = pcall(a.batch, a, { { "tlx_data", "MIN4K00208" } })
      assert.is_false(ok)
      assert.matches("batch: call 1", msg)
      assert.same({}, S.requests()) -- nothing was sent
    end)

    it("takes a region instead of server_url", function()
      assert.equal("https://openapi-us.growatt.com/", api({ region = "north_america" }).server_url)
      assert.has_error(function() api({ region = "mars" }) end)
    end)

    it("raises at the caller's line on a missing token, a wrong option type or an unknown option", function()
      local ok, msg = pcall(growatt.openapi, { server_url = url })
      assert.is_false(ok)
      assert.matches("growatt.openapi: option 'token' is required", msg)
      assert.has_error(function() growatt.openapi({ token = 42 }) end,
        "growatt.openapi: option 'token' must be a string, got number")
      assert.has_error(function() growatt.openapi({ token = TOKEN, cache = "yes" }) end,
        "growatt.openapi: option 'cache' must be a boolean, got string")
      assert.has_error(function() growatt.openapi({ token = TOKEN, min_interval = -1 }) end,
        "growatt.openapi: option 'min_interval' must be >= 0")
      assert.has_error(function() growatt.openapi({ token = TOKEN, tokn = "x" }) end,
        "growatt.openapi: unknown option 'tokn'")
      assert.has_error(function() growatt.openapi("token") end,
        "bad argument 'opts' to 'growatt.openapi' (table expected, got string)")
      local _, where = pcall(function() growatt.openapi({}) end)
      assert.matches("openapi_spec%.lua:%d+: growatt%.openapi: option 'token' is required", where)
      assert.equal(0, #S.requests())
    end)
  end)

  describe("plants", function()
    it("plant_list sends a form body on a GET and returns data", function()
      local data = assert(api():plant_list())
      local r = sent("GET", "v1/plant/list", "", "page=&perpage=&search_type=&search_keyword=")
      assert.matches("application/x%-www%-form%-urlencoded", r.content_type)
      assert.equal(3, data.count)
      assert.equal(2222207, data.plants[1].plant_id)
      assert.equal(1234567, data.plants[1].user_id)
      assert.equal("10500.0", data.plants[1].total_energy) -- a numeric string, as Growatt sends it
      if math.type then assert.equal("integer", math.type(data.plants[1].plant_id)) end
    end)

    it("plant_details and plant_energy_overview send plant_id in the query", function()
      local details = assert(api():plant_details(2222208))
      sent("GET", "v1/plant/details", "plant_id=2222208", "")
      assert.equal("Roof MIN hybrid", details.name)
      assert.equal("MIN 4200TL-XH", details.inverters[1].inverter_md)
      assert.equal(growatt.null, details.designer_contact)
      S.reset()
      local overview = assert(api():plant_energy_overview("2222208"))
      sent("GET", "v1/plant/data", "plant_id=2222208", "")
      assert.equal("9.4", overview.today_energy)
      assert.equal(1.85, overview.current_power)
    end)

    it("plant_power_overview sends the day (default today) and returns 288 five-minute points", function()
      local day = assert(api():plant_power_overview(2222208, "2026-06-01"))
      sent("GET", "v1/plant/power", "plant_id=2222208&date=2026-06-01", "")
      assert.equal(288, day.count)
      assert.same({ time = "2026-06-01 00:00", power = 0 }, day.powers[1])
      assert.is_true(day.powers[13 * 12 + 1].power > 1000) -- 13:00, near the peak
      S.reset()
      api():plant_power_overview(2222208)
      sent("GET", "v1/plant/power", "plant_id=2222208&date=" .. os.date("%Y-%m-%d"), "")
    end)

    it("plant_energy_history sends dates, time unit and paging in the query", function()
      local h = assert(api():plant_energy_history(2222208, "2026-06-01", "2026-06-03"))
      sent("GET", "v1/plant/energy", "plant_id=2222208&start_date=2026-06-01&end_date=2026-06-03&time_unit=day", "")
      assert.equal(3, h.count)
      assert.equal("2026-06-01", h.energys[1].date)
      S.reset()
      local last_day = { year = 2026, month = 12, day = 31 }
      h = assert(api():plant_energy_history(2222208, "2025-01-01", last_day, "month", 2, 10))
      sent("GET", "v1/plant/energy",
        "plant_id=2222208&start_date=2025-01-01&end_date=2026-12-31&time_unit=month&page=2&perpage=10", "")
      assert.equal(24, h.count)
      assert.equal(10, #h.energys)
      assert.equal("2025-11", h.energys[1].date)
    end)

    it("plant_energy_history fills a missing date from the other, or today", function()
      local today = os.date("%Y-%m-%d")
      api():plant_energy_history(2222208)
      assert.equal("plant_id=2222208&start_date=" .. today .. "&end_date=" .. today .. "&time_unit=day",
        pairs_of(S.last().query))
      api():plant_energy_history(2222208, nil, "2026-06-02")
      assert.equal("plant_id=2222208&start_date=2026-06-02&end_date=2026-06-02&time_unit=day",
        pairs_of(S.last().query))
      api():plant_energy_history(2222208, "2026-06-05")
      assert.equal("plant_id=2222208&start_date=2026-06-05&end_date=2026-06-05&time_unit=day",
        pairs_of(S.last().query))
    end)

    it("plant_energy_history refuses ranges beyond the documented limits, sending nothing", function()
      local a = api()
      local cases = {
        { { "2026-06-01", "2026-06-09" }, "end_date", "at most 7 days" },
        { { "2024-01-01", "2026-01-01", "month" }, "end_date", "year of start_date or the next" },
        { { "2000-01-01", "2021-01-01", "year" }, "end_date", "at most 20 years" },
        { { "2026-06-02", "2026-06-01" }, "end_date", "before start_date" },
        { { "2026-06-01", "2026-06-02", "week" }, "time_unit", "'day', 'month' or 'year'" },
        { { "2026-06-01", "2026-06-02", "day", 251 }, "page", "1..250" },
        { { "2026-06-01", "2026-06-02", "day", 1, 101 }, "perpage", "1..100" },
        { { "2026-06-01", "2026-06-02", "day", 0 }, "page", "1..250" },
      }
      for _, c in ipairs(cases) do
        local v, err = a:plant_energy_history(2222208, unpack(c[1]))
        assert.is_nil(v)
        assert.equal("invalid", err.kind)
        assert.equal(c[2], err.param)
        assert.truthy(err.message:find(c[3], 1, true), err.message)
      end
      assert.truthy(a:plant_energy_history(2222208, "2026-06-01", "2026-06-08"))    -- 7 days is fine
      assert.truthy(a:plant_energy_history(2222208, "2001-01-01", "2021-12-31", "year"))
      assert.equal(2, #S.requests())
    end)

    it("device_list sends plant_id and empty paging and returns the devices with v1 types", function()
      local d = assert(api():device_list(2222207))
      sent("GET", "v1/device/list", "plant_id=2222207&page=&perpage=", "")
      assert.equal(2, d.count)
      assert.equal(SPH, d.devices[1].device_sn)
      assert.equal(growatt.DeviceType.SPH, d.devices[1].type)
      assert.equal(growatt.DeviceType.STORAGE, d.devices[2].type)
      assert.is_false(d.devices[1].lost)
    end)
  end)

  describe("MIN", function()
    it("min_detail and min_settings send device_sn in the query", function()
      local detail = assert(api():min_detail(MIN))
      sent("GET", "v1/device/tlx/tlx_data_info", "device_sn=" .. MIN, "")
      assert.equal(MIN, detail.serialNum)
      assert.equal("table", type(detail.tlxSetbean))
      S.reset()
      local s = assert(api():min_settings(MIN))
      sent("GET", "v1/device/tlx/tlx_set_info", "device_sn=" .. MIN, "")
      assert.equal("1:0", s.forcedTimeStart1)
      assert.equal("null", s.time2Mode)
    end)

    it("min_energy posts tlx_sn", function()
      local e = assert(api():min_energy(MIN))
      sent("POST", "v1/device/tlx/tlx_last_data", "", "tlx_sn=" .. MIN)
      assert.equal(1850, e.ppv)
      assert.equal(9.4, e.eacToday)
      assert.equal(71, e.bdc1Soc)
    end)

    it("min_energy_history posts the range, time zone and paging; a missing end is the start", function()
      local h = assert(api():min_energy_history(MIN, "2026-06-01", "2026-06-02", "Europe/Amsterdam", 2, 5))
      sent("POST", "v1/device/tlx/tlx_data", "",
        "tlx_sn=" .. MIN .. "&start_date=2026-06-01&end_date=2026-06-02&timezone_id=Europe/Amsterdam&page=2&perpage=5")
      assert.equal(576, h.count)
      assert.equal(5, #h.datas)
      assert.equal("2026-06-01 00:25:00", h.datas[1].time)
      assert.equal(MIN, h.tlx_sn)
      S.reset()
      assert.truthy(api():min_energy_history(MIN, os.time({ year = 2026, month = 6, day = 3, hour = 12 })))
      sent("POST", "v1/device/tlx/tlx_data", "", "tlx_sn=" .. MIN .. "&start_date=2026-06-03&end_date=2026-06-03")
    end)

    it("min_energy_history refuses more than 7 days and large pages, sending nothing", function()
      local _, err = api():min_energy_history(MIN, "2026-06-01", "2026-06-09")
      assert.equal("invalid", err.kind)
      assert.equal("end_date", err.param)
      _, err = api():min_energy_history(MIN, "2026-06-01", "2026-06-02", nil, 1, 500)
      assert.equal("limit", err.param)
      assert.equal(0, #S.requests())
    end)

    it("min_read_parameter: a named parameter with addresses 0, or a register range", function()
      assert.equal("100", api():min_read_parameter(MIN, "charge_power"))
      sent("POST", "v1/readMinParam", "", "device_sn=" .. MIN .. "&paramId=charge_power&startAddr=0&endAddr=0")
      S.reset()
      assert.equal("10", api():min_read_parameter(MIN, nil, 30))
      sent("POST", "v1/readMinParam", "", "device_sn=" .. MIN .. "&paramId=set_any_reg&startAddr=30&endAddr=30")
      local _, err = api():min_read_parameter(MIN)
      assert.equal("invalid", err.kind)
      assert.equal("parameter_id", err.param)
      _, err = api():min_read_parameter(MIN, "charge_power", 1, 2)
      assert.equal("invalid", err.kind)
      assert.equal(1, #S.requests())
    end)

    it("min_write_parameter sends all 19 params and the setting reads back", function()
      assert.is_true(api():min_write_parameter(MIN, "charge_power", 80))
      sent("POST", "v1/tlxSet", "", "tlx_sn=" .. MIN .. "&type=charge_power&param1=80" .. empty_params(2, 19))
      assert.equal("80", api():min_read_parameter(MIN, "charge_power"))
    end)

    it("min_write_parameter takes a list or a position map, and drops positions past 19", function()
      local a = api()
      local req = a:min_write_parameter(MIN, "x", { "a", 2, true }, { dry_run = true })
      assert.equal("tlx_sn=" .. MIN .. "&type=x&param1=a&param2=2&param3=True" .. empty_params(4, 19),
        pairs_of(req.form))
      req = a:min_write_parameter(MIN, "x", { [3] = "c", ["5"] = 5.5, [20] = "past" }, { dry_run = true })
      assert.equal("tlx_sn=" .. MIN .. "&type=x&param1=&param2=&param3=c&param4=&param5=5.5" .. empty_params(6, 19),
        pairs_of(req.form))
      req = a:min_write_parameter(MIN, "x", nil, { dry_run = true })
      assert.equal("tlx_sn=" .. MIN .. "&type=x" .. empty_params(1, 19), pairs_of(req.form))
      assert.equal(0, #S.requests())
    end)

    it("min_write_parameter refuses values outside the setting's range, sending nothing", function()
      local ok, err = api():min_write_parameter(MIN, "charge_power", 150)
      assert.is_nil(ok)
      assert.equal("invalid", err.kind)
      assert.equal("param1", err.param)
      assert.equal(0, #S.requests())
    end)

    it("min_write_time_segment sends unpadded times and reads back through min_read_time_segments", function()
      assert.is_true(api():min_write_time_segment(MIN, 2, growatt.BATT_MODE_GRID_FIRST, "6:05", { hour = 8, min = 0 }))
      sent("POST", "v1/tlxSet", "", "tlx_sn=" .. MIN ..
        "&type=time_segment2&param1=2&param2=6&param3=5&param4=8&param5=0&param6=1" .. empty_params(7, 19))
      local segments = assert(api():min_read_time_segments(MIN))
      assert.equal(9, #segments)
      assert.same({ segment_id = 1, batt_mode = 1, mode_name = "Battery First", start_time = "01:00",
                    end_time = "05:00", enabled = true }, segments[1])
      assert.same({ segment_id = 2, batt_mode = 2, mode_name = "Grid First", start_time = "06:05",
                    end_time = "08:00", enabled = true }, segments[2])
      assert.same({ segment_id = 3, mode_name = "Unknown", start_time = "00:00", end_time = "00:00",
                    enabled = false }, segments[3])
      assert.is_true(api():min_write_time_segment(MIN, 9, 0, "22:00", "23:59", false))
      assert.equal("param6=0", pairs_of(S.last().form):match("param6=%d"))
    end)

    it("min_write_time_segment refuses a segment, mode or time out of range, sending nothing", function()
      local a = api()
      local cases = {
        { { 0, 1, "1:00", "2:00" }, "segment_id" }, { { 10, 1, "1:00", "2:00" }, "segment_id" },
        { { 1, 3, "1:00", "2:00" }, "batt_mode" }, { { 1, -1, "1:00", "2:00" }, "batt_mode" },
        { { 1, 1, "24:00", "2:00" }, "param2" }, { { 1, 1, "1:00", "2:60" }, "param5" },
      }
      for _, c in ipairs(cases) do
        local ok, err = a:min_write_time_segment(MIN, c[1][1], c[1][2], c[1][3], c[1][4])
        assert.is_nil(ok)
        assert.equal("invalid", err.kind)
        assert.equal(c[2], err.param)
      end
      assert.equal(0, #S.requests())
    end)

    it("min_read_time_segments reads given settings (or their envelope) without a request", function()
      local s = { forcedTimeStart4 = "7:3", forcedTimeStop4 = "9:45", time4Mode = 0, forcedStopSwitch4 = "1",
                  forcedTimeStart5 = "null", time5Mode = "null", forcedStopSwitch5 = growatt.null }
      local segments = assert(api():min_read_time_segments(MIN, s))
      assert.same({ segment_id = 4, batt_mode = 0, mode_name = "Load First", start_time = "07:03",
                    end_time = "09:45", enabled = true }, segments[4])
      assert.same({ segment_id = 5, mode_name = "Unknown", start_time = "00:00", end_time = "00:00",
                    enabled = false }, segments[5])
      assert.same(segments, api():min_read_time_segments(MIN, { data = s, error_code = 0 }))
      assert.equal(0, #S.requests())
    end)
  end)

  describe("SPH", function()
    it("sph_detail sends device_sn; sph_energy posts mix_sn", function()
      local d = assert(api():sph_detail(SPH))
      sent("GET", "v1/device/mix/mix_data_info", "device_sn=" .. SPH, "")
      assert.equal(6, d.status)
      assert.equal("17:0", d.forcedDischargeTimeStart1)
      S.reset()
      local e = assert(api():sph_energy(SPH))
      sent("POST", "v1/device/mix/mix_last_data", "", "mix_sn=" .. SPH)
      assert.equal(62, e.bmsSOC)
      assert.equal("1843.6", e.echarge1Total)
    end)

    it("sph_energy_history posts mix_sn and the range", function()
      local h = assert(api():sph_energy_history(SPH, "2026-06-01", "2026-06-01", nil, nil, 3))
      sent("POST", "v1/device/mix/mix_data", "",
        "mix_sn=" .. SPH .. "&start_date=2026-06-01&end_date=2026-06-01&perpage=3")
      assert.equal(288, h.count)
      assert.equal(3, #h.datas)
      assert.equal(SPH, h.mix_sn)
      local _, err = api():sph_energy_history(SPH, "2026-06-01", "2026-06-10")
      assert.equal("invalid", err.kind)
      assert.equal(1, #S.requests())
    end)

    it("sph_read_parameter: named, or a register range whose missing end is left out", function()
      assert.equal("1", api():sph_read_parameter(SPH, "pv_on_off"))
      sent("POST", "v1/readMixParam", "", "device_sn=" .. SPH .. "&paramId=pv_on_off&startAddr=0&endAddr=0")
      S.reset()
      assert.equal("35", api():sph_read_parameter(SPH, nil, 5))
      sent("POST", "v1/readMixParam", "", "device_sn=" .. SPH .. "&paramId=set_any_reg&startAddr=5")
      local _, err = api():sph_read_parameter(SPH)
      assert.equal("parameter_id", err.param)
      assert.equal(1, #S.requests())
    end)

    it("sph_write_parameter sends all 18 params and the setting reads back", function()
      assert.is_true(api():sph_write_parameter(SPH, "backflow_setting", { "1", 50 }))
      sent("POST", "v1/mixSet", "", "mix_sn=" .. SPH .. "&type=backflow_setting&param1=1&param2=50" ..
        empty_params(3, 18))
      assert.equal("1", api():sph_detail(SPH).exportLimit)
    end)

    it("sph_write_ac_charge_times sends param1..18 and sph_read_ac_charge_times reads them back", function()
      assert.is_true(api():sph_write_ac_charge_times(SPH, 80, 95, true, PERIODS))
      sent("POST", "v1/mixSet", "", "mix_sn=" .. SPH .. "&type=mix_ac_charge_time_period" ..
        "&param1=80&param2=95&param3=1&param4=1&param5=0&param6=5&param7=30&param8=1" ..
        "&param9=13&param10=0&param11=14&param12=0&param13=0" ..
        "&param14=0&param15=0&param16=0&param17=0&param18=0")
      assert.same({
        charge_power = 80, charge_stop_soc = 95, mains_enabled = true,
        periods = {
          { period_id = 1, start_time = "01:00", end_time = "05:30", enabled = true },
          { period_id = 2, start_time = "13:00", end_time = "14:00", enabled = false },
          { period_id = 3, start_time = "00:00", end_time = "00:00", enabled = false },
        },
      }, api():sph_read_ac_charge_times(SPH))
    end)

    it("sph_write_ac_discharge_times sends param1..17 only and reads back", function()
      assert.is_true(api():sph_write_ac_discharge_times(SPH, 100, 20, PERIODS))
      sent("POST", "v1/mixSet", "", "mix_sn=" .. SPH .. "&type=mix_ac_discharge_time_period" ..
        "&param1=100&param2=20&param3=1&param4=0&param5=5&param6=30&param7=1" ..
        "&param8=13&param9=0&param10=14&param11=0&param12=0" ..
        "&param13=0&param14=0&param15=0&param16=0&param17=0")
      local d = assert(api():sph_read_ac_discharge_times(SPH))
      assert.equal(100, d.discharge_power)
      assert.equal(20, d.discharge_stop_soc)
      assert.same({ period_id = 1, start_time = "01:00", end_time = "05:30", enabled = true }, d.periods[1])
    end)

    it("the charge writes refuse powers and SOCs outside 0..100 and anything but 3 periods", function()
      local a = api()
      local _, err = a:sph_write_ac_charge_times(SPH, 101, 95, true, PERIODS)
      assert.equal("invalid", err.kind)
      assert.equal("param1", err.param)
      _, err = a:sph_write_ac_discharge_times(SPH, 50, -1, PERIODS)
      assert.equal("param2", err.param)
      _, err = a:sph_write_ac_charge_times(SPH, 50, 50, false, { PERIODS[1], PERIODS[2] })
      assert.equal("periods", err.param)
      assert.matches("exactly 3", err.message)
      _, err = a:sph_write_ac_discharge_times(SPH, 50, 50, { PERIODS[1], PERIODS[2], PERIODS[3], PERIODS[1] })
      assert.equal("periods", err.param)
      assert.equal(0, #S.requests())
    end)

    it("the read helpers apply the reference's defaults to empty settings", function()
      local a = api()
      assert.same({ charge_power = 0, charge_stop_soc = 100, mains_enabled = false, periods = {
        { period_id = 1, start_time = "00:00", end_time = "00:00", enabled = false },
        { period_id = 2, start_time = "00:00", end_time = "00:00", enabled = false },
        { period_id = 3, start_time = "00:00", end_time = "00:00", enabled = false },
      } }, a:sph_read_ac_charge_times(SPH, {}))
      local d = a:sph_read_ac_discharge_times(SPH, { disChargePowerCommand = "null", wdisChargeSOCLowLimit = "" })
      assert.equal(0, d.discharge_power)
      assert.equal(10, d.discharge_stop_soc)
      assert.equal(0, #S.requests())
    end)
  end)

  describe("device objects", function()
    it("api:device returns a MIN or SPH object whose methods omit the serial", function()
      local a = api()
      local min = assert(a:device(MIN, growatt.DeviceType.MIN))
      assert.equal(MIN, min.device_sn)
      assert.truthy(min:energy())
      sent("POST", "v1/device/tlx/tlx_last_data", "", "tlx_sn=" .. MIN)
      for _, m in ipairs({ "detail", "energy_history", "settings", "read_parameter", "write_parameter",
                           "write_time_segment", "read_time_segments" }) do
        assert.equal("function", type(min[m]), m)
      end
      assert.is_nil(min.read_ac_charge_times)
      local sph = assert(a:device(SPH, "sph"))
      assert.equal(growatt.DeviceType.SPH, sph.device_type)
      assert.is_true(sph:write_ac_discharge_times(10, 10, PERIODS))
      assert.equal("mix_sn=" .. SPH, pairs_of(S.last().form):match("^mix_sn=[%w]+"))
      assert.equal(10, sph:read_ac_discharge_times().discharge_power)
      assert.equal(a:device(MIN, 7).write_time_segment, a:get_device(MIN, "MIN").write_time_segment)
    end)

    it("other device types give nil and an invalid error; wrong argument types raise", function()
      local d, err = api():device("INV3K00209", growatt.DeviceType.INVERTER)
      assert.is_nil(d)
      assert.equal("invalid", err.kind)
      assert.equal("device_type", err.param)
      assert.has_error(function() api():device(42, 7) end,
        "bad argument 'device_sn' to 'device' (string expected, got number)")
      local min = api():device(MIN, 7)
      assert.has_error(function() min:write_time_segment("1", 1, "1:00", "2:00") end,
        "bad argument 'segment_id' to 'min_write_time_segment' (number expected, got string)")
      assert.equal(0, #S.requests())
    end)
  end)

  describe("misuse", function()
    it("raises at the caller's line for wrong argument types and sends nothing", function()
      local a = api()
      local function where(fn)
        local ok, msg = pcall(fn)
        assert.is_false(ok)
        return msg
      end
      assert.matches("openapi_spec%.lua:%d+: bad argument 'plant_id' to 'plant_details' %(string or number",
        where(function() a:plant_details(nil) end))
      assert.matches("openapi_spec%.lua:%d+: bad argument 'start_date' to 'plant_energy_history'",
        where(function() a:plant_energy_history(1, "June") end))
      assert.matches("openapi_spec%.lua:%d+: bad argument 'page' to 'plant_energy_history' %(integer",
        where(function() a:plant_energy_history(1, nil, nil, "day", 1.5) end))
      assert.matches("openapi_spec%.lua:%d+: bad argument 'periods%[2%]%.start_time' to " ..
        "'sph_write_ac_charge_times'", where(function()
          a:sph_write_ac_charge_times(SPH, 1, 1, true, { PERIODS[1], { start_time = "noon" }, PERIODS[3] })
        end))
      assert.matches("openapi_spec%.lua:%d+: bad argument 'mains_enabled'",
        where(function() a:sph_write_ac_charge_times(SPH, 1, 1, "yes", PERIODS) end))
      assert.matches("openapi_spec%.lua:%d+: bad argument 'settings_data' to 'min_read_time_segments'",
        where(function() a:min_read_time_segments(MIN, "x") end))
      assert.equal(0, #S.requests())
    end)
  end)

  describe("errors", function()
    it("10011 (a token without rights) is an auth error that does not show the token", function()
      local a = api({ token = "0123456789abcdef0123456789abcdef" })
      local v, err = a:plant_list()
      assert.is_nil(v)
      assert.equal("auth", err.kind)
      assert.equal(10011, err.code)
      assert.equal("0123456789abcdef0123456789abcdef", S.last().headers.token)
      assert.is_nil(tostring(err):find("0123456789abcdef", 1, true))
    end)

    it("accepts the documented public test token; the token can be replaced", function()
      local a = api({ token = "nope" })
      assert.equal("auth", select(2, a:plant_list()).kind)
      a:set_token("6eb6f069523055a339d71e5b1f6c88cc")
      assert.truthy(a:plant_list())
      assert.equal("6eb6f069523055a339d71e5b1f6c88cc", S.last().headers.token)
    end)

    it("-1 is kind moved; other codes are api errors with the code and message", function()
      S.faults({ { path = "v1/plant/list", error_code = -1 } })
      local _, err = api():plant_list()
      assert.equal("moved", err.kind)
      assert.equal(-1, err.code)
      assert.matches("another domain", err.message)
      S.faults({ { path = "v1/device/tlx/tlx_last_data", error_code = 10003, error_msg = "device offline" } })
      _, err = api():min_energy(MIN)
      assert.equal("api", err.kind)
      assert.equal(10003, err.code)
      assert.equal("device offline", err.message)
      assert.equal("growatt: api: device offline (code 10003)", tostring(err))
      assert.equal(growatt.null, err.response.data)
    end)

    it("a reply without error_code is a protocol error; a string \"0\" is an error too", function()
      S.faults({ { path = "v1/plant/list", body = '{"data":{"count":0}}' } })
      local v, err = api():plant_list()
      assert.is_nil(v)
      assert.equal("protocol", err.kind)
      S.faults({ { path = "v1/plant/list", body = '{"data":{"count":0},"error_code":"0","error_msg":""}' } })
      v, err = api():plant_list()
      assert.is_nil(v)
      assert.equal("api", err.kind)
      assert.equal("0", err.code)
      S.faults({ { path = "v1/plant/list", body = '[1,2]' } })
      v, err = api():plant_list()
      assert.is_nil(v)
      assert.equal("protocol", err.kind)
      S.faults({ { path = "v1/plant/list", html = true } })
      v, err = api():plant_list()
      assert.is_nil(v)
      assert.equal("protocol", err.kind)
    end)

    it("a reply with error_code 0 and no data gives growatt.null", function()
      S.faults({ { path = "v1/plant/list", body = '{"error_code":0,"error_msg":""}' } })
      assert.equal(growatt.null, api():plant_list())
    end)

    it("10012 from the server is rate_limited with retry_after", function()
      assert.truthy(api():plant_list())
      local v, err = api():plant_list() -- another object: the client did not send this one yet
      assert.is_nil(v)
      assert.equal("rate_limited", err.kind)
      assert.equal(10012, err.code)
      assert.equal(300, err.retry_after)
      assert.equal(2, #S.requests())
    end)

    it("the token never shows in dry runs, hooks or the object", function()
      local seen = {}
      local a = api({ on_request = function(info) seen[#seen + 1] = info end })
      assert.truthy(a:plant_list())
      local function holds_token(t, depth)
        for k, v in pairs(t) do
          if k == TOKEN or v == TOKEN then return true end
          if type(v) == "table" and depth < 4 and holds_token(v, depth + 1) then return true end
        end
        return false
      end
      assert.equal(1, #seen)
      assert.is_false(holds_token(seen, 0))
      assert.is_false(holds_token(a, 0))
      local req = a:min_write_parameter(MIN, "charge_power", 10, { dry_run = true })
      assert.same({ { "token", "***" } }, req.headers)
      a.dry_run = true
      assert.same({ { "token", "***" } }, a:plant_list().headers)
      assert.equal(1, #S.requests())
    end)
  end)

  describe("the 5-minute rule", function()
    local policy = require("growatt.engine.policy")
    local real_now = policy.now
    after_each(function() policy.now = real_now end)
    it("refuses a repeat inside the window with rate_limited, without a request", function()
      local a = api()
      local now = 1000
      policy.now = function() return now end
      assert.truthy(a:min_energy(MIN))
      now = 1100
      local v, err = a:min_energy(MIN)
      assert.is_nil(v)
      assert.equal("rate_limited", err.kind)
      assert.equal(200, err.retry_after)
      assert.truthy(a:min_detail(MIN)) -- another request is another window
      assert.equal(2, #S.requests())
      S.state({ v1 = { window = 0 } })
      now = 1300
      assert.truthy(a:min_energy(MIN))
      assert.equal(3, #S.requests())
    end)

    it("answers a repeat from the last-good cache with its age, when asked to", function()
      local a = api({ cache = true })
      local now = 1000
      policy.now = function() return now end
      local first = assert(a:min_energy(MIN))
      local kept = require("growatt.engine.store").copy(first)
      first.changed_by_the_caller = true -- the caller's table: the cache keeps its own copy
      now = 1042
      local again, info = a:min_energy(MIN)
      assert.same(kept, again)
      first = kept
      assert.are_not.equal(first, again) -- a copy: changing it does not change the cache
      assert.same({ cached = true, age = 42 }, info)
      assert.equal(1, #S.requests())
      -- after the window the request goes out again; the server's own 10012 then gets the cache too
      now = 1301
      again, info = a:min_energy(MIN)
      assert.same(first, again)
      assert.same({ cached = true, age = 301 }, info)
      assert.equal(2, #S.requests())
    end)

    it("keeps at most CACHE_KEPT last good values: beyond, those over an hour old go", function()
      local account = require("growatt.engine.account")
      local kept = account.CACHE_KEPT
      finally(function() account.CACHE_KEPT = kept end)
      account.CACHE_KEPT = 4
      local a = api({ cache = true })
      local now = 1000
      policy.now = function() return now end
      local first = assert(a:min_energy(MIN))
      now = 5000
      assert.truthy(a:min_detail(MIN))
      assert.truthy(a:plant_list())
      assert.truthy(a:plant_details(2222207))
      assert.truthy(a:min_settings(MIN)) -- the fifth: min_energy's value, over an hour old, goes
      now = 5001
      -- min_energy's window (1000 + 300) has passed: it is sent, and the sandbox, which saw it
      -- a moment ago, answers 10012; the cache no longer holds its value
      local v, err = a:min_energy(MIN)
      assert.is_nil(v)
      assert.equal(10012, err.code)
      assert.equal(6, #S.requests())
      local _, info = a:min_detail(MIN) -- a recent one is still there
      assert.same({ cached = true, age = 1 }, info)
      assert.truthy(first)
    end)

    it("never answers a write from the cache", function()
      local a = api({ cache = true })
      assert.is_true(a:min_write_parameter(MIN, "charge_power", 70))
      local ok, err = a:min_write_parameter(MIN, "charge_power", 70)
      assert.is_nil(ok)
      assert.equal("rate_limited", err.kind)
      assert.equal(1, #S.requests())
    end)

    it("min_interval sets the window; 0 turns the rule off", function()
      S.state({ v1 = { window = 0 } })
      local a = api({ min_interval = 0 })
      assert.truthy(a:plant_list())
      assert.truthy(a:plant_list())
      assert.equal(2, #S.requests())
      local b = api({ min_interval = 10 })
      local now = 0
      policy.now = function() return now end
      assert.truthy(b:plant_list())
      now = 9.5
      assert.equal(1, select(2, b:plant_list()).retry_after)
      now = 10
      assert.truthy(b:plant_list())
      assert.equal(4, #S.requests())
    end)

    it("is kept in the store: processes sharing a state file never send inside a window", function()
      local H = require("spec.support.session")
      local dir = H.tempdir()
      local path = dir .. "/state.json"
      local sent_count, limited, out = H.race(dir, 4, "openapi", string.format("{ token = %q, server_url = %q, " ..
        "state_file = %q }", TOKEN, url, path), string.format("min_energy(%q)", MIN))
      assert.equal(1, sent_count, out)
      assert.equal(3, limited, out)
      assert.equal(1, #S.requests())
      -- the state file names the token's account by a digest, never the token
      local text = H.read(path)
      assert.is_nil(text:find(TOKEN, 1, true))
      assert.truthy(text:find('"token:%x+@http', 1), text)
      -- another token is another account, with windows of its own
      local b = api({ token = "other-token", state_file = path })
      S.state({ v1 = { tokens = { ["other-token"] = "demo" } } })
      local v, err = b:min_energy(MIN)
      assert.truthy(v, err and err.message)
      assert.equal(2, #S.requests())
      H.remove(dir)
    end)

    it("a transport failure does not start a window", function()
      local a = api({ server_url = "http://127.0.0.1:1/", retries = false })
      local _, err = a:plant_list()
      assert.equal("network", err.kind)
      a.server_url = url
      assert.truthy(a:plant_list())
      sent("GET", "v1/plant/list", "", "page=&perpage=&search_type=&search_keyword=")
    end)
  end)

  describe("server_url", function()
    it("is honoured when changed after construction", function()
      local a = api({ server_url = "https://openapi.growatt.com/" })
      a.server_url = url
      assert.truthy(a:plant_details(2222207))
      sent("GET", "v1/plant/details", "plant_id=2222207", "")
      a.server_url = url:gsub("/$", "") -- without the trailing slash
      assert.truthy(a:plant_details(2222208))
      assert.equal("v1/plant/details", S.last().path)
    end)
  end)

  describe("the sandbox", function()
    local function v1(method, path, opts)
      opts = opts or {}
      opts.headers = opts.headers or { token = TOKEN }
      return S.http(method, "v1/" .. path, opts).json
    end

    it("checks paging, plant ownership and devices as Growatt does", function()
      assert.equal(10013, v1("GET", "device/list", { query = "plant_id=2222207&perpage=101" }).error_code)
      assert.equal(10014, v1("GET", "device/list", { query = "plant_id=2222207&page=251" }).error_code)
      assert.equal(10011, v1("GET", "plant/details", { query = "plant_id=3333301" }).error_code)
      assert.equal(10011, v1("GET", "plant/details", { query = "plant_id=2222207", headers = {} }).error_code)
      assert.equal(10002, v1("GET", "device/tlx/tlx_data_info", { query = "device_sn=" .. SPH }).error_code)
      S.state({ v1 = { tokens = { ["other-token"] = "other" } } })
      local r = v1("GET", "plant/details", { query = "plant_id=3333301", headers = { token = "other-token" } })
      assert.equal("Neighbour", r.data.name)
    end)

    it("wants every param of a write and answers the same request once per window", function()
      local form = "tlx_sn=" .. MIN .. "&type=charge_power&param1=50" .. empty_params(2, 18)
      assert.equal(10007, v1("POST", "tlxSet", { form = form }).error_code)
      assert.equal(10006, v1("POST", "tlxSet", { form = form .. "&param19=&param20=" }).error_code)
      assert.equal(0, v1("POST", "tlxSet", { form = form .. "&param19=x" }).error_code)
      assert.equal(10012, v1("POST", "tlxSet", { form = form .. "&param19=x" }).error_code)
      assert.equal(10008, v1("POST", "tlxSet", { form = "tlx_sn=" .. MIN .. "&type=charge_power&param1=101" ..
        empty_params(2, 19) }).error_code)
    end)
  end)
end)
