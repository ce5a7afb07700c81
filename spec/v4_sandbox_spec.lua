-- The OpenAPI v4 client against the sandbox's v4 family, over real HTTP: what every method
-- returns for the demo account (parsed and normalised), writes that read back, the error
-- codes the sandbox gives (bad token, other account, offline, 102, its fault knobs), and what
-- the sandbox received.
local growatt = require("growatt")
local S = require("spec.support.sandbox")

local TOKEN = "demo-token"
local NOAH, MIN, SPH, INV = "NOAH200209", "MIN4K00208", "SPH6K00207", "INV3K00209"
local ALL = {
  { INV, "inv" }, { "STO5K00207", "storage" }, { "MAX50K0210", "max" }, { SPH, "sph" }, { "SPA3K00210", "spa" },
  { MIN, "min" }, { "WIT100K210", "wit" }, { "SPHS5K0210", "sph-s" }, { NOAH, "noah" },
}

describe("growatt.v4 against the sandbox", function()
  local url
  setup(function() url = S.start() end)
  teardown(S.stop)
  before_each(function()
    S.reset()
    S.state({ v4 = { scale = 0 } }) -- the sandbox's own intervals: specified on their own below
  end)

  local function api(opts)
    opts = opts or {}
    opts.token = opts.token or TOKEN
    opts.server_url = url
    return growatt.v4(opts)
  end

  -- The requests the sandbox received, as "path body" lines.
  local function received()
    local out = {}
    for _, r in ipairs(S.requests()) do out[#out + 1] = r.path .. " " .. S.pairs_of(r.form) end
    return out
  end

  describe("reads", function()
    it("devices: the nine demo devices of every type, one page", function()
      local list = assert(api():devices())
      assert.equal(9, #list)
      local types = {}
      for _, d in ipairs(list) do types[d.deviceSn] = d.deviceType end
      for _, d in ipairs(ALL) do assert.equal(d[2], types[d[1]], d[1]) end
      assert.same({ "v4/new-api/queryDeviceList page=1" }, received())
    end)

    it("devices walks the pages until lastPager", function()
      S.state({ v4 = { page_size = 4 } })
      local list = assert(api():devices())
      assert.equal(9, #list)
      assert.same({ "v4/new-api/queryDeviceList page=1", "v4/new-api/queryDeviceList page=2",
        "v4/new-api/queryDeviceList page=3" }, received())
    end)

    it("last_data of every type: its list under the type, numbers, nulls and local times", function()
      for _, d in ipairs(ALL) do
        local v = assert(api():last_data(d[1], d[2]))
        local r = v[d[2]][1]
        assert.is_table(r, d[2])
        assert.equal(d[1], r.serialNum or r.deviceSn or r.inverterId, d[2])
        local stamp = r.calendar or r.timeCalendar or r.time
        if type(stamp) == "number" then
          assert.equal(os.date("!%Y-%m-%d %H:%M:%S", math.floor(stamp / 1000) + 8 * 3600),
            r.calendar_local or r.timeCalendar_local or r.time_local, d[2])
        end
      end
      local noah = assert(api():last_data(NOAH, "noah")).noah[1]
      assert.equal(growatt.null, noah.battery2SerialNum) -- "" on the wire
      assert.equal("number", type(noah.totalBatteryPackSoc))
      if math.type then assert.equal("integer", math.type(noah.batteryPackageQuantity)) end
    end)

    it("last_data of several serials in one request, and of more than 100 in several", function()
      local v = assert(api():last_data({ MIN, "INV5K00301" }, "min")) -- another account's: left out
      assert.equal(1, #v.min)
      assert.same({ "v4/new-api/queryLastData deviceSn=MIN4K00208,INV5K00301&deviceType=min" }, received())
      S.reset()
      S.state({ v4 = { scale = 0 } })
      local sns = {}
      for i = 1, 150 do sns[i] = MIN end
      v = assert(api():last_data(sns, "min"))
      assert.equal(2, #v.min) -- the sandbox answers a serial once per request: one record per request, merged
      local got = received()
      assert.equal(2, #got)
      assert.matches("^v4/new%-api/queryLastData deviceSn=MIN4K00208,", got[1])
    end)

    it("device_info: details with the plant's time, nulls for \"null\" and \"\"", function()
      local d = assert(api():device_info(NOAH, "noah")).noah[1]
      assert.equal(NOAH, d.deviceSn)
      assert.equal(d.lastUpdateTimeText, d.lastUpdateTime_local)
      assert.is_number(d.timezone)
      local wall = math.floor(d.lastUpdateTime / 1000) + 8 * 3600
      assert.equal(wall - math.floor(d.timezone * 3600 + 0.5), d.lastUpdateTime_utc)
      assert.is_true(math.abs(d.lastUpdateTime_utc - os.time()) < 3 * 3600) -- a real instant near now
      assert.equal(growatt.null, d.associatedInvSn)
      local min = assert(api():device_info(MIN, "min")).min[1]
      assert.equal(MIN, min.serialNum)
    end)

    it("history and devices_history: a day of records", function()
      local h = assert(api():history(MIN, "min", os.date("%Y-%m-%d")))
      assert.is_true(#h.datas > 0)
      assert.equal("boolean", type(h.haveNext))
      assert.equal(h.datas[1].time, h.datas[1].calendar_local)
      local many = assert(api():devices_history({ MIN }, "min"))
      assert.same({ MIN }, (function() local k = {} for sn in pairs(many) do k[#k + 1] = sn end return k end)())
      assert.equal(#h.datas, #many[MIN])
    end)

    it("read_power, wifi_signal, read_vpp_parameter, dfc_data, device_info_param", function()
      local a = api()
      assert.equal(200, assert(a:read_power(NOAH, "noah")))
      local dbm = assert(a:wifi_signal(MIN, "min"))
      assert.is_true(dbm < 0 and dbm > -120)
      assert.equal(100, assert(a:read_vpp_parameter(MIN, "min", 5)))
      local dfc = assert(a:dfc_data(MIN, "min"))
      assert.equal(MIN, dfc.serialNum)
      assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$", dfc.utcTime)
      local p = assert(a:device_info_param(NOAH, "noah"))
      assert.equal(NOAH, p.deviceSn)
      assert.is_true(p.hasBattery)
    end)
  end)

  describe("writes", function()
    it("each write is read back by the next read", function()
      local a = api()
      assert.is_true(a:set_power(NOAH, "noah", 350))
      assert.equal(350, a:read_power(NOAH, "noah"))
      assert.is_true(a:set_high_limit_soc(NOAH, "noah", 90))
      assert.is_true(a:set_low_limit_soc(NOAH, "noah", 15))
      assert.is_true(a:set_time_segment(NOAH, "noah", 3, "06:05", "09:30", 2, 300, true))
      assert.is_true(a:set_grid_charge(NOAH, "noah", true))
      local d = assert(a:device_info(NOAH, "noah")).noah[1]
      assert.same({ 90, 15, "6:5", "9:30", 2, 300, 1, 1 }, { d.chargingSocHighLimit, d.chargingSocLowLimit,
        d.time3Start, d.time3End, d.time3Mode, d.time3Power, d.time3Enable, d.allowGridCharging })
      assert.is_true(a:set_vpp_parameter(MIN, "min", 5, 80))
      assert.equal(80, a:read_vpp_parameter(MIN, "min", "set_param_5"))
      assert.is_true(a:remove_vpp_time_period(MIN, "min", 34))
      assert.is_true(a:set_new_vpp_parameter(MIN, "min", 34, { { percentage = 95, startTime = 0, endTime = 300 } }))
      assert.same({ { percentage = 95, startTime = 0, endTime = 300 } }, a:read_vpp_parameter(MIN, "min", 34))
      assert.is_true(a:set_on_off(INV, "inv", false))
      assert.is_true(a:set_off_grid(NOAH, "noah", 0))
      assert.is_true(a:set_device(NOAH, "noah", { deviceId = INV, deviceModel = "NEO 2000M-X2",
        brandsName = "Growatt", modelId = "0x0105", type = 0 }))
    end)

    it("{ verify = true } reads back: verified after success and after code 1", function()
      local a = api()
      local ok, info = a:set_time_segment(NOAH, "noah", 2, "06:05", "09:30", 1, 300, true, { verify = true })
      assert.is_true(ok)
      assert.is_true(info.verified)
      S.faults({ { path = "v4/new-api/setPower", v4_code = 1, times = 1 } })
      a = api() -- a fresh store: the read back of readPower has a window of 5 s
      ok, info = a:set_power(NOAH, "noah", 420, { verify = true })
      assert.is_true(ok)
      assert.same({ verified = true, read = 420, code = 1 }, info)
      S.faults({ { path = "v4/new-api/setPower", v4_code = 1, v4_applied = false, times = 1 } })
      local err
      ok, err = api():set_power(NOAH, "noah", 500, { verify = true })
      assert.is_nil(ok)
      assert.is_false(err.verified)
      assert.is_false(err.maybe_applied)
      assert.equal(420, err.read)
      S.faults({ { path = "v4/new-api/setPower", v4_code = 1, times = 1 } })
      ok, err = api():set_power(NOAH, "noah", 500)
      assert.is_nil(ok)
      assert.is_true(err.maybe_applied)
      -- the read back inside readPower's window: the write's code 1, not verified, and why
      S.faults({ { path = "v4/new-api/setPower", v4_code = 1, times = 1 } })
      a = api()
      assert.equal(500, a:read_power(NOAH, "noah"))
      ok, err = a:set_power(NOAH, "noah", 510, { verify = true })
      assert.is_nil(ok)
      assert.equal(1, err.code)
      assert.is_false(err.verified)
      assert.equal("rate_limited", err.verify_error.kind)
    end)
  end)

  describe("errors the sandbox gives", function()
    it("101 for a bad token is auth, and 12 for another account's device is permission", function()
      local v, err = api({ token = "not-a-token" }):read_power(NOAH, "noah")
      local _
      assert.is_nil(v)
      assert.equal("auth", err.kind)
      assert.equal(101, err.code)
      assert.same({ "v4/new-api/readPower deviceSn=NOAH200209&deviceType=noah" }, received())
      _, err = api():last_data("INV5K00301", "inv")
      assert.equal("permission", err.kind)
      assert.equal(12, err.code)
    end)

    it("an offline device is offline; 16 is api; the login page is auth", function()
      S.state({ v4 = { offline = { [NOAH] = true } } })
      local _, err = api():set_power(NOAH, "noah", 100)
      assert.equal("offline", err.kind)
      assert.equal(5, err.code)
      S.faults({ { path = "v4/new-api/setOnOrOff", v4_code = 16 } })
      _, err = api():set_on_off(INV, "inv", true)
      assert.equal("api", err.kind)
      assert.equal(16, err.code)
      S.faults({ { v4_sn = MIN, v4_login = true } })
      _, err = api():last_data(MIN, "min")
      assert.equal("auth", err.kind)
      assert.matches("login page", err.message)
    end)

    it("the sandbox's 102 inside its interval is rate_limited with the endpoint's interval", function()
      S.state({ v4 = { scale = 1 } })
      local a = api()
      assert.is_table(a:last_data(NOAH, "noah"))
      local v, err = api():last_data(NOAH, "noah") -- another object: its own windows, the server's 102
      assert.is_nil(v)
      assert.equal("rate_limited", err.kind)
      assert.equal(102, err.code)
      assert.equal(60, err.retry_after)
    end)
  end)
end)
