-- The growatt command-line tool, run as a subprocess (bin/growatt under the interpreter that
-- runs this spec) against the sandbox: its output, its exit statuses and what the sandbox
-- received.
local S = require("spec.support.sandbox")
local cjson = require("cjson")
local growatt = require("growatt")

local LUA = jit and "luajit" or "lua5.4"
local CPATH = jit and "build/jit/?.so;;" or "build/5.4/?.so;;"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return out
end

local function decode(s)
  local ok, v = pcall(cjson.decode, s)
  assert(ok, "not JSON: " .. tostring(s))
  return v
end

local dir   -- this file's scratch directory
local state -- the state file of the current test
local url

-- Runs `growatt WORDS...` with a clean environment: the sandbox as the server, a fresh state
-- file per test, and opts.env on top (a false value removes a variable). opts.stdin is fed
-- to its standard input. Returns { out, err, code }.
-- The shell words that run `growatt WORDS...` in a clean environment: the sandbox as the
-- server, this test's state file, and `env` on top (a false value removes a variable).
local function command_line(words, env)
  local vars = {
    PATH = os.getenv("PATH"), HOME = dir .. "/home", LUA_PATH = "lua/?.lua;lua/?/init.lua;;", LUA_CPATH = CPATH,
    GROWATT_SERVER = url, GROWATT_STATE_FILE = state,
  }
  for k, v in pairs(env or {}) do vars[k] = v or nil end
  local assigns = {}
  for k, v in pairs(vars) do assigns[#assigns + 1] = k .. "=" .. q(v) end
  local quoted = {}
  for i, w in ipairs(words) do quoted[i] = q(w) end
  return ("env -i %s %s bin/growatt %s"):format(table.concat(assigns, " "), LUA, table.concat(quoted, " "))
end

-- Runs `growatt WORDS...` (see command_line) with opts.stdin on its standard input.
-- Returns { out, err, code }.
local function growatt_cli(words, opts)
  opts = opts or {}
  write(dir .. "/stdin", opts.stdin or "")
  local code = sh(("%s <%s >%s 2>%s; echo $?"):format(command_line(words, opts.env), q(dir .. "/stdin"),
    q(dir .. "/out"), q(dir .. "/err")))
  return { out = read(dir .. "/out"), err = read(dir .. "/err"), code = tonumber(code) }
end

-- A real terminal: a tmux pane of 80 x 24 on a private tmux server, running a shell command.
local Pane = {}
Pane.__index = Pane

local function pane(command)
  local p = setmetatable({ socket = "growatt-spec-" .. tostring({}):match("0x(%x+)") .. os.time() }, Pane)
  p.tmux = "tmux -L " .. q(p.socket) .. " "
  sh(p.tmux .. "new-session -d -s spec -x 80 -y 24 -c " .. q(sh("pwd"):gsub("%s+$", "")) .. " " .. q(command))
  return p
end

-- The pane's text; wrapped lines joined (-J), so a line wider than the pane shows as one.
function Pane:text()
  return sh(self.tmux .. "capture-pane -p -J -t spec")
end

-- Waits until the pane shows `pattern` (a Lua pattern); returns the text, or fails.
function Pane:wait(pattern)
  for _ = 1, 200 do
    local text = self:text()
    if text:find(pattern) then return text end
    sh("sleep 0.05")
  end
  error("the terminal never showed " .. pattern .. ":\n" .. self:text(), 2)
end

-- Types text (literally), then presses the keys given after it (tmux key names).
function Pane:type(text, ...)
  if text ~= "" then sh(self.tmux .. "send-keys -t spec -l " .. q(text)) end
  for _, key in ipairs({ ... }) do sh(self.tmux .. "send-keys -t spec " .. key) end
end

function Pane:close()
  sh(self.tmux .. "kill-server 2>/dev/null")
end

local PASSWORD = { GROWATT_PASSWORD = "demo-password" }

local function login()
  local r = growatt_cli({ "login", "demo" }, { env = PASSWORD })
  assert.equal(0, r.code, r.err)
  return r
end

-- The requests the sandbox received, as "METHOD path op" strings.
local function sent()
  local list = {}
  for _, r in ipairs(S.requests()) do
    list[#list + 1] = r.method .. " " .. r.path .. (r.op and (" " .. r.op) or "")
  end
  return list
end

local function lines_of(s)
  local out = {}
  for l in s:gmatch("([^\n]*)\n") do out[#out + 1] = l end
  return out
end

describe("growatt (command line)", function()
  local n = 0
  setup(function()
    url = S.start()
    dir = os.tmpname()
    os.remove(dir)
    sh("mkdir -p " .. q(dir .. "/home"))
  end)
  teardown(function()
    S.stop()
    sh("rm -rf " .. q(dir))
  end)
  before_each(function()
    S.reset()
    n = n + 1
    state = dir .. "/state" .. n .. "/state.json"
  end)

  describe("command line", function()
    it("prints its help with the commands and the exit statuses, and exits 0", function()
      local r = growatt_cli({ "--help" })
      assert.equal(0, r.code)
      for _, word in ipairs({ "login", "plants", "devices", "raw", "sandbox", "Exit status:", "GROWATT_TOKEN" }) do
        assert.truthy(r.out:find(word, 1, true), word)
      end
      assert.truthy(r.out:find("4  account locked", 1, true))
      r = growatt_cli({ "devices", "--help" })
      assert.equal(0, r.code)
      assert.truthy(r.out:find("Usage: growatt devices", 1, true))
      assert.same({}, S.requests())
    end)

    it("exits 2 with the usage on a bad command line", function()
      local bad = { {}, { "nonsense" }, { "plants", "--bogus" }, { "devices" }, { "--json", "--csv", "plants" } }
      for _, words in ipairs(bad) do
        local r = growatt_cli(words)
        assert.equal(2, r.code, table.concat(words, " "))
        assert.truthy(r.err:find("Usage: growatt", 1, true))
        assert.equal("", r.out)
      end
      assert.same({}, S.requests())
    end)
  end)

  describe("login", function()
    it("logs in with GROWATT_PASSWORD and keeps the session, not the password, in the state file", function()
      local r = login()
      assert.matches("^logged in as demo %(user 1234567%)", r.out)
      local reqs = S.requests()
      assert.equal(1, #reqs)
      assert.equal("newTwoLoginAPI.do", reqs[1].path)
      assert.same({ { "userName", "demo" }, { "password", growatt.hash_password("demo-password") } }, reqs[1].form)
      local text = read(state)
      assert.truthy(text, "no state file")
      assert.falsy(text:find("demo-password", 1, true))
      assert.falsy(text:find(growatt.hash_password("demo-password"), 1, true))
      assert.equal("600", sh("stat -c %a " .. q(state)):match("%d+"))
      assert.equal("700", sh("stat -c %a " .. q(state:match("^(.*)/"))):match("%d+"))
    end)

    it("then plants uses the kept session: no second login", function()
      login()
      local r = growatt_cli({ "plants" })
      assert.equal(0, r.code, r.err)
      assert.same({ "POST newTwoLoginAPI.do", "GET PlantListAPI.do" }, sent())
      assert.equal(1, S.stats().logins)
      assert.same({ { "userId", "1234567" } }, S.last().query)
    end)

    it("reads the user name from GROWATT_USERNAME and the password from stdin", function()
      local r = growatt_cli({ "login", "--password-stdin" },
        { env = { GROWATT_USERNAME = "demo" }, stdin = "demo-password\n" })
      assert.equal(0, r.code, r.err)
      assert.equal("demo", S.last().form[1][2])
    end)

    it("keeps the state in $XDG_CACHE_HOME/growatt/state.json by default, in a 0700 directory", function()
      local cache = dir .. "/cache" .. n
      local r = growatt_cli({ "login", "demo" },
        { env = { GROWATT_PASSWORD = "demo-password", GROWATT_STATE_FILE = false, XDG_CACHE_HOME = cache } })
      assert.equal(0, r.code, r.err)
      assert.truthy(read(cache .. "/growatt/state.json"))
      assert.equal("700", sh("stat -c %a " .. q(cache .. "/growatt")):match("%d+"))
      r = growatt_cli({ "--json", "plants" }, { env = { GROWATT_STATE_FILE = false, XDG_CACHE_HOME = cache } })
      assert.equal(0, r.code, r.err)
    end)

    it("without a password and no terminal, exits 2 and sends nothing", function()
      local r = growatt_cli({ "login", "demo" })
      assert.equal(2, r.code)
      assert.matches("no password", r.err)
      assert.same({}, S.requests())
    end)

    it("exits 3 on a wrong password and 4 on a locked account, without the password in the output", function()
      local r = growatt_cli({ "login", "demo" }, { env = { GROWATT_PASSWORD = "wrong-password" } })
      assert.equal(3, r.code)
      assert.matches("wrong user name or password", r.err)
      assert.falsy((r.out .. r.err):find("wrong-password", 1, true))
      r = growatt_cli({ "login", "locked" }, { env = { GROWATT_PASSWORD = "locked-password" } })
      assert.equal(4, r.code)
      assert.matches("locked", r.err)
    end)

    it("prints JSON with --json", function()
      local r = growatt_cli({ "--json", "login", "demo" }, { env = PASSWORD })
      assert.equal(0, r.code, r.err)
      local v = decode(r.out)
      assert.equal("demo", v.username)
      assert.equal(1234567, v.user_id)
      assert.equal(url, v.server_url)
      assert.equal(state, v.state_file)
    end)
  end)

  describe("on a terminal", function()
    local term
    after_each(function()
      if term then term:close() end
      term = nil
    end)

    -- The command, then its exit status, then an interactive shell in the same terminal.
    local function in_terminal(words, env)
      term = pane(command_line(words, env) .. '; echo "EXIT=$?"; PS1="$ " exec sh')
      return term
    end

    it("asks for the password without echoing it, and restores echo afterwards", function()
      in_terminal({ "login", "demo" })
      term:wait("Password: ")
      term:type("demo-password", "Enter")
      local text = term:wait("EXIT=%d+")
      assert.truthy(text:find("EXIT=0", 1, true), text)
      assert.truthy(text:find("logged in as demo", 1, true), text)
      assert.falsy(text:find("demo-password", 1, true), text)
      assert.equal(1, S.stats().logins)
      term:type("echo typed-and-seen", "Enter") -- with echo back on, the typed line shows
      text = term:wait("\ntyped%-and%-seen")
      assert.truthy(text:find("$ echo typed-and-seen", 1, true), text)
    end)

    it("stops with status 130 on Ctrl-C at the password prompt, echo restored, nothing sent", function()
      in_terminal({ "login", "demo" })
      term:wait("Password: ")
      term:type("demo-pass", "C-c")
      local text = term:wait("EXIT=%d+")
      assert.truthy(text:find("EXIT=130", 1, true), text)
      assert.falsy(text:find("demo-pass", 1, true), text)
      assert.same({}, S.requests())
      term:type("echo typed-and-seen", "Enter")
      text = term:wait("\ntyped%-and%-seen")
      assert.truthy(text:find("$ echo typed-and-seen", 1, true), text)
    end)
  end)

  describe("plants", function()
    it("exits 3 when nobody logged in, and sends nothing", function()
      local r = growatt_cli({ "plants" })
      assert.equal(3, r.code)
      assert.matches("not logged in: run `growatt login`", r.err)
      assert.same({}, S.requests())
    end)

    it("prints an aligned table of the plants", function()
      login()
      local r = growatt_cli({ "plants" })
      assert.equal(0, r.code, r.err)
      local lines = lines_of(r.out)
      assert.equal(4, #lines)
      assert.matches("^ID%s+NAME%s+POWER%s+TODAY%s+TOTAL$", lines[1])
      assert.matches("^2222207  Garden mix %+ storage%s+2%.40 kW%s+12%.6 kWh%s+10%.5 MWh$", lines[2])
      assert.matches("^2222209  Shed classic %+ Noah%s+650 W%s+3%.1 kWh%s+812%.4 kWh$", lines[4])
      -- aligned: every column starts at the same place on every line
      local at = lines[1]:find("POWER") + #"POWER"
      for i = 2, 4 do assert.equal(" ", lines[i]:sub(at, at), lines[i]) end
    end)

    it("prints JSON that parses back to the plants, and CSV with numbers", function()
      login()
      local r = growatt_cli({ "plants", "--json" })
      assert.equal(0, r.code, r.err)
      local plants = decode(r.out)
      assert.equal(3, #plants)
      assert.same({ id = "2222207", name = "Garden mix + storage", power_w = 2400, today_kwh = 12.6,
        total_kwh = 10500 }, plants[1])
      r = growatt_cli({ "--csv", "plants" })
      assert.equal(0, r.code, r.err)
      local lines = lines_of(r.out)
      assert.equal("id,name,power_w,today_kwh,total_kwh", lines[1])
      assert.equal("2222207,Garden mix + storage,2400,12.6,10500", lines[2])
    end)
  end)

  describe("errors", function()
    it("exits by error kind: 9 for an unexpected reply, 7 when blocked, 5 for an expired session", function()
      login()
      S.faults({ { path = "PlantListAPI.do", status = 503 } })
      local r = growatt_cli({ "plants" })
      assert.equal(9, r.code)
      assert.matches("HTTP 503", r.err)
      S.faults({ { path = "PlantListAPI.do", html = true } })
      assert.equal(9, growatt_cli({ "plants" }).code)
      S.faults({ { path = "PlantListAPI.do", block_agents = { "Dalvik" } } })
      r = growatt_cli({ "plants" })
      assert.equal(7, r.code)
      assert.matches("blocked", r.err)
      S.faults({ { path = "PlantListAPI.do", expire = true } })
      r = growatt_cli({ "plants" })
      assert.equal(5, r.code)
      assert.matches("growatt login", r.err)
    end)

    it("exits 8 when the server cannot be reached", function()
      login()
      local r = growatt_cli({ "--server", "http://127.0.0.1:1/", "plants" })
      assert.equal(8, r.code)
      assert.matches("network", r.err)
    end)
  end)

  describe("raw", function()
    it("calls any method with JSON-or-string arguments and prints the result as JSON", function()
      login()
      local r = growatt_cli({ "raw", "plant_list", "1234567" })
      assert.equal(0, r.code, r.err)
      local back = decode(r.out)
      assert.equal("2222207", back.data[1].plantId)
      assert.same({ { "userId", "1234567" } }, S.last().query)
      r = growatt_cli({ "raw", "plant_list", "someone" })
      assert.equal(10, r.code)
      assert.same({ { "userId", "someone" } }, S.last().query)
    end)

    it("prints the request with --dry-run and sends nothing", function()
      local r = growatt_cli({ "raw", "--dry-run", "plant_list", "1234567" })
      assert.equal(0, r.code, r.err)
      local req = decode(r.out)
      assert.equal("GET", req.method)
      assert.equal(url .. "PlantListAPI.do", req.url)
      assert.same({ { "userId", 1234567 } }, req.query)
      assert.same({}, S.requests())
    end)

    it("exits 2 for an unknown method or arguments of the wrong type, before sending", function()
      login()
      S.reset()
      local r = growatt_cli({ "raw", "no_such_method" })
      assert.equal(2, r.code)
      assert.matches("no API method named 'no_such_method'", r.err)
      r = growatt_cli({ "raw", "plant_list", "[1]" })
      assert.equal(2, r.code)
      assert.matches("bad argument 'user_id' to 'plant_list'", r.err)
      assert.equal(2, growatt_cli({ "raw", "_send" }).code)
      assert.same({}, S.requests())
    end)
  end)
end)
