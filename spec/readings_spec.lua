-- growatt.readings and growatt.export against the sandbox: for each device type and API,
-- which fields a record has and their values against the sandbox's data
-- (growatt.sandbox.data), the requests api:readings() sends, and the exporters' output
-- against the Prometheus text parser of spec/support/prometheus.lua and the line-protocol
-- grammar.
local growatt = require("growatt")
local readings = require("growatt.readings")
local export = require("growatt.export")
local data = require("growatt.sandbox.data")
local energy = require("growatt.sandbox.energy") -- the day curves and power flows
local S = require("spec.support.sandbox")
local R = require("spec.support.records")

local state = data.seed()
local function today() return os.date("%Y-%m-%d") end

local fields_of, by_serial = R.fields_of, R.by_serial -- the fields a record has, sorted; records by serial

local function close(want, got, what)
  assert(type(got) == "number", what .. ": no number")
  assert(math.abs(want - got) < 0.051, string.format("%s: want %s, got %s", what, want, got))
end

describe("growatt.readings", function()
  describe("parse: every unit and format Growatt sends", function()
    local CASES = {
      -- value, unit of a bare number, result
      { 2400, "W", 2400 }, { "2400", "W", 2400 }, { "2400.0", "W", 2400 }, { "2.4 kW", "W", 2400 },
      { "2.40", "kW", 2400 }, { "2.4kW", "W", 2400 }, { "200Watt", "W", 200 }, { "650 W", "W", 650 },
      { "1.2 MW", "W", 1.2e6 }, { "-0.5 kW", "W", -500 }, { " 12 Watts ", "W", 12 }, { 0, "kW", 0 },
      { "12.6 kWh", "kWh", 12.6 }, { "12.6kWh", "kWh", 12.6 }, { "10.5 MWh", "kWh", 10500 },
      { "500 Wh", "kWh", 0.5 }, { "1.1 GWh", "kWh", 1.1e6 }, { "812.4", "kWh", 812.4 }, { 1843.6, "kWh", 1843.6 },
      { "1500", "Wh", 1.5 }, { "45%", "%", 45 }, { "45 %", "%", 45 }, { "62", "%", 62 }, { 71, "%", 71 },
      { "1e3", "W", 1000 },
      -- no reading: JSON null, "null", empty, placeholders, another dimension, NaN, other types
      { growatt.null, "W", nil }, { "null", "W", nil }, { "", "W", nil }, { "--", "W", nil },
      { "N/A", "kWh", nil }, { "12 kWh", "W", nil }, { "2.4 kW", "kWh", nil }, { "45%", "W", nil },
      { "12 V", "W", nil }, { 0 / 0, "W", nil }, { math.huge, "W", nil }, { true, "W", nil }, { {}, "W", nil },
      { nil, "W", nil }, { "kW", "W", nil },
    }
    for _, c in ipairs(CASES) do
      it(string.format("%s (%s) -> %s", tostring(c[1]), c[2], tostring(c[3])), function()
        assert.equal(c[3], readings.parse(c[1], c[2]))
      end)
    end
    it("raises on a unit it does not know", function()
      assert.has_error(function() readings.parse("1", "V") end, "readings.parse: unknown unit V")
    end)
  end)

  describe("epoch", function()
    it("is the UTC seconds of a plant-local time, only when the offset is known", function()
      assert.equal(1795518000, readings.epoch("2026-11-24 12:00:00", 1)) -- 11:00 UTC
      assert.equal(0, readings.epoch("1970-01-01 00:00:00", 0))
      assert.equal(951782400, readings.epoch("2000-02-29 00:00", 0))
      assert.is_nil(readings.epoch("2026-11-24 12:00:00", nil))
      assert.is_nil(readings.epoch("24/11/2026 12:00", 1))
      assert.is_nil(readings.epoch("2026-13-01 00:00:00", 1))
    end)
  end)

  describe("api:readings()", function()
    local url
    setup(function() url = S.start() end)
    teardown(function() S.stop() end)
    before_each(function() S.reset() end)

    local function shinephone()
      local api = growatt.new({ server_url = url })
      assert(api:login("demo", "demo-password"))
      return api
    end

    local function requests_after_login() return R.requests(S) end

    it("ShinePhone: every type's fields and values, from 12 requests for the demo account", function()
      local api = shinephone()
      local records = assert(api:readings())
      assert.equal(6, #records)
      local r = by_serial(records)
      -- mix (SPH): device list + getSystemStatus_KW + getEnergyOverview
      local sph, b = state.devices.SPH6K00207, state.devices.SPH6K00207.battery
      assert.same({ "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w",
        "load_power_w", "online", "power_w", "pv_power_w" }, fields_of(r.SPH6K00207))
      local m = r.SPH6K00207
      assert.same({ "SPH6K00207", "mix", "2222207", "shinephone" }, { m.serial, m.type, m.plant_id, m.api })
      assert.equal(sph.power, m.power_w)
      assert.equal(sph.power, m.pv_power_w)
      assert.equal(b.soc, m.battery_soc_pct)
      assert.equal(b.charge - b.discharge, m.battery_power_w)
      assert.equal(b.to_user, m.grid_power_w)
      assert.equal(energy.flows(state, sph).load, m.load_power_w)
      close(energy.day_totals(state, sph, today()).pv, m.energy_today_kwh, "mix today")
      assert.equal(sph.total_energy, m.energy_total_kwh)
      assert.is_true(m.online)
      assert.equal("1", m.raw.list.deviceStatus)
      assert.truthy(m.raw.status.ppv)
      assert.truthy(m.raw.totals.epvToday)
      -- storage (SPF): one getStorageInfo_sacolar
      local sto = state.devices.STO5K00207
      assert.same({ "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w",
        "online", "power_w", "pv_power_w" }, fields_of(r.STO5K00207))
      assert.same({ 0, 0, 58, 0, 0, 1304.8 }, { r.STO5K00207.power_w, r.STO5K00207.pv_power_w,
        r.STO5K00207.battery_soc_pct, r.STO5K00207.battery_power_w, r.STO5K00207.grid_power_w,
        r.STO5K00207.energy_total_kwh })
      close(energy.day_totals(state, sto, today()).pv, r.STO5K00207.energy_today_kwh, "storage today")
      -- tlx (MIN): one getTlxDetailData carries all of it
      local rec = energy.tlx_record(state, state.devices.MIN4K00208, today())
      local t = r.MIN4K00208
      assert.same({ "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w",
        "load_power_w", "online", "power_w", "pv_power_w" }, fields_of(t))
      assert.same({ rec.pac, rec.ppv, rec.eacToday, rec.eacTotal, rec.bmsSoc },
        { t.power_w, t.pv_power_w, t.energy_today_kwh, t.energy_total_kwh, t.battery_soc_pct })
      assert.equal(rec.bdc1ChargePower - rec.bdc1DischargePower, t.battery_power_w)
      assert.equal(rec.pacToUserTotal - rec.pacToGridTotal, t.grid_power_w)
      assert.is_true(t.grid_power_w < 0) -- exporting
      assert.equal(rec.pacToLocalLoad, t.load_power_w)
      -- bat: the MIN plant's battery, one getBatInfo
      local bat = state.devices.APX5K00208.battery
      assert.same({ "battery_power_w", "battery_soc_pct", "energy_total_kwh", "online", "power_w" },
        fields_of(r.APX5K00208))
      assert.same({ bat.soc, bat.charge - bat.discharge }, { r.APX5K00208.battery_soc_pct,
        r.APX5K00208.battery_power_w })
      -- inverter: one getInverterDetailData, the only ShinePhone reply with a time
      local inv = state.devices.INV3K00209
      assert.same({ "energy_today_kwh", "energy_total_kwh", "online", "power_w", "pv_power_w", "time" },
        fields_of(r.INV3K00209))
      assert.same({ inv.power, inv.today_energy, inv.total_energy, today() .. " 12:00:00" },
        { r.INV3K00209.power_w, r.INV3K00209.energy_today_kwh, r.INV3K00209.energy_total_kwh, r.INV3K00209.time })
      close(inv.power / 0.97, r.INV3K00209.pv_power_w, "inverter pv")
      -- noah: one getSystemStatus, values as "200Watt" and "1.4kWh"
      local noah = state.devices.NOAH200209
      assert.same({ "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "online",
        "power_w", "pv_power_w" }, fields_of(r.NOAH200209))
      assert.equal("200Watt", r.NOAH200209.raw.status.pac)
      assert.same({ noah.power, noah.power + noah.battery.charge, noah.today_energy, noah.total_energy,
        noah.battery.soc, noah.battery.charge }, { r.NOAH200209.power_w, r.NOAH200209.pv_power_w,
        r.NOAH200209.energy_today_kwh, r.NOAH200209.energy_total_kwh, r.NOAH200209.battery_soc_pct,
        r.NOAH200209.battery_power_w })
      -- the documented count: plant list 1, device lists 3 (+1: the TLX plant's fallback), then
      -- mix 2, storage 1, tlx 1, bat 1, inverter 1, noah 1
      assert.same({
        "GET PlantListAPI.do", "GET newInverterAPI.do getInverterDetailData",
        "GET newStorageAPI.do getStorageInfo_sacolar", "GET newTlxApi.do getTlxDetailData",
        "GET newTwoPlantAPI.do getAllDeviceList", "GET newTwoPlantAPI.do getAllDeviceListTwo",
        "GET newTwoPlantAPI.do getAllDeviceListTwo", "GET newTwoPlantAPI.do getAllDeviceListTwo",
        "POST newMixApi.do getEnergyOverview", "POST newMixApi.do getSystemStatus_KW",
        "POST newTlxApi.do getBatInfo", "POST noahDeviceApi/noah/getSystemStatus",
      }, requests_after_login())
    end)

    it("given plants, fetches no plant list; given serials, reads only those devices", function()
      local api = shinephone()
      local records = assert(api:readings({ plants = { 2222209 }, serials = { "NOAH200209" } }))
      assert.equal(1, #records)
      assert.equal("NOAH200209", records[1].serial)
      assert.same({ "GET newTwoPlantAPI.do getAllDeviceListTwo", "POST noahDeviceApi/noah/getSystemStatus" },
        requests_after_login())
      for _, r in ipairs(S.requests()) do
        if r.path == "newTwoPlantAPI.do" then assert.same({ "plantId", "2222209" }, r.query[2]) end
        if r.path:find("noah") then assert.same({ { "deviceSn", "NOAH200209" } }, r.form) end
      end
    end)

    it("a device whose read fails keeps its record with err and the device list's fields", function()
      local api = shinephone()
      S.faults({ { path = "newInverterAPI.do", status = 404 } })
      local r = by_serial(assert(api:readings({ plants = { "2222209" } })))
      local inv = r.INV3K00209
      assert.equal("http", inv.err.kind)
      assert.same({ "energy_total_kwh", "online", "power_w" }, fields_of(inv))
      assert.same({ 650, 812.4, true }, { inv.power_w, inv.energy_total_kwh, inv.online })
      assert.is_nil(r.NOAH200209.err)
      assert.equal(45, r.NOAH200209.battery_soc_pct)
      local text = export.prometheus({ inv, r.NOAH200209 })
      assert.matches('growatt_up{serial="INV3K00209",type="inverter",plant="2222209",api="shinephone"} 0', text, 1,
        true)
      assert.matches('growatt_up{serial="NOAH200209",type="noah",plant="2222209",api="shinephone"} 1', text, 1, true)
    end)

    it("a plant whose device list fails gives a record with plant_id and err; a failed plant list is nil, err",
      function()
        local api = shinephone()
        S.faults({ { path = "newTwoPlantAPI.do", status = 503 } })
        local records = assert(api:readings({ plants = { "2222209" } }))
        assert.equal(1, #records)
        assert.same({ "2222209", "http" }, { records[1].plant_id, records[1].err.kind })
        S.faults({ { path = "PlantListAPI.do", status = 503 } })
        local none, err = api:readings()
        assert.is_nil(none)
        assert.equal("http", err.kind)
      end)

    it("raises at the caller's line on a wrong option, and sends nothing", function()
      local api = growatt.new({ server_url = url })
      local CASES = {
        { "all", "bad argument 'opts' to 'readings' %(table expected, got string%)" },
        { { plants = "2222207" }, "bad argument 'opts.plants' to 'readings' %(table expected, got string%)" },
        { { serials = { {} } }, "bad argument 'opts.serials%[1%]' to 'readings' %(string expected, got table%)" },
        { { plant = { "1" } }, "readings: unknown option 'plant'" },
        { { concurrency = 0 }, "readings: option 'concurrency' must be a positive integer" },
      }
      for _, c in ipairs(CASES) do
        local line = debug.getinfo(1, "l").currentline + 1
        local ok, msg = pcall(function() api:readings(c[1]) end)
        assert.is_false(ok)
        assert.matches("readings_spec.lua:" .. line .. ": " .. c[2], msg)
      end
      assert.equal(0, #S.requests())
    end)

    it("OpenAPI v1: MIN and SPH from their last-data endpoints, other types from the device list, 6 requests",
      function()
        S.state({ v1 = { window = 0 } })
        local api = growatt.openapi({ token = "demo-token", server_url = url })
        local records = assert(api:readings())
        local r = by_serial(records)
        assert.equal(6, #records)
        local sph, b = state.devices.SPH6K00207, state.devices.SPH6K00207.battery
        local m = r.SPH6K00207
        assert.same({ "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w",
          "load_power_w", "online", "power_w", "pv_power_w", "time" }, fields_of(m))
        assert.same({ "mix", "v1", sph.power, sph.power, sph.today_energy, sph.total_energy, b.soc,
          b.charge - b.discharge }, { m.type, m.api, m.power_w, m.pv_power_w, m.energy_today_kwh,
          m.energy_total_kwh, m.battery_soc_pct, m.battery_power_w })
        assert.equal(m.raw.last.pacToUserTotal - m.raw.last.pacToGridTotal, m.grid_power_w)
        assert.equal(m.raw.last.pacToLocalLoad, m.load_power_w)
        assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$", m.time)
        local min, bat = state.devices.MIN4K00208, state.devices.APX5K00208.battery
        local t = r.MIN4K00208
        assert.same({ "tlx", min.power, min.today_energy, min.total_energy, bat.soc, bat.charge },
          { t.type, t.power_w, t.energy_today_kwh, t.energy_total_kwh, t.battery_soc_pct, t.battery_power_w })
        for _, sn in ipairs({ "STO5K00207", "APX5K00208", "INV3K00209", "NOAH200209" }) do
          assert.same({ "online" }, fields_of(r[sn]), sn)
        end
        assert.same({ "storage", "other", "inverter", "other" }, { r.STO5K00207.type, r.APX5K00208.type,
          r.INV3K00209.type, r.NOAH200209.type })
        local paths = {}
        for _, q in ipairs(S.requests()) do paths[#paths + 1] = q.method .. " " .. q.path end
        table.sort(paths)
        assert.same({ "GET v1/device/list", "GET v1/device/list", "GET v1/device/list", "GET v1/plant/list",
          "POST v1/device/mix/mix_last_data", "POST v1/device/tlx/tlx_last_data" }, paths)
      end)
  end)
end)

describe("api:readings() against a hostile server", function()
  local hostile = require("spec.support.hostile")

  it("keeps what is a reading, drops what is not, and never raises on a wrong shape", function()
    local server = hostile.start([[
local replies = {
  ["v1/plant/list"] = '{"error_code":0,"data":{"plants":[{"plant_id":1},"x",{"plant_id":2}]}}',
  ["v1/device/list"] = '{"error_code":0,"data":{"devices":[{"device_sn":{}},"text",{"device_sn":"X1","type":7,'
    .. '"lost":"1"},{"device_sn":"Y1","type":5},{"device_sn":"Z1","type":99,"lost":false}]}}',
  ["v1/device/tlx/tlx_last_data"] = '{"error_code":0,"data":{"pac":"null","ppv":"--","eacToday":"12 V",'
    .. '"eacTotal":"1.5 MWh","bmsSoc":"45%","bdc1ChargePower":"100","time":12,"pacToUserTotal":"7 W"}}',
  ["v1/device/mix/mix_last_data"] = '{"error_code":0,"data":[1,2,3]}',
}
return function(_, head)
  local path = head:match("^%u+ /([^ ?]*)")
  local body = replies[path] or '{"error_code":0,"data":null}'
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " .. #body
    .. "\r\nConnection: close\r\n\r\n" .. body
end]])
    local api = growatt.openapi({ token = "t", server_url = server.url, min_interval = 0 })
    local records = assert(api:readings({ concurrency = 1 }))
    server:stop()
    -- two plants, each listing X1, Y1 and Z1 (the entries without a usable serial are left out)
    assert.equal(6, #records)
    local r = by_serial(records)
    -- "null", "--", "12 V", a number for a time and a difference without its second key are
    -- no readings; "1.5 MWh" and "45%" are
    assert.same({ "battery_soc_pct", "energy_total_kwh", "online" }, fields_of(r.X1))
    assert.same({ 45, 1500, false }, { r.X1.battery_soc_pct, r.X1.energy_total_kwh, r.X1.online })
    assert.is_nil(r.X1.err)
    assert.same({}, fields_of(r.Y1)) -- no lost flag, a list where values were due
    assert.same({ "online" }, fields_of(r.Z1))
    assert.equal("99", r.Z1.type)
    assert.is_string(export.prometheus(records))
  end)
end)

describe("growatt.export", function()
  local RECORDS = {
    { serial = "A1", type = "mix", plant_id = "7", api = "shinephone", power_w = 2400, energy_today_kwh = 12.6,
      energy_total_kwh = 10500, battery_soc_pct = 62, battery_power_w = -300, online = true,
      time = "2026-11-24 12:00:00", epoch = 1795518000 },
    { serial = 'B "2"\n', type = "in,v er=x", plant_id = "7", api = "v1", err = { kind = "http" }, online = false },
  }
  setmetatable(RECORDS[2].err, { __tostring = function() return "http: HTTP status 503\r\nretry" end })

  it("prometheus: valid text, units in names, growatt_up per device, escaped labels", function()
    local P = require("spec.support.prometheus")
    local m = P.parse(export.prometheus(RECORDS))
    assert.equal("gauge", m.types.growatt_up)
    assert.equal("counter", m.types.growatt_energy_kilowatt_hours_total)
    assert.equal(1, P.sample(m, "growatt_up", { serial = "A1", type = "mix", plant = "7", api = "shinephone" }))
    assert.equal(0, P.sample(m, "growatt_up", { serial = 'B "2"\n' }))
    assert.equal(0.62, P.sample(m, "growatt_battery_charge_ratio", { serial = "A1" }))
    assert.equal(-300, P.sample(m, "growatt_battery_power_watts", { serial = "A1" }))
    assert.equal(0, P.sample(m, "growatt_online", { serial = 'B "2"\n' }))
    assert.equal(1795518000, P.sample(m, "growatt_reading_timestamp_seconds", { serial = "A1" }))
    assert.is_nil(m.types.growatt_grid_power_watts) -- no device has it: no family
    assert.equal("# HELP growatt_up 1 when the device's readings were fetched, else 0.\n# TYPE growatt_up gauge\n",
      export.prometheus({}))
  end)

  it("influx: every line matches the line-protocol grammar, with the epoch in nanoseconds", function()
    local L = require("spec.support.prometheus").line_protocol
    local text = export.influx(RECORDS, { time = 1795520000 })
    local lines = {}
    for l in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = assert(L(l), l) end
    assert.equal(2, #lines)
    assert.same({ measurement = "growatt", tags = { api = "shinephone", plant = "7", serial = "A1", type = "mix" },
      time = "1795518000000000000" },
      { measurement = lines[1].measurement, tags = lines[1].tags, time = lines[1].time })
    assert.same({ up = true, online = true, power_w = 2400, energy_today_kwh = 12.6, energy_total_kwh = 10500,
      battery_soc_pct = 62, battery_power_w = -300 }, lines[1].fields)
    assert.same({ api = "v1", plant = "7", serial = 'B "2"', type = "in,v er=x" }, lines[2].tags)
    assert.same({ up = false, online = false, error = "http: HTTP status 503  retry" }, lines[2].fields)
    assert.equal("1795520000000000000", lines[2].time)
    assert.equal("", export.influx({}))
  end)

  it("json and csv: the fields each record has, errors as text, no raw", function()
    local json = require("growatt.json")
    local list = json.decode(export.json({ RECORDS[1],
      { serial = "C", raw = { secret = 1 }, err = RECORDS[2].err } }))
    assert.same({ serial = "A1", type = "mix", plant_id = "7", api = "shinephone", power_w = 2400,
      energy_today_kwh = 12.6, energy_total_kwh = 10500, battery_soc_pct = 62, battery_power_w = -300, online = true,
      time = "2026-11-24 12:00:00", epoch = 1795518000 }, list[1])
    assert.same({ serial = "C", error = "http: HTTP status 503  retry" }, list[2])
    assert.equal("[]", export.json({}))
    local csv = export.csv(RECORDS)
    local lines = {}
    for l in csv:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
    assert.equal(table.concat(export.COLUMNS, ","), lines[1])
    assert.equal("7,A1,mix,shinephone,2400,,12.6,10500,62,-300,,,true,2026-11-24 12:00:00,1795518000,", lines[2])
    assert.equal('7,"B ""2""', lines[3])
    assert.equal('",\"in,v er=x\",v1,,,,,,,,,false,,,http: HTTP status 503  retry', lines[4])
  end)
end)
