-- growatt.ngx inside a real Debian nginx (with its Lua module) against the sandbox: the
-- example config (examples/openresty) and the adapter itself. nginx is driven through the
-- shell and curl, as a user would; every nginx started here is stopped by its group.
local S = require("spec.support.sandbox")
local cjson = require("cjson")

local ROOT = io.popen("pwd"):read("*l")

---------------------------------------------------------------------------
-- Shell

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs a shell command; returns its output and exit code.
local function sh(cmd)
  local f = assert(io.popen("( " .. cmd .. "\n) 2>&1; echo \"#$?\""))
  local out = f:read("*a")
  f:close()
  local text, code = out:match("^(.-)#(%d+)%s*$")
  return text, tonumber(code)
end

local function now() return tonumber((sh("date +%s.%N"))) end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("*a")
  f:close()
  return text
end

---------------------------------------------------------------------------
-- An nginx of our own: a fresh prefix, a config rendered from a template with the
-- example's placeholders, the environment the example reads.

local NGINX = {}
NGINX.__index = NGINX

local function render(template, vars)
  return (template:gsub("@([%u_]+)@", function(name)
    return assert(vars[name], "no value for @" .. name .. "@")
  end))
end

-- Starts nginx from `template`; opts: workers, env = { NAME = value }. Returns the handle.
local function start_nginx(template, opts)
  local prefix = assert((sh('d=$(mktemp -d "${TMPDIR:-/tmp}/growatt-ngx.XXXXXX") && chmod 755 "$d" && echo "$d"'))
    :match("^(%S+)"))
  local env = {}
  for k, v in pairs(opts.env or {}) do env[#env + 1] = k .. "=" .. quote(v) end
  local self = setmetatable({ prefix = prefix }, NGINX)
  for _ = 1, 5 do
    self.port = 20000 + math.random(0, 39999)
    local conf = render(template, {
      PREFIX = prefix, PORT = tostring(self.port), WORKERS = tostring(opts.workers or 1),
      LUA_PATH = ROOT .. "/lua", CPATH = ROOT .. "/build/jit", EXAMPLE = ROOT .. "/examples/openresty",
    })
    -- As root, nginx would run the workers as nobody, who may not read this checkout.
    conf = conf:gsub("\ndaemon on;", "\nuser root root;\ndaemon on;")
    local f = assert(io.open(prefix .. "/nginx.conf", "w"))
    f:write(conf)
    f:close()
    local out, code = sh(table.concat(env, " ") .. " nginx -p " .. quote(prefix .. "/") ..
      " -c " .. quote(prefix .. "/nginx.conf") .. " -e " .. quote(prefix .. "/error.log"))
    if code == 0 then break end
    if not out:find("Address already in use", 1, true) then
      sh("rm -rf " .. quote(prefix))
      error("nginx did not start: " .. out)
    end
  end
  self.url = "http://127.0.0.1:" .. self.port .. "/"
  -- If this process dies without stopping it, nginx goes within a second.
  sh(("(trap '' HUP INT TERM; while kill -0 $PPID 2>/dev/null && [ -e %s ]; do sleep 1; done; " ..
    "[ -e %s ] && kill -TERM $(cat %s)) </dev/null >/dev/null 2>&1 &")
    :format(quote(prefix .. "/nginx.pid"), quote(prefix .. "/nginx.pid"), quote(prefix .. "/nginx.pid")))
  local _, code = sh(("i=0; until curl -sf -o /dev/null -m 1 %s; do\n" ..
    "i=$((i+1)); [ $i -gt 200 ] && exit 1; sleep 0.01; done"):format(quote(self.url .. "ping")))
  assert(code == 0, "nginx does not answer: " .. read(prefix .. "/error.log"))
  return self
end

-- Stops nginx (TERM, then KILL after 5 s) and waits until it has gone; returns error.log.
function NGINX:stop()
  local pidfile = quote(self.prefix .. "/nginx.pid")
  sh(([[pid=$(cat %s 2>/dev/null) || exit 0
workers=$(ps -o pid= --ppid "$pid")
kill -TERM "$pid"
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" $workers
rm -f %s]]):format(pidfile, pidfile))
  local log = read(self.prefix .. "/error.log")
  sh("rm -rf " .. quote(self.prefix))
  return log
end

-- The lines of error.log at level error or worse.
local function errors_in(log)
  local bad = {}
  for line in log:gmatch("[^\n]+") do
    if line:find("%[error%]") or line:find("%[crit%]") or line:find("%[alert%]") or line:find("%[emerg%]") then
      bad[#bad + 1] = line
    end
  end
  return bad
end

-- One GET with curl: { status, body, json, time, headers }.
function NGINX:get(path)
  local out = sh(("curl -s -m 20 -D - -w '\n%%{http_code} %%{time_total}' %s"):format(quote(self.url .. path)))
  local head, body, status, time = out:match("^(.-)\r\n\r\n(.*)\n(%d+) ([%d.]+)$")
  local res = { status = tonumber(status), time = tonumber(time), body = body or out, headers = {} }
  for name, value in (head or ""):gmatch("\n([^:\r\n]+):%s*([^\r\n]*)") do res.headers[name:lower()] = value end
  local ok, v = pcall(cjson.decode, res.body)
  if ok then res.json = v end
  return res
end

-- `n` GETs of `path`, all at once (one curl process each): a list of { status, time }.
function NGINX:burst(path, n, parallel)
  local out = sh(("seq %d | xargs -P %d -I{} curl -s -o /dev/null -m 20 -w '%%{http_code} %%{time_total}\\n' %s")
    :format(n, parallel or n, quote(self.url .. path)))
  local list = {}
  for status, time in out:gmatch("(%d+) ([%d.]+)") do
    list[#list + 1] = { status = tonumber(status), time = tonumber(time) }
  end
  return list
end

-- Polls fn() every 50 ms until it returns a true value or `seconds` have passed.
local function wait_for(seconds, fn)
  local deadline = now() + seconds
  repeat
    local v = fn()
    if v then return v end
    sh("sleep 0.05")
  until now() > deadline
  return nil
end

local EXAMPLE = read(ROOT .. "/examples/openresty/nginx.conf")

local function example_env(url, extra)
  local env = { GROWATT_SERVER = url, GROWATT_USERNAME = "demo", GROWATT_PASSWORD = "demo-password" }
  for k, v in pairs(extra or {}) do env[k] = v end
  return env
end

---------------------------------------------------------------------------
-- Prometheus text format, strictly: every sample line is `name{labels} value` with a valid
-- name, well-formed labels and a number; every metric has # HELP and # TYPE, before its samples.

local function parse_prometheus(text)
  local help, types, samples = {}, {}, {}
  assert(text:sub(-1) == "\n", "the exposition must end with a newline")
  for line in text:gmatch("([^\n]*)\n") do
    if line:find("^#") then
      local kind, name, rest = line:match("^# (%u+) ([%a_:][%w_:]*) (.*)$")
      assert(kind == "HELP" or kind == "TYPE", "bad comment line: " .. line)
      if kind == "HELP" then
        assert(not help[name], "two HELP lines for " .. name)
        help[name] = rest
      else
        assert(({ counter = 1, gauge = 1, histogram = 1, summary = 1, untyped = 1 })[rest], "bad TYPE: " .. line)
        assert(help[name], "TYPE before HELP for " .. name)
        types[name] = rest
      end
    else
      assert(line ~= "", "empty line in the exposition")
      local name, rest = line:match("^([%a_:][%w_:]*)(.*)$")
      assert(name, "bad metric name: " .. line)
      assert(types[name], "sample before its HELP and TYPE: " .. line)
      local labels = {}
      if rest:sub(1, 1) == "{" then
        local pos = 2
        while rest:sub(pos, pos) ~= "}" do
          local lname, after = rest:match("^([%a_][%w_]*)=\"()", pos)
          assert(lname, "bad label in: " .. line)
          local value, i = {}, after
          while true do
            local c = rest:sub(i, i)
            assert(c ~= "" and c ~= "\n", "unterminated label value: " .. line)
            if c == "\\" then
              local esc = rest:sub(i + 1, i + 1)
              assert(({ ["\\"] = 1, ['"'] = 1, n = 1 })[esc], "bad escape in: " .. line)
              value[#value + 1] = esc == "n" and "\n" or esc
              i = i + 2
            elseif c == '"' then
              break
            else
              value[#value + 1] = c
              i = i + 1
            end
          end
          labels[lname] = table.concat(value)
          pos = i + 1
          if rest:sub(pos, pos) == "," then pos = pos + 1 end
        end
        rest = rest:sub(pos + 1)
      end
      local value = rest:match("^ (%S+)$")
      assert(value and (tonumber(value) or value == "NaN" or value == "+Inf" or value == "-Inf"),
        "bad sample value: " .. line)
      samples[#samples + 1] = { name = name, labels = labels, value = tonumber(value) }
    end
  end
  return { help = help, types = types, samples = samples }
end

local function sample(m, name, labels)
  for _, s in ipairs(m.samples) do
    local match = s.name == name
    for k, v in pairs(labels or {}) do match = match and s.labels[k] == v end
    if match then return s.value end
  end
end

---------------------------------------------------------------------------

describe("growatt.ngx", function()
  local url
  setup(function() url = S.start() end)
  teardown(S.stop)
  before_each(S.reset)

  describe("the example (examples/openresty)", function()
    local nginx
    after_each(function()
      if nginx then
        local log = nginx:stop()
        nginx = nil
        assert.same({}, errors_in(log))
      end
    end)

    it("answers /ping on its single worker in under 100 ms while Growatt calls take 2 s", function()
      S.faults({ { stall = 2 } }) -- every Growatt request: 2 s before the answer
      nginx = start_nginx(EXAMPLE, { workers = 1, env = example_env(url) })
      -- the first refresh has begun: the login is at the sandbox, in its 2 s stall
      assert.truthy(wait_for(5, function() return #S.requests() > 0 end))
      local t0 = now()
      local pings = nginx:burst("ping", 50)
      local plants = nginx:get("solar/plants.json")
      local t1 = now()
      assert.equal(50, #pings)
      for _, p in ipairs(pings) do
        assert.equal(200, p.status)
        assert.is_true(p.time < 0.1, "a /ping took " .. p.time .. " s")
      end
      -- no data yet: the cache answers at once, it does not wait for the refresh
      assert.equal(503, plants.status)
      assert.is_true(plants.time < 0.1)
      assert.matches("first refresh", plants.json.error)
      -- and Growatt calls were in flight all along: the 2 s stalls of the requests the
      -- sandbox received cover the whole burst (a refresh sends them one after another)
      local covered, spans = t0, {}
      for _, r in ipairs(S.requests()) do spans[#spans + 1] = { r.time, r.time + 2 } end
      table.sort(spans, function(a, b) return a[1] < b[1] end)
      for _, span in ipairs(spans) do
        if span[1] <= covered + 0.05 and span[2] > covered then covered = span[2] end
      end
      assert.is_true(covered >= t1, ("Growatt calls in flight from %.2f to %.2f only; pings from %.2f to %.2f")
        :format(spans[1] and spans[1][1] or 0, covered, t0, t1))
      S.faults({})
      local res = wait_for(20, function()
        local r = nginx:get("solar/plants.json")
        return r.status == 200 and r
      end)
      assert.truthy(res, "the refresh never finished")
      assert.equal(3, #res.json.plants)
    end)

    it("serves plants.json from the cache with its age, refreshed in the background", function()
      nginx = start_nginx(EXAMPLE, { workers = 2, env = example_env(url) })
      local res = wait_for(10, function()
        local r = nginx:get("solar/plants.json")
        return r.status == 200 and r
      end)
      assert.truthy(res)
      assert.equal("application/json", res.headers["content-type"])
      assert.equal(tostring(res.json.age_seconds), res.headers["age"])
      assert.is_true(res.json.age_seconds >= 0 and res.json.age_seconds < 5)
      local data = require("growatt.sandbox.data").seed(1)
      local by_id = {}
      for _, p in ipairs(res.json.plants) do by_id[p.id] = p end
      for _, id in ipairs(data.accounts.demo.plants) do
        local want, got = data.plants[id], by_id[id]
        assert.equal(want.name, got.name)
        assert.is_true(math.abs(got.power_w - want.current_power) <= 50, id .. " power " .. got.power_w)
        assert.is_true(math.abs(got.today_kwh - want.today_energy) <= 0.05)
        assert.is_true(math.abs(got.total_kwh - want.total_energy) / want.total_energy < 0.01)
      end
      -- requests are answered from the cache: more of them send nothing to Growatt
      local before = S.stats().requests
      for _ = 1, 5 do assert.equal(200, nginx:get("solar/plants.json").status) end
      assert.equal(200, nginx:get("metrics").status)
      assert.equal(before, S.stats().requests)
      assert.equal(1, S.stats().logins)
    end)

    it("keeps serving the last good data, with its age, when Growatt is down", function()
      nginx = start_nginx(EXAMPLE, { workers = 1, env = example_env(url, { GROWATT_REFRESH = "1" }) })
      assert.truthy(wait_for(10, function() return nginx:get("solar/plants.json").status == 200 end))
      S.faults({ { status = 503 } })
      local res = wait_for(10, function()
        local r = nginx:get("solar/plants.json")
        return r.json and r.json.last_error and r
      end)
      assert.truthy(res, "no refresh failed")
      assert.equal(200, res.status)
      assert.equal(3, #res.json.plants)
      assert.matches("HTTP 503", res.json.last_error)
      local later = wait_for(5, function()
        local r = nginx:get("solar/plants.json")
        return r.json.age_seconds >= 2 and r
      end)
      assert.truthy(later, "the age does not grow")
      assert.equal(tostring(later.json.age_seconds), later.headers["age"])
      local m = parse_prometheus(nginx:get("metrics").body)
      assert.is_true(sample(m, "growatt_refreshes_total", { result = "error" }) >= 1)
      assert.is_true(sample(m, "growatt_data_age_seconds") >= 2)
      assert.is_true(sample(m, "growatt_client_errors_total", { kind = "http" }) >= 1)
      -- Growatt back: fresh data again
      S.faults({})
      assert.truthy(wait_for(5, function()
        local r = nginx:get("solar/plants.json")
        return r.json.last_error == nil and r.json.age_seconds < 2
      end))
    end)

    it("refreshes at most once per interval, whatever the request rate", function()
      local t0 = now()
      nginx = start_nginx(EXAMPLE, { workers = 4, env = example_env(url, { GROWATT_REFRESH = "2" }) })
      assert.truthy(wait_for(10, function() return nginx:get("solar/plants.json").status == 200 end))
      for _ = 1, 4 do
        nginx:burst("solar/plants.json", 25, 5)
        sh("sleep 0.5")
      end
      local seconds = now() - t0
      local m = parse_prometheus(nginx:get("metrics").body)
      local refreshes = sample(m, "growatt_refreshes_total", { result = "ok" })
      assert.is_true(refreshes >= 2, "refreshes: " .. refreshes)
      -- the first one at start, then one per 2 s at most
      assert.is_true(refreshes <= 1 + math.ceil(seconds / 2), refreshes .. " refreshes in " .. seconds .. " s")
      assert.equal(0, sample(m, "growatt_refreshes_total", { result = "error" }))
    end)

    it("makes exactly 1 login with 4 workers serving 200 requests", function()
      nginx = start_nginx(EXAMPLE, { workers = 4, env = example_env(url, { GROWATT_REFRESH = "1" }) })
      local served = 0
      for _, path in ipairs({ "solar/plants.json", "metrics", "ping", "solar/plants.json" }) do
        for _, r in ipairs(nginx:burst(path, 50, 10)) do
          if r.status == 200 or r.status == 503 then served = served + 1 end
        end
        sh("sleep 0.5")
      end
      assert.equal(200, served)
      local m = parse_prometheus(nginx:get("metrics").body)
      assert.is_true(sample(m, "growatt_refreshes_total", { result = "ok" }) >= 2)
      assert.equal(1, S.stats().logins)
      assert.equal(1, sample(m, "growatt_client_logins_total"))
    end)

    it("serves /metrics as Prometheus text", function()
      nginx = start_nginx(EXAMPLE, { workers = 1, env = example_env(url) })
      assert.truthy(wait_for(10, function() return nginx:get("solar/plants.json").status == 200 end))
      local res = nginx:get("metrics")
      assert.equal(200, res.status)
      assert.matches("^text/plain; version=0.0.4", res.headers["content-type"])
      local m = parse_prometheus(res.body)
      for _, name in ipairs({ "growatt_plant_power_watts", "growatt_plant_energy_today_kwh",
          "growatt_plant_energy_kwh_total", "growatt_device_power_watts", "growatt_device_energy_today_kwh",
          "growatt_device_energy_kwh_total", "growatt_device_battery_soc_percent", "growatt_device_online",
          "growatt_client_requests_total", "growatt_client_errors_total", "growatt_client_logins_total" }) do
        assert.truthy(m.types[name], name)
      end
      assert.equal("counter", m.types.growatt_client_requests_total)
      assert.equal(2400, sample(m, "growatt_plant_power_watts", { plant = "2222207", name = "Garden mix + storage" }))
      assert.equal(12.6, sample(m, "growatt_plant_energy_today_kwh", { plant = "2222207" }))
      assert.equal(S.stats().requests, sample(m, "growatt_client_requests_total"))
      assert.equal(1, sample(m, "growatt_client_logins_total"))
      assert.equal(0, sample(m, "growatt_client_errors_total", { kind = "auth" }))
    end)

    it("escapes label values", function()
      S.state({ plants = { ["2222207"] = { name = 'Back\\slash "quoted"\nnew line' } } })
      nginx = start_nginx(EXAMPLE, { workers = 1, env = example_env(url) })
      assert.truthy(wait_for(10, function() return nginx:get("solar/plants.json").status == 200 end))
      local res = nginx:get("metrics")
      assert.truthy(res.body:find('name="Back\\\\slash \\"quoted\\"\\nnew line"', 1, true))
      local m = parse_prometheus(res.body)
      assert.equal(2400, sample(m, "growatt_plant_power_watts", { name = 'Back\\slash "quoted"\nnew line' }))
    end)
  end)
end)
