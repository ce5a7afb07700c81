-- The growatt command-line tool, run as a subprocess (bin/growatt under the interpreter that
-- runs this spec) against the sandbox: its output, its exit statuses and what the sandbox
-- received.
local S = require("spec.support.sandbox")
local cjson = require("cjson")
local growatt = require("growatt")

local H = require("spec.support.session") -- shell, files, the interpreter running this spec
local CLI = require("spec.support.cli")

local LUA, CPATH = H.LUA, H.CPATH .. ";;"
local sh, read, write = H.sh, H.read, H.write

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local decode = CLI.decode

local dir   -- this file's scratch directory
local state -- the state file of the current test
local url

-- The shell words that run `growatt WORDS...` in a clean environment: the sandbox as the
-- server, this test's state file, and `env` on top (spec.support.cli).
local function command_line(words, env)
  return CLI.command_line({ dir = dir, state = state, url = url }, words, env)
end

-- Runs `growatt WORDS...` (see command_line) with opts.stdin on its standard input.
-- Returns { out, err, code }.
local function growatt_cli(words, opts)
  return CLI.run({ dir = dir, state = state, url = url }, words, opts)
end

-- A real terminal: a tmux pane of 80 x 24 on a private tmux server, running a shell command.
local Pane = {}
Pane.__index = Pane

local function pane(command)
  local p = setmetatable({ socket = "growatt-spec-" .. tostring({}):match("0x(%x+)") .. os.time() }, Pane)
  p.tmux = "tmux -L " .. q(p.socket) .. " "
  sh(p.tmux .. "new-session -d -s spec -x 80 -y 24 -c " .. q(sh("pwd")) .. " " .. q(command))
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

-- The width of a line in terminal columns (UTF-8 characters).
local function columns(line)
  local _, continuation = line:gsub("[\128-\191]", "")
  return #line - continuation
end

local lines_of = CLI.lines_of

describe("growatt (command line)", function()
  local n
  local start, stop, each = CLI.hooks(function(w) dir, state, url, n = w.dir, w.state, w.url, w.n end)
  setup(start)
  teardown(stop)
  before_each(each)

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
      local bad = { {}, { "nonsense" }, { "plants", "--bogus" }, { "devices", "1", "2" },
        { "--json", "--csv", "plants" }, { "--api", "v3", "plants" } }
      for _, words in ipairs(bad) do
        local r = growatt_cli(words)
        assert.equal(2, r.code, table.concat(words, " "))
        assert.truthy(r.err:find("Usage: growatt", 1, true))
        assert.equal("", r.out)
      end
      assert.same({}, S.requests())
    end)
  end)

  describe("start-up", function()
    it("parses a bare command after global options as argparse does, without argparse", function()
      local cli = require("growatt.cli")
      local quick = { { "plants" }, { "--json", "plants" }, { "--csv", "--region", "china", "status" },
        { "-v", "--server", "http://127.0.0.1:1/", "--state-file", "/tmp/s", "plants" } }
      for _, words in ipairs(quick) do
        local ok, want = cli.parser({}):pparse(words)
        assert.is_true(ok)
        assert.same(want, cli.quick_parse(words), table.concat(words, " "))
      end
      -- everything else is argparse's: options after the command, repeats, exclusions,
      -- missing values, help, commands with words of their own, unknown words
      local others = { {}, { "plants", "--json" }, { "--json", "--json", "plants" }, { "--json", "--csv", "plants" },
        { "--server", "a", "--region", "china", "plants" }, { "--server", "--json", "plants" }, { "--server" },
        { "-h" }, { "plants", "-h" }, { "devices", "1" }, { "login" }, { "nonsense" }, { "-vj", "plants" },
        { "-v", "--verbose", "plants" } }
      for _, words in ipairs(others) do assert.is_nil(cli.quick_parse(words), table.concat(words, " ")) end
    end)

    it("loads neither argparse nor the other commands' modules for `plants`", function()
      write(dir .. "/probe.lua", [[
        local exit = os.exit
        os.exit = function(...)
          for _, m in ipairs({ "argparse", "growatt.cli.readings", "growatt.cli.settings", "growatt.cli.chart" }) do
            if package.loaded[m] then io.stderr:write("loaded ", m, "\n") end
          end
          return exit(...)
        end]])
      login()
      local probe = { LUA_INIT = "@" .. dir .. "/probe.lua" }
      local r = growatt_cli({ "--json", "plants" }, { env = probe })
      assert.equal(0, r.code, r.err)
      assert.equal(3, #decode(r.out))
      assert.equal("", r.err)
      r = growatt_cli({ "status" }, { env = probe })
      assert.equal(0, r.code, r.err)
      assert.equal("loaded growatt.cli.readings\nloaded growatt.cli.settings\nloaded growatt.cli.chart\n", r.err)
      r = growatt_cli({ "plants", "--json" }, { env = probe }) -- argparse's
      assert.equal(0, r.code, r.err)
      assert.matches("^loaded argparse\n", r.err)
      local received = S.requests()
      assert.equal("PlantListAPI.do", received[#received].path)
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
      assert.equal(growatt.hash_password("demo-password"), S.last().form[2][2]) -- the newline left out
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
      term:wait("Password:")
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

    it("fits the chart to an 80-column screen", function()
      login()
      in_terminal({ "chart", "2222207" }, { TERM = { raw = '"$TERM"' } })
      local text = term:wait("EXIT=%d+")
      assert.truthy(text:find("EXIT=0", 1, true), text)
      local axis
      for line in text:gmatch("[^\n]+") do
        assert.is_true(columns(line) <= 80, line)
        if line:find("└", 1, true) then axis = line end
      end
      assert.equal(80, columns(axis)) -- the whole width, measured by the terminal itself
      assert.truthy(text:find("kW ┤", 1, true), text)
      assert.truthy(text:find("00%s+03%s+06"), text)
    end)

    it("asks before a write: no sends nothing (exit 12), yes sends it", function()
      login()
      in_terminal({ "settings", "set", "MIN4K00208", "charge_power", "70" })
      term:wait("%[y/N%]")
      term:type("n", "Enter")
      local text = term:wait("EXIT=%d+")
      assert.truthy(text:find("POST " .. url .. "newTcpsetAPI.do?op=tlxSet", 1, true), text)
      assert.truthy(text:find("EXIT=12", 1, true), text)
      term:close()
      in_terminal({ "settings", "set", "MIN4K00208", "charge_power", "70" })
      term:wait("%[y/N%]")
      term:type("y", "Enter")
      text = term:wait("EXIT=%d+")
      assert.truthy(text:find("EXIT=0", 1, true), text)
      local sets = 0
      for _, r in ipairs(S.requests()) do
        if r.path == "newTcpsetAPI.do" then sets = sets + 1 end
      end
      assert.equal(1, sets)
    end)

    it("stops with status 130 on Ctrl-C at the password prompt, echo restored, nothing sent", function()
      in_terminal({ "login", "demo" })
      term:wait("Password:")
      term:type("demo-pass", "C-c")
      local text = term:wait("EXIT=%d+")
      assert.truthy(text:find("EXIT=130", 1, true), text)
      assert.falsy(text:find("demo-pass", 1, true), text)
      assert.same({}, S.requests())
      term:type("echo typed-and-seen", "Enter")
      text = term:wait("\ntyped%-and%-seen")
      -- echo is back: the typed command shows (on the prompt's line, or on the next one when
      -- the keys arrive before a slow shell has printed its prompt), then its output
      assert.truthy(text:find("echo typed-and-seen\ntyped-and-seen", 1, true), text)
    end)
  end)

  describe("devices", function()
    it("lists a plant's devices, as a table and as JSON", function()
      login()
      local r = growatt_cli({ "devices", "2222207" })
      assert.equal(0, r.code, r.err)
      local lines = lines_of(r.out)
      assert.matches("^SERIAL%s+TYPE%s+ALIAS%s+POWER%s+BATTERY%s+STATE$", lines[1])
      assert.matches("^SPH6K00207%s+mix%s+Garage SPH%s+2%.40 kW%s+62 %%%s+online$", lines[2])
      assert.matches("^STO5K00207%s+storage%s+Garage battery%s+0 W%s+58 %%%s+online$", lines[3])
      local last = S.last()
      assert.equal("getAllDeviceListTwo", last.op)
      assert.same({ { "op", "getAllDeviceListTwo" }, { "plantId", "2222207" }, { "pageNum", "1" },
        { "pageSize", "1" } }, last.query)
      r = growatt_cli({ "--json", "devices", "2222208" })
      assert.equal(0, r.code, r.err)
      local devices = decode(r.out)
      assert.equal("MIN4K00208", devices[1].sn)
      assert.equal("tlx", devices[1].type)
      assert.equal("online", devices[1].state)
      assert.is_nil(devices[1].entry)
    end)

    it("exits 10 for a plant that is not the account's", function()
      login()
      local r = growatt_cli({ "devices", "3333301" })
      assert.equal(10, r.code)
      assert.matches("no plant 3333301", r.err)
    end)
  end)

  describe("status", function()
    it("reads every device of every plant with api:readings, with the kept session", function()
      login()
      local r = growatt_cli({ "--json", "status" })
      assert.equal(0, r.code, r.err)
      local rows = decode(r.out)
      local by_sn = {}
      for _, row in ipairs(rows) do by_sn[row.serial] = row end
      assert.equal(6, #rows)
      local sph = by_sn.SPH6K00207
      assert.same({ "2222207", "mix", "shinephone", 2400, 2400, 10500, 62, 1200, 300, 1500, true },
        { sph.plant_id, sph.type, sph.api, sph.power_w, sph.pv_power_w, sph.energy_total_kwh, sph.battery_soc_pct,
          sph.battery_power_w, sph.grid_power_w, sph.load_power_w, sph.online })
      assert.same({ plant_id = "2222209", serial = "INV3K00209", type = "inverter", api = "shinephone", power_w = 650,
        pv_power_w = 670.1, energy_today_kwh = 3.1, energy_total_kwh = 812.4, online = true,
        time = os.date("%Y-%m-%d") .. " 12:00:00" }, by_sn.INV3K00209)
      assert.equal(45, by_sn.NOAH200209.battery_soc_pct)
      assert.equal("tlx", by_sn.MIN4K00208.type)
      assert.equal(1, S.stats().logins)
      local ops = sent()
      table.sort(ops)
      assert.same({
        "GET PlantListAPI.do", "GET newInverterAPI.do getInverterDetailData",
        "GET newStorageAPI.do getStorageInfo_sacolar", "GET newTlxApi.do getTlxDetailData",
        "GET newTwoPlantAPI.do getAllDeviceList", -- the TLX plant's fallback
        "GET newTwoPlantAPI.do getAllDeviceListTwo", "GET newTwoPlantAPI.do getAllDeviceListTwo",
        "GET newTwoPlantAPI.do getAllDeviceListTwo",
        "POST newMixApi.do getEnergyOverview", "POST newMixApi.do getSystemStatus_KW",
        "POST newTlxApi.do getBatInfo",
        "POST newTwoLoginAPI.do", -- the login before, not the status
        "POST noahDeviceApi/noah/getSystemStatus",
      }, ops)
    end)

    it("--format prom passes the strict Prometheus parser; --format influx the line-protocol grammar", function()
      login()
      local P = require("spec.support.prometheus")
      local r = growatt_cli({ "status", "--format", "prom" })
      assert.equal(0, r.code, r.err)
      local m = P.parse(r.out)
      assert.equal(1, P.sample(m, "growatt_up", { serial = "SPH6K00207", plant = "2222207", type = "mix" }))
      assert.equal(2400, P.sample(m, "growatt_power_watts", { serial = "SPH6K00207" }))
      assert.equal(0.45, P.sample(m, "growatt_battery_charge_ratio", { serial = "NOAH200209" }))
      assert.equal(812.4, P.sample(m, "growatt_energy_kilowatt_hours_total", { serial = "INV3K00209" }))
      assert.equal("counter", m.types.growatt_energy_kilowatt_hours_total)
      r = growatt_cli({ "--json", "status", "--format", "influx" }) -- --format wins over --json
      assert.equal(0, r.code, r.err)
      local count = 0
      for line in r.out:gmatch("([^\n]*)\n") do
        local l = assert(P.line_protocol(line))
        count = count + 1
        assert.equal("growatt", l.measurement)
        assert.is_true(l.fields.up)
        assert.matches("^%d+000000000$", l.time)
      end
      assert.equal(6, count)
      r = growatt_cli({ "status", "--format", "csv" })
      assert.matches("^plant_id,serial,type,api,power_w,", r.out)
      r = growatt_cli({ "status", "--format", "yaml" })
      assert.equal(2, r.code)
    end)

    it("prints an aligned table; a device whose reading fails keeps its row and sets the exit status", function()
      login()
      S.faults({ { path = "newInverterAPI.do", status = 404 } })
      local r = growatt_cli({ "status" })
      assert.equal(9, r.code)
      assert.matches("INV3K00209: http: HTTP status 404", r.err)
      local lines = lines_of(r.out)
      assert.equal(7, #lines)
      assert.matches("^PLANT%s+DEVICE%s+TYPE%s+POWER%s+TODAY%s+BATTERY%s+STATE$", lines[1])
      assert.matches("^2222207%s+SPH6K00207%s+mix%s+2%.40 kW%s+12%.6 kWh%s+62 %%%s+online$", lines[2])
      -- the power and state of the device list remain; today's energy needed the failed read
      assert.matches("^2222209%s+INV3K00209%s+inverter%s+650 W%s+%-%s+%-%s+online$", lines[6])
    end)
  end)

  describe("history", function()
    it("prints each day's energy of a range, from one plant_detail per month, as CSV", function()
      login()
      local r = growatt_cli({ "--csv", "history", "2222209", "--from", "2026-10-30", "--to", "2026-11-02" })
      assert.equal(0, r.code, r.err)
      local lines = lines_of(r.out)
      assert.equal("plant,date,energy_kwh", lines[1])
      assert.equal(5, #lines)
      assert.matches("^2222209,2026%-10%-30,%d+%.?%d*$", lines[2])
      assert.matches("^2222209,2026%-11%-02,%d+%.?%d*$", lines[5])
      local reqs = S.requests()
      assert.equal(3, #reqs) -- the login, then October and November
      assert.same({ { "plantId", "2222209" }, { "type", "1" }, { "date", "2026-10-01" } }, reqs[2].query)
      assert.same({ { "plantId", "2222209" }, { "type", "1" }, { "date", "2026-11-01" } }, reqs[3].query)
      -- the same numbers as the server's own month view
      local raw = decode(growatt_cli({ "raw", "plant_detail", "2222209", "1", "2026-11-01" }).out)
      assert.equal(tonumber(raw.data["02"]), tonumber(lines[5]:match("([%d.]+)$")))
    end)

    it("sums months into years and prints JSON", function()
      login()
      local r = growatt_cli({ "--json", "history", "2222207", "--by", "year", "--from", "2025", "--to", "2025" })
      assert.equal(0, r.code, r.err)
      local rows = decode(r.out)
      assert.equal(1, #rows)
      assert.equal("2025", rows[1].date)
      local months = decode(growatt_cli({ "--json", "history", "2222207", "--by", "month", "--from", "2025-01",
        "--to", "2025-12" }).out)
      assert.equal(12, #months)
      local sum = 0
      for _, m in ipairs(months) do sum = sum + m.energy_kwh end
      assert.near(sum, rows[1].energy_kwh, 0.01)
      assert.same({ { "plantId", "2222207" }, { "type", "2" }, { "date", "2025-01" } }, S.last().query)
    end)

    it("exits 2 on a bad date or range, before sending anything", function()
      login()
      S.reset()
      for _, words in ipairs({ { "history", "--from", "2026-13-01" }, { "history", "--by", "month", "--from", "2026" },
                               { "history", "--from", "2026-11-05", "--to", "2026-11-01" },
                               { "history", "--by", "week" } }) do
        local r = growatt_cli(words)
        assert.equal(2, r.code, table.concat(words, " ") .. ": " .. r.err)
      end
      assert.same({}, S.requests())
    end)
  end)

  describe("chart", function()
    local today = os.date("%Y-%m-%d")

    it("draws today's power curve exactly as wide as asked, with kW and hour labels", function()
      login()
      local r = growatt_cli({ "chart", "2222207", "--width", "80" })
      assert.equal(0, r.code, r.err)
      local lines = lines_of(r.out)
      assert.equal(11, #lines) -- title, 8 rows, axis, hours
      assert.matches("^Garden mix %+ storage · " .. today:gsub("%-", "%%-") .. " · peak ", lines[1])
      for _, line in ipairs(lines) do assert.is_true(columns(line) <= 80, line) end
      assert.equal(80, columns(lines[10]))
      assert.matches("^%s*0 └$", (lines[10]:gsub("─", "")))
      assert.matches("kW ┤", lines[2])
      assert.matches("^%s+00%s+03%s+06%s+09%s+12%s+15%s+18%s+21%s+24$", lines[11])
      assert.truthy(r.out:find("█", 1, true))
      assert.same({ { "plantId", "2222207" }, { "type", "0" }, { "date", today } }, S.last().query)
      r = growatt_cli({ "chart", "2222207", "--width", "40", "--height", "4" })
      lines = lines_of(r.out)
      assert.equal(7, #lines)
      for _, line in ipairs(lines) do assert.is_true(columns(line) <= 40, line) end
    end)

    it("gives the 5-minute points as JSON and CSV, and takes the first plant by default", function()
      login()
      local r = growatt_cli({ "--json", "chart", "--date", "2026-06-21" })
      assert.equal(0, r.code, r.err)
      local v = decode(r.out)
      assert.equal("2222207", v.plant)
      assert.equal("2026-06-21", v.date)
      assert.equal(288, #v.points)
      assert.same({ time = "00:00", power_w = 0 }, v.points[1])
      local peak = 0
      for _, p in ipairs(v.points) do peak = math.max(peak, p.power_w) end
      assert.equal(peak, v.peak_w)
      assert.is_true(peak > 0)
      r = growatt_cli({ "--csv", "chart", "2222209" })
      assert.equal("time,power_w", lines_of(r.out)[1])
      assert.equal(289, #lines_of(r.out))
    end)

    it("exits 2 when the chart cannot fit", function()
      login()
      local r = growatt_cli({ "chart", "--width", "20" })
      assert.equal(2, r.code)
    end)
  end)

  describe("settings", function()
    -- The writes the sandbox received (reads and lookups left out).
    local function writes()
      local list = {}
      for _, r in ipairs(S.requests()) do
        if r.path == "newTcpsetAPI.do" or r.path == "tcpSet.do" or r.path:find("updatePlant") then
          list[#list + 1] = r
        end
      end
      return list
    end

    it("get shows a device's settings as a name/value table or JSON, found by its serial", function()
      login()
      local r = growatt_cli({ "settings", "get", "MIN4K00208" })
      assert.equal(0, r.code, r.err)
      assert.matches("^NAME%s+VALUE\n", r.out)
      assert.matches("\nchargePowerCommand%s+100\n", r.out)
      assert.equal("getTlxSetData", S.last().op)
      assert.same({ { "serialNum", "MIN4K00208" } }, S.last().form)
      r = growatt_cli({ "--json", "settings", "get", "2222207", "--type", "plant" })
      assert.equal(0, r.code, r.err)
      assert.equal("Garden mix + storage", decode(r.out).plantName)
      assert.same({ { "op", "getPlant" }, { "plantId", "2222207" } }, S.last().query)
    end)

    it("set --dry-run prints the exact request and sends nothing", function()
      local r = growatt_cli({ "settings", "set", "MIN4K00208", "charge_power", "80", "--type", "tlx", "--dry-run" })
      assert.equal(0, r.code, r.err)
      assert.equal("POST " .. url .. "newTcpsetAPI.do?op=tlxSet&serialNum=MIN4K00208&type=charge_power&param1=80\n",
        r.out)
      assert.same({}, S.requests())
      r = growatt_cli({ "--json", "settings", "set", "SPH6K00207", "backflow_setting", "1", "50", "--type", "mix",
        "--dry-run" })
      assert.equal(0, r.code, r.err)
      local req = decode(r.out)
      assert.equal("POST", req.method)
      assert.same({ { "op", "mixSetApiNew" }, { "serialNum", "SPH6K00207" }, { "type", "backflow_setting" },
        { "param1", "1" }, { "param2", "50" } }, req.query)
      assert.same({}, S.requests())
    end)

    it("refuses an invalid value with exit status 11, naming the parameter, before sending", function()
      login()
      local r = growatt_cli({ "settings", "set", "MIN4K00208", "charge_power", "180", "--yes" })
      assert.equal(11, r.code)
      assert.matches("param1 %(charge power%) must be 0..100, got 180", r.err)
      r = growatt_cli({ "settings", "set", "MIN4K00208", "time_segment1", "1", "25:00", "08:00", "--yes" })
      assert.equal(11, r.code)
      assert.same({}, writes())
    end)

    it("without a terminal and without --yes, refuses to write (exit 12)", function()
      login()
      local r = growatt_cli({ "settings", "set", "MIN4K00208", "charge_power", "80" })
      assert.equal(12, r.code)
      assert.matches("not sent: confirm with %-%-yes", r.err)
      assert.matches("POST .*param1=80", r.err) -- what would have been sent
      assert.same({}, writes())
    end)

    it("with --yes, sends the write; the setting reads back", function()
      login()
      local r = growatt_cli({ "settings", "set", "MIN4K00208", "charge_power", "80", "--yes" })
      assert.equal(0, r.code, r.err)
      assert.matches('^sent: {"', r.out)
      local w = writes()
      assert.equal(1, #w)
      assert.same({ { "op", "tlxSet" }, { "serialNum", "MIN4K00208" }, { "type", "charge_power" },
        { "param1", "80" } }, w[1].query)
      r = growatt_cli({ "--json", "settings", "get", "MIN4K00208", "--type", "tlx" })
      assert.equal("80", tostring(decode(r.out).chargePowerCommand))
      r = growatt_cli({ "settings", "set", "INV3K00209", "pv_on_off", "off", "--yes" })
      assert.equal(0, r.code, r.err)
      assert.same({ { "action", "inverterSet" }, { "serialNum", "INV3K00209" }, { "paramId", "pv_on_off" },
        { "command_1", "0000" }, { "command_2", "" } }, S.last().query)
    end)

    it("exits 2 for a target that is not in the account, or a device without settings", function()
      login()
      local r = growatt_cli({ "settings", "get", "NOPE0000" })
      assert.equal(2, r.code)
      assert.matches("no plant or device NOPE0000", r.err)
      r = growatt_cli({ "settings", "set", "STO5K00207", "x", "1", "--yes" })
      assert.equal(2, r.code)
      assert.matches("no settings to write for a device of type storage", r.err)
      assert.same({}, writes())
    end)
  end)

  describe("with GROWATT_TOKEN and GROWATT_API=v1 (OpenAPI v1)", function()
    local TOKEN = { GROWATT_TOKEN = "demo-token", GROWATT_API = "v1" }

    -- The v1 requests the sandbox received, as "METHOD path", each with the token header.
    local function v1_sent()
      local list = {}
      for _, r in ipairs(S.requests()) do
        assert.equal("demo-token", r.headers.token)
        list[#list + 1] = r.method .. " " .. r.path
      end
      return list
    end

    it("login has nothing to do and sends nothing", function()
      local r = growatt_cli({ "login" }, { env = TOKEN })
      assert.equal(0, r.code, r.err)
      assert.matches("a token is given: commands use the OpenAPI v1 on ", r.out)
      assert.same({}, S.requests())
    end)

    it("plants, devices and status read through the token API, no login", function()
      S.state({ v1 = { window = 0 } }) -- the 5-minute rule is specified on its own below
      local r = growatt_cli({ "--json", "plants" }, { env = TOKEN })
      assert.equal(0, r.code, r.err)
      local plants = decode(r.out)
      assert.same({ id = "2222207", name = "Garden mix + storage", power_w = 2400, total_kwh = 10500 }, plants[1])
      assert.same({ "GET v1/plant/list" }, v1_sent())
      r = growatt_cli({ "--json", "devices", "2222208" }, { env = TOKEN })
      assert.equal(0, r.code, r.err)
      assert.equal("tlx", decode(r.out)[1].type)
      assert.same({ { "plant_id", "2222208" }, { "page", "" }, { "perpage", "" } }, S.last().query)
      S.reset()
      S.state({ v1 = { window = 0 } })
      r = growatt_cli({ "--json", "status" }, { env = TOKEN })
      assert.equal(0, r.code, r.err)
      local by_sn = {}
      for _, row in ipairs(decode(r.out)) do by_sn[row.serial] = row end
      local sph = by_sn.SPH6K00207
      assert.same({ "2222207", "mix", "v1", 2400, 12.6, 62, true },
        { sph.plant_id, sph.type, sph.api, sph.power_w, sph.energy_today_kwh, sph.battery_soc_pct, sph.online })
      assert.equal(1850, by_sn.MIN4K00208.power_w)
      local paths = v1_sent()
      table.sort(paths)
      assert.same({ "GET v1/device/list", "GET v1/device/list", "GET v1/device/list", "GET v1/plant/list",
        "POST v1/device/mix/mix_last_data", "POST v1/device/tlx/tlx_last_data" }, paths)
      assert.equal(0, S.stats().logins)
    end)

    it("chart and history use plant/power and plant/energy within their range rules", function()
      S.state({ v1 = { window = 0 } })
      local r = growatt_cli({ "chart", "2222209", "--width", "80", "--date", "2026-06-21" }, { env = TOKEN })
      assert.equal(0, r.code, r.err)
      assert.matches("kW ┤", r.out)
      assert.same({ { "plant_id", "2222209" }, { "date", "2026-06-21" } }, S.last().query)
      S.reset()
      S.state({ v1 = { window = 0 } })
      r = growatt_cli({ "--json", "history", "2222207", "--from", "2026-10-01", "--to", "2026-10-20" }, { env = TOKEN })
      assert.equal(0, r.code, r.err)
      local rows = decode(r.out)
      assert.equal(20, #rows)
      assert.equal("2026-10-20", rows[20].date)
      local reqs = S.requests()
      assert.equal(3, #reqs) -- 8 + 8 + 4 days: the v1 allows 7 days between start and end
      assert.same({ { "plant_id", "2222207" }, { "start_date", "2026-10-01" }, { "end_date", "2026-10-08" },
        { "time_unit", "day" }, { "page", "1" }, { "perpage", "100" } }, reqs[1].query)
      assert.equal("2026-10-17", reqs[3].query[2][2])
    end)

    it("a repeat within Growatt's 5 minutes exits 6; the token never shows", function()
      assert.equal(0, growatt_cli({ "plants" }, { env = TOKEN }).code)
      local r = growatt_cli({ "-v", "plants" }, { env = TOKEN })
      assert.equal(6, r.code)
      assert.matches("once per 5 minutes", r.err)
      assert.falsy((r.out .. r.err):find("demo-token", 1, true))
      r = growatt_cli({ "settings", "get", "MIN4K00208" }, { env = TOKEN })
      assert.equal(2, r.code)
      assert.matches("password login", r.err)
    end)
  end)

  describe("--verbose", function()
    it("prints each request on stderr, never a password, hash or session cookie", function()
      local r = growatt_cli({ "--verbose", "login", "demo" }, { env = PASSWORD })
      assert.equal(0, r.code, r.err)
      assert.matches("growatt: POST newTwoLoginAPI.do %-> 200 %(%d+ ms%)", r.err)
      local r2 = growatt_cli({ "-v", "status" })
      assert.equal(0, r2.code, r2.err)
      assert.matches("growatt: POST newMixApi.do op=getSystemStatus_KW %-> 200", r2.err)
      local all = r.out .. r.err .. r2.out .. r2.err
      assert.falsy(all:find("demo-password", 1, true))
      assert.falsy(all:find(growatt.hash_password("demo-password"), 1, true))
      for _, id in ipairs(S.http("GET", "__sandbox/sessions").json.issued) do
        assert.falsy(all:find(id, 1, true), "a session id was printed")
      end
    end)
  end)

  describe("examples/cron.lua", function()
    it("appends readings to a CSV with one header, logging in once across runs", function()
      local csv = dir .. "/readings" .. n .. ".csv"
      local cmd = ("env -i PATH=%s GROWATT_SERVER=%s GROWATT_CSV=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' "
        .. "LUA_CPATH=%s %s examples/cron.lua; echo $?"):format(q(os.getenv("PATH")), q(url), q(csv), q(CPATH), LUA)
      assert.equal("0", sh(cmd):match("(%d+)$"))
      assert.equal("0", sh(cmd):match("(%d+)$"))
      local lines = lines_of(read(csv))
      assert.equal(7, #lines)
      assert.equal("time,plant_id,plant_name,power_w,today_kwh,total_kwh", lines[1])
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ,2222207,Garden mix %+ storage,2400,12%.6,10500$", lines[2])
      assert.matches(",2222209,Shed classic %+ Noah,650,3%.1,812%.4$", lines[7])
      assert.equal(1, S.stats().logins)
      assert.same({ "POST newTwoLoginAPI.do", "GET PlantListAPI.do", "GET PlantListAPI.do" }, sent())
      assert.equal("600", sh("stat -c %a " .. q(csv .. ".state.json")):match("%d+"))
    end)
  end)

  describe("cli.main in-process", function()
    local cli = require("growatt.cli")

    -- A stream that keeps what is written to it (and gives `input` to read).
    local function stream(input)
      local t = { text = "" }
      function t.write(self, ...)
        for _, s in ipairs({ ... }) do self.text = self.text .. s end
        return self
      end
      function t.flush() end
      function t.read() return input end
      return t
    end

    -- Runs the tool in this process with streams and a terminal of our own.
    local function main(words, env, tty)
      local sys = {
        stdout = stream(), stderr = stream(), stdin = stream(tty and tty.answer),
        isatty = function(name) return tty ~= nil and (name == "stdin" or name == "stderr") end,
        columns = function() return tty and tty.columns or 80 end,
        read_secret = function() return tty and tty.password end,
        confirm = function(prompt, out, input)
          out:write(prompt)
          return input:read("*l") == "y"
        end,
      }
      env = env or {}
      env.GROWATT_SERVER, env.GROWATT_STATE_FILE = url, state
      return cli.main(words, env, sys), sys.stdout.text, sys.stderr.text
    end

    it("takes its words, environment and streams as arguments and returns the exit status", function()
      local code, out = main({ "--help" })
      assert.equal(0, code)
      assert.matches("^Usage: growatt", out)
      assert.equal(2, (main({ "bogus" })))
      code, out = main({ "login", "demo" }, nil, { password = "demo-password" })
      assert.equal(0, code)
      assert.matches("^logged in as demo", out)
      code, out = main({ "chart", "2222207" }, nil, { columns = 50 })
      assert.equal(0, code)
      for line in out:gmatch("[^\n]+") do assert.is_true(columns(line) <= 50, line) end
    end)

    it("asks its own terminal before a write, and writes a progress line there", function()
      main({ "login", "demo" }, { GROWATT_PASSWORD = "demo-password" })
      local code, _, err = main({ "settings", "set", "MIN4K00208", "charge_power", "60" }, nil, { answer = "n" })
      assert.equal(12, code)
      assert.matches("Send this to MIN4K00208%? %[y/N%] ", err)
      assert.matches("\rlooking for MIN4K00208", err) -- the lookup's progress line
      code = main({ "settings", "set", "MIN4K00208", "charge_power", "60" }, nil, { answer = "y" })
      assert.equal(0, code)
      assert.equal("60", S.last().query[4][2])
    end)
  end)

  describe("sandbox", function()
    it("runs the emulator in the foreground until Ctrl-C, then stops it and exits 0", function()
      local out, pidfile = dir .. "/sandbox" .. n .. ".out", dir .. "/sandbox" .. n .. ".pid"
      -- in a session of its own, so that Ctrl-C (SIGINT to its process group) reaches only it
      sh(("setsid sh -c %s >/dev/null 2>&1 &"):format(q("echo $$ > " .. q(pidfile) .. "; exec " ..
        command_line({ "sandbox" }) .. " > " .. q(out) .. " 2>&1; echo status=$? >> " .. q(out))))
      local sandbox_url
      for _ = 1, 200 do
        sandbox_url = (read(out) or ""):match("growatt sandbox listening on (http://[%d.:]+/)")
        if sandbox_url then break end
        sh("sleep 0.05")
      end
      assert.truthy(sandbox_url, read(out))
      -- it prints what to try it with, and that works
      local printed = read(out)
      assert.matches("user demo, password demo%-password", printed)
      assert.matches("token demo%-token %(OpenAPI v1: " .. sandbox_url:gsub("%p", "%%%0") .. "v1/%)", printed)
      assert.matches('"error_code":0', sh("curl -s -H 'token: demo-token' " .. q(sandbox_url .. "v1/plant/list")))
      local pid = read(pidfile):match("%d+")
      assert.matches("^200", sh("curl -s -o /dev/null -w '%{http_code}' " .. q(sandbox_url .. "__sandbox/stats")))
      sh("kill -INT -" .. pid)
      for _ = 1, 100 do
        if sh("kill -0 " .. pid .. " 2>/dev/null && echo alive") == "" then break end
        sh("sleep 0.05")
      end
      assert.equal("", sh("kill -0 " .. pid .. " 2>/dev/null && echo alive"))
      assert.equal("000", sh("curl -s -o /dev/null -m 1 -w '%{http_code}' " .. q(sandbox_url .. "__sandbox/stats")))
    end)

    it("exits 2 on a port out of range", function()
      local r = growatt_cli({ "sandbox", "--port", "70000" })
      assert.equal(2, r.code)
      assert.matches("port", r.err)
    end)
  end)

  describe("--server and --region", function()
    it("--region picks the region's server, an unknown one exits 2", function()
      local r = growatt_cli({ "--region", "north_america", "raw", "--dry-run", "plant_list", "1" },
        { env = { GROWATT_SERVER = false } })
      assert.equal(0, r.code, r.err)
      assert.equal("https://openapi-us.growatt.com/PlantListAPI.do", decode(r.out).url)
      r = growatt_cli({ "--region", "atlantis", "plants" },
        { env = { GROWATT_SERVER = false, GROWATT_USERNAME = "demo" } })
      assert.equal(2, r.code)
      assert.matches("unknown region 'atlantis'", r.err)
      r = growatt_cli({ "--region", "china", "--server", url, "plants" })
      assert.equal(2, r.code)
      assert.matches("can not be used together", r.err)
      assert.same({}, S.requests())
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

    -- Moves the last login in the state file two minutes back, past the login guard.
    local function two_minutes_pass()
      local saved = decode(read(state))
      local acc = saved.accounts[require("growatt.store").key(url, "demo")]
      acc.last_login = acc.last_login - 120
      write(state, cjson.encode(saved))
    end

    it("forgets an expired session: the next command says to log in", function()
      login()
      S.faults({ { path = "PlantListAPI.do", expire = true, times = 1 } })
      assert.equal(5, growatt_cli({ "plants" }).code)
      local r = growatt_cli({ "plants" })
      assert.equal(3, r.code)
      assert.matches("not logged in as demo: run `growatt login`", r.err)
      two_minutes_pass()
      login()
      assert.equal(0, growatt_cli({ "plants" }).code)
      assert.equal(2, S.stats().logins)
    end)

    it("logs in again by itself after an expiry with GROWATT_PASSWORD, within the login guard", function()
      login()
      two_minutes_pass()
      S.faults({ { path = "PlantListAPI.do", expire = true, times = 1 } })
      local r = growatt_cli({ "--json", "plants" }, { env = PASSWORD })
      assert.equal(0, r.code, r.err)
      assert.equal(3, #decode(r.out))
      assert.equal(2, S.stats().logins)
      S.faults({ { path = "PlantListAPI.do", expire = true, times = 1 } })
      r = growatt_cli({ "plants" }, { env = PASSWORD })
      assert.equal(6, r.code) -- a login a moment ago: the guard refuses another this soon
      assert.matches("logins are at least 60 s apart", r.err)
      assert.equal(2, S.stats().logins)
    end)

    it("exits 8 when the server cannot be reached", function()
      login()
      local r = growatt_cli({ "--server", "http://127.0.0.1:1/", "plants" }, { env = PASSWORD })
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

  describe("raw login", function()
    it("refuses a password on the command line, before sending", function()
      local r = growatt_cli({ "raw", "login", "demo", "demo-password" })
      assert.equal(2, r.code)
      assert.matches("not from the command line", r.err)
      assert.falsy(r.err:find("demo-password", 1, true))
      assert.equal("", r.out)
      assert.same({}, S.requests())
    end)

    it("takes the password as login does, and prints the reply with the hash and the token masked", function()
      local hash = growatt.hash_password("demo-password")
      for _, how in ipairs({ { env = PASSWORD }, { stdin = "demo-password\n", flag = "--password-stdin" } }) do
        S.reset()
        state = state .. "x" -- a fresh state: a real login each time
        local words = { "raw", "login", "demo" }
        if how.flag then table.insert(words, 2, how.flag) end
        local r = growatt_cli(words, how)
        assert.equal(0, r.code, r.err)
        local back = decode(r.out)
        assert.equal(1234567, back.userId)
        assert.equal("***", back.user.password)
        assert.equal("***", back.user.token)
        assert.falsy(r.out:find(hash, 1, true))
        assert.falsy(r.out:find("demo-password", 1, true))
        assert.same({ "POST newTwoLoginAPI.do" }, sent())
        assert.same({ { "userName", "demo" }, { "password", hash } }, S.last().form)
      end
    end)
  end)

  describe("the default state directory", function()
    it("is made 0700, and tightened to 0700 when others may write to it", function()
      for _, mode in ipairs({ false, "777", "775", "755" }) do
        local cache = dir .. "/cache" .. n .. (mode or "new")
        local growatt_dir = q(cache .. "/growatt")
        if mode then sh("mkdir -p " .. growatt_dir .. " && chmod " .. mode .. " " .. growatt_dir) end
        local r = growatt_cli({ "login", "demo" }, { env = { GROWATT_PASSWORD = "demo-password",
          GROWATT_STATE_FILE = false, XDG_CACHE_HOME = cache } })
        assert.equal(0, r.code, r.err)
        assert.equal("700", sh("stat -c %a " .. q(cache .. "/growatt")), tostring(mode))
        assert.equal("600", sh("stat -c %a " .. q(cache .. "/growatt/state.json")), tostring(mode))
        assert.matches(cache .. "/growatt/state.json", r.out, 1, true)
      end
      assert.equal(4, S.stats().logins) -- one per directory: each is a fresh state
    end)

    it("stops with a clear message, before sending, when it cannot be made 0700", function()
      local cache = dir .. "/cache" .. n
      sh("mkdir -p " .. q(cache) .. " && ln -s /proc/1 " .. q(cache .. "/growatt")) -- mode 555, not ours to change
      local r = growatt_cli({ "login", "demo" }, { env = { GROWATT_PASSWORD = "demo-password",
        GROWATT_STATE_FILE = false, XDG_CACHE_HOME = cache } })
      assert.equal(1, r.code)
      assert.equal("growatt: the state directory " .. cache .. "/growatt is open to other users (mode 555) and "
        .. "cannot be made 0700: fix it, or choose another with --state-file\n", r.err)
      assert.same({}, S.requests())
    end)
  end)

  describe("against a hostile server", function()
    local hostile = require("spec.support.hostile")
    -- An OSC that retitles the terminal, a bell, colours, a carriage return, a new line, a
    -- C1 CSI (U+009B) and DEL, as JSON escapes.
    local EVIL = [[\u001b]0;pwned\u0007\u001b[31mRED\u001b[0m\rOVERWRITTEN\nline\u009b2J\u007f]]
    local SHOWN = [[\x1B]0;pwned\x07\x1B[31mRED\x1B[0m\x0DOVERWRITTEN\x0Aline\u009B2J\x7F]]
    local server
    after_each(function()
      if server then server:stop() end
    end)

    -- Whether a text has a control character other than the line ends, or a C1 control.
    local function raw_controls(text)
      return text:gsub("\n", ""):find("[%c]") or text:find("\194[\128-\159]")
    end

    it("never lets its text reach the terminal raw: messages, tables, CSV and JSON", function()
      server = hostile.start(("local evil = %q\n"):format(EVIL) .. [[
local plants = '{"back":{"success":true,"data":[{"plantId":"7","plantName":"' .. evil .. '","currentPower":"1 kW"}]}}'
return function(n, head)
  local body = plants
  if head:find("^POST /newTwoLoginAPI.do") then
    body = n == 1 and '{"back":{"success":false,"msg":"599","error":"' .. evil .. '"}}'
      or '{"back":{"success":true,"user":{"id":1234567}}}'
  end
  return "HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=s1; Path=/\r\nContent-Type: application/json\r\n"
    .. "Content-Length: " .. #body .. "\r\nConnection: close\r\n\r\n" .. body
end]])
      local env = { GROWATT_SERVER = server.url, GROWATT_PASSWORD = "pw" }
      local r = growatt_cli({ "login", "someone" }, { env = env })
      assert.equal(10, r.code)
      assert.equal("growatt: api: login refused: " .. SHOWN .. " (code 599)\n", r.err)
      state = state .. ".2" -- past the login guard
      assert.equal(0, growatt_cli({ "login", "someone" }, { env = env }).code)
      for _, format in ipairs({ {}, { "--csv" }, { "--json" } }) do
        local words = { format[1] }
        words[#words + 1] = "plants"
        r = growatt_cli(words, { env = env })
        assert.equal(0, r.code, r.err)
        assert.falsy(raw_controls(r.out), r.out)
        assert.equal("", r.err)
        if format[1] ~= "--json" then assert.truthy(r.out:find(SHOWN, 1, true), r.out) end
      end
      assert.equal(EVIL, r.out:match('"name":"(.-)"'))
      local paths = {}
      for i, req in ipairs(server:requests()) do paths[i] = req.path end
      assert.same({ "newTwoLoginAPI.do", "newTwoLoginAPI.do", "PlantListAPI.do", "PlantListAPI.do",
        "PlantListAPI.do" }, paths)
    end)

    it("exits 9 with a clear message when a login reply's user id names no user", function()
      server = hostile.start(hostile.reply_source('{"back":{"success":true,"user":{"id":1.5}}}'))
      local r = growatt_cli({ "login", "someone" }, { env = { GROWATT_SERVER = server.url, GROWATT_PASSWORD = "pw" } })
      assert.equal(9, r.code)
      assert.equal("growatt: protocol: login reply has no valid user id (a positive integer below 2^53)\n", r.err)
      assert.equal(1, #server:requests())
      assert.equal("newTwoLoginAPI.do", server:requests()[1].path)
    end)
  end)
end)
