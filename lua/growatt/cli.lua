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

local errors = require("growatt.errors")
local failure = require("growatt.cli.failure")
local Context = require("growatt.cli.context")
local output = require("growatt.cli.output")
local term = require("growatt.cli.term")

local cli = {}

--- Exit statuses (growatt.cli.failure), and the failures the commands stop with.
cli.EXIT = failure.EXIT
cli.fail, cli.describe, cli.exit_status, cli.check = failure.fail, failure.describe, failure.exit_status, failure.check
cli.nonempty = Context.nonempty

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
  local ctx = Context.new(args, env, sys)
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
    if not failure.is(e) then trace = debug.traceback(tostring(e), 2) end
    return e
  end)
  if ok then
    sys.stdout:flush()
    return status
  end
  sys.stdout:flush()
  local e = status
  if failure.is(e) then
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
