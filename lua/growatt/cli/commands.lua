--- The commands of the `growatt` tool. Each has a name, a one-line summary, `define(parser)`
-- (its arguments) and `run(ctx)`, which returns a report for growatt.cli.output (or nil when
-- it printed by itself). `ctx` is growatt.cli's context: ctx.args, ctx.env, ctx.sys, and the
-- session helpers (session_api, token_api, check, progress, ...).

local errors = require("growatt.errors")
local json = require("growatt.json")
local cli = require("growatt.cli")
local output = require("growatt.cli.output")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local commands = { list = {}, by_name = {} }

--- Adds a command: { name, summary, description, epilog, define(parser), run(ctx) }.
function commands.command(c)
  commands.list[#commands.list + 1] = c
  commands.by_name[c.name] = c
  return c
end
local command = commands.command

-- The commands of other modules, registered on first need, so that a command of this
-- file loads none of them.
local MODULES = { "growatt.cli.readings", "growatt.cli.settings" }
local loaded_all = false

--- Registers every command (the full command line and its help need them all); returns
-- the commands.
function commands.load_all()
  if not loaded_all then
    loaded_all = true
    for _, name in ipairs(MODULES) do require(name).register(commands) end
  end
  return commands
end

--- The command named `name`, or nil.
function commands.find(name)
  return commands.by_name[name] or commands.load_all().by_name[name]
end

--- Runs the command the arguments name.
function commands.run(ctx)
  return commands.find(ctx.args.command).run(ctx)
end

local nonempty = cli.nonempty

-- A report of a few lines of text, and what --json prints for it.
local function message(lines, value)
  return { lines = type(lines) == "table" and lines or { lines }, json = value }
end

local function list_of(v)
  return type(v) == "table" and v or {}
end

--- Columns that several tables show.
commands.COLUMNS = {
  power = { "power_w", "POWER", format = output.watts, align = "right" },
  today = { "today_kwh", "TODAY", format = output.kwh, align = "right" },
  battery = { "soc", "BATTERY", format = output.percent, align = "right" },
  state = { "state", "STATE" },
}
local C = commands.COLUMNS

---------------------------------------------------------------------------
-- login

local function read_username(ctx)
  local name = nonempty(ctx.args.username) or nonempty(ctx.env.GROWATT_USERNAME)
  if name then return name end
  if ctx.sys.isatty("stdin") then
    ctx.sys.stderr:write("User name: ")
    ctx.sys.stderr:flush()
    name = nonempty(ctx.sys.stdin:read("*l"))
  end
  return name or cli.fail("usage", "no user name: give it as an argument or set GROWATT_USERNAME")
end

local function read_password(ctx)
  local password = nonempty(ctx.env.GROWATT_PASSWORD)
  if password then return password end
  if ctx.args.password_stdin then
    password = nonempty(ctx.sys.stdin:read("*l"))
  elseif ctx.sys.isatty("stdin") then
    password = ctx.sys.read_secret("Password: ")
  else
    cli.fail("usage", "no password: set GROWATT_PASSWORD, use --password-stdin, or run on a terminal")
  end
  return password or cli.fail("usage", "no password given")
end

command {
  name = "login",
  summary = "Log in and keep the session in the state file.",
  description = [[
Logs in with a user name and password and keeps the session in the state file, so that
later commands do not log in again. The password comes from GROWATT_PASSWORD, from stdin
(--password-stdin), or is asked for on the terminal without echo; it is never stored.
With GROWATT_TOKEN set there is nothing to log in: commands use the token while it is set.]],
  define = function(p)
    p:argument("username", "The account's user name (default: GROWATT_USERNAME, or asked for)."):args("?")
    p:flag("--password-stdin", "Read the password from the first line of stdin.")
  end,
  run = function(ctx)
    local v1 = ctx:token_api()
    if v1 then -- nothing to log in: a request here would only use up Growatt's 5-minute window
      return message("GROWATT_TOKEN is set: commands use the OpenAPI v1 on " .. v1.server_url
        .. " with it; there is no session to keep", { token = true, server_url = v1.server_url })
    end
    local username = read_username(ctx)
    local password = read_password(ctx)
    local api = ctx:new_api()
    local back = ctx:check(api:login(username, password))
    local user_id = back.userId or (back.user or {}).id
    -- A kept session is reused without a login; one request shows whether it still lives
    -- (if not, the library logs in again).
    if api:stats().reused > 0 then ctx:check(api:plant_list(api.user_id)) end
    local reused = api:stats().reused > 0 and api:stats().relogins == 0
    ctx:save({ username = username, server_url = api.server_url })
    return message(string.format("logged in as %s (user %s) on %s; %s in %s", username, output.text(user_id),
      api.server_url, reused and "the kept session is still valid" or "session kept", ctx:state_path()),
      { username = username, user_id = user_id, server_url = api.server_url, state_file = ctx:state_path(),
        reused = reused })
  end,
}

---------------------------------------------------------------------------
-- plants, devices


local PLANT_COLUMNS = { { "id", "ID" }, { "name", "NAME" }, C.power, C.today,
  { "total_kwh", "TOTAL", format = output.kwh, align = "right" } }

--- The account's plants as rows { id, name, power_w, today_kwh, total_kwh }.
function commands.plants(ctx)
  local v1 = ctx:token_api()
  local rows = {}
  if v1 then
    local reply = ctx:check(v1:plant_list())
    for i, p in ipairs(list_of(reply.plants)) do
      rows[i] = { id = output.text(p.plant_id), name = p.name, power_w = output.power_w(p.current_power, "kW"),
                  total_kwh = output.energy_kwh(p.total_energy) }
    end
    return rows, v1
  end
  local api = ctx:session_api()
  local back = ctx:check(api:plant_list(api.user_id))
  for i, p in ipairs(list_of(back.data)) do
    rows[i] = { id = output.text(p.plantId), name = p.plantName, power_w = output.power_w(p.currentPower),
                today_kwh = output.energy_kwh(p.todayEnergy), total_kwh = output.energy_kwh(p.totalEnergy) }
  end
  return rows, api
end

--- A report of rows shown as a table (text), CSV or a JSON array of objects.
function commands.table_report(columns, rows)
  return { columns = columns, rows = rows, json = rows, list = true }
end
local table_report = commands.table_report

command {
  name = "plants",
  summary = "List the account's plants: power now, energy today and in total.",
  define = function() end,
  bare = true, -- takes no words of its own: parsed without argparse (growatt.cli)
  run = function(ctx)
    return table_report(PLANT_COLUMNS, (commands.plants(ctx)))
  end,
}

-- V1 device type numbers (protocol.md §4) and the names the password API uses for them.
local V1_TYPES = require("growatt.readings").V1_TYPES -- v1's device type numbers, by ShinePhone's names

local function online(lost)
  if lost == nil or lost == json.null then return nil end
  return (lost == true or lost == "true" or lost == 1 or lost == "1") and "offline" or "online"
end

local DEVICE_COLUMNS = { { "sn", "SERIAL" }, { "type", "TYPE" }, { "alias", "ALIAS" }, C.power, C.battery, C.state }

--- Rows { sn, type, alias, power_w, soc, state, entry } of a device_list reply's entries.
function commands.device_rows(list)
  local rows = {}
  for i, d in ipairs(list_of(list)) do
    rows[i] = { sn = d.deviceSn, type = d.deviceType, alias = d.deviceAilas or d.deviceAlias,
                power_w = output.power_w(d.activePower), soc = output.number(d.capacity),
                state = online(d.lost), entry = d }
  end
  return rows
end

--- The same rows of an OpenAPI v1 device_list reply ({ devices = ... }).
function commands.v1_device_rows(reply)
  local rows = {}
  for i, d in ipairs(list_of(list_of(reply).devices)) do
    rows[i] = { sn = d.device_sn, type = V1_TYPES[d.type] or output.text(d.type), alias = d.model,
                state = online(d.lost), entry = d }
  end
  return rows
end

--- The rows of a device_list reply of `api` (the password API's or the token API's).
function commands.rows_of_devices(ctx, reply)
  if ctx:token_api() then return commands.v1_device_rows(reply) end
  return commands.device_rows(reply)
end

--- The devices of a plant as rows (see device_rows).
function commands.devices(ctx, plant_id)
  local api = ctx:api()
  return commands.rows_of_devices(ctx, ctx:check(api:device_list(plant_id)))
end

command {
  name = "devices",
  summary = "List the devices of a plant.",
  define = function(p)
    p:argument("plant", "The plant's id (see `growatt plants`).")
  end,
  run = function(ctx)
    return table_report(DEVICE_COLUMNS, commands.devices(ctx, ctx.args.plant))
  end,
}

---------------------------------------------------------------------------
-- raw

-- A word of the command line as a Lua value: JSON when it parses as JSON, else the string.
local function raw_value(word)
  local v = json.decode(word)
  if v == nil then return word end
  if v == json.null then return nil end
  return v
end

command {
  name = "raw",
  summary = "Call any API method and print its result as JSON.",
  description = [[
Calls an API method by its name and prints what it returns as JSON. Each argument is
read as JSON when it parses as JSON (numbers, true, null, {"a":1}, [1,2]), else it is a
string. Uses the session of `growatt login` (with GROWATT_TOKEN: the OpenAPI v1 methods).]],
  epilog = "Examples:\n   growatt raw plant_info 2222207\n   growatt raw mix_detail SPH6K00207 2222207 0 2026-11-24"
    .. "\n   growatt raw --dry-run update_tlx_inverter_setting MIN4K00208 charge_power 80",
  define = function(p)
    p:argument("method", "The method's name, e.g. plant_info.")
    p:argument("args", "Its arguments."):args("*")
    p:flag("--dry-run", "Print the request the call would send instead of sending it.")
    p:flag("--password-stdin", "raw login: read the password from the first line of stdin.")
  end,
  run = function(ctx)
    local name, words = ctx.args.method, ctx.args.args
    local values = {}
    for i, w in ipairs(words) do values[i] = raw_value(w) end
    local login = name == "login" and not ctx:token_api()
    if login then -- the password as `login` takes it: never from the command line, where ps shows it
      if #words > 1 then
        cli.fail("usage", "raw login USER takes the password from GROWATT_PASSWORD, --password-stdin "
          .. "or the terminal, not from the command line")
      end
      values[1] = nonempty(words[1]) or read_username(ctx)
      values[2] = ctx.args.dry_run and "" or read_password(ctx) -- a dry run shows "***" for it
      words = values
    end
    local api
    if ctx.args.dry_run or login then
      api = ctx:token_api() or ctx:new_api()
      api.dry_run = ctx.args.dry_run
    else
      api = ctx:token_api() or ctx:session_api()
    end
    local method = not name:find("^_") and name ~= "close" and api[name]
    if type(method) ~= "function" then cli.fail("usage", "no API method named '" .. name .. "'") end
    local ok, v, err = pcall(method, api, unpack(values, 1, #words))
    if not ok then cli.fail("usage", errors.strip(v)) end
    if v == nil and err ~= nil then ctx:check(v, err) end
    return { lines = { output.json(output.mask(v)) }, json = v }
  end,
}

---------------------------------------------------------------------------
-- sandbox

command {
  name = "sandbox",
  summary = "Run the local Growatt emulator in the foreground (Ctrl-C stops it).",
  description = [[
Runs the sandbox, a local emulator of Growatt's cloud, until interrupted, so that scripts
can be tried safely: point them at the URL it prints (growatt --server URL ...). It knows
the user demo with the password demo-password. Needs nginx and its Lua module.]],
  define = function(p)
    p:option("--port", "The port (default: a free one)."):argname("N"):convert(tonumber)
    p:option("--seed", "The data seed."):argname("N"):convert(tonumber)
  end,
  run = function(ctx)
    local sandbox = require("growatt.sandbox")
    local ok, started, err = pcall(sandbox.run, { port = ctx.args.port, seed = ctx.args.seed })
    if not ok then cli.fail("usage", errors.strip(started)) end
    if not started then cli.fail("failure", err) end
  end,
}

return commands
