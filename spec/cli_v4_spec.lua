-- The growatt command-line tool over the OpenAPI v4 (a token, --api v4 by default), run as a
-- subprocess against the sandbox: its output, its exit statuses, what the sandbox received,
-- and that the token never shows.
local S = require("spec.support.sandbox")
local CLI = require("spec.support.cli")
local H = require("spec.support.session")

local TOKEN = "demo-token"

local decode = CLI.decode

local dir, state, url

local function growatt_cli(words, opts)
  return CLI.run({ dir = dir, state = state, url = url }, words, opts)
end

-- Runs the command with the token in GROWATT_TOKEN; asserts that the token shows nowhere.
local function v4_cli(words, env)
  local vars = { GROWATT_TOKEN = TOKEN }
  for k, v in pairs(env or {}) do vars[k] = v end
  local r = growatt_cli(words, { env = vars })
  local token = vars.GROWATT_TOKEN or TOKEN
  assert.falsy((r.out .. r.err):find(token, 1, true), "the token shows")
  return r
end

-- The requests the sandbox received, as "METHOD path k=v&k=v" (form and query), each with
-- the token header.
local function received(token)
  local list = {}
  for _, r in ipairs(S.requests()) do
    assert.equal(token or TOKEN, r.headers.token, r.path)
    local params = {}
    for _, pair in ipairs(r.query) do params[#params + 1] = pair[1] .. "=" .. pair[2] end
    for _, pair in ipairs(r.form or {}) do params[#params + 1] = pair[1] .. "=" .. pair[2] end
    list[#list + 1] = r.method .. " " .. r.path .. (#params > 0 and (" " .. table.concat(params, "&")) or "")
  end
  return list
end

local lines_of = CLI.lines_of

describe("growatt over the OpenAPI v4", function()
  local start, stop, each = CLI.hooks(function(w) dir, state, url = w.dir, w.state, w.url end)
  setup(start)
  teardown(stop)
  before_each(each)

  describe("choosing the API", function()
    it("--help names --token, --api, GROWATT_API and exit status 14", function()
      local r = growatt_cli({ "--help" })
      assert.equal(0, r.code)
      for _, word in ipairs({ "--token TOKEN", "--api v1|v4", "GROWATT_API",
        "14  the token may not see that device" }) do
        assert.truthy(r.out:find(word, 1, true), word)
      end
    end)

    it("login with a token sends nothing and names the API: v4 by default, v1 with --api v1", function()
      local r = v4_cli({ "login" })
      assert.equal(0, r.code, r.err)
      assert.equal("a token is given: commands use the OpenAPI v4 on " .. url .. " with it; there is no session "
        .. "to keep\n", r.out)
      r = growatt_cli({ "--json", "--token", "a-token-on-the-line", "--api", "v1", "login" })
      assert.equal(0, r.code, r.err)
      assert.same({ token = true, api = "v1", server_url = url }, decode(r.out))
      assert.falsy(r.out:find("a-token-on-the-line", 1, true))
      assert.same({}, S.requests())
    end)

    it("refuses an API other than v1 and v4 (exit 2), before sending", function()
      local r = v4_cli({ "devices" }, { GROWATT_API = "v3" })
      assert.equal(2, r.code)
      assert.equal("growatt: GROWATT_API v3: expected v1 or v4\n", r.err)
      r = v4_cli({ "--api", "v2", "devices" })
      assert.equal(2, r.code)
      assert.matches("Usage: growatt", r.err)
      assert.same({}, S.requests())
    end)

    it("without a token, devices needs a plant (exit 2), and sends nothing", function()
      local r = growatt_cli({ "devices" })
      assert.equal(2, r.code)
      assert.equal("growatt: devices: which plant? Give its id (see `growatt plants`)\n", r.err)
      assert.same({}, S.requests())
    end)
  end)

  describe("devices", function()
    it("lists every device of the token from queryDeviceList, as a table and as JSON", function()
      local r = v4_cli({ "devices" })
      assert.equal(0, r.code, r.err)
      local lines = lines_of(r.out)
      assert.equal(10, #lines)
      assert.matches("^SERIAL%s+TYPE%s+DATALOGGER%s+CREATED%s+PLANT$", lines[1])
      assert.matches("^NOAH200209%s+noah%s+DLG2222209%s+2019%-09%-30 09:30:12%.0%s+%-$", lines[6])
      assert.same({ "POST v4/new-api/queryDeviceList page=1" }, received())
      S.reset()
      r = v4_cli({ "--json", "devices" }, { GROWATT_STATE_FILE = state .. ".2" }) -- a fresh 5 s window
      assert.equal(0, r.code, r.err)
      local devices = decode(r.out)
      assert.equal(9, #devices)
      assert.same({ sn = "SPHS5K0210", type = "sph-s", datalogger = "DLV45K0210", created = "2024-05-30 09:30:12.0" },
        devices[9])
    end)

    it("reads every page of the device list", function()
      S.state({ v4 = { page_size = 4 } })
      local r = v4_cli({ "--csv", "devices" })
      assert.equal(0, r.code, r.err)
      assert.equal(10, #lines_of(r.out))
      assert.equal("sn,type,datalogger,created,plant", lines_of(r.out)[1])
      assert.same({ "POST v4/new-api/queryDeviceList page=1", "POST v4/new-api/queryDeviceList page=2",
        "POST v4/new-api/queryDeviceList page=3" }, received())
    end)

    it("with a plant, keeps the devices whose details name it: one queryDeviceInfo per type", function()
      local r = v4_cli({ "--json", "devices", "2222210" })
      assert.equal(0, r.code, r.err)
      local sns = {}
      for i, d in ipairs(decode(r.out)) do
        sns[i] = d.sn
        assert.equal("2222210", d.plant)
      end
      assert.same({ "MAX50K0210", "SPA3K00210", "WIT100K210", "SPHS5K0210" }, sns)
      local sent = received()
      assert.equal(10, #sent)
      assert.equal("POST v4/new-api/queryDeviceList page=1", sent[1])
      assert.equal("POST v4/new-api/queryDeviceInfo deviceSn=NOAH200209&deviceType=noah", sent[6])
      assert.equal("POST v4/new-api/queryDeviceInfo deviceSn=SPHS5K0210&deviceType=sph-s", sent[10])
    end)

    it("a repeat inside the device list's 5 s is refused from the state file (exit 6), nothing sent", function()
      assert.equal(0, v4_cli({ "devices" }).code)
      local r = v4_cli({ "devices" })
      assert.equal(6, r.code)
      assert.equal("growatt: rate_limited: device_list was sent 0 s ago; Growatt answers the same request once "
        .. "per 5 s\n", r.err)
      assert.equal("", r.out)
      assert.equal(1, #S.requests())
      local kept = H.read(state)
      assert.matches("queryDeviceList", kept) -- the window is in the state file, under a digest of the token
      assert.falsy(kept:find(TOKEN, 1, true))
    end)
  end)

  describe("status", function()
    it("reads every device through api:readings: the device list, then queryLastData per type", function()
      local r = v4_cli({ "status" })
      assert.equal(0, r.code, r.err)
      local lines = lines_of(r.out)
      assert.equal(10, #lines)
      assert.matches("^PLANT%s+DEVICE%s+TYPE%s+POWER%s+TODAY%s+BATTERY%s+STATE$", lines[1])
      assert.matches("^%-%s+NOAH200209%s+noah%s+200 W%s+1%.4 kWh%s+45 %%%s+%-$", lines[6]) -- online: unknown
      assert.matches("^%-%s+MIN4K00208%s+min%s+1%.85 kW%s+10%.4 kWh%s+71 %%%s+online$", lines[4])
      local sent = received()
      assert.equal(10, #sent)
      assert.equal("POST v4/new-api/queryDeviceList page=1", sent[1])
      table.sort(sent)
      assert.same({ "POST v4/new-api/queryDeviceList page=1",
        "POST v4/new-api/queryLastData deviceSn=INV3K00209&deviceType=inv",
        "POST v4/new-api/queryLastData deviceSn=MAX50K0210&deviceType=max",
        "POST v4/new-api/queryLastData deviceSn=MIN4K00208&deviceType=min",
        "POST v4/new-api/queryLastData deviceSn=NOAH200209&deviceType=noah",
        "POST v4/new-api/queryLastData deviceSn=SPA3K00210&deviceType=spa",
        "POST v4/new-api/queryLastData deviceSn=SPH6K00207&deviceType=sph",
        "POST v4/new-api/queryLastData deviceSn=SPHS5K0210&deviceType=sph-s",
        "POST v4/new-api/queryLastData deviceSn=STO5K00207&deviceType=storage",
        "POST v4/new-api/queryLastData deviceSn=WIT100K210&deviceType=wit" }, sent)
    end)

    it("--format json and prom give every device's record; prom passes the strict parser", function()
      local r = v4_cli({ "status", "--format", "json" })
      assert.equal(0, r.code, r.err)
      local by_sn = {}
      for _, rec in ipairs(decode(r.out)) do by_sn[rec.serial] = rec end
      local noah = by_sn.NOAH200209
      assert.same({ "noah", "v4", 200, 45 }, { noah.type, noah.api, noah.power_w, noah.battery_soc_pct })
      assert.equal(91, by_sn.SPHS5K0210.battery_soc_pct)
      local P = require("spec.support.prometheus")
      r = v4_cli({ "status", "--format", "prom" }, { GROWATT_STATE_FILE = state .. ".2" }) -- a fresh window
      assert.equal(6, r.code) -- the sandbox keeps the intervals too: its 102 for a repeat from another state file
      S.reset()
      r = v4_cli({ "status", "--format", "prom" }, { GROWATT_STATE_FILE = state .. ".3" })
      assert.equal(0, r.code, r.err)
      local m = P.parse(r.out)
      assert.equal(1, P.sample(m, "growatt_up", { serial = "WIT100K210", type = "wit", api = "v4" }))
      assert.equal(31250.5, P.sample(m, "growatt_power_watts", { serial = "MAX50K0210" }))
    end)

    it("a repeat inside queryLastData's interval sends only the device list; each device says why", function()
      assert.equal(0, v4_cli({ "status" }).code)
      S.reset()
      H.sh("sleep 5.1") -- past the device list's 5 s, inside last data's 1 and 5 minutes
      local r = v4_cli({ "status" })
      assert.equal(6, r.code)
      assert.matches("growatt: NOAH200209: rate_limited: last_data was sent %d+ s ago; Growatt answers the same "
        .. "request once per 60 s\n", r.err)
      assert.same({ "POST v4/new-api/queryDeviceList page=1" }, received())
    end)

    it("asks for at most 100 serials a request", function()
      local server = require("spec.support.scripted").start()
      server:script([[
        local N = 150
        return function(_, path, body)
          if path == "v4/new-api/queryDeviceList" then
            local list = {}
            for i = 1, N do
              list[i] = string.format('{"deviceSn":"INV%04d","deviceType":"inv","datalogSn":"DL","createDate":"x"}', i)
            end
            return '{"code":0,"data":{"count":' .. N .. ',"lastPager":true,"data":[' .. table.concat(list, ",")
              .. ']},"message":"SUCCESSFUL_OPERATION"}'
          end
          local sns, recs = body:match("deviceSn=([^&]*)"):gsub("%%2C", ","), {}
          for sn in sns:gmatch("[^,]+") do recs[#recs + 1] = '{"inverterId":"' .. sn .. '","pac":100,"status":1}' end
          return '{"code":0,"data":{"inv":[' .. table.concat(recs, ",") .. ']},"message":"SUCCESSFUL_OPERATION"}'
        end]])
      local r = growatt_cli({ "--json", "status" }, { env = { GROWATT_TOKEN = TOKEN, GROWATT_SERVER = server.url } })
      local requests = server:requests()
      server:stop()
      assert.equal(0, r.code, r.err)
      local records = decode(r.out)
      assert.equal(150, #records)
      assert.same({ "INV0150", 100 }, { records[150].serial, records[150].power_w })
      assert.equal(3, #requests)
      local counts = {}
      for i = 2, 3 do
        local sns = requests[i].body:match("deviceSn=([^&]*)"):gsub("%%2C", ",")
        local _, commas = sns:gsub(",", "")
        counts[#counts + 1] = commas + 1
      end
      table.sort(counts)
      assert.same({ 50, 100 }, counts)
    end)
  end)

  describe("plants", function()
    it("come from the OpenAPI v1's plant list with the same token (the v4 has none)", function()
      local r = v4_cli({ "--json", "plants" })
      assert.equal(0, r.code, r.err)
      local plants = decode(r.out)
      assert.equal(3, #plants)
      assert.same({ id = "2222209", name = "Shed classic + Noah", power_w = 650, total_kwh = 812.4 }, plants[3])
      assert.same({ "GET v1/plant/list page=&perpage=&search_type=&search_keyword=" }, received())
    end)

    it("so do chart and history: v1's plant power and energy with the same token", function()
      local r = v4_cli({ "--json", "chart", "2222209", "--date", "2026-06-21" })
      assert.equal(0, r.code, r.err)
      assert.equal("2222209", decode(r.out).plant)
      r = v4_cli({ "--json", "history", "2222207", "--from", "2026-10-01", "--to", "2026-10-03" })
      assert.equal(0, r.code, r.err)
      assert.equal(3, #decode(r.out))
      assert.same({ "GET v1/plant/power plant_id=2222209&date=2026-06-21", "GET v1/plant/energy plant_id=2222207&"
        .. "start_date=2026-10-01&end_date=2026-10-03&time_unit=day&page=1&perpage=100" }, received())
    end)
  end)

  describe("raw", function()
    it("calls a v4 method by its own name or its wire name; the reply's data as JSON", function()
      local r = v4_cli({ "raw", "queryLastData", "NOAH200209", "noah" })
      assert.equal(0, r.code, r.err)
      local noah = decode(r.out).noah[1]
      assert.same({ "NOAH200209", 45, 200 }, { noah.deviceSn, noah.totalBatteryPackSoc, noah.pac })
      r = v4_cli({ "raw", "read_power", "NOAH200209", "noah" })
      assert.equal(0, r.code, r.err)
      assert.equal("200\n", r.out)
      r = v4_cli({ "raw", "device_info", '["SPA3K00210"]', "spa" }) -- a JSON list of serials
      assert.equal(0, r.code, r.err)
      assert.same({ "POST v4/new-api/queryLastData deviceSn=NOAH200209&deviceType=noah",
        "POST v4/new-api/readPower deviceSn=NOAH200209&deviceType=noah",
        "POST v4/new-api/queryDeviceInfo deviceSn=SPA3K00210&deviceType=spa" }, received())
    end)

    it("--dry-run prints the request with the token as ***, and sends nothing", function()
      local r = v4_cli({ "raw", "--dry-run", "setPower", "NOAH200209", "noah", "300" })
      assert.equal(0, r.code, r.err)
      local req = decode(r.out)
      assert.same({ { "token", "***" } }, req.headers)
      assert.same({ { "deviceSn", "NOAH200209" }, { "deviceType", "noah" }, { "value", 300 } }, req.form)
      assert.equal(url .. "v4/new-api/setPower", req.url)
      assert.same({}, S.requests())
    end)

    it("a write goes once; its value reads back", function()
      local r = v4_cli({ "raw", "set_high_limit_soc", "NOAH200209", "noah", "90" })
      assert.equal(0, r.code, r.err)
      assert.equal("true\n", r.out)
      assert.same({ "POST v4/new-api/setHighLimitSoc deviceSn=NOAH200209&deviceType=noah&value=90" }, received())
      r = v4_cli({ "raw", "device_info", "NOAH200209", "noah" })
      assert.equal(90, decode(r.out).noah[1].chargingSocHighLimit)
    end)

    it("exits 11 for a value refused before sending, 2 for an unknown method or a wrong type", function()
      local r = v4_cli({ "raw", "set_power", "NOAH200209", "noah", "900" })
      assert.equal(11, r.code)
      assert.matches("value must be an integer 0..800, got 900", r.err)
      r = v4_cli({ "raw", "plant_list" }) -- a v1 method: not the v4's
      assert.equal(2, r.code)
      assert.equal("growatt: no API method named 'plant_list'\n", r.err)
      r = v4_cli({ "raw", "last_data", "12", "noah" })
      assert.equal(2, r.code)
      assert.same({}, S.requests())
    end)
  end)

  describe("errors", function()
    it("exits 14 (permission) for a device of another account, 3 for a refused token; neither shows", function()
      local r = v4_cli({ "raw", "last_data", "INV5K00301", "inv" })
      assert.equal(14, r.code)
      assert.matches("^growatt: permission: .*%(code 12%)\n$", r.err)
      local secret = "not-the-demo-token-0123456789"
      r = growatt_cli({ "--token", secret, "raw", "last_data", "NOAH200209", "noah" })
      assert.equal(3, r.code)
      assert.matches("^growatt: auth: the token was refused", r.err)
      assert.falsy((r.out .. r.err):find(secret, 1, true))
      assert.equal(secret, S.last().headers.token)
      S.faults({ { path = "v4/new-api/queryDeviceList", v4_code = 3 } })
      r = v4_cli({ "-v", "devices" })
      assert.equal(14, r.code)
    end)

    it("exits 3 on Growatt's HTML login page where JSON is due (a wrong token or server), 10 offline", function()
      S.faults({ { path = "v4/new-api/queryDeviceList", v4_login = true } })
      local r = v4_cli({ "devices" })
      assert.equal(3, r.code) -- the login page means a wrong token or server: auth
      assert.matches("token", r.err)
      S.state({ v4 = { offline = { NOAH200209 = true } } })
      r = v4_cli({ "raw", "read_power", "NOAH200209", "noah" })
      assert.equal(10, r.code)
      assert.matches("^growatt: offline: ", r.err)
    end)

    it("--verbose prints each request, never the token", function()
      local secret = "verbose-secret-token"
      S.state({ v4 = { tokens = { [secret] = "demo" } } })
      local r = v4_cli({ "-v", "--token", secret, "devices" }, { GROWATT_TOKEN = secret })
      assert.equal(0, r.code, r.err)
      assert.same({ "POST v4/new-api/queryDeviceList page=1" }, received(secret))
      assert.matches("growatt: POST v4/new%-api/queryDeviceList %-> 200", r.err)
    end)
  end)

  describe("v1 stays reachable", function()
    it("with --api v1 (or GROWATT_API=v1) devices and raw use the OpenAPI v1", function()
      local r = v4_cli({ "--api", "v1", "--json", "devices", "2222208" })
      assert.equal(0, r.code, r.err)
      assert.equal("tlx", decode(r.out)[1].type)
      r = v4_cli({ "raw", "plant_list" }, { GROWATT_API = "v1" })
      assert.equal(0, r.code, r.err)
      assert.equal(3, #decode(r.out).plants)
      assert.same({ "GET v1/device/list plant_id=2222208&page=&perpage=",
        "GET v1/plant/list page=&perpage=&search_type=&search_keyword=" }, received())
    end)
  end)
end)
