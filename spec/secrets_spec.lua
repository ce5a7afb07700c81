-- No secret in any error, hook payload, stats or log line: a representative run (logins
-- good, bad and locked, reads, a write, an error of every kind the world can cause) is
-- captured whole and searched for the password, its hash, the token, every session id
-- the sandbox issued, and the stores' salts and verifiers.
local growatt = require("growatt")
local S = require("spec.support.sandbox")
local H = require("spec.support.session")

local PLANTS = "PlantListAPI.do"

-- Every reachable string of a value, keys included, as one text (cycles cut, userdata as
-- tostring, functions by type only). `skip` names keys not to enter.
local function dump(v, skip, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "table" then
    if seen[v] then return out end
    seen[v] = true
    if getmetatable(v) and getmetatable(v).__tostring then out[#out + 1] = tostring(v) end
    for k, x in pairs(v) do
      if not (skip and skip[k]) then
        dump(k, skip, out, seen)
        dump(x, skip, out, seen)
      end
    end
  elseif type(v) ~= "function" then
    out[#out + 1] = tostring(v)
  end
  return out
end

local function text_of(v, skip) return table.concat(dump(v, skip), "\n") end

local function read(path) return H.read(path) or "" end

describe("secrets", function()
  local url, dir
  setup(function()
    url = S.start()
    dir = H.tempdir()
  end)
  teardown(function()
    S.stop()
    H.remove(dir)
  end)

  it("never appear in errors, hook payloads, stats or the server's log", function()
    S.reset()
    local captured = {} -- texts that must hold no secret
    local kinds = {}
    local function keep(v, err)
      if err then
        kinds[err.kind] = true
        captured[#captured + 1] = tostring(err)
        captured[#captured + 1] = text_of(err)
      end
      return v, err
    end
    local function hook(info) captured[#captured + 1] = text_of(info) end
    local state_file = dir .. "/state.json"
    local function api(opts)
      opts.server_url, opts.on_request = url, hook
      opts.retries = opts.retries or { attempts = 2, base = 0.01, max = 0.01 }
      if opts.login_interval == nil then opts.login_interval = 0 end
      return setmetatable(growatt.new(opts), H.Writer)
    end
    local apis = {}
    local a = api({ state_file = state_file, timeout = 0.3 })
    apis[#apis + 1] = a

    -- logins: wrong password, unknown user, blocked user agent, good
    keep(a:login("demo", "wrong"))
    keep(a:login("nobody", "demo-password"))
    S.faults({ { block_agents = { "lua-growatt" } } })
    keep(a:login("demo", "demo-password"))
    S.faults({})
    assert(keep(a:login("demo", "demo-password")))
    -- reads, good and refused, and every fault of the world
    keep(api({}):plant_list(1234567)) -- no session at all
    assert(keep(a:plant_list(1234567)))
    keep(a:plant_list(7654321))
    local faults = {
      { path = PLANTS, expire = true, times = 1 },
      { path = PLANTS, expire = true, times = 1, expired_as = "page" },
      { path = PLANTS, expire = true, times = 1, expired_as = "json" },
      { path = PLANTS, html = true },
      { path = PLANTS, body = '{"back": ' },
      { path = PLANTS, truncate = 30 },
      { path = PLANTS, status = 503 },
      { path = PLANTS, reset = true },
      { path = PLANTS, stall = 1 },
      { path = PLANTS, waf = true },
    }
    for _, rule in ipairs(faults) do
      S.faults({ rule })
      keep(a:plant_list(1234567))
    end
    -- a write that meets an expired session, and one that meets a 5xx
    S.faults({ { path = PLANTS, expire = true, times = 1 } })
    assert(keep(a:touch(1234567)))
    S.faults({ { path = PLANTS, status = 500, times = 1 } })
    keep(a:touch(1234567))
    S.faults({})
    local live_state = read(state_file)
    -- the next run of a script, from the state file; an expiry then a re-login refused by the guard
    local b = api({ state_file = state_file, login_interval = 60 })
    apis[#apis + 1] = b
    assert(keep(b:login("demo", "demo-password")))
    S.faults({ { path = PLANTS, expire = true, times = 1 } })
    keep(b:plant_list(1234567))
    -- the budget
    local c = api({ budget = { per_day = 2 } })
    apis[#apis + 1] = c
    keep(c:login("demo", "demo-password"))
    keep(c:plant_list(1234567))
    keep(c:plant_list(1234567))
    -- a lock: 507, then the guard's refusal
    S.faults({ { lock_after_failures = 1, lock_seconds = 60 } })
    local d = api({})
    apis[#apis + 1] = d
    keep(d:login("demo", "wrong"))
    keep(d:login("demo", "demo-password"))
    keep(d:login("demo", "demo-password"))
    S.faults({})

    for _, x in ipairs(apis) do
      captured[#captured + 1] = text_of(x:stats())
      captured[#captured + 1] = text_of(x, { store = true }) -- the Api table itself holds no credential
    end
    captured[#captured + 1] = read(S.sandbox().prefix .. "/error.log")
    local state_text = read(state_file)

    -- The run covered what it should, so the search below means something.
    for _, kind in ipairs({ "auth", "blocked", "session_expired", "protocol", "http", "network", "timeout",
                            "api", "rate_limited", "locked" }) do
      assert.is_true(kinds[kind] == true, "no error of kind " .. kind)
    end
    local issued = S.http("GET", "__sandbox/sessions").json.issued
    assert.is_true(#issued >= 6, "sessions issued: " .. #issued)
    local kept = 0 -- the state file does keep the live cookie: the search would see one
    for _, id in ipairs(issued) do
      if live_state:find(id, 1, true) then kept = kept + 1 end
    end
    assert.equal(1, kept)

    local secrets = {
      "demo-password", growatt.hash_password("demo-password"), growatt.hash_password("wrong"),
      "5b0d7c1a9e3f4d2c8a6b1e0f7d3c9a21", -- the demo user's token
    }
    for _, id in ipairs(issued) do secrets[#secrets + 1] = id end
    -- the stores' salts and the verifiers kept with sessions and refusals stay in the stores
    local kept_secrets = 0
    for _, state in ipairs({ require("growatt.json").decode(state_text), c.store:load(), d.store:load() }) do
      local found = { state.salt }
      for _, acc in pairs(state.accounts or {}) do
        found[#found + 1] = acc.verifier
        for v in pairs(acc.refused or {}) do found[#found + 1] = v end
      end
      for _, secret in ipairs(found) do
        assert.equal(64, #secret)
        secrets[#secrets + 1] = secret
        kept_secrets = kept_secrets + 1
      end
    end
    assert.is_true(kept_secrets >= 7, "salts and verifiers found: " .. kept_secrets)
    local all = table.concat(captured, "\n")
    for _, secret in ipairs(secrets) do
      assert.is_nil(all:find(secret, 1, true), "a secret leaked: " .. secret:sub(1, 4) .. "...")
    end
    -- the state file holds the session's cookie, never a password, hash or token
    for i = 1, 4 do
      assert.is_nil(state_text:find(secrets[i], 1, true))
      assert.is_nil(live_state:find(secrets[i], 1, true))
    end
  end)
end)
