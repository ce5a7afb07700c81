-- The state file against the sandbox: a file of the wrong shape or size costs one login and
-- is said once in stats, never an error; calls do not rewrite the file (request counts are
-- written at most once a second and at close); a lock written by another process is seen at
-- once; and the request budget holds across processes (per_day plus the documented slack).
local growatt = require("growatt")
local core = require("growatt.core")
local json = require("growatt.json")
local store = require("growatt.store")
local S = require("spec.support.sandbox")
local H = require("spec.support.session")

local PASSWORD = "demo-password"
local PLANTS = "PlantListAPI.do"
local sh, read, write = H.sh, H.read, H.write

local function logins() return S.stats().logins end

-- The request counts of an account in the state file, summed.
local function counted(path, key)
  local acc = ((json.decode(read(path) or "") or {}).accounts or {})[key] or {}
  local n = 0
  for _, c in pairs(acc.requests or {}) do n = n + c end
  return n
end

describe("state file", function()
  local url, dir, path
  local KEY -- the demo account's key in state.accounts (user and server)
  setup(function()
    url = S.start()
    KEY = store.key(url, "demo")
  end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    dir = H.tempdir()
    path = dir .. "/state.json"
  end)
  after_each(function() H.remove(dir) end)

  local function api(opts)
    opts = opts or {}
    opts.server_url, opts.state_file = url, path
    if opts.login_interval == nil then opts.login_interval = 0 end
    return growatt.new(opts)
  end

  describe("as untrusted input", function()
    local SHAPES = {
      '{"accounts":"x"}', '{"accounts":{"demo":5}}', '[1,2]', '"x"',
      '{"accounts":{"demo":{"requests":"x"}}}', '{"accounts":{"demo":{"last_login":"x"}}}',
      '{"accounts":{"demo":{"locked_until":"x"}}}', '{"accounts":{"demo":{"logins":"x","user_id":"x"}}}',
      '{"accounts":{"demo":{"cookies":5,"login":"x"}}}', '{"accounts":{"demo":{"requests":{"x":"y"}}}}',
      '{"accounts":{"demo":{"login":{"userId":1e400}}}}', '{"cli":5}',
    }

    it("a wrong shape costs one login and is said once in stats, never an error", function()
      for i, text in ipairs(SHAPES) do
        text = text:gsub('"demo"', json.encode(KEY))
        write(path, text)
        local a = api()
        local back, err = a:login("demo", PASSWORD)
        assert.is_nil(err, text)
        assert.equal(1234567, back.userId, text)
        assert.equal(i, logins(), text) -- a real login: nothing was taken up from the bad file
        assert.same({ "userName", "demo" }, S.last().form[1])
        assert.equal(#back.data, #assert(a:plant_list(1234567)).data) -- the session works
        local said = a:stats().store
        assert.is_true(said.count >= 1, text)
        assert.matches("^state file: ", said.last.message)
        assert.is_number(said.last.at)
        assert.equal(said.count, a:stats().store.count) -- once
        a:close()
        local b = api() -- the next run: the file was replaced by a whole one
        assert(b:login("demo", PASSWORD))
        assert.equal(i, logins(), text)
        assert.is_nil(b:stats().store, text)
        b:close()
        os.remove(path)
      end
    end)

    it("a 64 MiB file is not read: one login, said in stats, and the file is replaced", function()
      os.execute("truncate -s 64M '" .. path .. "'")
      local a = api()
      assert(a:login("demo", PASSWORD))
      assert.equal(1, logins())
      assert.equal("state file: larger than 1048576 bytes: read as empty", a:stats().store.last.message)
      assert.is_true(#read(path) < 4096)
      assert.equal(1234567, store.file(path):load().accounts[KEY].user_id)
    end)
  end)

  describe("per call", function()
    it("calls do not rewrite the file: counts are written at most once a second, and at close", function()
      local a = api()
      assert(a:login("demo", PASSWORD))
      local stamp, writes = core.file_stamp(path), 0
      local t0 = core.now()
      for _ = 1, 30 do
        assert(a:plant_list(1234567))
        local now = core.file_stamp(path)
        if now ~= stamp then writes, stamp = writes + 1, now end
      end
      local seconds = core.now() - t0
      assert.equal(30, S.count(PLANTS))
      assert.is_true(writes <= math.floor(seconds / store.FLUSH_INTERVAL) + 1,
        writes .. " writes in " .. seconds .. " s")
      a:close()
      assert.equal(31, counted(path, KEY)) -- the login and 30 calls
      assert.equal("600", sh("stat -c %a '" .. path .. "'"))
    end)

    it("a new session is written at once, and another process's lock is seen at once", function()
      local a = api()
      assert(a:login("demo", PASSWORD))
      local saved = json.decode(read(path)).accounts[KEY]
      assert.equal(a.session:cookies(), saved.cookies) -- written by the login itself
      -- another process: the account is now locked and its session gone
      write(dir .. "/lock.lua", H.script({
        "local store = require('growatt.store')",
        "assert(store.update(store.file(" .. string.format("%q", path) .. "), function(state)",
        "  local acc = state.accounts[" .. string.format("%q", KEY) .. "]",
        "  acc.locked_until, acc.cookies, acc.login = os.time() + 3600, nil, nil end))",
      }))
      sh(H.LUA .. " '" .. dir .. "/lock.lua'")
      local _, err = a:login("demo", PASSWORD)
      assert.equal("locked", err.kind)
      assert.equal(1, logins()) -- refused without a request
    end)
  end)

  describe("the budget across processes", function()
    it("holds at per_day plus (processes - 1) * max(1, per_day / 100)", function()
      local N = 300
      local a = api()
      assert(a:login("demo", PASSWORD)) -- counted: 1
      a:close()
      local script = H.script({
        "local a = require('growatt').new{ server_url = '" .. url .. "', state_file = " .. string.format("%q", path) ..
          ", budget = { per_day = " .. N .. " } }",
        "assert(a:login('demo', '" .. PASSWORD .. "'))",
        "local ok = 0",
        "while true do",
        "  local v, err = a:plant_list(1234567)",
        "  if not v then assert(err.kind == 'rate_limited', tostring(err)) break end",
        "  ok = ok + 1",
        "end",
        "a:close()",
        "io.write(ok)",
      })
      write(dir .. "/spend.lua", script)
      local run = H.LUA .. " '" .. dir .. "/spend.lua'"
      sh("(" .. run .. " > '" .. dir .. "/1.out') & (" .. run .. " > '" .. dir .. "/2.out') & wait")
      local one, two = tonumber(read(dir .. "/1.out")), tonumber(read(dir .. "/2.out"))
      assert.is_number(one)
      assert.is_number(two)
      assert.equal(one + two, S.count(PLANTS))
      local total = 1 + one + two
      assert.is_true(total >= N, "only " .. total .. " requests")
      assert.is_true(total <= N + math.max(1, math.floor(N / 100)), total .. " requests")
      assert.equal(total, counted(path, KEY)) -- no count was lost
      assert.equal(1, logins())
    end)
  end)
end)
