-- Session safety against the sandbox: typed errors for every answer Growatt is known to
-- give, re-login on expiry, the login guard and locks (also across processes sharing a
-- state file), the request budget, read retries, the on_request hook and stats. Each spec
-- counts the logins the sandbox saw.
local growatt = require("growatt")
local core = require("growatt.core")
local store = require("growatt.store")
local S = require("spec.support.sandbox")
local H = require("spec.support.session")

local PASSWORD = "demo-password"
local PLANTS = "PlantListAPI.do"
local sh, Writer = H.sh, H.Writer

local function logins() return S.stats().logins end

local sent = S.count

describe("session safety", function()
  local url, dir
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    dir = H.tempdir()
  end)
  after_each(function() H.remove(dir) end)

  -- Specs use short intervals and tiny backoffs; each spec that tests a default says so.
  local function api(opts)
    opts = opts or {}
    opts.server_url = url
    if opts.login_interval == nil then opts.login_interval = 0 end
    if opts.retries == nil then opts.retries = { attempts = 3, base = 0.01, max = 0.02, deadline = 5 } end
    return growatt.new(opts)
  end

  local function logged_in(opts)
    local a = api(opts)
    assert(a:login("demo", PASSWORD))
    return a
  end

  -- The hook's payloads, in order.
  local function recorder()
    local seen = {}
    return seen, function(info) seen[#seen + 1] = info end
  end

  describe("error kinds", function()
    it("auth for a wrong password (502) and an unknown user (501), one login each", function()
      local _, err = api():login("demo", "wrong")
      assert.equal("auth", err.kind)
      assert.equal("502", err.code)
      local _, err2 = api():login("nobody", "x")
      assert.equal("auth", err2.kind)
      assert.equal("501", err2.code)
      assert.equal(2, logins())
    end)

    it("locked for 507, with locked_until from lockDuration (hours)", function()
      S.faults({ { lock_after_failures = 1, lock_seconds = 7200 } })
      local a = api()
      assert.equal("auth", select(2, a:login("demo", "wrong")).kind)
      local before = os.time()
      local back, err = a:login("demo", PASSWORD)
      assert.is_nil(back)
      assert.equal("locked", err.kind)
      assert.equal("507", err.code)
      assert.equal(2, err.response.lockDuration)
      assert.is_true(err.locked_until >= before + 7200 and err.locked_until <= os.time() + 7200)
      assert.equal(2, logins())
    end)

    for _, variant in ipairs({ "redirect", "page", "json" }) do
      it("session_expired for a dead session answered by the " .. variant .. " variant", function()
        local seen, hook = recorder()
        local a = logged_in({ on_request = hook })
        S.faults({ { path = PLANTS, expire = true, times = 1, expired_as = variant } })
        assert(a:plant_list(1234567))
        assert.equal("session_expired", seen[2].kind)
        assert.equal(variant == "redirect" and 302 or 200, seen[2].status)
        assert.equal(1, a:stats().errors.session_expired.count)
        assert.equal(2, logins())
      end)
    end

    it("session_expired without a login, and no login is attempted", function()
      local _, err = api():plant_list(1234567)
      assert.equal("session_expired", err.kind)
      assert.equal(0, logins())
    end)

    it("blocked for the CDN's 403 UA ACL page; another user agent gets through", function()
      S.faults({ { block_agents = { "lua-growatt", "python-requests" } } })
      local _, err = api():login("demo", PASSWORD)
      assert.equal("blocked", err.kind)
      assert.equal(403, err.status)
      assert.matches("agent_identifier", err.message, 1, true)
      assert.equal(0, logins())
      assert(api({ agent_identifier = "my-script" }):login("demo", PASSWORD))
      assert.equal(1, logins())
    end)

    it("blocked for the firewall's 405 page", function()
      S.faults({ { path = PLANTS, waf = true } })
      local _, err = logged_in():plant_list(1234567)
      assert.equal("blocked", err.kind)
      assert.equal(405, err.status)
      assert.equal(1, sent(PLANTS))
    end)

    it("protocol for an HTML page that is not the login page, and for a malformed body", function()
      local a = logged_in()
      S.faults({ { path = PLANTS, html = true } })
      local _, err = a:plant_list(1234567)
      assert.equal("protocol", err.kind)
      assert.equal("HTML where JSON was expected", err.message)
      S.faults({ { path = PLANTS, body = '{"back": {"data": [' } })
      local _, err2 = a:plant_list(1234567)
      assert.equal("protocol", err2.kind)
      assert.equal(1, logins())
    end)

    it("protocol for a truncated body, after the read retries", function()
      local a = logged_in()
      S.faults({ { path = PLANTS, truncate = 20 } })
      local _, err = a:plant_list(1234567)
      assert.equal("protocol", err.kind)
      assert.equal(3, sent(PLANTS))
    end)

    it("api for success:false", function()
      local _, err = logged_in():plant_list(7654321)
      assert.equal("api", err.kind)
      assert.equal("no permission", err.code)
      assert.equal(1, sent(PLANTS)) -- the server's refusal, not sent again
    end)

    it("http for a 5xx, after the read retries; network for a reset connection", function()
      local a = logged_in()
      S.faults({ { path = PLANTS, status = 503 } })
      local _, err = a:plant_list(1234567)
      assert.equal("http", err.kind)
      assert.equal(503, err.status)
      assert.equal(3, sent(PLANTS))
      -- (libcurl itself resends once on a fresh connection when a reused one is reset, so
      -- the sandbox may see more requests than there are attempts)
      local seen, hook = recorder()
      a.policy.on_request = hook
      S.faults({ { path = PLANTS, reset = true } })
      local _, err2 = a:plant_list(1234567)
      assert.equal("network", err2.kind)
      assert.equal(3, #seen)
      assert.equal("network", seen[3].kind)
    end)

    it("timeout for a stalled answer", function()
      local a = logged_in({ timeout = 0.2, retries = { attempts = 2, base = 0.01, max = 0.01 } })
      S.faults({ { path = PLANTS, stall = 1 } })
      local _, err = a:plant_list(1234567)
      assert.equal("timeout", err.kind)
      assert.equal(2, sent(PLANTS))
    end)
  end)

  describe("re-login", function()
    it("100 reads across 20 forced expiries: exactly 20 re-logins and 100 results", function()
      local a = logged_in()
      S.faults({
        { path = PLANTS, expire = true, times = 1 },
        { path = PLANTS, expire_after = 5 },
      })
      local results = 0
      for _ = 1, 100 do
        local back = a:plant_list(1234567)
        if back and back.success then results = results + 1 end
      end
      assert.equal(100, results)
      assert.equal(1 + 20, logins())
      assert.equal(20, S.stats().expired)
      assert.equal(20, a:stats().relogins)
      assert.equal(100 + 20, sent(PLANTS))
    end)

    it("re-logs in once per call: a second expiry is returned", function()
      local a = logged_in()
      S.faults({ { path = PLANTS, expire_after = 0 } })
      local _, err = a:plant_list(1234567)
      assert.equal("session_expired", err.kind)
      assert.equal(2, logins())
      assert.equal(2, sent(PLANTS))
    end)

    it("sends a write again after an expiry: the server refused it unseen", function()
      local a = setmetatable(logged_in(), Writer)
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      assert(a:touch(1234567))
      assert.equal(2, sent(PLANTS, "POST"))
      assert.equal(2, logins())
    end)

    it("never sends a write again after a 5xx or a timeout: the server may have applied it", function()
      local a = setmetatable(logged_in({ timeout = 0.3 }), Writer)
      S.faults({ { path = PLANTS, status = 502 } })
      assert.equal("http", select(2, a:touch(1234567)).kind)
      assert.equal(1, sent(PLANTS, "POST"))
      S.faults({ { path = PLANTS, stall = 1 } })
      assert.equal("timeout", select(2, a:touch(1234567)).kind)
      assert.equal(2, sent(PLANTS, "POST"))
    end)

    it("sends a write again when no connection could be made", function()
      local seen, hook = recorder()
      local a = setmetatable(api({ on_request = hook }), Writer)
      a.server_url = "http://127.0.0.1:1/"
      local _, err = a:touch(1234567)
      assert.equal("network", err.kind)
      assert.equal(3, #seen)
      assert.equal(3, seen[3].attempt)
    end)

    it("a re-login sooner than login_interval (default 60 s) fails with rate_limited and retry_after", function()
      local a = growatt.new({ server_url = url }) -- the default login_interval
      assert(a:login("demo", PASSWORD))
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      local _, err = a:plant_list(1234567)
      assert.equal("rate_limited", err.kind)
      assert.is_true(err.retry_after > 58 and err.retry_after <= 60)
      assert.equal(1, logins())
    end)

    it("never re-logs in while the account is locked", function()
      local a = logged_in()
      S.state({ accounts = { demo = { locked = true, lock_hours = 1 } } })
      S.faults({ { path = PLANTS, expire = true } })
      local _, err = a:plant_list(1234567)
      assert.equal("locked", err.kind)
      assert.is_true(err.locked_until >= os.time() + 3590)
      assert.equal(2, logins()) -- the re-login that learnt of the lock
      local _, err2 = a:plant_list(1234567)
      assert.equal("locked", err2.kind)
      assert.is_true(err2.retry_after > 3590)
      assert.equal(2, logins())
    end)
  end)

  describe("login guard and stored sessions", function()
    it("keeps logins at least login_interval apart, without a request", function()
      local a = api({ login_interval = 30 })
      assert.equal("auth", select(2, a:login("demo", "wrong")).kind)
      local _, err = a:login("demo", PASSWORD)
      assert.equal("rate_limited", err.kind)
      assert.is_true(err.retry_after > 28 and err.retry_after <= 30)
      assert.equal(1, logins())
    end)

    it("a dry run of login shows *** where the hash goes", function()
      local req = api({ dry_run = true }):login("demo", PASSWORD)
      assert.same({ { "userName", "demo" }, { "password", "***" } }, req.form)
      assert.equal(0, #S.requests())
    end)

    it("answers a second login from the live stored session, without secrets", function()
      local a = logged_in()
      local again = assert(a:login("demo", PASSWORD))
      assert.equal(1, logins())
      assert.equal(1234567, again.userId)
      assert.equal(1234567, again.user.id)
      assert.is_nil(again.user.password)
      assert.is_nil(again.user.token)
      assert.equal(1, a:stats().reused)
    end)

    it("a locked account: no login until the lock ends, also from a second process", function()
      local state_file = dir .. "/state.json"
      S.faults({ { lock_after_failures = 1, lock_seconds = 2 } })
      local a = api({ state_file = state_file })
      assert.equal("auth", select(2, a:login("demo", "wrong")).kind)
      local _, locked = a:login("demo", PASSWORD)
      assert.equal("locked", locked.kind)
      assert.equal(2, logins())
      local _, again = a:login("demo", PASSWORD)
      assert.equal("locked", again.kind)
      assert.is_true(again.retry_after > 0 and again.retry_after <= 4)
      -- another process with the same state file
      H.write(dir .. "/second.lua", H.script({
        "local a = require('growatt').new{ server_url = '" .. url .. "', state_file = '" .. state_file ..
          "', login_interval = 0 }",
        "local ok, err = a:login('demo', '" .. PASSWORD .. "')",
        "io.write(ok and 'logged in' or err.kind)",
      }))
      assert.equal("locked", sh(H.LUA .. " '" .. dir .. "/second.lua'"))
      assert.equal(2, logins())
      core.sleep(again.retry_after + 0.05)
      assert.equal("logged in", sh(H.LUA .. " '" .. dir .. "/second.lua'"))
      assert.equal(3, logins())
    end)

    it("remembers the seeded locked account's 507 and does not ask again", function()
      local a = api()
      assert.equal("locked", select(2, a:login("locked", "whatever")).kind)
      local _, err = a:login("locked", "whatever")
      assert.equal("locked", err.kind)
      assert.equal(1, logins())
    end)
  end)

  describe("state file", function()
    it("lets the next run reuse the session; an expiry then costs one re-login", function()
      local state_file = dir .. "/state.json"
      local first = api({ state_file = state_file })
      assert(first:login("demo", PASSWORD))
      assert(first:plant_list(1234567))
      assert.equal("600", sh("stat -c %a '" .. state_file .. "'"))
      local second = api({ state_file = state_file }) -- as the next cron run would
      local back = assert(second:login("demo", PASSWORD))
      assert.equal(1234567, back.userId)
      assert(second:plant_list(1234567))
      assert.equal(1, logins())
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      assert(second:plant_list(1234567))
      assert.equal(2, logins())
      local third = api({ state_file = state_file })
      assert(third:login("demo", PASSWORD))
      assert(third:plant_list(1234567))
      assert.equal(2, logins())
    end)

    it("after an expiry takes up the session another process stored meanwhile, without a login", function()
      local state_file = dir .. "/state.json"
      local a, b = api({ state_file = state_file }), api({ state_file = state_file })
      assert(a:login("demo", PASSWORD))
      assert(b:login("demo", PASSWORD)) -- the same session, from the store
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      assert(a:plant_list(1234567)) -- expired: a logs in again and stores the new session
      assert.equal(2, logins())
      assert(b:plant_list(1234567)) -- expired too: b takes up a's new session
      assert.equal(2, logins())
      assert.equal(0, b:stats().relogins)
      assert.equal(2, b:stats().reused)
    end)

    it("resume takes up the stored session without credentials: an expiry is returned", function()
      local state_file = dir .. "/state.json"
      assert(api({ state_file = state_file }):login("demo", PASSWORD))
      local a = api({ state_file = state_file })
      local back = assert(a:resume("demo"))
      assert.equal(1234567, back.userId)
      assert.is_nil(back.user.password)
      assert(a:plant_list(1234567))
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      assert.equal("session_expired", select(2, a:plant_list(1234567)).kind)
      assert.equal(1, logins())
      -- the dead session is forgotten: nothing to resume now, nor in a fresh store
      assert.equal("session_expired", select(2, api({ state_file = state_file }):resume("demo")).kind)
      assert.equal("session_expired", select(2, api():resume("demo")).kind)
      assert.has_error(function() a:resume(42) end,
        "bad argument 'username' to 'resume' (string expected, got number)")
    end)

    it("keeps several accounts in one file", function()
      local state_file = dir .. "/state.json"
      assert(api({ state_file = state_file }):login("demo", PASSWORD))
      assert(api({ state_file = state_file }):login("other", "other-password"))
      local state = store.file(state_file):load()
      assert.equal(1234567, state.accounts[store.key(url, "demo")].user_id)
      assert.equal(7654321, state.accounts[store.key(url, "other")].user_id)
      local other = api({ state_file = state_file })
      assert(other:login("other", "other-password"))
      assert(other:plant_list(7654321))
      assert.equal(2, logins())
    end)
  end)

  describe("a stored session proves the password", function()
    -- The password hash each login the sandbox received carried, in order.
    local function login_hashes()
      local out = {}
      for _, r in ipairs(S.requests()) do
        if r.path == "newTwoLoginAPI.do" then out[#out + 1] = S.pairs_of(r.form) end
      end
      return out
    end
    local function form(password) return "userName=demo&password=" .. growatt.hash_password(password) end

    it("a wrong password is sent and refused, not answered from the live stored session", function()
      local state_file = dir .. "/state.json"
      local a = logged_in({ state_file = state_file })
      local back, err = a:login("demo", "wrong")
      assert.is_nil(back)
      assert.equal("auth", err.kind)
      assert.equal("502", err.code)
      -- the next run of a script with the wrong password: the same
      local _, err2 = api({ state_file = state_file }):login("demo", "wrong2")
      assert.equal("auth", err2.kind)
      assert.same({ form(PASSWORD), form("wrong"), form("wrong2") }, login_hashes())
      -- the right password still takes up the stored session, without a request
      local b = api({ state_file = state_file })
      assert.equal(1234567, assert(b:login("demo", PASSWORD)).userId)
      assert(b:plant_list(1234567))
      assert.equal(3, logins())
      assert.equal(1, b:stats().reused)
      -- the store keeps a verifier of the hash, never the hash
      local text = H.read(state_file)
      local acc = store.file(state_file):load().accounts[store.key(url, "demo")]
      assert.equal(core.verifier(store.file(state_file):load().salt, growatt.hash_password(PASSWORD)), acc.verifier)
      assert.is_nil(text:find(growatt.hash_password(PASSWORD), 1, true))
    end)

    it("a password that does not prove itself logs in under the login guard", function()
      local state_file = dir .. "/state.json"
      logged_in({ state_file = state_file })
      local _, err = api({ state_file = state_file, login_interval = 30 }):login("demo", "wrong")
      assert.equal("rate_limited", err.kind)
      assert.is_true(err.retry_after > 28 and err.retry_after <= 30)
      assert.equal(1, logins())
    end)

    it("a session stored before verifiers existed is not taken up: the password is sent", function()
      local state_file = dir .. "/state.json"
      logged_in({ state_file = state_file })
      local s = store.file(state_file)
      local state = s:load()
      state.accounts[store.key(url, "demo")].verifier = nil
      assert(s:save(state))
      assert(api({ state_file = state_file }):login("demo", PASSWORD))
      assert.same({ form(PASSWORD), form(PASSWORD) }, login_hashes())
    end)
  end)

  describe("a refused password", function()
    local policy = require("growatt.engine.policy")
    local real_now, offset
    before_each(function()
      real_now, offset = policy.now, 0
      policy.now = function() return real_now() + offset end
    end)
    after_each(function() policy.now = real_now end)

    it("is not sent again for 10 min, 1 h, then 6 h; another password is sent at once", function()
      local state_file = dir .. "/state.json"
      local a = api({ state_file = state_file })
      local _, err = a:login("demo", "wrong")
      assert.equal("auth", err.kind)
      assert.equal("502", err.code)
      assert.is_true(err.retry_after > 599 and err.retry_after <= 600)
      assert.matches("not sent again before %d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d UTC", err.message)
      assert.equal(1, logins())
      -- the next run of a cron script with the same password: refused at once, nothing sent
      local again = select(2, api({ state_file = state_file }):login("demo", "wrong"))
      assert.equal("auth", again.kind)
      assert.is_nil(again.code)
      assert.is_true(again.retry_after > 598 and again.retry_after <= 600)
      assert.matches("refused; it is not sent again before", again.message)
      assert.equal(1, logins())
      -- the back-off grows
      local expected = { 3600, 6 * 3600, 6 * 3600 }
      for _, wait in ipairs(expected) do
        offset = offset + err.retry_after + 1
        _, err = a:login("demo", "wrong")
        assert.equal("502", err.code)
        assert.is_true(err.retry_after > wait - 2 and err.retry_after <= wait, tostring(err.retry_after))
        assert.equal("auth", select(2, a:login("demo", "wrong")).kind)
      end
      assert.equal(4, logins())
      -- a different password goes out at once, and the right one logs in
      assert.equal("502", select(2, a:login("demo", "wrong2")).code)
      assert(a:login("demo", PASSWORD))
      assert.equal(6, logins())
      assert.equal(4, S.count("newTwoLoginAPI.do") - 2)
    end)

    it("counts against the login guard", function()
      local a = api({ login_interval = 30 })
      assert.equal("502", select(2, a:login("demo", "wrong")).code)
      local _, err = a:login("demo", PASSWORD)
      assert.equal("rate_limited", err.kind)
      assert.equal(1, logins())
    end)

    it("a re-login whose password is refused is not sent again either", function()
      local a = logged_in()
      S.state({ accounts = { demo = { password = "changed" } } })
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      local _, err = a:plant_list(1234567)
      assert.equal("auth", err.kind)
      assert.equal("502", err.code)
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      local _, err2 = a:plant_list(1234567)
      assert.equal("auth", err2.kind)
      assert.is_nil(err2.code)
      assert.equal(2, logins())
    end)
  end)

  describe("a session belongs to one server", function()
    local O = require("spec.support.other_server")
    local other
    before_each(function() other = O.start() end)
    after_each(function() other:stop() end)

    -- The cookies the other server received, in order.
    local function cookies_at_other()
      local out = {}
      for _, r in ipairs(other:requests()) do out[#out + 1] = r.path .. " " .. r.cookie end
      return out
    end

    it("a session stored with one server is not taken up for another", function()
      local state_file = dir .. "/state.json"
      logged_in({ state_file = state_file })
      local b = growatt.new({ server_url = other.url, state_file = state_file, login_interval = 0 })
      assert.equal(1234567, assert(b:login("demo", PASSWORD)).userId)
      assert(b:plant_list(1234567))
      assert.same({ "/newTwoLoginAPI.do ", "/PlantListAPI.do JSESSIONID=other-1" }, cookies_at_other())
      local accounts = store.file(state_file):load().accounts
      assert.is_string(accounts[store.key(url, "demo")].cookies)
      assert.matches("other%-1", accounts[store.key(other.url, "demo")].cookies)
      assert.equal(0, b:stats().reused)
    end)

    it("a new server_url, even another port of the same host, gets none of the old cookies", function()
      local a = logged_in()
      assert(a:plant_list(1234567))
      a.server_url = other.url
      assert(a:plant_list(1234567)) -- no session there: a re-login, with no cookie of the sandbox
      assert.same({ "/PlantListAPI.do ", "/newTwoLoginAPI.do ", "/PlantListAPI.do JSESSIONID=other-1" },
        cookies_at_other())
      -- back to the sandbox: its session, taken up from the store, and not the other's cookie
      a.server_url = url
      assert(a:plant_list(1234567))
      assert.equal(1, logins())
      local last = S.last()
      assert.equal("PlantListAPI.do", last.path)
      assert.matches("^JSESSIONID=[^;]+$", last.cookie)
      assert.is_nil(last.cookie:find("other", 1, true))
    end)

    it("one round of calls goes to one server: a request prepared for another is refused", function()
      local a = logged_in()
      local here = growatt.new({ server_url = url, dry_run = true }):plant_list(1234567)
      local there = growatt.new({ server_url = other.url, dry_run = true }):plant_list(1234567)
      local values, errs = require("growatt.engine.policy").send_many(a, { here, there })
      assert.equal(3, #values[1].data)
      assert.equal("invalid", errs[2].kind)
      assert.equal("the calls of one batch go to one server", errs[2].message)
      assert.same({}, other:requests())
    end)

    it("a 507's lockDuration is capped at 72 hours, and the error says when the lock ends", function()
      for _, duration in ipairs({ "1e300", "1e999", "-5", '"NaN"', '"abc"', "100", "2" }) do
        other:login_reply('{"back":{"success":false,"msg":"507","lockDuration":' .. duration .. '}}')
        local state_file = dir .. "/lock-" .. _ .. ".json"
        local before = os.time()
        local _, err = growatt.new({ server_url = other.url, state_file = state_file }):login("demo", "x")
        assert.equal("locked", err.kind)
        local hours = ({ ["2"] = 2, ["-5"] = 24, ['"NaN"'] = 24, ['"abc"'] = 24 })[duration] or 72
        assert.is_true(err.locked_until >= before + hours * 3600 and err.locked_until <= os.time() + hours * 3600,
          duration)
        assert.matches("until " .. os.date("!%Y-%m-%d %H:%M:%S UTC", err.locked_until), err.message, 1, true)
        local acc = store.file(state_file):load().accounts[store.key(other.url, "demo")]
        assert.equal(err.locked_until, acc.locked_until)
      end
    end)
  end)

  describe("budget", function()
    it("refuses beyond per_day with rate_limited and retry_after, without a request", function()
      local a = logged_in({ budget = { per_day = 3 } })
      assert(a:plant_list(1234567))
      assert(a:plant_list(1234567))
      local _, err = a:plant_list(1234567)
      assert.equal("rate_limited", err.kind)
      assert.is_true(err.retry_after > 0 and err.retry_after <= 25 * 3600)
      assert.equal(3, #S.requests())
    end)

    it("counts over a rolling window: calls go through again when it has passed", function()
      local a = logged_in({ budget = { per_day = 2, window = 0.5 } })
      assert(a:plant_list(1234567))
      local _, err = a:plant_list(1234567)
      assert.equal("rate_limited", err.kind)
      core.sleep(err.retry_after + 0.01)
      assert(a:plant_list(1234567))
      assert.equal(2, sent(PLANTS)) -- the refused call was not sent
    end)

    it("is shared by the processes of one state file", function()
      local state_file = dir .. "/state.json"
      local budget = { per_day = 3 }
      local a = api({ state_file = state_file, budget = budget })
      assert(a:login("demo", PASSWORD))
      assert(a:plant_list(1234567))
      local b = api({ state_file = state_file, budget = budget })
      assert(b:login("demo", PASSWORD)) -- from the store: not counted
      assert(b:plant_list(1234567))
      assert.equal("rate_limited", select(2, b:plant_list(1234567)).kind)
      assert.equal("rate_limited", select(2, a:plant_list(1234567)).kind)
      assert.equal(3, #S.requests())
    end)
  end)

  describe("read retries", function()
    it("a 5xx burst: sent again until it passes, each attempt reported to the hook", function()
      local seen, hook = recorder()
      local a = logged_in({ on_request = hook })
      S.faults({ { path = PLANTS, status = 503, times = 2 } })
      assert(a:plant_list(1234567))
      assert.equal(3, sent(PLANTS))
      assert.equal(2, a:stats().retries)
      local attempts, statuses = {}, {}
      for i = 2, #seen do
        attempts[#attempts + 1] = seen[i].attempt
        statuses[#statuses + 1] = seen[i].status
      end
      assert.same({ 1, 2, 3 }, attempts)
      assert.same({ 503, 503, 200 }, statuses)
    end)

    it("backs off exponentially with jitter", function()
      local a = logged_in({ retries = { attempts = 3, base = 0.2, max = 1 } })
      S.faults({ { path = PLANTS, status = 500 } })
      a:plant_list(1234567)
      local times = {}
      for _, r in ipairs(S.requests()) do
        if r.path == PLANTS then times[#times + 1] = r.time end
      end
      assert.equal(3, #times)
      local first, second = times[2] - times[1], times[3] - times[2]
      assert.is_true(first >= 0.1 and first < 0.35, "first delay " .. first)
      assert.is_true(second >= 0.2 and second < 0.55, "second delay " .. second)
    end)

    it("stops at the deadline", function()
      local a = logged_in({ retries = { attempts = 100, base = 0.1, max = 0.1, deadline = 0.4 } })
      S.faults({ { path = PLANTS, status = 500 } })
      local started = core.now()
      assert.equal("http", select(2, a:plant_list(1234567)).kind)
      assert.is_true(core.now() - started < 0.6)
      assert.is_true(sent(PLANTS) >= 3 and sent(PLANTS) <= 9)
    end)

    it("retries = false sends once", function()
      local a = logged_in({ retries = false })
      S.faults({ { path = PLANTS, status = 503, times = 1 } })
      assert.equal("http", select(2, a:plant_list(1234567)).kind)
      assert.equal(1, sent(PLANTS))
      assert(a:plant_list(1234567))
    end)
  end)

  describe("on_request hook and stats", function()
    it("gets method, path, op, name, status, ms, attempt and kind, and nothing else", function()
      local seen, hook = recorder()
      local a = logged_in({ on_request = hook })
      a:plant_list(7654321)
      assert.equal(2, #seen)
      local keys = {}
      for k in pairs(seen[1]) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.same({ "attempt", "method", "ms", "name", "path", "status" }, keys)
      assert.equal("POST", seen[1].method)
      assert.equal("newTwoLoginAPI.do", seen[1].path)
      assert.equal("login", seen[1].name)
      assert.equal("GET", seen[2].method)
      assert.equal(PLANTS, seen[2].path)
      assert.equal("api", seen[2].kind)
      assert.equal(200, seen[2].status)
      assert.is_true(seen[2].ms >= 0 and seen[2].ms < 5000)
    end)

    it("a hook that raises does not break the call and is counted", function()
      local a = logged_in({ on_request = function() error("boom") end })
      assert(a:plant_list(1234567))
      assert.equal(2, a:stats().hook_errors)
    end)

    it("stats count requests, logins, relogins, retries and the last error of each kind", function()
      local a = logged_in()
      S.faults({ { path = PLANTS, expire = true, times = 1 } })
      assert(a:plant_list(1234567))
      S.faults({ { path = PLANTS, status = 500, times = 1 } })
      assert(a:plant_list(1234567))
      a:plant_list(7654321)
      local st = a:stats()
      assert.equal(7, st.requests) -- login, expired, re-login, ok, 500, ok, refused
      assert.equal(2, st.logins)
      assert.equal(1, st.relogins)
      assert.equal(1, st.retries)
      assert.equal(1, st.errors.session_expired.count)
      assert.equal(1, st.errors.http.count)
      assert.equal("HTTP status 500", st.errors.http.last.message)
      assert.is_true(math.abs(st.errors.api.last.at - os.time()) <= 1)
      st.requests = 0 -- a copy
      assert.equal(7, a:stats().requests)
    end)
  end)

  describe("options", function()
    it("raise on wrong types and values", function()
      local cases = {
        { { retries = "x" }, "option 'retries' must be a table or boolean, got string" },
        { { retries = { attempts = 0 } }, "option 'retries': retries.attempts must be a positive number" },
        { { retries = { attempts = 2.5 } }, "option 'retries': retries.attempts must be a whole number" },
        { { retries = { tries = 2 } }, "option 'retries': unknown retries field 'tries'" },
        { { budget = { per_day = 0 } }, "option 'budget': budget.per_day must be a positive number" },
        { { budget = { per_hour = 5 } }, "option 'budget': unknown budget field 'per_hour'" },
        { { login_interval = -1 }, "option 'login_interval' must be a number >= 0" },
        { { state_file = "" }, "option 'state_file' must not be empty" },
        { { state_file = "x", store = {} }, "options 'store' and 'state_file' exclude each other" },
        { { store = {} }, "option 'store' must have load and save methods" },
        { { on_request = true }, "option 'on_request' must be a function, got boolean" },
      }
      for _, case in ipairs(cases) do
        assert.has_error(function() growatt.new(case[1]) end, "growatt.new: " .. case[2])
      end
    end)

    it("take any object with load and save as the store", function()
      local saved
      local custom = {
        load = function() return saved and require("growatt.store").copy(saved) or {} end,
        save = function(_, state) saved = state return true end,
      }
      assert(api({ store = custom }):login("demo", PASSWORD))
      assert.equal(1234567, saved.accounts[store.key(url, "demo")].user_id)
    end)
  end)
end)
