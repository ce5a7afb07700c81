-- The sandbox's OpenAPI v4 family (POST v4/new-api/*, protocol-v4.md), over real HTTP with
-- the system curl: each route's reply shape and values, each error code, the 102 intervals,
-- the fault knobs, writes read back, and parameters in the query string or the body.
local S = require("spec.support.sandbox")
local data = require("growatt.sandbox.data")
local NULL = require("cjson").null

local TOKEN = data.DEMO.token
local NOAH, MIN, SPH, STORAGE, INV = "NOAH200209", "MIN4K00208", "SPH6K00207", "STO5K00207", "INV3K00209"
local MAX, SPA, WIT, SPHS = "MAX50K0210", "SPA3K00210", "WIT100K210", "SPHS5K0210"
local NEIGHBOUR = "INV5K00301" -- the other account's inverter

-- serial -> deviceType, and the number of fields of its records (appendices A and B).
local DEVICES = {
  { INV, "inv", 78, 53 }, { STORAGE, "storage", 323, 157 }, { MAX, "max", 278, 81 }, { SPH, "sph", 229, 217 },
  { SPA, "spa", 192, 173 }, { MIN, "min", 217, 92 }, { WIT, "wit", 389, 276 }, { SPHS, "sph-s", 191, 70 },
  { NOAH, "noah", 78, 87 },
}
local SN_FIELD = { inv = "inverterId", noah = "deviceSn" }

-- How many v4 devices the demo token sees: its world devices of a v4 type (ShinePhone's mix,
-- tlx and inverter are v4's sph, min and inv; a MIN's separate battery is none), and the four
-- of the v4-only plant.
local function demo_device_count()
  local world, n = data.seed(), 4
  local v4_type = { mix = true, tlx = true, inverter = true, storage = true, noah = true }
  for _, dev in ipairs(DEVICES) do v4_type[dev[2]] = true end
  for _, plant in ipairs(data.plants_of(world, world.accounts.demo)) do
    for _, d in ipairs(data.devices_of(world, plant)) do
      if v4_type[d.type] then n = n + 1 end
    end
  end
  return n
end
local COUNT = demo_device_count()

-- POST v4/new-api/<name> with the demo token and `params` in the query string (opts.form:
-- in a form body instead; opts.token: another token, false for none).
local function v4(name, params, opts)
  opts = opts or {}
  local token = opts.token == nil and TOKEN or opts.token
  local req = { headers = token and { token = token } or nil }
  if opts.form then
    req.form, req.content_type = params, "application/x-www-form-urlencoded"
    req.query = opts.query
  else
    req.query = params
  end
  return S.http(opts.method or "POST", "v4/new-api/" .. name, req)
end

local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

-- The text Growatt pairs with an epoch: the epoch read at UTC+8 (protocol-v4.md §6.1).
local function at_utc8(ms) return os.date("!%Y-%m-%d %H:%M:%S", math.floor(ms / 1000) + 8 * 3600) end

-- Seconds between a "yyyy-MM-dd HH:mm:ss" wall clock and now at UTC+hours.
local function skew(text, hours)
  local y, mo, d, h, mi, s = text:match("^(%d+)-(%d+)-(%d+) (%d+):(%d+):(%d+)$")
  local now = os.date("!*t", os.time() + hours * 3600)
  local t = { year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h),
              min = tonumber(mi), sec = tonumber(s) }
  return math.abs(os.difftime(os.time(t), os.time({ year = now.year, month = now.month, day = now.day,
                                                    hour = now.hour, min = now.min, sec = now.sec })))
end

local function keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  table.sort(list)
  return list
end

local function sleep(seconds) os.execute("sleep " .. seconds) end

local function last_data(sn, type_, token)
  return v4("queryLastData", "deviceSn=" .. sn .. "&deviceType=" .. type_, { token = token })
end
local function info(sn, type_) return v4("queryDeviceInfo", "deviceSn=" .. sn .. "&deviceType=" .. type_) end

describe("sandbox OpenAPI v4", function()
  setup(function() S.start() end)
  teardown(S.stop)
  before_each(function()
    S.reset()
    S.state({ v4 = { scale = 0 } }) -- the intervals are specified on their own below
  end)

  describe("transport", function()
    it("answers POST only, with the JSON envelope code, data, message in that order", function()
      local res = v4("queryDeviceList", "page=1")
      assert.equal(200, res.status)
      assert.matches("^application/json", res.headers["content-type"])
      assert.matches('^{"code":0,"data":{.*},"message":"SUCCESSFUL_OPERATION"}$', res.body)
      local r = S.last()
      assert.same({ "POST", "v4/new-api/queryDeviceList", TOKEN, "page=1" },
                  { r.method, r.path, r.headers.token, S.pairs_of(r.query) })
      local get = v4("queryDeviceList", "page=1", { method = "GET" })
      assert.equal(405, get.status)
      assert.matches("use POST", get.body, 1, true)
    end)

    it("answers a missing or unknown token with 101 and no data key", function()
      for _, token in ipairs({ false, "", "no-such-token" }) do
        local res = v4("queryDeviceList", "page=1", { token = token })
        assert.equal(200, res.status)
        assert.equal('{"code":101,"message":"PERMISSION_DENIED"}', res.body)
      end
    end)

    it("takes the v1 tokens, and state.v4.tokens, each seeing its account's devices", function()
      local public = v4("queryDeviceList", "page=1", { token = "6eb6f069523055a339d71e5b1f6c88cc" })
      assert.equal(COUNT, public.json.data.count)
      S.state({ v4 = { tokens = { ["neighbour-token"] = "other" } } })
      local res = v4("queryDeviceList", "page=1", { token = "neighbour-token" })
      assert.same({ { deviceType = "inv", deviceSn = NEIGHBOUR, datalogSn = "DLG3333301",
                      createDate = "2022-03-11 09:30:12.0" } }, res.json.data.data)
    end)

    it("reads parameters from the query string or a form body, the body winning", function()
      local q = v4("readPower", "deviceSn=" .. NOAH .. "&deviceType=noah")
      assert.same({ code = 0, data = 200, message = "success" }, q.json)
      local f = v4("readPower", "deviceSn=" .. NOAH .. "&deviceType=noah", { form = true })
      assert.same(q.json, f.json)
      assert.equal("deviceSn=" .. NOAH .. "&deviceType=noah", S.pairs_of(S.last().form))
      assert.same({}, S.last().query)
      -- query names the MIN, the body the Noah: the Noah's output power (W) answers
      local both = v4("readPower", "deviceSn=" .. NOAH .. "&deviceType=noah",
                      { form = true, query = "deviceSn=" .. MIN .. "&deviceType=min" })
      assert.equal(200, both.json.data)
      assert.equal("deviceSn=" .. MIN .. "&deviceType=min", S.pairs_of(S.last().query))
    end)
  end)

  describe("queryDeviceList", function()
    it("lists the nine device types of the demo account, page size 100", function()
      local d = v4("queryDeviceList", "page=1").json.data
      assert.same({ 1, 100, COUNT, false, true, 0 },
                  { d.pages, d.pageSize, d.count, d.notPager, d.lastPager, d.startCount })
      assert.equal(NULL, d.other)
      assert.equal(COUNT, #d.data)
      local types = {}
      for _, item in ipairs(d.data) do
        types[item.deviceSn] = item.deviceType
        assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d%.0$", item.createDate)
        assert.is_string(item.datalogSn)
      end
      for _, dev in ipairs(DEVICES) do assert.equal(dev[2], types[dev[1]]) end
      assert.is_nil(types.APX5K00208) -- the MIN's battery is no v4 device
    end)

    it("pages with state.v4.page_size, and answers 10 without a page", function()
      S.state({ v4 = { page_size = 4 } })
      local pages = math.ceil(COUNT / 4)
      local p1, last = v4("queryDeviceList", "page=1").json.data, v4("queryDeviceList", "page=" .. pages).json.data
      assert.same({ pages, 4, false, 0, 4 }, { p1.pages, p1.pageSize, p1.lastPager, p1.startCount, #p1.data })
      assert.same({ true, (pages - 1) * 4, COUNT - (pages - 1) * 4 }, { last.lastPager, last.startCount, #last.data })
      assert.same({}, v4("queryDeviceList", "page=" .. pages + 1).json.data.data)
      for _, page in ipairs({ "", "page=", "page=x", "page=0" }) do
        assert.same({ code = 10, data = NULL, message = "PAGE_NUMBER_CANNOT_BE_EMPTY" },
                    v4("queryDeviceList", page).json)
      end
    end)
  end)

  describe("queryDeviceInfo and queryLastData", function()
    it("answer every type keyed by deviceType, with the field names of the appendices", function()
      for _, dev in ipairs(DEVICES) do
        local sn, type_, last_fields, info_fields = dev[1], dev[2], dev[3], dev[4]
        local l, i = last_data(sn, type_).json, info(sn, type_).json
        assert.equal(0, l.code)
        assert.same({ type_ }, keys(l.data))
        local record, detail = l.data[type_][1], i.data[type_][1]
        assert.equal(last_fields, count(record), type_)
        assert.equal(info_fields, count(detail), type_)
        assert.equal(sn, record[SN_FIELD[type_] or "serialNum"], type_)
        assert.equal(sn, detail[type_ == "noah" and "deviceSn" or "serialNum"], type_)
        assert.equal(false, detail.lost)
        assert.equal(detail.lastUpdateTimeText, at_utc8(detail.lastUpdateTime), type_)
      end
    end)

    it("show the world's values: the Noah as ShinePhone has it", function()
      local r = last_data(NOAH, "noah").json.data.noah[1]
      assert.same({ 200, 320, 45, 1, 1.4, 212.6, 100, 10, 120, 1, "0PVPNOAH0209B1", "" },
        { r.pac, r.ppv, r.totalBatteryPackSoc, r.batteryPackageQuantity, r.eacToday, r.eacTotal, r.chargeSocLimit,
          r.dischargeSocLimit, r.totalBatteryPackChargingPower, r.totalBatteryPackChargingStatus,
          r.battery1SerialNum, r.battery2SerialNum })
      assert.is_number(r.time) -- Noah: epoch ms in `time`, the text in `timeStr`
      assert.equal(r.timeStr, at_utc8(r.time))
      assert.truthy(skew(r.timeStr, 1) <= 5) -- the plant's wall clock (UTC+1)
      local d = info(NOAH, "noah").json.data.noah[1]
      assert.same({ 100, 10, 200, "0:0", "8:0", 0, 150, 1, "8:0", "18:0", 1, 0, 1, 0, 1 },
        { d.chargingSocHighLimit, d.chargingSocLowLimit, d.defaultPower, d.time1Start, d.time1End, d.time1Mode,
          d.time1Power, d.time1Enable, d.time2Start, d.time2End, d.time2Mode, d.time2Power, d.time2Enable,
          d.time3Enable, d.address })
      -- a change to the world shows under v4 at once
      S.state({ devices = { [NOAH] = { power = 350, battery = { soc = 80 } } } })
      local changed = last_data(NOAH, "noah").json.data.noah[1]
      assert.same({ 350, 470, 80 }, { changed.pac, changed.ppv, changed.totalBatteryPackSoc })
    end)

    it("show the MIN and the SPH as v1 does", function()
      for _, c in ipairs({ { MIN, "min", "tlx", { "bmsSoc", "bdc1Soc", "bdc1ChargePower", "vpv1", "ppv1", "pac",
                                                  "fac", "temp1", "etoGridToday", "eacTotal" } },
                           { SPH, "sph", "mix", { "ppv", "bmsSOC", "vbat", "pcharge1", "pdischarge1", "eacToday",
                                                  "etoGridToday", "fac", "vpv1", "temp1" } } }) do
        local sn, type_, kind, names = c[1], c[2], c[3], c[4]
        local v1 = S.http("POST", "v1/device/" .. kind .. "/" .. kind .. "_last_data", {
          headers = { token = TOKEN }, form = kind .. "_sn=" .. sn, content_type = "application/x-www-form-urlencoded",
        }).json.data
        local r = last_data(sn, type_).json.data[type_][1]
        for _, name in ipairs(names) do assert.equal(tonumber(v1[name]), r[name], type_ .. " " .. name) end
      end
    end)

    it("keep Growatt's quirks", function()
      -- integral floats and exponents as Growatt's Java writes them
      local min_body, noah_body = last_data(MIN, "min").body, last_data(NOAH, "noah").body
      for _, text in ipairs({ '"timeTotal":1.27984299E7,', '"pacToUserTotal":0.0,' }) do
        assert.matches(text, min_body, 1, true)
      end
      for _, text in ipairs({ '"ppv":320.0,', '"pac":200,', '"maxCellVoltage":3311.0,' }) do
        assert.matches(text, noah_body, 1, true)
      end
      assert.matches('"timezone":1.0,', info(MIN, "min").body, 1, true)
      assert.matches('"batPower":1200.00,', v4("queryDfcData", "deviceSn=" .. SPH .. "&deviceType=sph").body, 1, true)
      local m = last_data(MIN, "min").json.data.min[1]
      assert.same({ -0.1, "0，0，0，0，0，0，0，0", -1 }, { m.pex1, m.debug1, m.bMerterConnectFlag })
      assert.equal(m.time, at_utc8(m.calendar))
      local mi = info(MIN, "min").json.data.min[1]
      assert.same({ "", "null", 1 }, { mi.sysTime, mi.innerVersion, mi.addr })
      local sph = last_data(SPH, "sph").json.data.sph[1]
      assert.is_true(sph.epvtoday ~= math.floor(sph.epvtoday)) -- a float32 artefact
      assert.equal("PV Bat Online", sph.statusText)
      -- the v4-only plant is at UTC+8, so its epoch is the real instant
      local max = last_data(MAX, "max").json.data.max[1]
      assert.truthy(math.abs(max.timeCalendar / 1000 - os.time()) <= 5)
      assert.truthy(skew(max.time, 8) <= 5)
    end)

    it("batch up to 100 serials, dropping those the token may not see", function()
      local res = last_data(SPH .. "," .. NEIGHBOUR .. ",NOSUCHSN01", "sph")
      assert.equal(1, #res.json.data.sph)
      local both = info(INV .. "," .. NEIGHBOUR, "inv").json.data.inv
      assert.same({ INV }, { both[1].serialNum, both[2] })
      assert.same({ code = 12, data = NULL, message = "DEVICE_SN_DOES_NOT_HAVE_PERMISSION" },
                  last_data(NEIGHBOUR, "inv").json)
      local many = {}
      for i = 1, 101 do many[i] = ("SN%08d"):format(i) end
      assert.equal(11, last_data(table.concat(many, ","), "inv").json.code)
      assert.equal(11, info(table.concat(many, ","), "inv").json.code)
      many[101] = nil
      assert.equal(12, last_data(table.concat(many, ","), "inv").json.code) -- 100 are allowed, none is ours
    end)
  end)

  describe("history", function()
    local function plant_date(days_ago, hours)
      return os.date("!%Y-%m-%d", os.time() + hours * 3600 - days_ago * 86400)
    end

    it("gives a past day's 288 five-minute records, today's so far, none out of retention", function()
      local yesterday = v4("queryHistoricalData", "deviceSn=" .. NOAH .. "&deviceType=noah&date=" .. plant_date(1, 1))
      local d = yesterday.json.data
      assert.same({ 288, 0, false }, { #d.datas, d.start, d.haveNext })
      assert.equal(plant_date(1, 1) .. " 00:00:00", d.datas[1].timeStr)
      assert.equal(d.datas[1].timeStr, at_utc8(d.datas[1].time))
      assert.equal(NOAH, d.datas[288].deviceSn)
      for i = 2, 288 do -- the day's energy up to each point
        assert.truthy(d.datas[i].eacToday >= d.datas[i - 1].eacToday)
        assert.is_nil(d.datas[i].calendar) -- a Noah's epoch is `time`
        assert.equal(300000, d.datas[i].time - d.datas[i - 1].time)
      end
      assert.truthy(d.datas[288].eacToday > d.datas[1].eacToday)
      local today = v4("queryHistoricalData", "deviceSn=" .. SPH .. "&deviceType=sph&date=" .. plant_date(0, 1))
      assert.truthy(#today.json.data.datas <= 288 and #today.json.data.datas >= 1)
      for _, days in ipairs({ 96, -1 }) do
        local old = v4("queryHistoricalData", "deviceSn=" .. SPH .. "&deviceType=sph&date=" .. plant_date(days, 1))
        assert.same({ code = 0, data = { datas = {}, start = 0, haveNext = false }, message = "SUCCESSFUL_OPERATION" },
                    old.json)
      end
    end)

    it("answers 9 without a good date, and keys queryDevicesHistoricalData by serial, 50 at most", function()
      for _, date in ipairs({ "", "&date=", "&date=2026-13-01", "&date=2026-02-30", "&date=20261201" }) do
        assert.same({ code = 9, data = NULL, message = "DATE_CANNOT_BE_EMPTY" },
                    v4("queryHistoricalData", "deviceSn=" .. SPH .. "&deviceType=sph" .. date).json)
      end
      local res = v4("queryDevicesHistoricalData", "deviceSn=" .. INV .. "," .. NEIGHBOUR .. "&deviceType=inv&date=" ..
                     plant_date(2, 1))
      assert.same({ INV }, keys(res.json.data))
      assert.equal(288, #res.json.data[INV])
      assert.equal(INV, res.json.data[INV][1].inverterId)
      local many = {}
      for i = 1, 51 do many[i] = ("SN%08d"):format(i) end
      assert.equal(11, v4("queryDevicesHistoricalData", "deviceType=inv&date=2026-12-01&deviceSn=" ..
                          table.concat(many, ",")).json.code)
    end)
  end)

  describe("small reads", function()
    it("readPower, getWiFiSignalByDevice (the value in message), queryDfcData, queryDeviceInfoParam", function()
      assert.same({ code = 0, data = 100, message = "success" },
                  v4("readPower", "deviceSn=" .. MIN .. "&deviceType=min").json)
      local wifi = v4("getWiFiSignalByDevice", "deviceSn=" .. INV .. "&deviceType=inv").json
      assert.same({ 0, "SUCCESSFUL_OPERATION" }, { wifi.code, wifi.data })
      assert.matches("^%-%d+$", wifi.message)
      local dfc = v4("queryDfcData", "deviceSn=" .. SPH .. "&deviceType=sph").json.data
      assert.same({ SPH, 62, 1200, 2400, 2 }, { dfc.serialNum, dfc.soc, dfc.batPower, dfc.ppv, dfc.batteryStatus })
      assert.truthy(skew(dfc.utcTime, 0) <= 5) -- real UTC, unlike every other time
      local p = v4("queryDeviceInfoParam", "deviceSn=" .. NOAH .. "&deviceType=noah").json.data
      assert.same({ NOAH, "noah", "NOAH 2000", 800, true }, { p.deviceSn, p.deviceType, p.deviceModel,
                                                             p.norminalPower, p.hasBattery })
    end)

    it("readVppParameter for sph, spa, min and wit only", function()
      assert.same({ code = 0, data = 100, message = "success" },
                  v4("readVppParameter", "deviceSn=" .. MIN .. "&deviceType=min&setType=set_param_22").json)
      assert.same({}, v4("readVppParameter", "deviceSn=" .. WIT .. "&deviceType=wit&setType=set_param_34").json.data)
      assert.equal(7, v4("readVppParameter", "deviceSn=" .. NOAH .. "&deviceType=noah&setType=set_param_1").json.code)
      assert.equal(6, v4("readVppParameter", "deviceSn=" .. MIN .. "&deviceType=min&setType=set_param_99").json.code)
    end)
  end)

  describe("errors", function()
    it("8 no serial, 7 wrong type, 4 unknown serial, 12 another account's, 11 more than one", function()
      local cases = {
        { "readPower", "deviceType=inv", 8, "DEVICE_SN_IS_EMPTY" },
        { "readPower", "deviceSn=" .. INV, 7, "WRONG_DEVICE_TYPE" },
        { "readPower", "deviceSn=" .. INV .. "&deviceType=solar", 7, "WRONG_DEVICE_TYPE" },
        { "readPower", "deviceSn=" .. INV .. "&deviceType=noah", 7, "WRONG_DEVICE_TYPE" },
        { "readPower", "deviceSn=NOSUCHSN01&deviceType=inv", 4, "DEVICE_NOT_FOUND" },
        { "readPower", "deviceSn=" .. NEIGHBOUR .. "&deviceType=inv", 12, "DEVICE_SN_DOES_NOT_HAVE_PERMISSION" },
        { "readPower", "deviceSn=" .. INV .. "," .. MIN .. "&deviceType=inv", 11, "DEVICE_SN_EXCEEDS_LIMIT" },
        { "setOnOrOff", "deviceSn=" .. NOAH .. "&deviceType=noah&value=0", 7, "WRONG_DEVICE_TYPE" },
        { "setHighLimitSoc", "deviceSn=" .. MIN .. "&deviceType=min&value=90", 7, "WRONG_DEVICE_TYPE" },
      }
      for _, c in ipairs(cases) do
        assert.same({ code = c[3], data = NULL, message = c[4] }, v4(c[1], c[2]).json, c[1] .. "?" .. c[2])
      end
      assert.equal('{"code":4,"data":null,"message":"DEVICE_NOT_FOUND"}',
                   v4("readPower", "deviceSn=NOSUCHSN01&deviceType=inv").body)
    end)

    it("6 PARAMETER_SETTING_FAILED for a write value out of range, and nothing changes", function()
      local noah = "deviceSn=" .. NOAH .. "&deviceType=noah"
      local bad = {
        { "setPower", noah .. "&value=801" }, { "setPower", "deviceSn=" .. MIN .. "&deviceType=min&value=101" },
        { "setPower", noah .. "&value=abc" }, { "setOnOrOff", "deviceSn=" .. INV .. "&deviceType=inv&value=2" },
        { "setHighLimitSoc", noah .. "&value=101" }, { "setHighLimitSoc", noah .. "&value=5" }, -- below the low limit
        { "setLowLimitSoc", noah .. "&value=-1" }, { "setGridCharge", noah .. "&value=2" },
        { "setTimeSegment", noah .. "&type=10&startTime=01:00&endTime=02:00&mode=0&power=100&enable=1" },
        { "setTimeSegment", noah .. "&type=1&startTime=24:00&endTime=02:00&mode=0&power=100&enable=1" },
        { "setTimeSegment", noah .. "&type=1&startTime=01:00&endTime=02:00&mode=3&power=100&enable=1" },
        { "setTimeSegment", noah .. "&type=1&startTime=01:00&endTime=02:00&mode=0&power=900&enable=1" },
        { "setDevice", noah .. "&value=not-json" },
        { "setVppParameter", "deviceSn=" .. MIN .. "&deviceType=min&setType=set_param_22&value=50" },
        { "setVppParameter", "deviceSn=" .. MIN .. "&deviceType=min&setType=set_param_34&value=" ..
                             "%5B%7B%22percentage%22%3A95%2C%22startTime%22%3A300%2C%22endTime%22%3A0%7D%5D" },
        { "removeVppTimePeriod", "deviceSn=" .. MIN .. "&deviceType=min&setType=set_param_5" },
      }
      local function settings()
        local d = info(NOAH, "noah").json.data.noah[1]
        return { d.defaultPower, d.chargingSocHighLimit, d.chargingSocLowLimit, d.time1Start, d.time1Mode,
                 d.time1Power, d.allowGridCharging, d.associatedInvSn, v4("readPower", "deviceSn=" .. MIN ..
                 "&deviceType=min").json.data, last_data(INV, "inv").json.data.inv[1].status }
      end
      local before = settings()
      for _, c in ipairs(bad) do
        assert.same({ code = 6, data = NULL, message = "PARAMETER_SETTING_FAILED" }, v4(c[1], c[2]).json,
                    c[1] .. "?" .. c[2])
      end
      assert.same(before, settings())
      assert.same({}, v4("readVppParameter", "deviceSn=" .. MIN .. "&deviceType=min&setType=set_param_34").json.data)
    end)
  end)

  describe("writes", function()
    local noah = "deviceSn=" .. NOAH .. "&deviceType=noah"
    local function ok(name, params)
      assert.same({ code = 0, data = NULL, message = "PARAMETER_SETTING_SUCCESSFUL" }, v4(name, params).json, name)
    end

    it("keep the Noah's SOC limits, power, schedule, grid charging, off-grid and inverter", function()
      ok("setHighLimitSoc", noah .. "&value=90")
      ok("setLowLimitSoc", noah .. "&value=20")
      ok("setPower", noah .. "&value=300")
      ok("setTimeSegment", noah .. "&type=3&startTime=01:06&endTime=02:05&mode=2&power=150&enable=0")
      ok("setGridCharge", noah .. "&value=1")
      ok("setOffGrid", noah .. "&value=1")
      ok("setDevice", noah .. "&value=" .. "%7B%22deviceId%22%3A%22" .. INV .. "%22%2C%22deviceModel%22%3A%22" ..
         "NEO%202000M-X2%22%2C%22brandsName%22%3A%22Growatt%22%2C%22modelId%22%3A%220x0105%22%2C%22type%22%3A0%7D")
      local d = info(NOAH, "noah").json.data.noah[1]
      assert.same({ 90, 20, 300, "1:6", "2:5", 2, 150, 0, 1, 1, INV },
        { d.chargingSocHighLimit, d.chargingSocLowLimit, d.defaultPower, d.time3Start, d.time3End, d.time3Mode,
          d.time3Power, d.time3Enable, d.allowGridCharging, d.gridConnectionControl, d.associatedInvSn })
      local l = last_data(NOAH, "noah").json.data.noah[1]
      assert.same({ 90, 20, 1 }, { l.chargeSocLimit, l.dischargeSocLimit, l.onOffGrid })
      assert.equal(300, v4("readPower", noah).json.data)
      -- the world's Noah, the one ShinePhone shows, has changed too
      local world = S.state().devices[NOAH].noah
      assert.same({ 90, 20, 300, "2_1:6_2:5_150" }, { world.charging_soc_high, world.charging_soc_low,
                                                     world.default_power, world.time_segments[3] })
    end)

    it("switch an inverter off and on, and set its power rate", function()
      local inv = "deviceSn=" .. INV .. "&deviceType=inv"
      ok("setOnOrOff", inv .. "&value=0")
      local off = last_data(INV, "inv").json.data.inv[1]
      assert.same({ 0, 0 }, { off.status, off.pac })
      assert.equal(0, info(INV, "inv").json.data.inv[1].status)
      ok("setOnOrOff", inv .. "&value=1")
      local on = last_data(INV, "inv").json.data.inv[1]
      assert.same({ 1, 650 }, { on.status, on.pac })
      ok("setPower", "deviceSn=" .. MAX .. "&deviceType=max&value=40")
      assert.equal(40, v4("readPower", "deviceSn=" .. MAX .. "&deviceType=max").json.data)
    end)

    it("keep VPP parameters for readVppParameter; removeVppTimePeriod clears the schedule", function()
      local min = "deviceSn=" .. MIN .. "&deviceType=min"
      local schedule = '[{"percentage":95,"startTime":0,"endTime":300},' ..
                       '{"percentage":-60,"startTime":301,"endTime":720}]'
      ok("setVppParameter", min .. "&setType=set_param_22&value=80")
      ok("setNewVppParameter", min .. "&setType=set_param_34&value=" ..
         schedule:gsub("[^%w]", function(c) return ("%%%02X"):format(c:byte()) end))
      assert.equal(80, v4("readVppParameter", min .. "&setType=set_param_22").json.data)
      assert.same({ { percentage = 95, startTime = 0, endTime = 300 },
                    { percentage = -60, startTime = 301, endTime = 720 } },
                  v4("readVppParameter", min .. "&setType=set_param_34").json.data)
      ok("removeVppTimePeriod", min .. "&setType=set_param_34")
      assert.same({}, v4("readVppParameter", min .. "&setType=set_param_34").json.data)
      ok("setVppParameter", "deviceSn=" .. WIT .. "&deviceType=wit&setType=set_param_22&value=85")
      assert.equal(85, info(WIT, "wit").json.data.wit[1].chargeSocLimit)
    end)

    it("are forgotten by a reset", function()
      ok("setHighLimitSoc", noah .. "&value=90")
      S.reset()
      assert.equal(100, info(NOAH, "noah").json.data.noah[1].chargingSocHighLimit)
    end)
  end)

  describe("intervals", function()
    local RATE_LIMITED = '{"code":102,"data":null,"message":"ACCESS_FREQUENCY_LIMIT"}'

    it("are on after a reset: the device list once per 5 s per page, details once per 5 min", function()
      S.reset()
      assert.equal(0, v4("queryDeviceList", "page=1").json.code)
      assert.equal(RATE_LIMITED, v4("queryDeviceList", "page=1").body)
      assert.equal(0, v4("queryDeviceList", "page=2").json.code)
      assert.equal(0, info(NOAH, "noah").json.code)
      assert.equal(RATE_LIMITED, info(NOAH, "noah").body)
      assert.equal(0, v4("setPower", "deviceSn=" .. NOAH .. "&deviceType=noah&value=100").json.code)
      assert.equal(102, v4("setPower", "deviceSn=" .. NOAH .. "&deviceType=noah&value=100").json.code)
      assert.equal(102, v4("setPower", "deviceSn=" .. NOAH .. "&deviceType=noah&value=300").json.code)
      assert.equal(100, S.state().devices[NOAH].noah.default_power) -- a refused write changes nothing
    end)

    it("are kept per token, endpoint and device set, for the interval state.v4.intervals sets", function()
      S.state({ v4 = { scale = 1, intervals = { queryLastData = 1 } } })
      assert.equal(0, last_data(INV, "inv").json.code)
      assert.equal(RATE_LIMITED, last_data(INV, "inv").body)
      assert.equal(102, last_data(NEIGHBOUR .. "," .. INV, "inv").json.code) -- the same devices it may see
      assert.equal(0, last_data(SPH, "sph").json.code)                        -- another device set
      assert.equal(0, info(INV, "inv").json.code)                             -- another endpoint
      assert.equal(0, last_data(INV, "inv", "6eb6f069523055a339d71e5b1f6c88cc").json.code) -- another token
      sleep(1.2)
      assert.equal(0, last_data(INV, "inv").json.code)
    end)

    it("scale with state.v4.scale: a Noah's last data once a minute, the others' once per 5 min", function()
      S.state({ v4 = { scale = 0.01 } }) -- 0.6 s and 3 s
      assert.equal(0, last_data(NOAH, "noah").json.code)
      assert.equal(0, last_data(SPH, "sph").json.code)
      assert.equal(102, last_data(NOAH, "noah").json.code)
      sleep(0.8)
      assert.equal(0, last_data(NOAH, "noah").json.code)
      assert.equal(102, last_data(SPH, "sph").json.code)
    end)
  end)

  describe("fault knobs", function()
    local noah = "deviceSn=" .. NOAH .. "&deviceType=noah"

    it("v4_code 1 answers SYSTEM_ERROR with the write applied; 16 times out without it", function()
      S.faults({ { path = "v4/new-api/setPower", v4_code = 1, times = 1 } })
      assert.equal('{"code":1,"data":null,"message":"SYSTEM_ERROR"}', v4("setPower", noah .. "&value=300").body)
      assert.equal(300, v4("readPower", noah).json.data)
      S.faults({ { path = "v4/new-api/setPower", v4_code = 16 } })
      assert.equal('{"code":16,"data":null,"message":"PARAMETER_SETTING_RESPONSE_TIMEOUT"}',
                   v4("setPower", noah .. "&value=500").body)
      assert.equal(300, v4("readPower", noah).json.data)
      S.faults({ { path = "v4/new-api/setPower", v4_code = 1, v4_applied = false, v4_message = "busy" } })
      assert.same({ code = 1, data = NULL, message = "busy" }, v4("setPower", noah .. "&value=600").json)
      assert.equal(300, v4("readPower", noah).json.data)
    end)

    it("v4_login answers Growatt's HTML login page; v4_sn picks requests by serial", function()
      S.faults({ { v4_sn = INV, v4_login = true } })
      local page = v4("queryLastData", "deviceSn=" .. SPH .. "," .. INV .. "&deviceType=inv")
      assert.matches('<html data-name="login"', page.body, 1, true)
      assert.matches("^text/html", page.headers["content-type"])
      assert.is_nil(page.json)
      assert.equal(0, last_data(SPH, "sph").json.code)
    end)

    it("a device in state.v4.offline answers writes and small reads with 5, and shows as lost", function()
      S.state({ v4 = { offline = { [NOAH] = true } } })
      assert.same({ code = 5, data = NULL, message = "DEVICE_OFFLINE" }, v4("setPower", noah .. "&value=300").json)
      assert.same({ code = 5, data = NULL, message = "DEVICE_OFFLINE" }, v4("readPower", noah).json)
      local r = last_data(NOAH, "noah").json.data.noah[1]
      assert.same({ true, -1 }, { r.lost, r.status })
      assert.equal(200, S.state().devices[NOAH].noah.default_power)
      S.state({ devices = { [INV] = { lost = true } } }) -- the world's own word
      assert.equal(5, v4("setOnOrOff", "deviceSn=" .. INV .. "&deviceType=inv&value=0").json.code)
      assert.same({ true, -1 }, { info(INV, "inv").json.data.inv[1].lost, info(INV, "inv").json.data.inv[1].status })
      S.faults({ { path = "v4/new-api/setOffGrid", v4_code = 5 } })
      assert.equal('{"code":5,"data":null,"message":"DEVICE_OFFLINE"}', v4("setOffGrid", noah .. "&value=1").body)
    end)
  end)
end)
