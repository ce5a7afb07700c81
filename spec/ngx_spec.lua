-- growatt.ngx inside a real Debian nginx (with its Lua module) against the sandbox: the
-- example config (examples/openresty) and the adapter itself. nginx is driven through the
-- shell and curl, as a user would; every nginx started here is stopped by its group.
local S = require("spec.support.sandbox")
local cjson = require("cjson")

local N = require("spec.support.nginx")
local ROOT, quote, sh, now, read, start_nginx, errors_in, wait_for = N.ROOT, N.quote, N.sh, N.now, N.read, N.start,
  N.errors_in, N.wait_for
local own_config = N.config

local EXAMPLE = read(ROOT .. "/examples/openresty/nginx.conf")


-- The adapter: the same placeholders as the example, locations that call it.
local ADAPTER = own_config(N.ADAPTER_MAIN, [[
  lua_shared_dict growatt 1m;
  lua_worker_thread_vm_pool_size 2; # fewer than the calls in flight: they must queue
  init_by_lua_block {
    local gngx = require("growatt.ngx")
    function new_api(opts)
      opts.server_url = opts.server_url or os.getenv("GROWATT_SERVER")
      opts.username = opts.username or "demo"
      if opts.password == nil and opts.password_hash == nil then opts.password = "demo-password" end
      return gngx.new(opts)
    end
  }
  server {
    listen 127.0.0.1:@PORT@;
    location = /ping { return 200; }
    location = /reset { content_by_lua_block { ngx.shared.growatt:flush_all() } }
    location = /plants {
      content_by_lua_block {
        local json = require("growatt.json")
        local args = ngx.req.get_uri_args()
        local budget = tonumber(args.budget)
        local api = new_api({ username = args.user, password = args.password, server_url = args.server,
                              login_interval = tonumber(args.interval), budget = budget and { per_day = budget } })
        local login, err = api:login()
        local list
        if login then list, err = api:plant_list(login.user.id) end
        ngx.say(json.encode({
          pid = ngx.worker.pid(),
          plants = list and #list.data or nil,
          secret = login and (login.user.password ~= nil or login.user.token ~= nil) or nil,
          err = err and { kind = err.kind, message = tostring(err), retry_after = err.retry_after,
                          locked_until = err.locked_until },
        }))
      }
    }
    location = /stats { content_by_lua_block { ngx.say(require("growatt.json").encode(new_api({}):stats())) } }
    location = /token {
      content_by_lua_block {
        local args = ngx.req.get_uri_args()
        local api = require("growatt.ngx").new({ token = "demo-token", api = args.api,
                                                 server_url = os.getenv("GROWATT_SERVER") })
        local v, err
        if args.api == "v1" then v, err = api:plant_list() else v, err = api:last_data("MIN4K00208", "min") end
        ngx.say(require("growatt.json").encode({
          pid = ngx.worker.pid(), ok = v ~= nil, no_login = api.login == nil,
          serial = v and v.min and v.min[1] and v.min[1].serialNum or nil,
          err = err and { kind = err.kind, retry_after = err.retry_after },
        }))
      }
    }
    location = /walk {
      content_by_lua_block {
        local api = new_api({})
        local login = assert(api:login())
        local tree = assert(api:walk())
        local out = { plants = #tree.plants }
        for _, p in ipairs(tree.plants) do
          for _, d in ipairs(p.devices) do
            if d.err then out.device_err, out.device_status = tostring(d.err), d.err.status end
          end
        end
        local values, errs = api:batch({ { "plant_list", login.user.id }, { "inverter_detail", "INV3K00209" } })
        out.batch_plants = #values[1].data
        out.batch_err = errs[2] and errs[2].kind
        ngx.say(require("growatt.json").encode(out))
      }
    }
    location = /store {
      content_by_lua_block {
        local store_shdict = require("growatt.store_shdict")
        local json = require("growatt.json")
        local a, b = store_shdict.new("growatt", "a"), store_shdict.new("growatt", "b")
        local out = { empty = a:load() }
        assert(a:save({ accounts = { a = { user_id = 1, cookies = "x" }, b = { user_id = 99 } } }))
        assert(b:save({ accounts = { b = { user_id = 2 } } }))
        out.a, out.b = a:load(), b:load()
        out.updated = a:update_account("a", function(acc) acc.logins = 5 end)
        out.other = b:load_account("a") -- any account of the dict, by its key
        ngx.shared.growatt:set("account:b", '{"requests":"x","user_id":2,"locked_until":"x"}')
        out.wrong_shape, out.said = b:load(), b.problems.count
        ngx.shared.growatt:set("account:b", "5")
        out.not_object = b:load()
        ngx.shared.growatt:set("account:b", "{not json")
        out.unreadable = b:load()
        assert(a:save({ accounts = {} }))
        out.deleted = a:load()
        out.no_dict = select(2, pcall(store_shdict.new, "nope", "a"))
        ngx.say(json.encode(out))
      }
    }
    location = /store-race {
      content_by_lua_block {
        local threads = {}
        local function bump() return ngx.run_worker_thread("growatt", "store_race", "bump", 500) end
        for i = 1, 2 do threads[i] = ngx.thread.spawn(bump) end
        for i = 1, 2 do assert(ngx.thread.wait(threads[i])) end
        local state = require("growatt.store_shdict").new("growatt", "counter"):load()
        ngx.say(state.accounts.counter.logins)
      }
    }
    location = /misuse {
      content_by_lua_block {
        local function raised(fn) local ok, msg = pcall(fn) return not ok and msg or "no error" end
        local api = new_api({})
        ngx.say(require("growatt.json").encode({
          argument = raised(function() local v = api:plant_list({}) return v end),
          option = raised(function() local v = require("growatt.ngx").new({ username = 1 }) return v end),
          on_request = raised(function() return new_api({ on_request = print }) end),
          no_password = raised(function() return require("growatt.ngx").new({ username = "demo" }) end),
          no_pool = raised(function() return new_api({ pool = "nope" }):plant_list(1) end),
          no_dict = raised(function() return new_api({ shdict = "nope" }) end),
          keepalive = raised(function() return new_api({ keepalive = -1 }) end),
          keepalive_nan = raised(function() return new_api({ keepalive = 0 / 0 }) end),
          login_args = raised(function() local v = api:login("demo", "x") return v end),
          token_and_user = raised(function() return require("growatt.ngx").new({ token = "t", username = "demo" }) end),
          api_alone = raised(function() return new_api({ api = "v4" }) end),
          api_v3 = raised(function() return require("growatt.ngx").new({ token = "t", api = "v3" }) end),
          token_argument = raised(function()
            local v = require("growatt.ngx").new({ token = "t" }):last_data("SN", 5) return v end),
          token_no_login = require("growatt.ngx").new({ token = "t", api = "v1" }).login == nil,
          no_method = api.no_such_method == nil,
          exposed = (function()
            local hash = require("growatt").hash_password("demo-password")
            local text = require("growatt.json").encode({ api.options, api.username, api.pool, api.shdict })
            for _, v in pairs(api) do
              if v == hash or v == "demo-password" then return true end
            end
            return text:find(hash, 1, true) ~= nil or text:find("demo-password", 1, true) ~= nil
          end)(),
        }))
      }
    }
  }
]])

-- Warm sessions: the adapter on @PORT@ calls Growatt at https://127.0.0.1:@TLS_PORT@/, a TLS
-- front of the sandbox in the same nginx (self-signed certificate, given as ca_file), whose
-- log has one line per request: connection number, its request count, whether the TLS
-- session was resumed ("r") or not ("."), the URI.
local WARM = own_config([[
worker_processes 1;
thread_pool growatt threads=4;
]], [[
  lua_shared_dict growatt 1m;
  log_format tls '$connection $connection_requests $ssl_session_reused $uri';
  server {
    listen 127.0.0.1:@TLS_PORT@ ssl;
    ssl_certificate @PREFIX@/cert.pem;
    ssl_certificate_key @PREFIX@/key.pem;
    ssl_session_cache shared:tls:1m;
    keepalive_requests 20;
    access_log @PREFIX@/tls.log tls;
    location / { proxy_pass @SANDBOX@; }
  }
  server {
    listen 127.0.0.1:@PORT@;
    location = /ping { return 200; }
    # /calls?users=a,b&n=N&keepalive=S: N plant_list calls one after another, the users in
    # turn; the plant count each call got, by user
    location = /calls {
      content_by_lua_block {
        local gngx = require("growatt.ngx")
        local args = ngx.req.get_uri_args()
        local out = {}
        for user in args.users:gmatch("[^,]+") do
          local api = gngx.new({ username = user, password = user .. "-password", ca_file = "@PREFIX@/cert.pem",
                                 server_url = "https://127.0.0.1:@TLS_PORT@/", keepalive = tonumber(args.keepalive) })
          out[#out + 1] = { user = user, api = api, id = assert(api:login()).user.id, plants = {} }
        end
        for i = 1, tonumber(args.n) do
          local u = out[(i - 1) % #out + 1]
          local list, err = u.api:plant_list(u.id)
          u.plants[#u.plants + 1] = list and #list.data or tostring(err)
        end
        local back = {}
        for _, u in ipairs(out) do back[u.user] = u.plants end
        ngx.say(require("growatt.json").encode(back))
      }
    }
  }
]])

-- Run in worker threads by /store-race: store updates from threads that truly run at once.
local STORE_RACE = [[
local M = {}
function M.bump(n)
  local store = require("growatt.store_shdict").new("growatt", "counter")
  for _ = 1, n do
    assert(store:update_account("counter", function(acc) acc.logins = (acc.logins or 0) + 1 end))
  end
  return true
end
return M
]]

-- Growatt's hash of "demo-password", which must never show in a log.
local HASH = require("growatt.core").hash_password("demo-password")

local function example_env(url, extra)
  local env = { GROWATT_SERVER = url, GROWATT_USERNAME = "demo", GROWATT_PASSWORD = "demo-password" }
  for k, v in pairs(extra or {}) do env[k] = v end
  return env
end

---------------------------------------------------------------------------
-- Prometheus text format, strictly: every sample line is `name{labels} value` with a valid
-- name, well-formed labels and a number; every metric has # HELP and # TYPE, before its samples.

local P = require("spec.support.prometheus")
local parse_prometheus, sample = P.parse, P.sample

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
      assert.equal(res.json.age_seconds, tonumber(res.headers["age"]))
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
      local later = wait_for(10, function()
        local r = nginx:get("solar/plants.json")
        return r.json.age_seconds >= 2 and r
      end)
      assert.truthy(later, "the age does not grow")
      assert.equal(later.json.age_seconds, tonumber(later.headers["age"]))
      local m = parse_prometheus(nginx:get("metrics").body)
      assert.is_true(sample(m, "growatt_refreshes_total", { result = "error" }) >= 1)
      assert.is_true(sample(m, "growatt_data_age_seconds") >= 2)
      assert.is_true(sample(m, "growatt_client_errors_total", { kind = "http" }) >= 1)
      -- Growatt back: fresh data again
      S.faults({})
      assert.truthy(wait_for(10, function()
        local r = nginx:get("solar/plants.json")
        return r.json.last_error == nil and r.json.age_seconds < 2
      end))
    end)

    it("makes exactly 1 login with 4 workers serving 200 requests, refreshing once per interval at most", function()
      local t0 = now()
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
      local seconds = now() - t0
      local refreshes = sample(m, "growatt_refreshes_total", { result = "ok" })
      assert.is_true(refreshes >= 2, "refreshes: " .. refreshes)
      -- the first one at start, then one per second at most
      assert.is_true(refreshes <= 1 + math.ceil(seconds), refreshes .. " refreshes in " .. seconds .. " s")
      assert.equal(0, sample(m, "growatt_refreshes_total", { result = "error" }))
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
          "growatt_plant_energy_kwh_total", "growatt_up", "growatt_power_watts", "growatt_energy_today_kilowatt_hours",
          "growatt_energy_kilowatt_hours_total", "growatt_battery_charge_ratio", "growatt_online",
          "growatt_client_requests_total", "growatt_client_errors_total", "growatt_client_logins_total" }) do
        assert.truthy(m.types[name], name)
      end
      assert.equal("counter", m.types.growatt_client_requests_total)
      assert.equal(2400, sample(m, "growatt_plant_power_watts", { plant = "2222207", name = "Garden mix + storage" }))
      assert.equal(12.6, sample(m, "growatt_plant_energy_today_kwh", { plant = "2222207" }))
      -- every device, by growatt.export from api:readings' records, as the sandbox's data has it
      local data = require("growatt.sandbox.data").seed(1)
      for _, sn in ipairs({ "SPH6K00207", "STO5K00207", "MIN4K00208", "APX5K00208", "INV3K00209", "NOAH200209" }) do
        local want = data.devices[sn]
        local labels = { serial = sn, plant = want.plant, type = want.type, api = "shinephone" }
        assert.equal(1, sample(m, "growatt_up", labels), sn)
        assert.equal(1, sample(m, "growatt_online", { serial = sn }), sn)
        assert.equal(want.total_energy, sample(m, "growatt_energy_kilowatt_hours_total", { serial = sn }), sn)
        assert.truthy(sample(m, "growatt_power_watts", labels), sn)
        if want.type ~= "tlx" and want.type ~= "bat" then -- a MIN's today is its AC output (battery included)
          assert.equal(want.today_energy, sample(m, "growatt_energy_today_kilowatt_hours", { serial = sn }), sn)
        end
        if want.battery then
          assert.equal(want.battery.soc / 100, sample(m, "growatt_battery_charge_ratio", { serial = sn }), sn)
        end
      end
      assert.equal(data.devices.INV3K00209.power, sample(m, "growatt_power_watts", { serial = "INV3K00209" }))
      assert.equal(S.stats().requests, sample(m, "growatt_client_requests_total"))
      assert.equal(1, sample(m, "growatt_client_logins_total"))
      assert.equal(0, sample(m, "growatt_client_errors_total", { kind = "auth" }))
    end)

    it("escapes label values", function()
      local name = 'Back\\slash "quoted"\nnew line'
      S.state({ plants = { ["2222207"] = { name = name } },
                settings = { plants = { ["2222207"] = { plantName = name } } } })
      nginx = start_nginx(EXAMPLE, { workers = 1, env = example_env(url) })
      assert.truthy(wait_for(10, function() return nginx:get("solar/plants.json").status == 200 end))
      local res = nginx:get("metrics")
      assert.truthy(res.body:find('name="Back\\\\slash \\"quoted\\"\\nnew line"', 1, true))
      local m = parse_prometheus(res.body)
      assert.equal(2400, sample(m, "growatt_plant_power_watts", { name = 'Back\\slash "quoted"\nnew line' }))
    end)
  end)

  describe("the adapter", function()
    local nginx
    setup(function()
      nginx = start_nginx(ADAPTER, { workers = 4, env = { GROWATT_SERVER = url },
                                     files = { ["store_race.lua"] = STORE_RACE } })
    end)
    teardown(function()
      local log = nginx:stop()
      assert.same({}, errors_in(log))
      assert.falsy(log:find("demo-password", 1, true))
      assert.falsy(log:find(HASH, 1, true))
      assert.falsy(log:find("JSESSIONID", 1, true))
      assert.falsy(log:find("demo-token", 1, true))
    end)
    before_each(function() assert.equal(200, nginx:get("reset").status) end)

    -- /plants?...: every body decoded, and the set of worker pids that answered.
    local function plants(query, n)
      local list, bodies = nginx:burst("plants" .. (query or ""), n, math.min(n, 50))
      local out, pids, count = {}, {}, 0
      for i, r in ipairs(list) do assert.equal(200, r.status, bodies[i]) end
      for i, body in ipairs(bodies) do
        out[i] = cjson.decode(body)
        if not pids[out[i].pid] then count = count + 1 end
        pids[out[i].pid] = true
      end
      return out, count
    end

    it("makes 1 login for 200 calls at once on 4 workers, and shares the session", function()
      local out, workers = plants("", 200)
      for _, r in ipairs(out) do
        assert.same({}, r.err or {})
        assert.equal(3, r.plants)
        assert.is_nil(r.secret) -- the login reply has no password hash and no token
      end
      assert.is_true(workers >= 2, "answered by " .. workers .. " worker(s)")
      local stats = S.stats()
      assert.equal(1, stats.logins)
      assert.equal(201, stats.requests) -- one login, then one plant list per call
      local own = nginx:get("stats").json
      assert.equal(1, own.logins)
      assert.equal(201, own.requests)
      assert.equal(0, own.errors.session_expired)
    end)

    it("logs in again once, for every worker, when the session expires", function()
      plants("?interval=0", 8)
      S.reset() -- the sandbox forgets every session
      local out = plants("?interval=0", 100)
      for _, r in ipairs(out) do
        assert.same({}, r.err or {})
        assert.equal(3, r.plants)
      end
      assert.equal(1, S.stats().logins)
    end)

    it("keeps the login guard across workers: an expiry right after a login is not a new login", function()
      plants("", 8)
      S.reset()
      local out = plants("", 20)
      for _, r in ipairs(out) do
        assert.equal("rate_limited", r.err.kind)
        assert.is_true(r.err.retry_after > 50 and r.err.retry_after <= 60)
      end
      assert.equal(0, S.stats().logins)
    end)

    it("runs the token APIs too: one request per interval over every worker, no login, the token nowhere", function()
      for _, api in ipairs({ "v4", "v1" }) do
        local list, bodies = nginx:burst("token?api=" .. api, 40, 40)
        local sent, limited, pids, workers = 0, 0, {}, 0
        for i, body in ipairs(bodies) do
          assert.equal(200, list[i].status, body)
          local r = cjson.decode(body)
          assert.is_true(r.no_login)
          if r.ok then sent = sent + 1 end
          if r.err and r.err.kind == "rate_limited" and r.err.retry_after > 0 then limited = limited + 1 end
          if not pids[r.pid] then workers = workers + 1 end
          pids[r.pid] = true
          if r.serial then assert.equal("MIN4K00208", r.serial) end
        end
        assert.equal(1, sent, api)
        assert.equal(39, limited, api)
        assert.is_true(workers >= 2, "answered by " .. workers .. " worker(s)")
        local requests = S.requests()
        assert.equal(1, #requests, api) -- the windows live in the shared dict: one request in all
        assert.equal(api == "v4" and "v4/new-api/queryLastData" or "v1/plant/list", requests[1].path)
        assert.equal("demo-token", requests[1].headers.token)
        S.reset()
      end
    end)

    it("queues calls beyond the worker's thread VMs instead of failing them", function()
      plants("", 1)
      S.faults({ { path = "PlantListAPI.do", stall = 0.3 } })
      local t0 = now()
      local out = plants("", 24) -- 8 in flight at most: 4 workers, 2 thread VMs each
      for _, r in ipairs(out) do
        assert.same({}, r.err or {})
        assert.equal(3, r.plants)
      end
      assert.is_true(now() - t0 >= 0.6, "the calls did not queue")
    end)

    it("counts the request budget over all workers", function()
      local out = plants("?budget=5", 10)
      local kinds = {}
      for _, r in ipairs(out) do
        local kind = r.err and r.err.kind or "ok"
        kinds[kind] = (kinds[kind] or 0) + 1
      end
      assert.same({ ok = 4, rate_limited = 6 }, kinds) -- the login and 4 plant lists
      assert.equal(5, S.stats().requests)
    end)

    it("sends a refused login once, whatever the number of workers and calls", function()
      local out = plants("?password=wrong-password", 20)
      local kinds = {}
      for _, r in ipairs(out) do kinds[r.err.kind] = (kinds[r.err.kind] or 0) + 1 end
      assert.same({ auth = 20 }, kinds) -- the refused password waits its back-off: auth at once
      assert.equal(1, S.stats().logins)
      for _, r in ipairs(out) do
        assert.falsy(r.err.message:find("wrong-password", 1, true))
        assert.is_true(r.err.retry_after > 590 and r.err.retry_after <= 600)
      end
    end)

    it("shares a session only with clients whose password proves itself", function()
      assert.same({}, plants("?interval=0", 4)[1].err or {})
      local out = plants("?interval=0&password=wrong-password", 10)
      for _, r in ipairs(out) do
        assert.equal("auth", r.err.kind)
        assert.is_nil(r.plants)
      end
      local hashes = {}
      for _, r in ipairs(S.requests()) do
        if r.path == "newTwoLoginAPI.do" then hashes[#hashes + 1] = S.pairs_of(r.form) end
      end
      local wrong = require("growatt.core").hash_password("wrong-password")
      assert.same({ "userName=demo&password=" .. HASH, "userName=demo&password=" .. wrong }, hashes)
      for _, r in ipairs(plants("", 4)) do assert.equal(3, r.plants) end -- the right one's still works
      assert.equal(2, S.stats().logins)
    end)

    it("shares a session only with clients of the same server", function()
      local other = require("spec.support.other_server").start()
      local ok, err = pcall(function()
        assert.same({}, plants("", 2)[1].err or {})
        local out = plants("?server=" .. other.url, 1)
        assert.same({}, out[1].err or {})
        assert.equal(0, out[1].plants) -- the other server's answer
        local seen = {}
        for _, r in ipairs(other:requests()) do seen[#seen + 1] = r.path .. " " .. r.cookie end
        assert.same({ "/newTwoLoginAPI.do ", "/PlantListAPI.do JSESSIONID=other-1" }, seen)
        assert.equal(1, S.stats().logins)
      end)
      other:stop()
      assert(ok, err)
    end)

    it("respects a lock in every worker once Growatt has said 507", function()
      local out = plants("?user=locked&password=locked-password", 20)
      for _, r in ipairs(out) do
        assert.equal("locked", r.err.kind)
        assert.is_true(r.err.locked_until > os.time() + 23 * 3600)
      end
      assert.equal(1, S.stats().logins)
    end)

    it("gives walk and batch results back with their error values", function()
      S.faults({ { path = "newInverterAPI.do", status = 404 } })
      local res = nginx:get("walk")
      assert.equal(200, res.status)
      assert.equal(3, res.json.plants)
      assert.matches("^growatt: http: ", res.json.device_err)
      assert.equal(404, res.json.device_status)
      assert.equal(3, res.json.batch_plants)
      assert.equal("http", res.json.batch_err)
    end)

    it("keeps each account's state in the shared dict (growatt.store_shdict)", function()
      local res = nginx:get("store")
      assert.equal(200, res.status, res.body)
      local m = res.json
      assert.same({ accounts = {} }, m.empty)
      -- a store reads and writes its own account only
      assert.same({ accounts = { a = { user_id = 1, cookies = "x" } } }, m.a)
      assert.same({ accounts = { b = { user_id = 2 } } }, m.b)
      assert.same({ user_id = 1, cookies = "x", logins = 5 }, m.updated)
      assert.same({ user_id = 1, cookies = "x", logins = 5 }, m.other)
      -- what has the wrong shape is dropped and counted (growatt.store.sanitise)
      assert.same({ accounts = { b = { user_id = 2 } } }, m.wrong_shape)
      assert.equal(2, m.said)
      assert.same({ accounts = {} }, m.not_object)
      assert.same({ accounts = {} }, m.unreadable) -- what cannot be read starts afresh
      assert.same({ accounts = {} }, m.deleted)
      assert.matches("no lua_shared_dict 'nope' in nginx.conf", m.no_dict, 1, true)
    end)

    it("serialises store updates from worker threads running at once", function()
      local res = nginx:get("store-race")
      assert.equal(200, res.status, res.body)
      assert.equal("1000\n", res.body)
    end)

    it("raises on misuse at the caller's line, with clear messages for configuration errors", function()
      local res = nginx:get("misuse")
      assert.equal(200, res.status)
      local m = res.json
      assert.matches("^content_by_lua%(nginx%.conf:%d+%):%d+: bad argument 'user_id' to 'plant_list' " ..
        "%(string or number expected, got table%)$", m.argument)
      assert.matches("^content_by_lua%(nginx%.conf:%d+%):%d+: growatt%.ngx%.new: option 'username' must be " ..
        "a string, got number$", m.option)
      assert.matches("growatt.ngx.new: option 'on_request' is not available", m.on_request, 1, true)
      assert.matches("growatt.ngx.new: option 'password' (or 'password_hash') is required", m.no_password, 1, true)
      assert.matches("the worker thread failed (is there a 'thread_pool nope' at nginx.conf's main level?)",
        m.no_pool, 1, true)
      assert.matches("no lua_shared_dict 'nope'", m.no_dict, 1, true)
      assert.matches("growatt%.ngx%.new: option 'keepalive' must be a number >= 0$", m.keepalive)
      assert.matches("option 'keepalive' must be a number >= 0", m.keepalive_nan, 1, true)
      assert.matches("^content_by_lua%(nginx%.conf:%d+%):%d+: growatt%.ngx: login takes no arguments %(", m.login_args)
      assert.matches("growatt.ngx.new: options 'token' and 'username' exclude each other", m.token_and_user, 1, true)
      assert.matches("growatt.ngx.new: option 'api' goes with option 'token'", m.api_alone, 1, true)
      assert.matches("growatt.ngx.new: option 'api' must be 'v4' or 'v1'", m.api_v3, 1, true)
      assert.matches("^content_by_lua%(nginx%.conf:%d+%):%d+: .*device_type", m.token_argument)
      assert.is_true(m.token_no_login)
      assert.is_true(m.no_method)
      assert.is_false(m.exposed) -- the client table holds neither the password nor its hash
      assert.equal(0, S.stats().requests) -- nothing was sent for any of them
    end)
  end)
  describe("warm sessions over TLS", function()
    local nginx, certs
    setup(function()
      local dir = assert((sh('d=$(mktemp -d) && cd "$d" && openssl req -x509 -newkey ec ' ..
        "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 " ..
        '-addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem >/dev/null 2>&1 && echo "$d"'))
        :match("(%S+)%s*$"))
      certs = { ["cert.pem"] = read(dir .. "/cert.pem"), ["key.pem"] = read(dir .. "/key.pem") }
      sh("rm -rf " .. quote(dir))
      assert.truthy(certs["cert.pem"]:find("BEGIN CERTIFICATE", 1, true))
    end)
    before_each(function()
      nginx = start_nginx(WARM, { files = certs, vars = { SANDBOX = url } })
    end)
    after_each(function()
      local log = assert(nginx):stop()
      nginx = nil
      assert.same({}, errors_in(log))
    end)

    -- The TLS front's log: a list of { connection, nth request on it, resumed, uri }.
    local function tls_log()
      local list = {}
      for c, n, r, uri in read(nginx.prefix .. "/tls.log"):gmatch("(%d+) (%d+) (%S+) (%S+)\n") do
        list[#list + 1] = { conn = tonumber(c), n = tonumber(n), resumed = r == "r", uri = uri }
      end
      return list
    end

    -- Connections in the log, in order of their first request, with their request counts
    -- and whether their TLS session was resumed.
    local function connections(list)
      local by, order = {}, {}
      for _, l in ipairs(list) do
        if not by[l.conn] then
          by[l.conn] = { requests = 0, resumed = l.resumed }
          order[#order + 1] = by[l.conn]
        end
        by[l.conn].requests = by[l.conn].requests + 1
      end
      return order
    end

    it("sends at least 10 requests per connection and resumes the TLS session on the next one", function()
      local res = nginx:get("calls?users=demo&n=60")
      assert.equal(200, res.status, res.body)
      assert.equal(60, #res.json.demo)
      for _, n in ipairs(res.json.demo) do assert.equal(3, n) end
      local list = tls_log()
      assert.equal(61, #list) -- the login and 60 plant lists
      assert.equal(61, S.stats().requests)
      assert.equal(1, S.stats().logins)
      local conns = connections(list)
      -- the front closes a connection after 20 requests: 4 connections, 20 + 20 + 20 + 1
      assert.equal(4, #conns)
      assert.same({ 20, 20, 20, 1 }, { conns[1].requests, conns[2].requests, conns[3].requests, conns[4].requests })
      assert.is_false(conns[1].resumed) -- a full handshake once
      for i = 2, 4 do assert.is_true(conns[i].resumed, "connection " .. i .. " made a full handshake") end
    end)

    it("keeps one session per account: each account's calls carry its own cookie", function()
      local res = nginx:get("calls?users=demo,other&n=40")
      assert.equal(200, res.status, res.body)
      assert.equal(20, #res.json.demo)
      assert.equal(20, #res.json.other)
      for _, n in ipairs(res.json.demo) do assert.equal(3, n) end
      for _, n in ipairs(res.json.other) do assert.equal(1, n) end
      assert.equal(2, S.stats().logins)
      -- what the sandbox received: every plant list of a user with that user's one cookie
      local cookie_of, cookies = {}, 0
      for _, r in ipairs(S.requests()) do
        if r.path == "PlantListAPI.do" then
          local id = S.pairs_of(r.query):match("^userId=(%d+)$")
          if not cookie_of[id] then cookie_of[id], cookies = r.cookie, cookies + 1 end
          assert.equal(cookie_of[id], r.cookie)
        end
      end
      assert.equal(2, cookies)
      assert.truthy(cookie_of["1234567"])
      assert.not_equal(cookie_of["1234567"], cookie_of["7654321"])
      -- and both accounts' sessions stay warm: 21 requests each, 20 on one connection and the
      -- last on a new one (the front closes a connection after 20)
      local conns = connections(tls_log())
      assert.equal(4, #conns)
    end)

    it("opens a connection per call with keepalive = 0, and closes an idle session after keepalive s", function()
      local res = nginx:get("calls?users=demo&n=5&keepalive=0")
      assert.equal(200, res.status, res.body)
      assert.same({ 3, 3, 3, 3, 3 }, res.json.demo)
      local conns = connections(tls_log())
      assert.equal(6, #conns) -- the login and each call: a connection and a full handshake of their own
      for i = 1, 6 do assert.is_false(conns[i].resumed) end
      assert.equal(200, nginx:get("calls?users=demo&n=3&keepalive=1").status)
      local before = #connections(tls_log())
      assert.equal(7, before) -- the 3 calls on one connection
      sh("sleep 1.5")
      assert.equal(200, nginx:get("calls?users=demo&n=3&keepalive=1").status)
      local list = tls_log()
      assert.equal(6 + 3 + 3, #list)
      assert.equal(before + 1, #connections(list)) -- the idle session was closed: one new connection
    end)
  end)
end)
