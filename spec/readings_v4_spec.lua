-- growatt.readings over the OpenAPI v4: the mapping (readings.from_v4) of queryLastData
-- entries of the nine v4 types, shaped as protocol-v4.md appendix A and its §3.3 examples;
-- v4:readings() against the sandbox's v4 family (every type's fields and values against the
-- sandbox's world, the requests it sends) and against a scripted server (batches of 100).
local growatt = require("growatt")
local readings = require("growatt.readings")
local export = require("growatt.export")
local data = require("growatt.sandbox.data")
local fleet = require("growatt.sandbox.fleet")
local S = require("spec.support.sandbox")
local R = require("spec.support.records")

local state = data.seed()
local unpack = table.unpack or unpack -- luacheck: ignore 143
local fields_of, by_serial = R.fields_of, R.by_serial -- the fields a record has, sorted; records by serial

-- queryLastData entries as the v4 sends them (protocol-v4.md §3.3 examples, appendix A names).
local V4 = {
  inv = { inverterId = "NHB691514F", time = "2024-05-25 16:56:33", timeCalendar = 1716627393328, status = 1,
          statusText = "Normal", ppv = 1111.9, ppv1 = 741.3, pac = 936.6, fac = 49.98, powerToday = 15.7,
          powerTotal = 130.3, epvTotal = 131.2, temperature = 47.1 },
  storage = { serialNum = "KHMOCM5688", dataLogSn = "DL5688", calendar = 1718612986554,
              time = "2024-06-17 16:29:46", status = 2, statusText = "Discharge", capacity = 100.0, vBat = 53.14,
              pBat = 0.0, ppv = 1075.4, outPutPower = 498.0, pCharge = 577.4, pDischarge = 0, pacToUser = 0,
              pacToGrid = 0, pAcInPut = 0, epvToday = 4.2, epvTotal = 1520.8, lost = false },
  max = { serialNum = "HPJ0BF20FU", time = "2024-05-25 14:38:42", timeCalendar = 1716619122927, pac = 40210.5,
          ppv = 41005.1, eacToday = -0.1, eacTotal = 98321.4, powerToday = 120.5, powerTotal = 98300.0,
          lost = false },
  sph = { serialNum = "OZD0849010", dataLogSn = "DL9010", calendar = 1716618931362, time = "2024-05-25 14:35:31",
          status = 5, statusText = "PV Bat Online", ppv = 1318.9, pac = 1258.1, soc = 100, bmsSOC = 100,
          pcharge1 = 0.0, pdischarge1 = 5.8, pacToUserTotal = 0.0, pacToGridTotal = 17.8, plocalLoadTotal = 1243.2,
          eacToday = 6.1, eacTotal = 5210.3, epvtoday = 7.0, ppvText = "1318.9 W", socText = "100%", lost = false },
  spa = { serialNum = "SPA0000001", calendar = 1716618931362, time = "2024-05-25 14:35:31", pac = 800.0,
          ppvInverter = 2100.0, soc = 63, pcharge1 = 0, pdischarge1 = 800, pacToUserTotal = 120.5,
          pacToGridTotal = 0, plocalLoadTotal = 920.5, eacToday = 3.4, eacTotal = 1701.0, lost = false },
  min = { serialNum = "AFE494403F", dataLogSn = "BLE094404C", calendar = 1716619122927, time = "2024-05-25 14:38:42",
          status = 1, ppv = 112.9, pac = 110.9, eacToday = 2.0, eacTotal = 25799.8, bmsSoc = 64, bdc1Soc = 64,
          bdc1ChargePower = 0, bdc1DischargePower = 250, pacToUserTotal = 0.0, pacToGridTotal = 0.0,
          pacToLocalLoad = 360.9, debug1 = "0，0，0，0，0，0，0，0", pex1 = -0.1, lost = false },
  wit = { serialNum = "WIT0000001", calendar = 1716619122927, time = "2024-05-25 14:38:42", pac = 25000.0,
          ppv = 30100.0, soc = 81, bSoc = 81, batPower = 4000, pacToUserTotal = 0,
          pacToGridTotal = 1100.0, plocalLoadTotal = 23900.0, eacToday = 95.5, eacTotal = 40211.0, lost = true },
  ["sph-s"] = { serialNum = "SPHS000001", calendar = 1716619122927, time = "2024-05-25 14:38:42", pac = 1500,
                ppv = 1900, soc = 47, pcharge1 = 400, pdischarge1 = 0, pacToUserTotal = 0, pacToGridTotal = 0,
                plocalLoadTotal = 1500, eacToday = 7.7, eacTotal = "null", lost = false },
  -- noah's `time` is epoch milliseconds; here without the text timeStr
  noah = { deviceSn = "0PVP50ZR16ST00B1", datalogSn = "0PVP50ZR16ST00B1", time = 1757298629105, isAgain = 0,
           status = 1, pac = 159, ppv = 295, eacToday = 0.4, eacTotal = 123.4, totalBatteryPackSoc = 77,
           totalBatteryPackChargingStatus = 2, totalBatteryPackChargingPower = -339, totalHouseholdLoad = 310.0,
           onGridPower = 8.6 },
}

describe("readings.from_v4", function()
  -- type -> serial, fields present, and their values
  local WANT = {
    inv = { "NHB691514F", { energy_today_kwh = 15.7, energy_total_kwh = 130.3, power_w = 936.6, pv_power_w = 1111.9,
            time = "2024-05-25 16:56:33" } },
    storage = { "KHMOCM5688", { battery_power_w = 577.4, battery_soc_pct = 100, energy_today_kwh = 4.2,
                energy_total_kwh = 1520.8, grid_power_w = 0, online = true, power_w = 498, pv_power_w = 1075.4,
                time = "2024-06-17 16:29:46" } },
    -- -0.1 is the v4's "not available": no energy today
    max = { "HPJ0BF20FU", { energy_total_kwh = 98321.4, online = true, power_w = 40210.5, pv_power_w = 41005.1,
            time = "2024-05-25 14:38:42" } },
    sph = { "OZD0849010", { battery_power_w = -5.8, battery_soc_pct = 100, energy_today_kwh = 6.1,
            energy_total_kwh = 5210.3, grid_power_w = -17.8, load_power_w = 1243.2, online = true, power_w = 1258.1,
            pv_power_w = 1318.9, time = "2024-05-25 14:35:31" } },
    -- an AC-coupled battery: the coupled inverter's ppvInverter is not its PV
    spa = { "SPA0000001", { battery_power_w = -800, battery_soc_pct = 63, energy_today_kwh = 3.4,
            energy_total_kwh = 1701, grid_power_w = 120.5, load_power_w = 920.5, online = true, power_w = 800,
            time = "2024-05-25 14:35:31" } },
    min = { "AFE494403F", { battery_power_w = -250, battery_soc_pct = 64, energy_today_kwh = 2,
            energy_total_kwh = 25799.8, grid_power_w = 0, load_power_w = 360.9, online = true, power_w = 110.9,
            pv_power_w = 112.9, time = "2024-05-25 14:38:42" } },
    -- batPower has no documented sign: no battery power
    wit = { "WIT0000001", { battery_soc_pct = 81, energy_today_kwh = 95.5, energy_total_kwh = 40211,
            grid_power_w = -1100, load_power_w = 23900, online = false, power_w = 25000, pv_power_w = 30100,
            time = "2024-05-25 14:38:42" } },
    -- "null" is no reading
    ["sph-s"] = { "SPHS000001", { battery_power_w = 400, battery_soc_pct = 47, energy_today_kwh = 7.7,
                  grid_power_w = 0, load_power_w = 1500, online = true, power_w = 1500, pv_power_w = 1900,
                  time = "2024-05-25 14:38:42" } },
    -- no lost flag: online unknown; the time from the epoch milliseconds (the wall clock at UTC+8)
    noah = { "0PVP50ZR16ST00B1", { battery_power_w = -339, battery_soc_pct = 77, energy_today_kwh = 0.4,
             energy_total_kwh = 123.4, load_power_w = 310, power_w = 159, pv_power_w = 295,
             time = "2025-09-08 10:30:29" } },
  }

  for _, t in ipairs(readings.V4_TYPES) do
    it(t .. ": the fields it reports, with their values and no others", function()
      local r = readings.from_v4(t, V4[t], { plant_id = "42" })
      assert.same({ t, "42", "v4", WANT[t][1] }, { r.type, r.plant_id, r.api, r.serial })
      local got = {}
      for _, k in ipairs(fields_of(r)) do got[k] = r[k] end
      assert.same(WANT[t][2], got)
      assert.equal(V4[t], r.raw.last)
    end)
  end

  it("sets epoch from the plant's UTC offset; the text agrees with the milliseconds read at UTC+8", function()
    for _, t in ipairs(readings.V4_TYPES) do
      local e = V4[t].calendar or V4[t].timeCalendar or V4[t].time
      assert.equal(math.floor(e / 1000), readings.from_v4(t, V4[t], { utc_offset = 8 }).epoch, t)
      assert.equal(math.floor(e / 1000) + 6 * 3600, readings.from_v4(t, V4[t], { utc_offset = 2 }).epoch, t)
      assert.is_nil(readings.from_v4(t, V4[t]).epoch, t)
    end
    local noah = readings.from_v4("noah", { deviceSn = "N1", time = 1757298629105, timeStr = "2025-09-08 10:30:29" },
      { utc_offset = 1 })
    assert.same({ "2025-09-08 10:30:29", 1757323829 }, { noah.time, noah.epoch })
  end)

  it("keeps base.serial, and gives an empty record for an entry that is no table or a type it does not know",
    function()
      assert.equal("X", readings.from_v4("min", V4.min, { serial = "X" }).serial)
      for _, entry in ipairs({ growatt.null, "text", 12 }) do
        local r = readings.from_v4("min", entry)
        assert.same({}, fields_of(r))
        assert.is_nil(r.serial)
      end
      local r = readings.from_v4("pcs", { serialNum = "P1", pac = 10, lost = true })
      assert.same({ "online" }, fields_of(r))
      assert.same({ "pcs", false }, { r.type, r.online })
      assert.same({}, fields_of(readings.from_v4("noah", { deviceSn = "N", time = "soon", pac = {} })))
    end)

  it("raises at the caller's line on a device type that is no string or a base that is no table", function()
    for _, c in ipairs({
      { { nil, {} }, "bad argument 'device_type' to 'from_v4' %(string expected, got nil%)" },
      { { 7, {} }, "bad argument 'device_type' to 'from_v4' %(string expected, got number%)" },
      { { "min", {}, "42" }, "bad argument 'base' to 'from_v4' %(table expected, got string%)" },
    }) do
      local line = debug.getinfo(1, "l").currentline + 1
      local ok, msg = pcall(function() readings.from_v4(c[1][1], c[1][2], c[1][3]) end)
      assert.is_false(ok)
      assert.matches("readings_v4_spec.lua:" .. line .. ": " .. c[2], msg)
    end
  end)

  it("its records export as valid Prometheus text and line protocol", function()
    local records = {}
    for _, t in ipairs(readings.V4_TYPES) do records[#records + 1] = readings.from_v4(t, V4[t], { utc_offset = 8 }) end
    local P = require("spec.support.prometheus")
    local m = P.parse(export.prometheus(records))
    assert.equal(1, P.sample(m, "growatt_up", { serial = "0PVP50ZR16ST00B1", type = "noah", api = "v4" }))
    assert.equal(-339, P.sample(m, "growatt_battery_power_watts", { serial = "0PVP50ZR16ST00B1" }))
    assert.equal(0, P.sample(m, "growatt_online", { serial = "WIT0000001" }))
    for l in export.influx(records):gmatch("([^\n]*)\n") do assert(P.line_protocol(l), l) end
  end)
end)

describe("v4:readings() against the sandbox", function()
  local energy = require("growatt.sandbox.energy")
  local v4world = require("growatt.sandbox.v4.world")
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function() S.reset() end)

  -- the sandbox's devices for the demo token: the world's (but the MIN's separate battery) and
  -- the v4-only ones of growatt.sandbox.v4.world
  local function device(sn)
    if state.devices[sn] then return state.devices[sn] end
    for _, d in ipairs(v4world.extra_devices()) do if d.sn == sn then return d end end
  end

  local function v4(token, opts)
    opts = opts or {}
    opts.token, opts.server_url = token or "demo-token", url
    return growatt.v4(opts)
  end

  -- type -> the fields its record has from the sandbox (inv and wit entries have no lost flag)
  local FIELDS = {
    sph = { "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w",
            "load_power_w", "online", "power_w", "pv_power_w", "time" },
    storage = { "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w",
                "online", "power_w", "pv_power_w", "time" },
    inv = { "energy_today_kwh", "energy_total_kwh", "power_w", "pv_power_w", "time" },
    max = { "energy_today_kwh", "energy_total_kwh", "online", "power_w", "pv_power_w", "time" },
    spa = { "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w",
            "load_power_w", "online", "power_w", "time" },
    wit = { "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "grid_power_w", "load_power_w", "power_w",
            "pv_power_w", "time" },
    noah = { "battery_power_w", "battery_soc_pct", "energy_today_kwh", "energy_total_kwh", "load_power_w",
             "power_w", "pv_power_w", "time" },
  }
  FIELDS.min, FIELDS["sph-s"] = FIELDS.sph, FIELDS.sph

  it("every device of every type from the device list and one queryLastData per type: 10 requests", function()
    S.state({ v4 = { scale = 0 } })
    local records = assert(v4("demo-token", { timezone = 1 }):readings())
    local want = { SPH6K00207 = "sph", STO5K00207 = "storage", MIN4K00208 = "min", INV3K00209 = "inv",
                   NOAH200209 = "noah", MAX50K0210 = "max", SPA3K00210 = "spa", WIT100K210 = "wit",
                   SPHS5K0210 = "sph-s" }
    assert.equal(9, #records)
    for _, r in ipairs(records) do
      local t = want[r.serial]
      assert.equal(t, r.type, r.serial)
      assert.same({ "v4", nil }, { r.api, r.plant_id })
      local with_epoch = { "epoch", unpack(FIELDS[t]) }
      table.sort(with_epoch)
      assert.same(with_epoch, fields_of(r), r.serial)
      local d = device(r.serial)
      local f, b = energy.flows(state, d), d.battery or data.battery_of(state, d)
      -- the sandbox's present flows, lifetime energy and charge, whatever the type calls them
      assert.equal(t == "noah" and math.floor(f.out + 0.5) or f.out, r.power_w, r.serial)
      if r.pv_power_w then assert.equal(f.pv, r.pv_power_w, r.serial) end
      assert.equal(d.total_energy, r.energy_total_kwh, r.serial)
      if r.battery_soc_pct then assert.equal(b.soc, r.battery_soc_pct, r.serial) end
      if r.battery_power_w then assert.equal(f.charge - f.discharge, r.battery_power_w, r.serial) end
      if r.grid_power_w and t ~= "storage" then assert.equal(f.to_user - f.to_grid, r.grid_power_w, r.serial) end
      if r.load_power_w then assert.equal(f.load, r.load_power_w, r.serial) end
      if r.online ~= nil then assert.is_true(r.online, r.serial) end
      assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$", r.time)
      -- the client's timezone (UTC+1) sets epoch; the entry's milliseconds are the text at UTC+8
      local ms = r.raw.last.calendar or r.raw.last.timeCalendar or r.raw.last.time
      assert.equal(readings.epoch(r.time, 1), r.epoch, r.serial)
      assert.equal(math.floor(ms / 1000) + 7 * 3600, r.epoch, r.serial)
      assert.equal(r.serial, r.raw.list.deviceSn)
    end
    -- the SPA has no panels: its ppvInverter is not its PV; the WIT's batPower is left out
    local r = by_serial(records)
    assert.is_number(r.SPA3K00210.raw.last.ppvInverter)
    assert.is_number(r.WIT100K210.raw.last.batPower)
    local sent = {}
    for _, q in ipairs(S.requests()) do
      local form = {}
      for _, kv in ipairs(q.form) do form[kv[1]] = kv[2] end
      sent[#sent + 1] = q.path:match("[^/]*$") .. (form.deviceType and " " .. form.deviceType .. " " .. form.deviceSn
        or "")
    end
    table.sort(sent)
    assert.same({ "queryDeviceList", "queryLastData inv INV3K00209", "queryLastData max MAX50K0210",
      "queryLastData min MIN4K00208", "queryLastData noah NOAH200209", "queryLastData spa SPA3K00210",
      "queryLastData sph SPH6K00207", "queryLastData sph-s SPHS5K0210", "queryLastData storage STO5K00207",
      "queryLastData wit WIT100K210" }, sent)
  end)

  it("serials: only those devices and their types are asked; no timezone option, no epoch", function()
    S.state({ v4 = { scale = 0 } })
    local records = assert(v4("demo-token", { intervals = false }):readings({
      serials = { "SPH6K00207", "NOAH200209", "NOPE" } }))
    assert.equal(2, #records)
    assert.is_nil(records[1].epoch) -- no timezone option: no epoch
    local paths = {}
    for _, q in ipairs(S.requests()) do paths[#paths + 1] = q.path end
    table.sort(paths)
    assert.same({ "v4/new-api/queryDeviceList", "v4/new-api/queryLastData", "v4/new-api/queryLastData" }, paths)
  end)

  it("the fleet token: its offline WIT reads online = false", function()
    S.state({ v4 = { scale = 0 } })
    local r = by_serial(assert(v4(fleet.ACCOUNT.token):readings()))
    assert.same({ "max", "wit", "sph-s", "spa" }, { r.MAX60K0211.type, r.WIT50K0211.type, r.SPHS3K0211.type,
      r.SPA3K00211.type })
    assert.is_false(r.WIT50K0211.online)
    assert.same({ true, 54 }, { r.SPHS3K0211.online, r.SPHS3K0211.battery_soc_pct })
  end)

  it("a failed queryLastData leaves its devices' records with err and no fields; a failed list is nil, err",
    function()
      S.state({ v4 = { scale = 0 } })
      S.faults({ { path = "v4/new-api/queryLastData", status = 503 } })
      local records = assert(v4("demo-token", { intervals = false }):readings({ serials = { "INV3K00209" } }))
      assert.same({ "INV3K00209", "inv", "http" }, { records[1].serial, records[1].type, records[1].err.kind })
      assert.same({}, fields_of(records[1]))
      S.faults({ { path = "v4/new-api/queryDeviceList", status = 503 } })
      local none, err = v4("demo-token", { intervals = false }):readings()
      assert.is_nil(none)
      assert.equal("http", err.kind)
    end)

  it("raises at the caller's line on plants (the v4 has none) and sends nothing", function()
    local api = v4()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, msg = pcall(function() api:readings({ plants = { "1" } }) end)
    assert.is_false(ok)
    assert.matches("readings_v4_spec.lua:" .. line .. ": readings: option 'plants' is not for the v4", msg)
    assert.equal(0, #S.requests())
  end)
end)

describe("v4:readings() against a scripted server", function()
  local hostile = require("spec.support.hostile")

  it("asks queryLastData 100 serials at a time per type; a serial the reply leaves out keeps an empty record",
    function()
      local server = hostile.start([[
local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
local function reply(body)
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " .. #body
    .. "\r\nConnection: close\r\n\r\n" .. body
end
return function(_, head, body)
  local form = {}
  for k, v in body:gmatch("([^&=]+)=([^&]*)") do form[unescape(k)] = unescape(v) end
  if head:find("queryDeviceList", 1, true) then
    local items = {}
    for i = 1, 150 do items[i] = string.format('{"deviceSn":"M%03d","deviceType":"min"}', i) end
    items[#items + 1] = '{"deviceSn":"N1","deviceType":"noah"}'
    return reply('{"code":0,"message":"","data":{"pages":1,"pageSize":1000,"count":151,"lastPager":true,'
      .. '"data":[' .. table.concat(items, ",") .. ']}}')
  end
  local entries = {}
  for sn in (form.deviceSn or ""):gmatch("[^,]+") do
    if sn ~= "M007" then -- a serial the token may not see: left out, as Growatt does
      local key = form.deviceType == "noah" and "deviceSn" or "serialNum"
      entries[#entries + 1] = string.format('{"%s":"%s","pac":%d,"lost":false}', key, sn, #entries + 1)
    end
  end
  return reply('{"code":0,"message":"","data":{"' .. form.deviceType .. '":[' .. table.concat(entries, ",") .. ']}}')
end]])
      local api = growatt.v4({ token = "t", server_url = server.url, intervals = false })
      local records = assert(api:readings())
      local sent = server:requests()
      server:stop()
      assert.equal(151, #records)
      local r = by_serial(records)
      -- M100 is the 99th entry of the first reply (M007 is left out), M150 the 50th of the second
      assert.same({ "min", 99, true }, { r.M100.type, r.M100.power_w, r.M100.online })
      assert.same({ "min", 50 }, { r.M150.type, r.M150.power_w })
      assert.same({ "noah", 1 }, { r.N1.type, r.N1.power_w })
      assert.same({}, fields_of(r.M007))
      assert.is_nil(r.M007.err)
      local sizes = {}
      for _, q in ipairs(sent) do
        local sns = q.body:match("deviceSn=([^&]*)")
        if sns then
          local n = select(2, sns:gsub("%%2C", "")) + 1
          sizes[#sizes + 1] = (q.body:match("deviceType=([^&]*)") or "?") .. " " .. n
        end
      end
      table.sort(sizes)
      assert.same({ "min 100", "min 50", "noah 1" }, sizes)
      assert.equal(4, #sent)
    end)
end)
