-- api:batch and api:walk against the sandbox: many calls in flight, the session's rules kept.
local growatt = require("growatt")
local S = require("spec.support.sandbox")

local USER = 1234567

local function query_of(r)
  local t = {}
  for _, p in ipairs(r.query) do t[p[1]] = p[2] end
  return t
end

describe("api:batch", function()
  local url, api
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    api = growatt.new({ server_url = url })
    assert(api:login("demo", "demo-password"))
  end)

  describe("misuse", function()
    local function raises(msg, calls, opts)
      assert.has_error(function() api:batch(calls, opts) end, msg)
    end

    it("raises at the caller's level, before anything is sent", function()
      local before = #S.requests()
      raises("bad argument 'calls' to 'batch' (table expected, got string)", "plant_list")
      raises("batch: call 2 must be a table {method_name, args...}, got string", { { "plant_list", USER }, "x" })
      raises("batch: call 1: 'nope' is not an endpoint method", { { "nope" } })
      raises("batch: call 1: 'login' is not an endpoint method", { { "login", "demo", "x" } })
      raises("batch: call 1: number is not an endpoint method", { { 5 } })
      raises("batch: call 2: bad argument 'user_id' to 'plant_list' (string or number expected, got nil)",
        { { "plant_list", USER }, { "plant_list" } })
      raises("batch: unknown option 'concurency'", {}, { concurency = 2 })
      raises("bad argument 'opts' to 'batch' (table expected, got number)", {}, 5)
      for _, bad in ipairs({ 0, -1, 2.5, "2", 1 / 0 }) do
        raises(nil, {}, { concurrency = bad })
      end
      local ok, err = pcall(api.batch, api, {}, { concurrency = 0 })
      assert.is_false(ok)
      assert.matches("bad argument 'concurrency' to 'batch' %(positive integer expected, got 0%)", err)
      assert.equal(before, #S.requests())
    end)

    -- each raise comes from the line after `at`'s, in every Lua (PUC 5.1 counts tail calls)
    it("names the caller's line, for batch and walk", function()
      local before = #S.requests()
      local dry = growatt.new({ server_url = url, dry_run = true })
      local fresh = growatt.new({ server_url = url })
      local cases = {}
      local at = debug.getinfo(1, "l").currentline
      cases[#cases + 1] = { pcall(function() api:batch("plant_list") end) }
      cases[#cases + 1] = { pcall(function() api:batch({ { "nope" } }) end) }
      cases[#cases + 1] = { pcall(function() api:batch({ { "plant_list" } }) end) }
      cases[#cases + 1] = { pcall(function() api:batch({}, { concurrency = 0 }) end) }
      cases[#cases + 1] = { pcall(function() api:walk({ concurency = 2 }) end) }
      cases[#cases + 1] = { pcall(function() dry:walk() end) }
      cases[#cases + 1] = { pcall(function() fresh:walk() end) }
      local says = { "bad argument 'calls' to 'batch'", "batch: call 1: 'nope' is not an endpoint method",
        "batch: call 1: bad argument 'user_id' to 'plant_list'", "bad argument 'concurrency' to 'batch'",
        "walk: unknown option 'concurency'", "walk: not available with dry_run", "walk: no user id" }
      for i, r in ipairs(cases) do
        assert.is_false(r[1])
        local where = "^[^\n]*batch_spec%.lua:" .. (at + i) .. ": "
        assert.matches(where .. says[i]:gsub("%p", "%%%0"), r[2])
      end
      assert.equal(before, #S.requests())
    end)
  end)

  it("returns each call's value or error in the order of the calls", function()
    local calls = {
      { "plant_list", USER },
      { "device_list", "2222207" },
      { "plant_list", 7654321 }, -- someone else's plants: the server refuses
      { "inverter_detail", "INV3K00209" },
      { "plant_list", USER },
    }
    local values, errs = api:batch(calls, { concurrency = 5 })
    assert.same(api:plant_list(USER), values[1])
    assert.same(api:device_list("2222207"), values[2])
    assert.is_nil(values[3])
    assert.equal("api", errs[3].kind)
    assert.same(api:inverter_detail("INV3K00209"), values[4])
    assert.same(values[1], values[5])
    for _, i in ipairs({ 1, 2, 4, 5 }) do assert.is_nil(errs[i]) end
    -- the sandbox received each call as the method sends it
    local seen = {}
    for _, r in ipairs(S.requests()) do
      local q = query_of(r)
      if r.path == "PlantListAPI.do" then seen[q.userId] = (seen[q.userId] or 0) + 1 end
      if r.path == "newInverterAPI.do" then
        assert.equal("GET", r.method)
        assert.same({ { "op", "getInverterDetailData" }, { "inverterId", "INV3K00209" } }, r.query)
      end
    end
    assert.equal(3, seen["1234567"]) -- two in the batch, one after it
    assert.equal(1, seen["7654321"])
  end)

  it("fails only the calls a fault hits, each with its kind", function()
    S.faults({ { path = "newTlxApi.do", status = 400 }, { path = "newStorageAPI.do", html = true } })
    local values, errs = api:batch({
      { "tlx_detail", "MIN4K00208" },
      { "plant_list", USER },
      { "storage_detail", "STO5K00207" },
      { "inverter_detail", "INV3K00209" },
      { "tlx_detail", "MIN4K00208" },
    }, { concurrency = 3 })
    assert.equal("http", errs[1].kind)
    assert.equal(400, errs[1].status)
    assert.equal("http", errs[5].kind)
    assert.equal("protocol", errs[3].kind)
    assert.is_table(values[2])
    assert.is_table(values[4])
    assert.is_nil(errs[2])
    assert.is_nil(errs[4])
  end)

  it("follows an entry's fallback when its result is empty, as the method does", function()
    -- a TLX plant's device list is empty in getAllDeviceListTwo: getAllDeviceList answers
    local values, errs = api:batch({ { "device_list", "2222208" }, { "device_list", "2222209" } })
    assert.same({}, errs)
    local fallbacks = {} -- the plants the sandbox was asked getAllDeviceList for
    for _, r in ipairs(S.requests()) do
      if r.op == "getAllDeviceList" then fallbacks[#fallbacks + 1] = query_of(r).plantId end
    end
    assert.same({ "2222208" }, fallbacks)
    assert.equal("MIN4K00208", values[1][1].deviceSn)
    assert.same(api:device_list("2222208"), values[1])
    assert.equal(2, #values[2])
  end)

  it("never has more than `concurrency` calls in flight, as the sandbox sees them", function()
    local calls = {}
    for i = 1, 12 do calls[i] = { "plant_list", USER } end
    for _, n in ipairs({ 1, 4 }) do
      S.reset()
      local a = growatt.new({ server_url = url }) -- reset dropped the sessions
      assert(a:login("demo", "demo-password"))
      S.faults({ { path = "PlantListAPI.do", stall = 0.05 } })
      local values = a:batch(calls, { concurrency = n })
      assert.equal(12, #values)
      assert.equal(12, S.count("PlantListAPI.do"))
      assert.equal(n, S.max_in_flight(S.requests()))
    end
  end)

  it("logs in again exactly once when the session expires during a batch", function()
    local a = growatt.new({ server_url = url, login_interval = 0 })
    assert(a:login("demo", "demo-password"))
    S.faults({ { path = "PlantListAPI.do", expire = true, times = 1 } })
    local logins = S.stats().logins
    local calls = {}
    for i = 1, 10 do calls[i] = { "plant_list", USER } end
    local values, errs = a:batch(calls, { concurrency = 4 })
    assert.same({}, errs)
    for i = 1, 10 do assert.equal("2222207", values[i].data[1].plantId) end
    assert.equal(logins + 1, S.stats().logins)
    assert.equal(1, a:stats().relogins)
    -- the expired calls (at least the one the fault hit) were sent twice, the others once
    local plant_lists = S.count("PlantListAPI.do")
    assert.is_true(plant_lists > 10 and plant_lists <= 20, plant_lists)
  end)

  it("keeps the login guard: no second login within login_interval, the expired calls fail", function()
    S.faults({ { path = "PlantListAPI.do", expire = true, times = 1 } })
    local logins = S.stats().logins
    local calls = {}
    for i = 1, 4 do calls[i] = { "plant_list", USER } end
    local _, errs = api:batch(calls, { concurrency = 1 })
    assert.equal("rate_limited", errs[1].kind)
    assert.equal(logins, S.stats().logins)
  end)

  it("counts every request against the budget and calls on_request for each", function()
    local seen = {}
    local a = growatt.new({ server_url = url, budget = { per_day = 6 },
                            on_request = function(info) seen[#seen + 1] = info end })
    assert(a:login("demo", "demo-password")) -- the login is the first request of the budget
    local calls = {}
    for i = 1, 8 do calls[i] = { "plant_list", USER } end
    local values, errs = a:batch(calls, { concurrency = 4 })
    local ok, limited = 0, 0
    for i = 1, 8 do
      if values[i] then ok = ok + 1 end
      if errs[i] and errs[i].kind == "rate_limited" then limited = limited + 1 end
    end
    assert.equal(5, ok)
    assert.equal(3, limited)
    assert.equal(1 + 5, #seen)
    for i = 2, #seen do
      assert.equal("plant_list", seen[i].name)
      assert.equal(200, seen[i].status)
    end
  end)

  it("returns the requests with dry_run", function()
    local a = growatt.new({ server_url = url, dry_run = true })
    local reqs = a:batch({ { "plant_list", USER }, { "tlx_detail", "MIN4K00208" } })
    assert.equal(url .. "PlantListAPI.do", reqs[1].url)
    assert.same({ { "userId", USER } }, reqs[1].query)
    assert.equal("getTlxDetailData", reqs[2].op)
    assert.equal(1, #S.requests()) -- the login of before_each only: nothing was sent
  end)

  it("sends a batched write as the method sends it: validated, the same parameters", function()
    local mix = "SPH6K00207"
    local values, errs = api:batch({
      { "update_mix_inverter_setting", mix, "pf_sys_year", { "2026-11-25 08:30:00" } },
      { "update_mix_inverter_setting", mix, "pf_sys_year", { "2026-13-40 99:00:00" } },
      { "update_mix_inverter_setting", mix, "pf_sys_year", { "2026-11-25 09:00:00" }, { dry_run = true } },
    })
    assert.is_true(values[1].success)
    assert.is_nil(values[2])
    assert.equal("invalid", errs[2].kind)
    assert.equal("param1", errs[2].param)
    assert.equal("mixSetApiNew", values[3].op) -- the per-call dry run answers with its request
    local sent = S.requests()
    local writes = {}
    for _, r in ipairs(sent) do if r.path == "newTcpsetAPI.do" then writes[#writes + 1] = r end end
    assert.equal(1, #writes) -- neither the refused value nor the dry run went out
    local direct = assert(api:update_mix_inverter_setting(mix, "pf_sys_year", { "2026-11-25 08:30:00" },
      { dry_run = true }))
    assert.same(direct.query, writes[1].query)
    assert.equal("2026-11-25 08:30:00", assert(api:get_mix_inverter_settings(mix)).obj.mixBean.pf_sys_year)
  end)

  it("keeps OpenAPI v1's one-request-per-5-minutes rule in a batch", function()
    local v1 = growatt.openapi({ token = "demo-token", server_url = url })
    local values, errs = v1:batch({ { "plant_list" }, { "plant_list" } })
    assert.truthy(values[1].plants)
    assert.equal("rate_limited", errs[2].kind)
    assert.equal(1, S.count("v1/plant/list"))
  end)
end)

describe("api:walk", function()
  local url, api
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    api = growatt.new({ server_url = url })
  end)

  it("raises before a login, and with dry_run", function()
    assert.has_error(function() api:walk() end, "walk: no user id: log in first (api:login)")
    assert.has_error(function() growatt.new({ server_url = url, dry_run = true }):walk() end,
      "walk: not available with dry_run")
    assert.has_error(function() api:walk({ concurrency = 0 }) end)
    assert.equal(0, #S.requests())
  end)

  it("returns every plant of the account with each device and its current status", function()
    assert(api:login("demo", "demo-password"))
    local tree = assert(api:walk({ concurrency = 4 }))
    local by_sn, plants = {}, {}
    for _, plant in ipairs(tree.plants) do
      plants[#plants + 1] = plant.id
      assert.is_nil(plant.err)
      for _, d in ipairs(plant.devices) do by_sn[d.sn] = d end
    end
    assert.same({ "2222207", "2222208", "2222209" }, plants)
    local want = { SPH6K00207 = "mix", STO5K00207 = "storage", MIN4K00208 = "tlx", INV3K00209 = "inverter",
                   NOAH200209 = "noah" }
    for sn, kind in pairs(want) do
      local d = by_sn[sn]
      assert.is_table(d, sn)
      assert.equal(kind, d.type)
      assert.is_nil(d.err, sn)
      assert.is_table(d.status, sn)
      assert.is_true(next(d.status) ~= nil, sn)
    end
    -- the status call of each device went out, concurrently
    assert.equal(1, S.count("newMixApi.do"))
    assert.equal(1, S.count("newStorageAPI.do"))
    assert.equal(1, S.count("newTlxApi.do"))
    assert.equal(1, S.count("newInverterAPI.do"))
    assert.equal(1, S.count("noahDeviceApi/noah/getSystemStatus"))
  end)

  it("keeps a plant's error and a device's error where they happened", function()
    assert(api:login("demo", "demo-password"))
    S.faults({ { path = "newInverterAPI.do", status = 400 } })
    local tree = assert(api:walk())
    local inverter
    for _, plant in ipairs(tree.plants) do
      for _, d in ipairs(plant.devices) do
        if d.type == "inverter" then inverter = d end
        if d.type ~= "inverter" then assert.is_nil(d.err) end
      end
    end
    assert.equal("http", inverter.err.kind)
    assert.is_nil(inverter.status)
  end)
end)
