-- The growatt command-line tool run as a subprocess (bin/growatt under the interpreter that
-- runs the spec), for the CLI specs. `where` is the run's { dir (scratch directory, with
-- dir/home), state (the state file), url (the server) }.
local H = require("spec.support.session") -- shell, files, the interpreter running this spec
local S = require("spec.support.sandbox")

local C = {}

local cjson = require("cjson")

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
C.quote = q

--- The shell words that run `growatt WORDS...` in a clean environment: `where.url` as the
-- server, `where.state` as the state file, and `env` on top (a false value removes a
-- variable; { raw = "..." } is shell text, expanded where the command runs).
function C.command_line(where, words, env)
  local vars = {
    PATH = os.getenv("PATH"), HOME = where.dir .. "/home", LUA_PATH = "lua/?.lua;lua/?/init.lua;;",
    LUA_CPATH = H.CPATH .. ";;", GROWATT_SERVER = where.url, GROWATT_STATE_FILE = where.state,
  }
  for k, v in pairs(env or {}) do vars[k] = v or nil end
  local assigns = {}
  for k, v in pairs(vars) do assigns[#assigns + 1] = k .. "=" .. (type(v) == "table" and v.raw or q(v)) end
  local quoted = {}
  for i, w in ipairs(words) do quoted[i] = q(w) end
  return ("env -i %s %s bin/growatt %s"):format(table.concat(assigns, " "), H.LUA, table.concat(quoted, " "))
end

--- Runs `growatt WORDS...` (see command_line) with opts.stdin on its standard input and
-- opts.env on top of its environment. Returns { out, err, code }.
function C.run(where, words, opts)
  opts = opts or {}
  local dir = where.dir
  H.write(dir .. "/stdin", opts.stdin or "")
  local code = H.sh(("%s <%s >%s 2>%s; echo $?"):format(C.command_line(where, words, opts.env), q(dir .. "/stdin"),
    q(dir .. "/out"), q(dir .. "/err")))
  return { out = H.read(dir .. "/out"), err = H.read(dir .. "/err"), code = tonumber(code) }
end

--- The lines of a text (each ended by a newline).
function C.lines_of(s)
  local out = {}
  for l in s:gmatch("([^\n]*)\n") do out[#out + 1] = l end
  return out
end

--- The value of a JSON text; fails the test when it is not JSON.
function C.decode(s)
  local ok, v = pcall(cjson.decode, s)
  assert(ok, "not JSON: " .. tostring(s))
  return v
end

--- The busted hooks of a CLI spec, for setup, teardown and before_each: the sandbox started
-- for the file, a scratch directory (with dir/home), and before each test a reset sandbox
-- and a new state file. `changed(where)` is called with { dir, state, url, n (the test's
-- number) } whenever they change.
function C.hooks(changed)
  local where, n = {}, 0
  local function start()
    where.url, where.dir = S.start(), H.tempdir()
    H.sh("mkdir -p " .. q(where.dir .. "/home"))
    changed(where)
  end
  local function stop()
    S.stop()
    H.remove(where.dir)
  end
  local function each()
    S.reset()
    n = n + 1
    where.state, where.n = where.dir .. "/state" .. n .. "/state.json", n
    changed(where)
  end
  return start, stop, each
end

return C
