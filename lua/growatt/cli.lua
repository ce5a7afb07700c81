--- The `growatt` command-line tool: `cli.main(argv, env, sys)` runs one command and returns
-- its exit status. Everything it touches outside Lua comes through its arguments, so that
-- it can be run in-process as well as from bin/growatt:
--
--   argv  the command's words (without the program name), as `arg` holds them
--   env   a table of environment variables (default: os.getenv)
--   sys   { stdout, stderr, stdin (files), isatty(name), columns(env),
--           read_secret(prompt), confirm(prompt, out, input) } (default: growatt.cli.term)
--
-- The commands live in growatt.cli.commands; this file parses the words, opens the API the
-- command asks for (the password session kept in the state file, or a token) and turns
-- errors into messages and exit statuses.

local growatt = require("growatt")
local errors = require("growatt.errors")
local store = require("growatt.engine.store")
local output = require("growatt.cli.output")
local term = require("growatt.cli.term")

local cli = {}

--- Exit statuses, by what went wrong (documented in `growatt --help` and the README).
cli.EXIT = {
  ok = 0,
  failure = 1,          -- anything not listed below
  usage = 2,            -- bad command line
  auth = 3,             -- wrong credentials, no session (run `growatt login`), token refused
  locked = 4,           -- the account is locked (wait until the lock ends)
  session_expired = 5,  -- the session expired and no password was given to log in again
  rate_limited = 6,     -- too many requests or logins (retry later)
  blocked = 7,          -- the server refused this client (user agent, firewall)
  network = 8,          -- network, timeout, TLS
  server = 9,           -- an unexpected reply (HTTP status, HTML, malformed JSON)
  api = 10,             -- the server said no
  invalid = 11,         -- a value refused before sending (validation)
  aborted = 12,         -- a write not confirmed
  store = 13,           -- the state store cannot be reached (no login, no budget)
  interrupted = 130,    -- Ctrl-C
}

-- The exit status of each library error kind.
local KIND_EXIT = {
  auth = "auth", locked = "locked", session_expired = "session_expired",
  rate_limited = "rate_limited", blocked = "blocked",
  network = "network", timeout = "network", tls = "network", closed = "network",
  http = "server", protocol = "server",
  api = "api", moved = "api",
  invalid = "invalid", store = "store",
}

cli.EXIT_HELP = [[
Exit status:
   0  success                   6  rate limited (retry later)
   1  other failure             7  blocked by the server (user agent, firewall)
   2  bad command line          8  network, timeout or TLS error
   3  not logged in, wrong      9  unexpected reply (HTTP status, HTML, bad JSON)
      credentials or token     10  the server refused the request
   4  account locked           11  a value refused before sending
   5  session expired          12  a write not confirmed
                               13  the state store cannot be reached
 130  interrupted]]

cli.ENV_HELP = [[
Environment:
   GROWATT_USERNAME, GROWATT_PASSWORD   credentials for `login` (and for a new login when
                                        the kept session has expired)
   GROWATT_TOKEN                        an OpenAPI v1 token: commands use the token API
   GROWATT_SERVER                       the server URL (like --server)
   GROWATT_STATE_FILE                   the state file (like --state-file)
The session is kept in the state file, $XDG_CACHE_HOME/growatt/state.json (default
~/.cache/growatt/state.json), mode 0600, in a directory kept at mode 0700; the password is
never stored.]]

---------------------------------------------------------------------------
-- Failures: raised inside a command, turned into a message and an exit status by main.

local Failure = {}
Failure.__index = Failure

--- Stops the command with `message` and the exit status named `status` (a key of cli.EXIT).
function cli.fail(status, message)
  error(setmetatable({ status = status, message = message }, Failure), 0)
end

--- A library error as one line, without the "growatt: " its tostring starts with.
function cli.describe(err)
  return (tostring(err):gsub("^growatt: ", ""))
end

--- The exit status of a library error.
function cli.exit_status(err)
  return cli.EXIT[errors.is(err) and KIND_EXIT[err.kind] or "failure"]
end

--- Returns `v`, or stops the command with the library error `err` (nil, err results).
function cli.check(v, err, hint)
  if v ~= nil then return v end
  local message = cli.describe(err)
  if hint then message = message .. "\n" .. hint end
  cli.fail(errors.is(err) and KIND_EXIT[err.kind] or "failure", message)
end

---------------------------------------------------------------------------
-- The command line.

local function help_flag(parser, holder)
  parser:add_help(false)
  parser:flag("-h --help", "Show this help and exit."):action(function()
    holder.help = holder.help or parser
  end)
  return parser
end

--- The argparse parser of the whole tool; `holder.help` is set to the parser whose help
-- was asked for.
function cli.parser(holder)
  local commands = require("growatt.cli.commands").load_all()
  local argparse = require("argparse")
  local p = help_flag(argparse("growatt", "Growatt solar inverters from the shell: your plants, devices,\n"
    .. "today's power, history and settings, through Growatt's cloud."), holder)
  p:epilog(cli.EXIT_HELP .. "\n\n" .. cli.ENV_HELP)
  p:mutex(
    p:option("--server", "The Growatt server URL (default: Growatt's, or the one of the last login).")
      :argname("URL"),
    p:option("--region", "The server of a region: north_america, australia_new_zealand, china, other_regions, ...")
      :argname("NAME"))
  p:mutex(p:flag("--json", "Print JSON for machines."),
    p:flag("--csv", "Print CSV (tables: plants, status, history, ...)."))
  p:option("--state-file", "Where the session is kept."):argname("PATH")
  p:flag("-v --verbose", "Print each request (method, path, status, time) on stderr; never secrets.")
  p:command_target("command")
  for _, c in ipairs(commands.list) do
    local sub = help_flag(p:command(c.name):summary(c.summary):description(c.description or c.summary), holder)
    if c.epilog then sub:epilog(c.epilog) end
    c.define(sub, function(parser) return help_flag(parser, holder) end)
  end
  return p
end

-- The global options as argparse names them in its result: flags, and options with a value.
local GLOBAL_FLAGS = { ["--json"] = "json", ["--csv"] = "csv", ["-v"] = "verbose", ["--verbose"] = "verbose" }
local GLOBAL_OPTIONS = { ["--server"] = "server", ["--region"] = "region", ["--state-file"] = "state_file" }
local EXCLUSIVE = { { "json", "csv" }, { "server", "region" } }

--- The most common command lines parsed without loading argparse (a command that takes no
-- words, `bare`, after global options given once each): the table argparse would return,
-- or nil for every other command line, which goes to cli.parser.
function cli.quick_parse(argv)
  local args, i = {}, 1
  while argv[i] ~= nil do
    local word, value = argv[i], argv[i + 1]
    local flag, option = GLOBAL_FLAGS[word], GLOBAL_OPTIONS[word]
    if flag and args[flag] == nil then
      args[flag], i = true, i + 1
    elseif option and args[option] == nil and value ~= nil and value:sub(1, 1) ~= "-" then
      args[option], i = value, i + 2
    else
      break
    end
  end
  for _, pair in ipairs(EXCLUSIVE) do
    if args[pair[1]] ~= nil and args[pair[2]] ~= nil then return nil end
  end
  local name = argv[i]
  if name == nil or argv[i + 1] ~= nil then return nil end
  local c = require("growatt.cli.commands").find(name)
  if not (c and c.bare) then return nil end
  args.command, args[name] = name, true
  return args
end

---------------------------------------------------------------------------
-- The context of one run: arguments, environment, streams, state file, API.

local Context = {}
Context.__index = Context

--- `s` unless it is nil or "" (unset and empty options and variables alike).
local function nonempty(s)
  if s ~= nil and s ~= "" then return s end
end
cli.nonempty = nonempty

--- The state file's path: --state-file, GROWATT_STATE_FILE, $XDG_CACHE_HOME/growatt/state.json,
-- ~/.cache/growatt/state.json. The second value is true for the default path, whose
-- directory belongs to the tool.
function Context:state_path()
  local env = self.env
  local path = nonempty(self.args.state_file) or nonempty(env.GROWATT_STATE_FILE)
  if path then return path end
  local cache = nonempty(env.XDG_CACHE_HOME) or (nonempty(env.HOME) and env.HOME .. "/.cache")
  if not cache then cli.fail("usage", "no state file: set HOME, XDG_CACHE_HOME or --state-file") end
  return cache .. "/growatt/state.json", true
end

-- Makes the default state directory 0700, new or not: it holds the session, so no one else
-- may write (or read) there, and nothing but the tool's own files belongs in it, so taking
-- the others' permissions away breaks nothing. Stops when it cannot be done (the directory
-- is someone else's).
local function own_directory(dir)
  local q = term.quote(dir)
  os.execute("mkdir -p -m 700 " .. q .. " 2>/dev/null; chmod go= " .. q .. " 2>/dev/null")
  local p = io.popen("stat -L -c %a " .. q .. " 2>/dev/null")
  local mode = p and p:read("*l")
  if p then p:close() end
  if mode and mode:match("^%d*(%d%d)$") ~= "00" then
    cli.fail("failure", "the state directory " .. dir .. " is open to other users (mode " .. mode
      .. ") and cannot be made 0700: fix it, or choose another with --state-file")
  end
end

--- The state store, its directory made (mode 0700) when missing; the default directory is
-- made 0700 when it is not.
function Context:store()
  if not self._store then
    local path, default = self:state_path()
    local dir = path:match("^(.*)/[^/]*$")
    local file = not default and io.open(path, "rb")
    if default then
      own_directory(dir)
    elseif file then
      file:close() -- its directory is there: no shell to start
    elseif dir and dir ~= "" then
      os.execute("mkdir -p -m 700 " .. term.quote(dir) .. " 2>/dev/null")
    end
    self._store = store.file(path)
  end
  return self._store
end

--- What the tool keeps in the state file next to the library's sessions:
-- { username, server_url } of the last login.
function Context:saved()
  local state = self:store():load()
  return type(state.cli) == "table" and state.cli or {}
end

function Context:save(fields)
  local ok, err = store.update(self:store(), function(state)
    state.cli = fields
    return state
  end)
  if not ok then cli.fail("failure", "cannot write the state file " .. self:state_path() .. ": " .. tostring(err)) end
end

--- The server URL: --server, GROWATT_SERVER, the last login's; nil for the library's default
-- (or --region's).
function Context:server_url()
  local args = self.args
  local url = nonempty(args.server) or nonempty(self.env.GROWATT_SERVER)
  if url or args.region then return url end
  return self:saved().server_url
end

--- Writes a line to stderr, control characters escaped (notes show what servers said).
function Context:note(...)
  local parts = { ... }
  for i = 1, select("#", ...) do parts[i] = tostring(parts[i]) end
  self.sys.stderr:write(errors.escape(table.concat(parts)), "\n")
end

--- A progress line on stderr, rewritten in place; only when stderr is a terminal.
-- progress(nil) clears it.
function Context:progress(text)
  if not self.sys.isatty("stderr") then return end
  local err = self.sys.stderr
  if text then err:write("\r", text, "\27[K") else err:write("\r\27[K") end
  err:flush()
end

-- The on_request hook of --verbose: method, path, op, status and time; nothing else.
local function verbose_hook(ctx)
  return function(info)
    ctx:note(string.format("growatt: %s %s%s -> %s (%s ms)%s", tostring(info.method), tostring(info.path),
      info.op and (" op=" .. tostring(info.op)) or "", tostring(info.status or info.kind or "?"),
      tostring(info.ms and math.floor(info.ms + 0.5) or "?"), info.attempt and info.attempt > 1
        and (" attempt " .. info.attempt) or ""))
  end
end

--- Options for growatt.new / growatt.openapi shared by both: server, region, hook.
function Context:api_options(extra)
  local opts = extra or {}
  opts.server_url = self:server_url()
  if not opts.server_url and self.args.region then opts.region = self.args.region end
  if self.args.verbose then opts.on_request = verbose_hook(self) end
  return opts
end

--- A growatt.new object for the password API, not logged in (the state file attached).
function Context:new_api(extra)
  local opts = self:api_options(extra)
  self:store() -- makes the state file's directory
  opts.state_file = self:state_path()
  local ok, api = pcall(growatt.new, opts)
  if not ok then cli.fail("usage", (tostring(api):gsub("^growatt%.new: ", ""))) end
  return api
end

--- The token API (OpenAPI v1) when GROWATT_TOKEN is set, else nil.
function Context:token_api()
  if self._v1 ~= nil then return self._v1 or nil end
  local token = nonempty(self.env.GROWATT_TOKEN)
  self._v1 = false
  if not token then return nil end
  local ok, api = pcall(growatt.openapi, self:api_options({ token = token }))
  if not ok then cli.fail("usage", (tostring(api):gsub("^growatt%.openapi: ", ""))) end
  self._v1 = api
  return api
end

--- The API the reading commands use: the token API with GROWATT_TOKEN, else the session.
function Context:api()
  return self:token_api() or self:session_api()
end

local RELOGIN_HINT = "run `growatt login` (or set GROWATT_PASSWORD to log in again by itself)"

--- The password API with the session of the last login: with GROWATT_PASSWORD through
-- the library's login (which reuses the live session kept in the state file, or logs in),
-- else the kept session itself. Stops with exit status 3 when there is none.
function Context:session_api()
  if self._session then return self._session end
  local username = nonempty(self.env.GROWATT_USERNAME) or self:saved().username
  if not username then cli.fail("auth", "not logged in: run `growatt login`") end
  local api = self:new_api()
  local password = nonempty(self.env.GROWATT_PASSWORD)
  if password then
    cli.check(api:login(username, password))
  elseif not api:resume(username) then
    cli.fail("auth", "not logged in as " .. username .. ": run `growatt login`")
  end
  self._session = api
  return api
end

--- Returns `v`, or stops with the error; an expired session that could not be renewed
-- (the library forgets it) comes with the hint to log in again.
function Context:check(v, err)
  if v == nil and errors.is(err, "session_expired") and not nonempty(self.env.GROWATT_PASSWORD) then
    cli.check(v, err, RELOGIN_HINT)
  end
  return cli.check(v, err)
end

---------------------------------------------------------------------------
-- main

local function default_sys(sys)
  sys = sys or {}
  local out = {
    stdout = sys.stdout or io.stdout, stderr = sys.stderr or io.stderr, stdin = sys.stdin or io.stdin,
    isatty = sys.isatty or term.isatty, columns = sys.columns or term.columns,
    read_secret = sys.read_secret or term.read_secret, confirm = sys.confirm or term.confirm,
  }
  return out
end

local function default_env(env)
  if env then return env end
  return setmetatable({}, { __index = function(_, k) return os.getenv(k) end })
end

local function run(argv, env, sys)
  local args = cli.quick_parse(argv)
  if not args then
    local holder = {}
    local parser = cli.parser(holder)
    local ok
    ok, args = parser:pparse(argv)
    if holder.help then
      sys.stdout:write(holder.help:get_help(), "\n")
      return cli.EXIT.ok
    end
    if not ok then
      sys.stderr:write(parser:get_usage(), "\n\ngrowatt: ", args, "\n")
      return cli.EXIT.usage
    end
  end
  local ctx = setmetatable({ args = args, env = env, sys = sys }, Context)
  ctx.format = args.json and "json" or (args.csv and "csv" or "text")
  local commands = require("growatt.cli.commands")
  local report = commands.run(ctx)
  if report then output.write(sys.stdout, report, ctx.format) end
  for _, api in ipairs({ ctx._session or false, ctx._v1 or false }) do
    if api then api:close() end
  end
  return report and report.status or cli.EXIT.ok
end

-- A message of our lines, with control characters escaped within each.
local function escape_lines(s)
  return (tostring(s):gsub("[^\n]+", errors.escape))
end

--- Runs the tool with the words `argv`; returns the exit status.
function cli.main(argv, env, sys)
  env, sys = default_env(env), default_sys(sys)
  local trace
  -- a closure, not xpcall's extra arguments: PUC Lua 5.1's xpcall takes none
  local ok, status = xpcall(function() return run(argv or {}, env, sys) end, function(e)
    if getmetatable(e) ~= Failure then trace = debug.traceback(tostring(e), 2) end
    return e
  end)
  if ok then
    sys.stdout:flush()
    return status
  end
  sys.stdout:flush()
  local e = status
  if getmetatable(e) == Failure then
    sys.stderr:write("growatt: ", escape_lines(e.message), "\n")
    return cli.EXIT[e.status] or cli.EXIT.failure
  end
  if tostring(e):find("interrupted!$") then
    sys.stderr:write("growatt: interrupted\n")
    return cli.EXIT.interrupted
  end
  sys.stderr:write("growatt: internal error: ", escape_lines(tostring(trace or e)), "\n")
  return cli.EXIT.failure
end

return cli
