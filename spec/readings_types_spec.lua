-- growatt.readings for the device types beyond the demo account's: the sandbox's installer
-- account (growatt.sandbox.fleet: a MAX, an offline WIT, an SPH-S and an SPA) over ShinePhone
-- and v1, asserting per type which fields each record has and their values against the
-- sandbox's data. The v4's readings are in spec/readings_v4_spec.lua.
local growatt = require("growatt")
local data = require("growatt.sandbox.data")
local fleet = require("growatt.sandbox.fleet")
local S = require("spec.support.sandbox")
local R = require("spec.support.records")

local state = data.seed()
local fields_of, by_serial = R.fields_of, R.by_serial -- the fields a record has, sorted; records by serial

local function requests() return R.requests(S) end

describe("readings of max, wit, sph-s and spa devices", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function() S.reset() end)

  local MAX, WIT, SPHS, SPA = state.devices.MAX60K0211, state.devices.WIT50K0211, state.devices.SPHS3K0211,
    state.devices.SPA3K00211

  it("ShinePhone: the device list's power, lifetime energy, charge and online, from 2 requests", function()
    local api = growatt.new({ server_url = url })
    assert(api:login(fleet.ACCOUNT.user, fleet.ACCOUNT.password))
    local records = assert(api:readings())
    assert.equal(4, #records)
    local r = by_serial(records)
    local function identity(x) return { x.serial, x.type, x.plant_id, x.api } end
    assert.same({ "MAX60K0211", "max", fleet.PLANT, "shinephone" }, identity(r.MAX60K0211))
    assert.same({ "WIT50K0211", "wit", fleet.PLANT, "shinephone" }, identity(r.WIT50K0211))
    assert.same({ "SPHS3K0211", "sph-s", fleet.PLANT, "shinephone" }, identity(r.SPHS3K0211))
    assert.same({ "SPA3K00211", "spa", fleet.PLANT, "shinephone" }, identity(r.SPA3K00211))
    -- max: no battery, so no charge
    assert.same({ "energy_total_kwh", "online", "power_w" }, fields_of(r.MAX60K0211))
    assert.same({ MAX.power, MAX.total_energy, true },
      { r.MAX60K0211.power_w, r.MAX60K0211.energy_total_kwh, r.MAX60K0211.online })
    for _, d in ipairs({ WIT, SPHS, SPA }) do
      local x = r[d.sn]
      assert.same({ "battery_soc_pct", "energy_total_kwh", "online", "power_w" }, fields_of(x), d.sn)
      assert.same({ d.power, d.total_energy, d.battery.soc, not d.lost },
        { x.power_w, x.energy_total_kwh, x.battery_soc_pct, x.online }, d.sn)
    end
    assert.is_false(r.WIT50K0211.online) -- the list's lost flag
    assert.equal(true, r.WIT50K0211.raw.list.lost)
    assert.equal("54%", r.SPHS3K0211.raw.list.capacity)
    -- no read of their own: the plant list and the plant's device list only
    assert.same({ "GET PlantListAPI.do", "GET newTwoPlantAPI.do getAllDeviceListTwo" }, requests())
  end)

  it("OpenAPI v1: max and spa by their type numbers, wit and sph-s as other; online only; 2 requests", function()
    S.state({ v1 = { window = 0 } })
    local api = growatt.openapi({ token = fleet.ACCOUNT.token, server_url = url })
    local r = by_serial(assert(api:readings()))
    assert.same({ "max", "other", "other", "spa" }, { r.MAX60K0211.type, r.WIT50K0211.type, r.SPHS3K0211.type,
      r.SPA3K00211.type })
    for _, d in ipairs({ MAX, WIT, SPHS, SPA }) do
      assert.same({ "online" }, fields_of(r[d.sn]), d.sn)
      assert.same({ fleet.PLANT, "v1", not d.lost }, { r[d.sn].plant_id, r[d.sn].api, r[d.sn].online })
    end
    assert.is_false(r.WIT50K0211.online)
    local sent = {}
    for _, q in ipairs(S.requests()) do sent[#sent + 1] = q.method .. " " .. q.path .. " " .. q.headers.token end
    table.sort(sent)
    assert.same({ "GET v1/device/list fleet-token", "GET v1/plant/list fleet-token" }, sent)
  end)
end)
