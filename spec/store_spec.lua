-- State stores: the memory store and the JSON file store (atomic replacement, mode 0600,
-- unreadable files read as empty state, a writer killed mid-write leaves a whole file); what
-- a store reads is untrusted (store.sanitise, the size bound); the file store writes request
-- counts at most once a second, sees another process's writes at once, and loses none.
-- Per-account stores: load_account and the salt go through the store where it has them.
local store = require("growatt.store")
local json = require("growatt.json")
local core = require("growatt.core")

local H = require("spec.support.session")
local sh, read, write = H.sh, H.read, H.write

describe("store", function()
  local dir
  before_each(function() dir = H.tempdir() end)
  after_each(function() H.remove(dir) end)

  describe("memory", function()
    it("starts empty and loads what was saved, as a fresh copy each time", function()
      local s = store.memory()
      assert.same({}, s:load())
      local state = { accounts = { demo = { user_id = 1234567, requests = { ["3600"] = 2 } } } }
      assert.is_true(s:save(state))
      state.accounts.demo.user_id = 1 -- the saved copy does not follow
      local a = s:load()
      assert.equal(1234567, a.accounts.demo.user_id)
      a.accounts.demo.user_id = 2
      assert.equal(1234567, s:load().accounts.demo.user_id)
    end)

    it("update loads, applies the function and saves", function()
      local s = store.memory()
      local out = store.update(s, function(state) state.n = 1 end)
      assert.same({ n = 1 }, out)
      store.update(s, function(state) return { n = state.n + 1 } end)
      assert.same({ n = 2 }, s:load())
    end)

    it("update uses the store's own update when it has one", function()
      local calls = 0
      local s = { update = function(_, fn)
        calls = calls + 1
        local state = {}
        return fn(state) or state
      end }
      assert.same({ x = true }, store.update(s, function(state) state.x = true end))
      assert.equal(1, calls)
    end)
  end)

  describe("the C core's helpers", function()
    it("now has sub-second precision and sleep waits that long (nothing for <= 0)", function()
      local before = os.time()
      local t0 = core.now()
      local after = os.time()
      -- the wall clock, bracketed by os.time() read on either side (a stall between two reads
      -- cannot make it fail)
      assert.is_true(t0 >= before and t0 < after + 1, ("%s not in [%d, %d]"):format(t0, before, after + 1))
      core.sleep(0.05)
      local slept = core.now() - t0
      assert.is_true(slept >= 0.05 and slept < 5, "slept " .. slept) -- loose: specs also run under valgrind
      local t1 = core.now()
      core.sleep(-1)
      core.sleep(0)
      assert.is_true(core.now() - t1 < 1) -- returns at once (a negative time must not block)
      assert.has_error(function() core.sleep("x") end)
    end)

    it("write_file replaces a file and says why it cannot", function()
      assert.is_true(core.write_file(dir .. "/f", "one"))
      assert.is_true(core.write_file(dir .. "/f", "two"))
      assert.equal("two", read(dir .. "/f"))
      local ok, err = core.write_file(dir .. "/no/f", "x")
      assert.is_nil(ok)
      assert.equal("create " .. dir .. "/no/f: No such file or directory", err)
      assert.has_error(function() core.write_file(dir .. "/f") end)
    end)
  end)

  describe("keys and verifiers", function()
    it("key an account by user and normalised origin: scheme, host and port", function()
      local cases = {
        { "https://openapi.growatt.com/", "https://openapi.growatt.com:443" },
        { "HTTPS://OpenAPI.Growatt.COM:443/newTwoLoginAPI.do?x=1", "https://openapi.growatt.com:443" },
        { "http://127.0.0.1/", "http://127.0.0.1:80" },
        { "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
        { "http://127.0.0.1:08080/a", "http://127.0.0.1:8080" },
        { "http://user:secret@Host:80/", "http://host:80" },
        { "http://[::1]:8080/", "http://[::1]:8080" },
        { "http://[::1]/", "http://[::1]:80" },
      }
      for _, case in ipairs(cases) do assert.equal(case[2], store.origin(case[1]), case[1]) end
      assert.equal("a@b.example@https://openapi.growatt.com:443",
        store.key("https://openapi.growatt.com/", "a@b.example"))
      assert.not_equal(store.key("http://127.0.0.1:8080/", "demo"), store.key("http://127.0.0.1:8081/", "demo"))
      assert.not_equal(store.key("http://h/", "demo"), store.key("https://h/", "demo"))
    end)

    it("make a verifier from the store's salt, saved once, and never the hash itself", function()
      local s = store.memory()
      local hash = core.hash_password("demo-password")
      local state = s:load()
      local v = store.verifier(state, hash, s)
      assert.is_true(store.valid_salt(state.salt))
      assert.equal(state.salt, s:load().salt) -- saved in the store
      assert.equal(v, store.verifier(s:load(), hash, s))
      assert.equal(core.verifier(state.salt, hash), v)
      assert.matches("^%x+$", v)
      assert.equal(64, #v)
      assert.not_equal(v, store.verifier(s:load(), core.hash_password("other"), s))
      -- another store has another salt, so another verifier of the same hash
      assert.not_equal(v, store.verifier({}, hash, store.memory()))
      -- a salt that is not one is replaced
      for _, bad in ipairs({ "", "x", ("A"):rep(64), 5, ("0"):rep(63) }) do
        local st = { salt = bad }
        store.verifier(st, hash)
        assert.is_true(store.valid_salt(st.salt))
      end
      assert.has_error(function() core.verifier("short", hash) end)
    end)

    it("load_account reads one account: the store's own load_account, else the whole state", function()
      local s, k = store.memory(), store.key("https://h/", "demo")
      assert.is_nil((store.load_account(s, k)))
      assert(s:save({ salt = ("ab"):rep(32), accounts = { [k] = { user_id = 1 }, other = { user_id = 3 } } }))
      local acc, state = store.load_account(s, k)
      assert.same({ user_id = 1 }, acc)
      assert.equal(("ab"):rep(32), state.salt)
      local asked = {}
      local per = { load_account = function(_, key)
        asked[#asked + 1] = key
        return { user_id = 2 }, ("cd"):rep(32)
      end }
      acc, state = store.load_account(per, k)
      assert.same({ { user_id = 2 }, { salt = ("cd"):rep(32) }, { k } }, { acc, state, asked })
    end)

    it("a verifier's new salt is kept through the store's salt method where it has one", function()
      local kept
      local per = { salt = function(_, fresh)
        kept = kept or fresh
        return kept
      end }
      local hash = core.hash_password("demo-password")
      local a, b = {}, {}
      local v = store.verifier(a, hash, per)
      assert.is_true(store.valid_salt(kept))
      assert.equal(kept, a.salt)
      assert.equal(v, store.verifier(b, hash, per)) -- the first salt stays
      assert.equal(kept, b.salt)
      -- a store that cannot keep one: a fresh salt all the same (recording the login fails later)
      local c = {}
      store.verifier(c, hash, { salt = function() return nil, "down" end })
      assert.is_true(store.valid_salt(c.salt))
    end)
  end)

  describe("file", function()
    it("reads a missing file as empty state and writes JSON with mode 0600", function()
      local path = dir .. "/state.json"
      local s = store.file(path)
      assert.same({}, s:load())
      assert.is_true(s:save({ accounts = { demo = { user_id = 1234567, cookies = "c" } } }))
      assert.equal("600", sh("stat -c %a '" .. path .. "'"))
      assert.same({ accounts = { demo = { user_id = 1234567, cookies = "c" } } }, json.decode(read(path)))
      local loaded = store.file(path):load()
      assert.equal(1234567, loaded.accounts.demo.user_id)
      if math.type then assert.equal("integer", math.type(loaded.accounts.demo.user_id)) end
    end)

    it("replaces the file whole and leaves no temporary file behind", function()
      local path = dir .. "/state.json"
      local s = store.file(path)
      for i = 1, 5 do assert.is_true(s:save({ n = i })) end
      assert.same({ n = 5 }, s:load())
      assert.equal("state.json", sh("ls -A '" .. dir .. "'"))
    end)

    it("keeps mode 0600 when it replaces a file that was readable by others", function()
      local path = dir .. "/state.json"
      write(path, "{}")
      os.execute("chmod 644 '" .. path .. "'")
      assert.is_true(store.file(path):save({ n = 1 }))
      assert.equal("600", sh("stat -c %a '" .. path .. "'"))
    end)

    it("reads a corrupt, truncated or non-object file as empty state", function()
      local path = dir .. "/state.json"
      for _, text in ipairs({ "", "{\"accounts\":{\"demo\":", "not json", "42", "[1,2" }) do
        write(path, text)
        assert.same({}, store.file(path):load())
      end
    end)

    it("returns nil and a message when it cannot write, and leaves the old file", function()
      local s = store.file(dir .. "/missing/state.json")
      local ok, err = s:save({ n = 1 })
      assert.is_nil(ok)
      assert.matches("No such file or directory", err, 1, true)
      local path = dir .. "/state.json"
      assert.is_true(store.file(path):save({ n = 1 }))
      local ok2, err2 = store.file(path):save({ f = function() end })
      assert.is_nil(ok2)
      assert.matches("not plain data", err2, 1, true)
      assert.same({ n = 1 }, store.file(path):load())
    end)

    it("raises on a path that is not a non-empty string", function()
      assert.has_error(function() store.file("") end)
      assert.has_error(function() store.file(nil) end)
    end)

    it("is still whole after its writer is killed mid-write (SIGKILL)", function()
      local path = dir .. "/state.json"
      -- The writer saves ~1 MB states in a loop, each one saying how long its padding is.
      local script = H.script({
        "local s = require('growatt.store').file(" .. string.format("%q", path) .. ")",
        "local i = 0",
        "while true do",
        "  i = i + 1",
        "  local n = 1000000 + (i % 7) * 1000",
        "  assert(s:save({ i = i, n = n, pad = string.rep('x', n) }))",
        "end",
      })
      write(dir .. "/writer.lua", script)
      for round = 1, 3 do
        local pid = sh(H.LUA .. " '" .. dir .. "/writer.lua' >/dev/null 2>&1 & echo $!")
        local deadline = core.now() + 10
        while not read(path) and core.now() < deadline do core.sleep(0.01) end
        core.sleep(0.05 + round * 0.037) -- somewhere inside a later write
        os.execute("kill -9 " .. pid)
        core.sleep(0.05)
        local state = store.file(path):load()
        assert.is_number(state.i)
        assert.equal(state.n, #state.pad)
        assert.equal(state.n, 1000000 + (state.i % 7) * 1000)
        assert.equal("600", sh("stat -c %a '" .. path .. "'"))
      end
    end)
  end)
  -- JSON texts of the wrong shape, and what each must read as: never an error.
  local WRONG = {
    { '{"accounts":"x"}', {} },
    { '{"accounts":{"demo":5}}', { accounts = { demo = {} } } },
    { '{"accounts":{"demo":[1,2]}}', { accounts = { demo = {} } } },
    { '[1,2]', {} },
    { '"x"', {} },
    { '{"accounts":{"demo":{"requests":"x","user_id":7}}}', { accounts = { demo = { user_id = 7 } } } },
    { '{"accounts":{"demo":{"requests":{"abc":1}}}}', { accounts = { demo = {} } } },
    { '{"accounts":{"demo":{"requests":{"3600":"x"}}}}', { accounts = { demo = {} } } },
    { '{"accounts":{"demo":{"requests":{"3600":-1}}}}', { accounts = { demo = {} } } },
    { '{"accounts":{"demo":{"last_login":"x","cookies":"c"}}}', { accounts = { demo = { cookies = "c" } } } },
    { '{"accounts":{"demo":{"locked_until":"x"}}}', { accounts = { demo = {} } } },
    { '{"accounts":{"demo":{"locked_until":1e400}}}', { accounts = { demo = {} } } },
    { '{"accounts":{"demo":{"user_id":"abc","cookies":5,"login":"x","logins":{}}}}', { accounts = { demo = {} } } },
    { '{"accounts":{"demo":{"login":{"user":{"id":1e400,"name":"d"}}}}}',
      { accounts = { demo = { login = { user = { name = "d" } } } } } },
    { '{"cli":"x","other":{"kept":1}}', { other = { kept = 1 } } },
    { '{"cli":{"username":"u","server_url":5}}', { cli = { username = "u" } } },
  }

  describe("untrusted contents", function()
    it("sanitise drops each field of the wrong shape and says what, never raising", function()
      for _, case in ipairs(WRONG) do
        local clean, problems = store.sanitise(json.decode(case[1]))
        assert.same(case[2], clean, case[1])
        assert.is_table(problems, case[1])
        for _, message in ipairs(problems) do assert.not_matches("demo", message, 1, true) end
      end
      local good = { accounts = { demo = { user_id = 1, cookies = "c", login = { userId = 1 }, last_login = 1.5,
        locked_until = 2, logins = 3, requests = { ["3600"] = 4 }, future = { x = false, y = json.null } } },
        cli = { username = "u" } }
      local clean, problems = store.sanitise(store.copy(good))
      assert.same(good, clean)
      assert.is_nil(problems)
      assert.same({}, (store.sanitise(nil)))
      assert.is_nil(select(2, store.sanitise(nil)))
    end)

    it("the account's fields are one table of checks", function()
      assert.equal(store.is.number, store.ACCOUNT_FIELDS.locked_until)
      assert.equal(store.is.counts, store.ACCOUNT_FIELDS.requests)
    end)

    it("the memory store keeps only the right shape and counts what it dropped", function()
      local s = store.memory()
      assert.is_true(s:save(json.decode('{"accounts":{"demo":{"requests":"x","user_id":7}}}')))
      assert.same({ accounts = { demo = { user_id = 7 } } }, s:load())
      assert.equal(1, s.problems.count)
      assert.matches("account field 'requests' had the wrong type", s.problems.last.message, 1, true)
      s:load()
      assert.equal(1, s.problems.count) -- said once
    end)

    it("the file store reads each wrong shape as its clean part, and says so once", function()
      local path = dir .. "/state.json"
      for _, case in ipairs(WRONG) do
        write(path, case[1])
        local s = store.file(path)
        assert.same(case[2], s:load(), case[1])
        assert.is_true(s.problems.count >= 1, case[1])
        assert.matches("^state file: ", s.problems.last.message)
        local count = s.problems.count
        s:load()
        assert.equal(count, s.problems.count, case[1]) -- the file did not change: not read again
      end
      write(path, "{not json")
      local s = store.file(path)
      assert.same({}, s:load())
      assert.equal("state file: not a JSON object: read as empty", s.problems.last.message)
      -- a wrong shape saved by a caller is checked too, before this store's own calls see it
      assert.is_true(s:save(json.decode('{"accounts":{"demo":{"requests":"x","cookies":"c"}}}')))
      assert.same({ accounts = { demo = { cookies = "c" } } }, s:load())
    end)

    it("does not read a state file larger than MAX_FILE: read as empty, without reading it", function()
      local path = dir .. "/state.json"
      os.execute("truncate -s 64M '" .. path .. "'")
      collectgarbage("collect")
      local heap = collectgarbage("count")
      local s = store.file(path)
      assert.same({}, s:load())
      assert.is_true(collectgarbage("count") - heap < 1024, "the heap grew by KiB: " .. collectgarbage("count") - heap)
      assert.equal("state file: larger than 1048576 bytes: read as empty", s.problems.last.message)
      -- the bound is on the size, whatever the content: valid JSON just past it is refused too
      local pad = string.rep("x", store.MAX_FILE - #'{"accounts":{},"pad":""}')
      write(path, '{"accounts":{},"pad":"' .. pad .. '"}')
      assert.equal(store.MAX_FILE, #read(path))
      assert.equal(#pad, #store.file(path):load().pad)
      write(path, '{"accounts":{},"pad":"' .. pad .. 'x"}')
      assert.same({}, store.file(path):load())
      -- a save replaces the file with a valid one
      assert.is_true(s:save({ accounts = { demo = { user_id = 1 } } }))
      assert.same({ accounts = { demo = { user_id = 1 } } }, store.file(path):load())
    end)

    it("read_file stops at its bound, and file_stamp tells files apart", function()
      local path = dir .. "/f"
      write(path, "12345")
      local text, stamp = core.read_file(path, 5)
      assert.equal("12345", text)
      assert.equal(stamp, core.file_stamp(path))
      assert.same({ nil, "read " .. path .. ": larger than 4 bytes", "too_large" }, { core.read_file(path, 4) })
      assert.equal("missing", select(3, core.read_file(dir .. "/none", 4)))
      assert.equal("missing", select(3, core.file_stamp(dir .. "/none")))
      assert.equal("io", select(3, core.read_file(dir, 4))) -- a directory
      local _, stamp2 = core.write_file(path, "54321") -- same size, same second: another stamp
      assert.not_equal(stamp, stamp2)
      assert.equal(stamp2, core.file_stamp(path))
      assert.has_error(function() core.read_file(path, -1) end)
    end)
  end)

  describe("file: request counts in memory", function()
    local function counts(path)
      local acc = (json.decode(read(path) or "{}").accounts or {}).demo or {}
      local n = 0
      for _, c in pairs(acc.requests or {}) do n = n + c end
      return n
    end
    local function count_one(state)
      state.accounts = state.accounts or {}
      local acc = state.accounts.demo or { requests = {} }
      state.accounts.demo = acc
      acc.requests["3600"] = (acc.requests["3600"] or 0) + 1
    end

    it("writes a change of session at once, and counts alone at most once a second", function()
      local path = dir .. "/state.json"
      local s = store.file(path)
      assert(s:update(function(state) state.accounts = { demo = { cookies = "c", requests = {} } } end))
      local stamp = core.file_stamp(path)
      for _ = 1, 50 do assert(s:update(count_one)) end
      assert.equal(stamp, core.file_stamp(path)) -- not written
      assert.equal(0, counts(path))
      assert.equal(50, s:load().accounts.demo.requests["3600"]) -- but counted
      assert(s:update(function(state) state.accounts.demo.cookies = "d" end))
      assert.equal(50, counts(path)) -- a new session: written at once, with the counts
      stamp = core.file_stamp(path)
      local t0 = core.now()
      while core.now() - t0 < store.FLUSH_INTERVAL do
        assert(s:update(count_one))
        core.sleep(0.05)
      end
      assert(s:update(count_one))
      assert.not_equal(stamp, core.file_stamp(path)) -- a second later: written
      assert.is_true(counts(path) > 50)
      assert.equal(s:load().accounts.demo.requests["3600"], counts(path))
    end)

    it("writes the waiting counts at flush, at garbage collection and when the Lua state ends", function()
      local path = dir .. "/state.json"
      local s = store.file(path)
      assert(s:update(function(state) state.accounts = { demo = { requests = {} } } end))
      for _ = 1, 3 do assert(s:update(count_one)) end
      assert.equal(0, counts(path))
      assert.is_true(s:flush())
      assert.equal(3, counts(path))
      for _ = 1, 2 do assert(s:update(count_one)) end
      s = nil -- luacheck: ignore 311
      collectgarbage("collect")
      collectgarbage("collect")
      assert.equal(5, counts(path))
      write(dir .. "/counter.lua", H.script({
        "local store = require('growatt.store')",
        "local s = store.file(" .. string.format("%q", path) .. ")",
        "assert(s:update(function(state) state.accounts.demo.cookies = 'x' end))",
        "for _ = 1, 4 do assert(s:update(function(state)",
        "  state.accounts.demo.requests['3600'] = state.accounts.demo.requests['3600'] + 1 end)) end",
        "io.write(" .. string.format("%q", path) .. ")",
      }))
      sh(H.LUA .. " '" .. dir .. "/counter.lua'")
      assert.equal(9, counts(path))
    end)

    it("max_unflushed: writes once that many counts are waiting", function()
      local path = dir .. "/state.json"
      local s = store.file(path, { max_unflushed = 3 })
      assert(s:update(function(state) state.accounts = { demo = { requests = {} } } end))
      for _ = 1, 2 do assert(s:update(count_one)) end
      assert.equal(0, counts(path))
      assert(s:update(count_one))
      assert.equal(3, counts(path))
    end)

    it("sees another store's write at once, even of the same size in the same second", function()
      local path = dir .. "/state.json"
      local a, b = store.file(path), store.file(path)
      assert.is_true(a:save({ accounts = { demo = { cookies = "1" } } }))
      assert.equal("1", b:load().accounts.demo.cookies)
      assert.is_true(b:save({ accounts = { demo = { cookies = "2" } } }))
      assert.equal("2", a:load().accounts.demo.cookies)
      assert(b:update(function(state) state.accounts.demo.locked_until = 99 end))
      local seen
      a:update(function(state) seen = state.accounts.demo.locked_until end)
      assert.equal(99, seen)
    end)

    it("adds its waiting counts to what another store wrote meanwhile", function()
      local path = dir .. "/state.json"
      local a, b = store.file(path), store.file(path)
      assert(a:update(function(state) state.accounts = { demo = { requests = {} } } end))
      for _ = 1, 3 do assert(a:update(count_one)) end
      for _ = 1, 2 do assert(b:update(count_one)) end
      assert(b:update(function(state) state.accounts.demo.cookies = "new" end)) -- b's 2 counts written
      assert.equal(2, counts(path))
      assert.is_true(a:flush())
      assert.equal(5, counts(path))
      assert.equal("new", json.decode(read(path)).accounts.demo.cookies)
      assert.same(b:load(), a:load())
    end)

    it("loses no change when processes write at the same time (the file is locked)", function()
      local path = dir .. "/state.json"
      assert.is_true(store.file(path):save({ n = 0 }))
      write(dir .. "/bump.lua", H.script({
        "local s = require('growatt.store').file(" .. string.format("%q", path) .. ")",
        "for _ = 1, 100 do assert(s:update(function(state) state.n = state.n + 1 end)) end",
      }))
      sh("for i in 1 2 3; do " .. H.LUA .. " '" .. dir .. "/bump.lua' & done; wait")
      assert.equal(300, store.file(path):load().n)
      assert.equal("600", sh("stat -c %a '" .. path .. "'"))
    end)
  end)
end)
