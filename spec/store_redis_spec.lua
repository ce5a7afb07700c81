-- growatt.store_redis against a real redis-server (spec/support/redis.lua) and the sandbox:
-- the store itself (keys, TTL, AUTH, atomic updates, locks, wrong shapes), then what it is
-- for: several processes and several nginx hosts on one account make one login and keep one
-- budget and one lock, and a Redis that is down or slow stops logins with `store` errors.
local S = require("spec.support.sandbox")
local R = require("spec.support.redis")
local H = require("spec.support.session")
local N = require("spec.support.nginx")
local growatt = require("growatt")
local core = require("growatt.core")
local json = require("growatt.json")
local store_redis = require("growatt.store_redis")
local store = require("growatt.store")

local PASSWORD = "demo-password"
local HASH = core.hash_password(PASSWORD)

describe("growatt.store_redis", function()
  local url, redis
  setup(function()
    url = S.start()
    redis = R.start()
  end)
  teardown(function()
    S.stop()
    redis:close()
  end)
  before_each(function()
    S.reset()
    if not redis.pid then redis:start() end -- a spec that failed while it was stopped
    redis:resume()
    assert.equal("OK", redis:cli("FLUSHALL"))
  end)

  local function new_store(opts)
    opts = opts or {}
    opts.port = opts.port or redis.port
    return store_redis.new(opts)
  end

  local function new_api(s, opts)
    opts = opts or {}
    opts.server_url, opts.store, opts.retries = url, s, false
    return growatt.new(opts)
  end

  -- The Redis key of the account of `name` at the sandbox (growatt:account:<origin>/<name>).
  local function key_of(name, prefix)
    return (prefix or "growatt:") .. "account:" .. store.origin(url) .. "/" .. name
  end

  -- The account of `name` at the sandbox as Redis holds it, decoded (db 0 unless given).
  local function account(name, db, prefix)
    return json.decode(redis:cli("-n", tostring(db or 0), "GET", key_of(name, prefix)))
  end

  -- The keys Redis holds, sorted.
  local function keys(db)
    local list = {}
    for k in redis:cli("-n", tostring(db or 0), "KEYS", "*"):gmatch("[^\n]+") do list[#list + 1] = k end
    table.sort(list)
    return list
  end

  local function ttl(k, db) return tonumber(redis:cli("-n", tostring(db or 0), "TTL", k)) end

  describe("the store", function()
    it("keeps each account under <prefix>account:<origin>/<user>, and the salt under <prefix>salt", function()
      local s = new_store()
      local demo, other = store.key(url, "demo"), store.key("https://Other.Example/x", "a/b@c")
      assert.same({}, s:load_account(demo))
      assert.same({ user_id = 1, requests = { ["3600"] = 2 } },
        s:update_account(demo, function(acc) acc.user_id, acc.requests = 1, { ["3600"] = 2 } end))
      assert(s:update_account(other, function(acc) acc.user_id = 2 end))
      local salt = ("ab"):rep(32)
      assert.equal(salt, s:salt(salt))
      assert.equal(salt, s:salt(("cd"):rep(32))) -- the first one saved stays
      assert.same({ "growatt:account:" .. store.origin(url) .. "/demo",
                    "growatt:account:https://other.example:443/a/b@c", "growatt:salt" }, keys())
      assert.same({ user_id = 1, requests = { ["3600"] = 2 } }, account("demo"))
      assert.equal(-1, ttl("growatt:salt")) -- the salt does not expire
      local acc, got = new_store():load_account(demo) -- another store object: another connection
      assert.same({ { user_id = 1, requests = { ["3600"] = 2 } }, salt }, { acc, got })
      if math.type then assert.equal("integer", math.type(acc.user_id)) end
      -- the whole state, for tools: every account under the prefix, by its store.key
      assert.same({ salt = salt, accounts = { [demo] = acc, [other] = { user_id = 2 } } }, s:load())
      assert.is_true(s:save({ accounts = { [demo] = { user_id = 3 } } }))
      assert.same({ user_id = 3 }, account("demo"))
      -- an account left empty is deleted
      assert.same({}, s:update_account(other, function() return {} end))
      assert.equal("0", redis:cli("EXISTS", "growatt:account:https://other.example:443/a/b@c"))
    end)

    it("ignores the single state document <prefix>state of earlier versions", function()
      -- a live session that proves itself, as the earlier layout kept it
      local salt = ("ab"):rep(32)
      redis:cli("SET", "growatt:state", json.encode({ salt = salt, accounts = { [store.key(url, "demo")] = {
        cookies = "old", login = { user = { id = 9 } }, verifier = core.verifier(salt, HASH), user_id = 9 } } }))
      local api = new_api(new_store())
      local login = assert(api:login("demo", PASSWORD))
      assert.equal(1234567, login.user.id)
      assert.equal(1, S.stats().logins) -- nothing was taken from the old document
      assert.equal(1234567, account("demo").user_id)
      assert.equal(9, json.decode(redis:cli("GET", "growatt:state")).accounts[store.key(url, "demo")].user_id)
      api:close()
    end)

    it("sets each account's TTL from what it holds, again on every update", function()
      local s = new_store({ ttl = 1000, window = 100 })
      local now = os.time()
      local cases = {
        { { user_id = 1 }, 100 },                                     -- nothing timed: a window
        { { cookies = "c", login = {} }, 1000 },                      -- a session: ttl
        { { requests = { [tostring(now - 60)] = 1 } }, 45 },          -- newest count + window + window/24
        { { windows = { ["plant_list:1"] = now - 30 } }, 70 },        -- newest request window + window
        { { last_login = now - 10 }, 90 },                            -- the login guard
        { { locked_until = now + 500 }, 501 },                        -- the lock's end
        { { refused = { [("ab"):rep(32)] = { count = 1, next_try = now + 300 } } }, 400 },
        { { locked_until = now + 1e6 }, 1100 },                       -- never over ttl + window
        { { cookies = "c", login = {}, locked_until = now + 2000 }, 1100 }, -- the longest
      }
      for i, c in ipairs(cases) do
        local k = store.key(url, "user" .. i)
        assert(s:update_account(k, function() return c[1] end))
        local got = ttl(s:account_key(k))
        assert.is_true(math.abs(got - c[2]) <= 3, ("case %d: TTL %d, want %d"):format(i, got, c[2]))
      end
      -- refreshed on each update
      local k = s:account_key(store.key(url, "user2"))
      redis:cli("EXPIRE", k, "5")
      assert(s:update_account(store.key(url, "user2"), function(acc) acc.user_id = 2 end))
      assert.is_true(ttl(k) > 990, "TTL " .. ttl(k))
      -- the defaults: a session lives 7 days after its last write
      assert(new_store():update_account(store.key(url, "user2"), function() end))
      assert.is_true(math.abs(ttl(k) - 7 * 24 * 3600) <= 3, "TTL " .. ttl(k))
    end)

    it("reads an expired account as empty: its session, guard and counts are gone", function()
      local s = new_store({ ttl = 1, window = 1 })
      local a = new_api(s)
      assert(a:login("demo", PASSWORD))
      local b = new_api(new_store({ ttl = 1, window = 1 }))
      assert(b:login("demo", PASSWORD)) -- the stored session
      assert.equal(1, S.stats().logins)
      assert.is_true(ttl(key_of("demo")) <= 2)
      core.sleep(2.2)
      assert.same({ "growatt:salt" }, keys())
      assert.same({}, s:load_account(store.key(url, "demo")))
      local c = new_api(new_store())
      assert(c:login("demo", PASSWORD)) -- no session, and no login guard left: a login
      assert.equal(2, S.stats().logins)
      assert.equal(1, account("demo").logins) -- counted afresh
      a:close() b:close() c:close()
    end)

    it("honours prefix and database", function()
      local s = new_store({ prefix = "site-a:", db = 3 })
      assert(s:update_account(store.key(url, "demo"), function(acc) acc.user_id = 1 end))
      assert.same({ user_id = 1 }, account("demo", 3, "site-a:"))
      assert.same({}, keys()) -- db 0: untouched
      assert.same({ key_of("demo", "site-a:") }, keys(3))
    end)

    it("refuses what is not plain data, and leaves the stored account", function()
      local s, k = new_store(), store.key(url, "demo")
      assert(s:update_account(k, function(acc) acc.n = 1 end))
      local ok, err = s:update_account(k, function(acc) acc.f = print end)
      assert.is_nil(ok)
      assert.matches("state is not plain data", err, 1, true)
      ok, err = s:save({ accounts = { [k] = { f = print } } })
      assert.is_nil(ok)
      assert.matches("state is not plain data", err, 1, true)
      assert.same({ n = 1 }, account("demo"))
      -- an error in fn is raised, and the connection is good for the next call
      assert.has_error(function() s:update_account(k, function() error("boom", 0) end) end, "boom")
      assert.same({ n = 2 }, s:update_account(k, function(acc) acc.n = 2 end))
    end)

    it("updates atomically: two processes adding 1 each 300 times make 600", function()
      local dir = H.tempdir()
      H.write(dir .. "/bump.lua", H.script({
        "local s = require('growatt.store_redis').new({ port = " .. redis.port .. " })",
        "local k = require('growatt.store').key('" .. url .. "', 'demo')",
        "for _ = 1, 300 do assert(s:update_account(k, function(acc) acc.n = (acc.n or 0) + 1 end)) end",
        "print('done')",
      }))
      local out = R.sh(("cd %q && (%s %s/bump.lua & %s %s/bump.lua & wait)"):format(
        H.sh("pwd"), H.LUA, dir, H.LUA, dir))
      H.remove(dir)
      assert.equal("done\ndone", out)
      assert.same({ n = 600 }, account("demo"))
    end)

    it("reads a value of the wrong shape as an empty account, never as a Lua error", function()
      local s, k = new_store(), store.key(url, "demo")
      local cases = { "not json", "[1,2]", "42", '"x"', '{"requests":"x"}', '{"requests":{"7200":{}}}' }
      for _, text in ipairs(cases) do
        redis:cli("SET", key_of("demo"), text)
        local acc = s:load_account(k)
        assert.is_nil(next(acc), text)
      end
      assert.is_true(s.problems.count >= #cases)
      redis:cli("DEL", key_of("demo"))
      redis:cli("RPUSH", key_of("demo"), "a list") -- a key of another type
      assert.same({}, s:load_account(k))
      assert.same({ n = 1 }, s:update_account(k, function(acc) acc.n = 1 end)) -- replaced by a document
      assert.same({ n = 1 }, account("demo"))
    end)

    it("logs in over a wrong shape as over an empty account, and stores a good one", function()
      for i, text in ipairs({ "{", "[]", '{"requests":[1,"x"],"cookies":5}' }) do
        redis:cli("SET", key_of("demo"), text)
        local api = new_api(new_store())
        assert(api:login("demo", PASSWORD))
        assert.equal(i, S.stats().logins)
        local acc = account("demo")
        assert.equal(1234567, acc.user_id)
        assert.equal(1, acc.logins)
        api:close()
        redis:cli("DEL", key_of("demo"))
      end
    end)

    it("goes on at once on a new connection when Redis was restarted between two calls", function()
      local s, k = new_store(), store.key(url, "demo")
      assert(s:update_account(k, function(acc) acc.n = 1 end))
      redis:stop()
      redis:start() -- empty: it keeps nothing on disk
      local acc, salt, err = s:load_account(k)
      assert.same({}, acc)
      assert.is_nil(salt)
      assert.is_nil(err)
      assert.same({ n = 2 }, s:update_account(k, function(a) a.n = 2 end))
      assert.same({ n = 2 }, account("demo"))
    end)

    it("takes a lock only once until it is freed with its token or expires", function()
      local a, b = new_store(), new_store()
      local token = assert(a:lock("login:demo", 0.3))
      assert.is_false(b:lock("login:demo", 5))
      assert.is_true(b:unlock("login:demo", "not-the-token")) -- someone else's lock stays
      assert.is_false(b:lock("login:demo", 5))
      assert.is_true(a:unlock("login:demo", token))
      local token2 = assert(b:lock("login:demo", 0.3))
      assert.are_not.equal(token, token2)
      core.sleep(0.4)
      assert.truthy(a:lock("login:demo", 5)) -- expired by itself
    end)

    it("raises on wrong options at the caller's line", function()
      local cases = {
        { "x", "opts must be a table" },
        { { bogus = 1 }, "unknown option 'bogus'" },
        { { port = "6379" }, "option 'port' must be a number, got string" },
        { { port = 1.5 }, "option 'port' must be a whole number > 0" },
        { { db = -1 }, "option 'db' must be a whole number >= 0" },
        { { ttl = 0 }, "option 'ttl' must be a whole number > 0" },
        { { window = 1.5 }, "option 'window' must be a whole number > 0" },
        { { timeout = 0 }, "option 'timeout' must be > 0" },
        { { grace = -1 }, "option 'grace' must be >= 0" },
        { { user = "alice" }, "option 'user' needs option 'password'" },
      }
      for _, c in ipairs(cases) do
        local ok, msg = pcall(function()
          local s = store_redis.new(c[1]) -- not a tail call: the level names this line
          return s
        end)
        assert.is_false(ok)
        assert.matches("store_redis_spec.lua:%d+: store_redis.new: " .. c[2]:gsub("%p", "%%%0"), msg)
      end
    end)

    describe("with AUTH", function()
      local secured
      setup(function()
        secured = R.start({ password = "redis-secret" })
        secured:cli("ACL", "SETUSER", "alice", "on", ">alice-secret", "~alice:*", "+@all")
      end)
      teardown(function() secured:close() end)

      it("authenticates with a password, or a user and password, and says why it cannot", function()
        local s = store_redis.new({ port = secured.port, password = "redis-secret" })
        local k = store.key(url, "demo")
        assert.same({ n = 1 }, s:update_account(k, function(acc) acc.n = 1 end))
        assert.same({ n = 1 }, (s:load_account(k)))
        local alice = store_redis.new({ port = secured.port, user = "alice", password = "alice-secret",
                                        prefix = "alice:" })
        assert.same({ n = 2 }, alice:update_account(k, function(acc) acc.n = 2 end))
        assert.equal('{"n":2}', secured:cli("GET", key_of("demo", "alice:")))
        local cases = {
          { store_redis.new({ port = secured.port }), "NOAUTH" },
          { store_redis.new({ port = secured.port, password = "wrong-secret" }), "WRONGPASS" },
          { store_redis.new({ port = secured.port, user = "alice", password = "alice-secret" }), "NOPERM" },
        }
        for _, c in ipairs(cases) do
          local acc, salt, err = c[1]:load_account(k)
          assert.same({}, acc)
          assert.is_nil(salt)
          assert.matches("^redis 127%.0%.0%.1:%d+: ", err)
          assert.matches(c[2], err, 1, true)
          local ok, uerr = c[1]:update_account(k, function() end)
          assert.is_nil(ok)
          assert.matches(c[2], uerr, 1, true)
          assert.falsy(uerr:find("secret", 1, true))
        end
        -- the password is not in the store object, which users may print
        for _, v in pairs(alice) do assert.are_not.equal("alice-secret", v) end
      end)
    end)
  end)

  describe("several processes on one account", function()
    local dir
    before_each(function() dir = H.tempdir() end)
    after_each(function() H.remove(dir) end)

    -- A child process: logs in (waiting while the other holds the login guard), then calls
    -- plant_list `calls` times; prints "ok <n> refused <n>" and any other error.
    local function child(name, calls, budget)
      H.write(dir .. "/" .. name .. ".lua", H.script({
        "local growatt = require('growatt')",
        "local store = require('growatt.store_redis').new({ port = " .. redis.port .. " })",
        "local api = growatt.new({ server_url = '" .. url .. "', store = store, retries = false" ..
          (budget and (", budget = { per_day = " .. budget .. " }") or "") .. " })",
        "local login, err",
        "for _ = 1, 250 do",
        "  login, err = api:login('demo', '" .. PASSWORD .. "')",
        "  if login or err.kind ~= 'rate_limited' then break end",
        "  require('growatt.core').sleep(0.02)",
        "end",
        "if not login then print('login ' .. tostring(err)) return end",
        "local ok, refused = 0, 0",
        "for _ = 1, " .. calls .. " do",
        "  local v, e = api:plant_list(login.user.id)",
        "  if v then ok = ok + 1",
        "  elseif e.kind == 'rate_limited' then refused = refused + 1",
        "  else print(tostring(e)) end",
        "end",
        "print(('ok %d refused %d'):format(ok, refused))",
      }))
      return ("%s %s/%s.lua"):format(H.LUA, dir, name)
    end

    local function both(a, b)
      local out = R.sh(("cd %q && (%s > %s/a.out & %s > %s/b.out & wait)"):format(H.sh("pwd"), a, dir, b, dir))
      assert.equal("", out)
      return H.read(dir .. "/a.out"), H.read(dir .. "/b.out")
    end

    it("make one login between them and count every request in one place", function()
      local a, b = both(child("a", 20), child("b", 20))
      assert.equal("ok 20 refused 0\n", a)
      assert.equal("ok 20 refused 0\n", b)
      local stats = S.stats()
      assert.equal(1, stats.logins)
      assert.equal(41, stats.requests)
      assert.equal(40, S.count("PlantListAPI.do"))
      local acc = account("demo")
      assert.equal(1, acc.logins)
      local counted = 0
      for _, n in pairs(acc.requests) do counted = counted + n end
      assert.equal(41, counted)
    end)

    it("keep one budget: 10 requests a day between them, not 10 each", function()
      local a, b = both(child("a", 10, 10), child("b", 10, 10))
      local ok_a, refused_a = a:match("^ok (%d+) refused (%d+)\n$")
      local ok_b, refused_b = b:match("^ok (%d+) refused (%d+)\n$")
      assert.truthy(ok_a, a)
      assert.truthy(ok_b, b)
      assert.equal(9, ok_a + ok_b) -- the login and 9 plant lists
      assert.equal(11, refused_a + refused_b)
      assert.equal(10, S.stats().requests)
    end)

    it("honour a 507 that one of them saw: the other sends no login until the lock ends", function()
      local first = new_api(new_store())
      local back, err = first:login("locked", "locked-password")
      assert.is_nil(back)
      assert.equal("locked", err.kind)
      local until_ = account("locked").locked_until
      assert.is_true(until_ > os.time() + 23 * 3600)
      H.write(dir .. "/other.lua", H.script({
        "local growatt = require('growatt')",
        "local store = require('growatt.store_redis').new({ port = " .. redis.port .. " })",
        "local api = growatt.new({ server_url = '" .. url .. "', store = store, login_interval = 0 })",
        "local back, err = api:login('locked', 'locked-password')",
        "print(err.kind, err.locked_until, err.retry_after > 23 * 3600)",
      }))
      local out = R.sh(("cd %q && %s %s/other.lua"):format(H.sh("pwd"), H.LUA, dir))
      assert.equal("locked\t" .. string.format("%d", until_) .. "\ttrue", out)
      assert.equal(1, S.stats().logins)
    end)
  end)

  describe("when Redis is down or slow", function()
    it("refuses logins with kind `store`; a read with a session in hand goes on within the grace; " ..
       "a restarted Redis is used again", function()
      local a = new_api(new_store({ timeout = 0.5 }))
      local login = assert(a:login("demo", PASSWORD))
      redis:stop()
      local sent = S.stats().requests
      local b = new_api(new_store({ timeout = 0.5 }))
      -- another host's login: refused, nothing sent
      local back, err = b:login("demo", PASSWORD)
      assert.is_nil(back)
      assert.equal("store", err.kind)
      assert.matches("^growatt: store: no login while the state store cannot record it %(other processes " ..
        "would log in too%): redis 127%.0%.0%.1:%d+: ", tostring(err))
      assert.falsy(tostring(err):find(PASSWORD, 1, true) or tostring(err):find(HASH, 1, true))
      assert.equal(sent, S.stats().requests)
      -- a read with the session in hand: sent (the grace is 30 s)
      local list = assert(a:plant_list(login.user.id))
      assert.equal(3, #list.data)
      assert.equal(sent + 1, S.stats().requests)
      -- a write: refused, nothing sent
      local w = setmetatable(a, H.Writer)
      local wrote, werr = w:touch(login.user.id)
      assert.is_nil(wrote)
      assert.equal("store", werr.kind)
      assert.matches("no write without it", werr.message, 1, true)
      assert.equal(sent + 1, S.stats().requests)
      -- the session expires: no re-login without Redis
      S.reset()
      local v, verr = a:plant_list(login.user.id)
      assert.is_nil(v)
      assert.equal("store", verr.kind)
      assert.equal(0, S.stats().logins)
      assert.equal(1, S.count("PlantListAPI.do")) -- the expired read only
      -- Redis again (empty: it keeps nothing on disk): one login, stored, and taken up by the other
      redis:start()
      assert(b:login("demo", PASSWORD))
      assert.equal(1, S.stats().logins)
      assert.equal(1, account("demo").logins)
      assert(a:plant_list(login.user.id)) -- a takes up b's session: no login
      assert.equal(1, S.stats().logins)
    end)

    it("refuses reads once the grace has passed", function()
      local a = new_api(new_store({ timeout = 0.5, grace = 1 }))
      local login = assert(a:login("demo", PASSWORD))
      redis:stop()
      assert(a:plant_list(login.user.id))
      core.sleep(1.1)
      local v, err = a:plant_list(login.user.id)
      assert.is_nil(v)
      assert.equal("store", err.kind)
      assert.matches("no read beyond 1 s of it", err.message, 1, true)
      assert.equal(2, S.stats().requests) -- the login and the read within the grace
      redis:start()
      assert(a:plant_list(login.user.id)) -- used again
      assert.equal(3, S.stats().requests)
    end)

    it("times out on a Redis that answers nothing, and refuses the login", function()
      redis:pause()
      local a = new_api(new_store({ timeout = 0.3 }))
      local t0 = core.now()
      local back, err = a:login("demo", PASSWORD)
      local took = core.now() - t0
      redis:resume()
      assert.is_nil(back)
      assert.equal("store", err.kind)
      assert.matches("timeout", err.message, 1, true)
      assert.is_true(took < 2, "took " .. took .. " s")
      assert.equal(0, S.stats().requests)
    end)

    it("refuses a login when a state file cannot be written either", function()
      local a = new_api(nil, { state_file = "/nonexistent-dir/state.json" })
      local back, err = a:login("demo", PASSWORD)
      assert.is_nil(back)
      assert.equal("store", err.kind)
      assert.matches("No such file or directory", err.message, 1, true)
      assert.equal(0, S.stats().requests)
    end)
  end)

  describe("two nginx hosts", function()
    local TEMPLATE = N.config(N.ADAPTER_MAIN, [[
  lua_shared_dict growatt 1m;
  lua_socket_log_errors off; # a Redis that is down is the spec's doing
  server {
    listen 127.0.0.1:@PORT@;
    location = /ping { return 200; }
    location = /misuse {
      content_by_lua_block {
        local gngx = require("growatt.ngx")
        local ok, msg = pcall(function()
          local api = gngx.new({ username = "demo", password = "x", redis = { port = "6379" } })
          return api
        end)
        local api = gngx.new({ username = "demo", password = "x", redis = { password = "redis-secret" } })
        local exposed = false
        for _, v in pairs(api) do
          if type(v) == "table" then
            for _, x in pairs(v) do exposed = exposed or x == "redis-secret" end
          end
        end
        ngx.say(require("growatt.json").encode({ ok = ok, msg = msg, exposed = exposed }))
      }
    }
    location = /plants {
      content_by_lua_block {
        local args = ngx.req.get_uri_args()
        local budget = tonumber(args.budget)
        local api = require("growatt.ngx").new({
          server_url = os.getenv("GROWATT_SERVER"), username = args.user or "demo",
          password = args.password or "demo-password", budget = budget and { per_day = budget },
          redis = { port = require("redis_port"), timeout = 0.5 } })
        local login, err = api:login()
        local list
        if login then list, err = api:plant_list(login.user.id) end
        ngx.say(require("growatt.json").encode({ plants = list and #list.data or nil,
          err = err and { kind = err.kind, message = err.message } }))
      }
    }
  }
]])
    local hosts = {}
    setup(function()
      for i = 1, 2 do
        hosts[i] = N.start(TEMPLATE, { workers = 2, env = { GROWATT_SERVER = url },
                                       files = { ["redis_port.lua"] = "return " .. redis.port } })
      end
    end)
    teardown(function()
      for _, host in ipairs(hosts) do
        local log = host:stop()
        assert.same({}, N.errors_in(log))
        assert.falsy(log:find(PASSWORD, 1, true))
        assert.falsy(log:find(HASH, 1, true))
      end
    end)

    -- `n` calls of /plants<query> spread over both hosts, all at once: the decoded bodies.
    local function calls(query, n)
      local dir = H.tempdir()
      local f = assert(io.open(dir .. "/curl.cfg", "w"))
      for i = 1, n do
        f:write(('url = "%splants%s"\noutput = "%s/%d"\n'):format(hosts[i % 2 + 1].url, query or "", dir, i))
      end
      f:close()
      R.sh(("curl -s --parallel --parallel-immediate --parallel-max %d -m 20 -K %s/curl.cfg"):format(n, dir))
      local out = {}
      for i = 1, n do out[i] = json.decode(H.read(dir .. "/" .. i) or "") or {} end
      H.remove(dir)
      return out
    end

    local function kinds(out)
      local k = {}
      for _, r in ipairs(out) do
        local kind = r.err and r.err.kind or (r.plants == 3 and "ok") or "?"
        k[kind] = (k[kind] or 0) + 1
      end
      return k
    end

    it("raise on a wrong redis option at the caller's line, and keep its password out of the client", function()
      local res = hosts[1]:get("misuse")
      assert.equal(200, res.status, res.body)
      assert.is_false(res.json.ok)
      assert.matches("^content_by_lua%(nginx%.conf:%d+%):%d+: growatt%.ngx%.new: option 'redis': option 'port' " ..
        "must be a number, got string$", res.json.msg)
      assert.is_false(res.json.exposed)
    end)

    it("make one login between them for 40 calls at once", function()
      local out = calls("", 40)
      assert.same({ ok = 40 }, kinds(out))
      assert.equal(1, S.stats().logins)
      assert.equal(41, S.stats().requests)
      assert.equal(1, account("demo").logins)
    end)

    it("keep one budget between them", function()
      local out = calls("?budget=5", 10)
      assert.same({ ok = 4, rate_limited = 6 }, kinds(out))
      assert.equal(5, S.stats().requests)
    end)

    it("honour a 507 that one of them saw", function()
      local first = calls("?user=locked&password=locked-password", 1)
      assert.same({ locked = 1 }, kinds(first))
      local out = calls("?user=locked&password=locked-password", 10)
      assert.same({ locked = 10 }, kinds(out))
      assert.equal(1, S.stats().logins)
    end)

    it("give `store` errors and send nothing while Redis is down, and use it again once it is back", function()
      redis:stop()
      local out = calls("", 6)
      assert.same({ store = 6 }, kinds(out))
      assert.matches("redis 127.0.0.1:" .. redis.port, out[1].err.message, 1, true)
      assert.equal(0, S.stats().requests)
      redis:start()
      assert.same({ ok = 6 }, kinds(calls("", 6)))
      assert.equal(1, S.stats().logins)
    end)
  end)
end)
