-- Every example script, run as users run it, against the sandbox: each must exit with 0.
-- Examples in subfolders (examples/openresty/) and those whose first line says
-- "-- spec: skip" need something else and are left out.
local S = require("spec.support.sandbox")
local H = require("spec.support.session") -- the interpreter running this spec, its build of the core

local LUA, CPATH = H.LUA, H.CPATH .. ";;"

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function first_line(path)
  local f = assert(io.open(path))
  local line = f:read("*l") or ""
  f:close()
  return line
end

local function examples()
  local list = {}
  local pipe = assert(io.popen("ls examples/*.lua 2>/dev/null"))
  for path in pipe:lines() do
    if not first_line(path):find("^%-%-%s*spec:%s*skip") then list[#list + 1] = path end
  end
  pipe:close()
  table.sort(list)
  return list
end

-- Runs a script with the sandbox as its server; returns its exit code and its output.
local function run(path, url)
  local out = os.tmpname()
  local cmd = string.format(
    "GROWATT_SERVER=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s' %s %s >%s 2>&1; echo $?",
    quote(url), CPATH, LUA, quote(path), quote(out))
  local pipe = assert(io.popen(cmd))
  local code = tonumber(pipe:read("*a"):match("(%d+)%s*$"))
  pipe:close()
  local f = io.open(out)
  local text = f and f:read("*a") or ""
  if f then f:close() end
  os.remove(out)
  return code, text
end

describe("examples", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function() S.reset() end)

  local list = examples()

  it("are there", function()
    for _, name in ipairs({ "simple", "mix", "tlx", "noah", "user_agent", "v4", "v4_noah" }) do
      local found = false
      for _, path in ipairs(list) do found = found or path == "examples/" .. name .. ".lua" end
      assert.is_true(found, "examples/" .. name .. ".lua")
    end
  end)

  for _, path in ipairs(list) do
    it(path .. " runs against the sandbox", function()
      local code, output = run(path, url)
      assert.equal(0, code, output)
      assert.is_true(#S.requests() > 0, "the example sent nothing to the sandbox")
    end)
  end

  -- The v4 requests the sandbox received, as "path deviceSn deviceType", each with the token.
  local function v4_sent()
    local seen = {}
    for _, r in ipairs(S.requests()) do
      assert.equal("demo-token", r.headers.token)
      assert.equal("POST", r.method)
      local form = {}
      for _, pair in ipairs(r.form) do form[pair[1]] = pair[2] end
      seen[#seen + 1] = r.path .. " " .. tostring(form.deviceSn or form.page) .. " " .. tostring(form.deviceType)
    end
    return seen
  end

  it("examples/v4.lua reads the device list, then one queryLastData per device type", function()
    local code, output = run("examples/v4.lua", url)
    assert.equal(0, code, output)
    assert.matches("^9 devices of 9 types\n", output)
    assert.matches("\nnoah    NOAH200209  power    200 W  pv    320 W  battery   45 %%  at %d%d%d%d%-", output)
    assert.matches("\ninv     INV3K00209  power    650 W", output)
    assert.matches("\nwit     WIT100K210  power  64210 W  pv  76210 W  battery   54 %%", output)
    local sent = v4_sent()
    assert.equal("v4/new-api/queryDeviceList 1 nil", sent[1])
    assert.equal(10, #sent)
    local all = "\n" .. table.concat(sent, "\n") .. "\n"
    assert.truthy(all:find("\nv4/new-api/queryLastData NOAH200209 noah\n", 1, true))
  end)

  it("examples/v4_noah.lua shows the schedule write, then sends it once and reads it back", function()
    local code, output = run("examples/v4_noah.lua", url)
    assert.equal(0, code, output)
    assert.equal("dry run: POST v4/new-api/setTimeSegment deviceSn=NOAH200209&deviceType=noah&type=3&"
      .. "startTime=17:00&endTime=21:30&mode=0&power=300&enable=1\n"
      .. "slot 3 reads back 17:0-21:30, mode 0, 300 W, enabled 1\n", output)
    assert.same({ "v4/new-api/setTimeSegment NOAH200209 noah", "v4/new-api/queryDeviceInfo NOAH200209 noah" },
      v4_sent())
    assert.same({ "type", "3" }, S.requests()[1].form[3])
  end)

  it("examples/v4_noah.lua says so when the read-back shows another value", function()
    -- the write answers SYSTEM_ERROR without being applied: the read-back finds the old slot
    S.faults({ { path = "v4/new-api/setTimeSegment", v4_code = 1, v4_applied = false, times = 1 } })
    local code, output = run("examples/v4_noah.lua", url)
    assert.equal(1, code, output)
    assert.matches("\nnot written: growatt: api: the write was refused %(code 1%), but reading it back shows "
      .. "another value", output)
  end)

  it("examples/openresty/nginx-v4.conf serves every v4 device's metrics, fetched in the thread pool", function()
    local N = require("spec.support.nginx")
    local P = require("spec.support.prometheus")
    local nginx = N.start(N.read(N.ROOT .. "/examples/openresty/nginx-v4.conf"),
      { workers = 2, env = { GROWATT_SERVER = url, GROWATT_TOKEN = "demo-token" } })
    local ok, err = pcall(function()
      local m
      assert.truthy(N.wait_for(10, function()
        m = P.parse(nginx:get("metrics").body)
        return P.sample(m, "growatt_refreshes_total", { result = "ok" }) == 1
      end), "no refresh")
      assert.equal(0, P.sample(m, "growatt_refreshes_total", { result = "error" }))
      assert.equal(1, P.sample(m, "growatt_up", { serial = "NOAH200209", type = "noah" }))
      assert.equal(200, P.sample(m, "growatt_power_watts", { serial = "NOAH200209" }))
      assert.equal(0.45, P.sample(m, "growatt_battery_charge_ratio", { serial = "NOAH200209" }))
      assert.equal(1850, P.sample(m, "growatt_power_watts", { serial = "MIN4K00208", type = "min" }))
      assert.equal(1, P.sample(m, "growatt_up", { serial = "SPHS5K0210", type = "sph-s" }))
      assert.truthy(P.sample(m, "growatt_data_age_seconds") >= 0)
      -- one refresh: the device list, then one queryLastData per type; more scrapes send nothing
      for _ = 1, 5 do assert.equal(200, nginx:get("metrics").status) end
      local sent = v4_sent()
      assert.equal(10, #sent)
      assert.equal("v4/new-api/queryDeviceList 1 nil", sent[1])
      local all = "\n" .. table.concat(sent, "\n") .. "\n"
      for _, want in ipairs({ "MIN4K00208 min", "NOAH200209 noah", "SPHS5K0210 sph-s" }) do
        assert.truthy(all:find("\nv4/new-api/queryLastData " .. want .. "\n", 1, true), want)
      end
    end)
    local log = nginx:stop()
    assert(ok, err)
    assert.same({}, N.errors_in(log))
    assert.falsy(log:find("demo-token", 1, true))
  end)

  it("a failing example exits with a non-zero status", function()
    local code, output = run("examples/simple.lua", "http://127.0.0.1:1/")
    assert.are_not.equal(0, code)
    assert.matches("network", output)
  end)
end)
