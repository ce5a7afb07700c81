-- State stores: the memory store and the JSON file store (atomic replacement, mode 0600,
-- unreadable files read as empty state, a writer killed mid-write leaves a whole file).
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
      local t0 = core.now()
      assert.is_true(math.abs(t0 - os.time()) <= 1)
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
end)
