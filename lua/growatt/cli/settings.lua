--- `growatt settings get` and `growatt settings set`: a plant's or a device's settings,
-- read and written through the library's settings methods (which validate every write).
-- A write shows the exact request first and is sent only when confirmed (--yes, or an
-- answer on the terminal); --dry-run shows it and sends nothing.
-- `require("growatt.cli.settings").register(commands)` adds the command to growatt.cli.commands.

local core = require("growatt.core")
local errors = require("growatt.errors")
local json = require("growatt.json")
local cli = require("growatt.cli")
local output = require("growatt.cli.output")
local readings = require("growatt.cli.readings")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local settings = {}

local KINDS = { "plant", "mix", "sph", "tlx", "min", "inverter", "noah", "storage", "bat" }

--- What TARGET names: { kind = "plant", id } or { kind = <device type>, sn, plant }.
-- With --type, as given (no request); else found among the account's plants and devices.
function settings.locate(ctx, commands, target)
  if ctx:token_api() then
    cli.fail("usage", "settings work with the password login (unset GROWATT_TOKEN); with a token, "
      .. "use `growatt raw min_settings SN` or `growatt raw min_write_parameter SN TYPE VALUE`")
  end
  local kind = ctx.args.type
  if kind then return { kind = kind, id = target, sn = target } end
  local plants = commands.plants(ctx)
  for _, p in ipairs(plants) do
    if p.id == target then return { kind = "plant", id = target } end
  end
  local calls = {}
  for i, p in ipairs(plants) do calls[i] = { "device_list", p.id } end
  local lists = readings.fetch(ctx, ctx:session_api(), calls, "looking for " .. target)
  ctx:progress(nil)
  for i, p in ipairs(plants) do
    for _, d in ipairs(commands.device_rows(lists[i])) do
      if d.sn == target then return { kind = d.type, sn = target, plant = p.id } end
    end
  end
  cli.fail("usage", "no plant or device " .. target .. " in this account (see `growatt plants`, `growatt devices`)")
end

-- The read of each kind's settings: the method and its arguments.
local READS = {
  plant = function(t) return "plant_settings", t.id end,
  mix = function(t) return "get_mix_inverter_settings", t.sn end,
  tlx = function(t) return "tlx_all_settings", t.sn end,
  inverter = function(t) return "classic_inverter_info", t.sn end,
  noah = function(t) return "noah_info", t.sn end,
  storage = function(t) return "storage_params", t.sn end,
  bat = function(t) return "tlx_battery_info", t.sn end,
}
READS.sph, READS.min = READS.mix, READS.tlx

-- Rows { name, value } of a settings reply, nested tables as dotted names, sorted.
local function flatten(v, prefix, rows)
  rows = rows or {}
  if type(v) == "table" and v ~= json.null then
    for k, x in pairs(v) do flatten(x, (prefix and prefix .. "." or "") .. tostring(k), rows) end
  else
    rows[#rows + 1] = { name = prefix or "value", value = v }
  end
  return rows
end

local SETTING_COLUMNS = { { "name", "NAME" }, { "value", "VALUE" } }

function settings.get(ctx, commands)
  local target = settings.locate(ctx, commands, ctx.args.target)
  local read = READS[target.kind] or cli.fail("usage", "no settings to read for a device of type " .. target.kind)
  local method, arg = read(target)
  local api = ctx:session_api()
  local v = ctx:check(api[method](api, arg))
  local rows = flatten(v)
  table.sort(rows, function(a, b) return a.name < b.name end)
  return { columns = SETTING_COLUMNS, rows = rows, json = v }
end

---------------------------------------------------------------------------
-- set

local function one(values, what)
  if #values ~= 1 then cli.fail("usage", what .. " takes one value, got " .. #values) end
  return values[1]
end

local function on_off(v)
  local map = { on = true, off = false, ["1"] = true, ["0"] = false, ["0001"] = true, ["0000"] = false }
  if map[v:lower()] == nil then cli.fail("usage", "pv_on_off takes on or off, got " .. v) end
  return map[v:lower()]
end

-- The write of a setting: the method and its arguments, by the target's kind.
local WRITES = {
  plant = function(t, setting, values)
    return "update_plant_settings", t.id, { [setting] = one(values, "a plant setting") }
  end,
  mix = function(t, setting, values) return "update_mix_inverter_setting", t.sn, setting, values end,
  tlx = function(t, setting, values)
    local segment = setting:match("^time_segment(%d+)$")
    if segment then
      if #values < 3 or #values > 4 then
        cli.fail("usage", setting .. " takes MODE START END [ENABLED], e.g. 1 06:00 08:00 1")
      end
      return "update_tlx_inverter_time_segment", t.sn, tonumber(segment), values[1], values[2], values[3],
        (values[4] or "1") ~= "0"
    end
    return "update_tlx_inverter_setting", t.sn, setting, #values == 1 and values[1] or values
  end,
  inverter = function(t, setting, values)
    if setting == "pv_on_off" then return "set_classic_inverter_on_off", t.sn, on_off(one(values, setting)) end
    if setting == "pv_active_p_rate" then
      return "set_classic_inverter_active_power_rate", t.sn, one(values, setting)
    end
    return "update_classic_inverter_setting", { action = "inverterSet", serialNum = t.sn, paramId = setting },
      { command_1 = values[1] or "", command_2 = values[2] or "" }
  end,
  noah = function(t, setting, values) return "update_noah_settings", t.sn, setting, values end,
}
WRITES.sph, WRITES.min = WRITES.mix, WRITES.tlx

-- A request as the lines that show it: the method and URL with its query, then the form
-- or multipart fields (never a secret: writes carry none; the session cookie is not shown).
local function request_lines(req)
  local url = req.url
  if req.query and #req.query > 0 then
    url = url .. (url:find("?", 1, true) and "&" or "?") .. core.encode(req.query)
  end
  local lines = { req.method .. " " .. url }
  if req.form and #req.form > 0 then lines[#lines + 1] = "  form: " .. core.encode(req.form) end
  for _, p in ipairs(req.multipart or {}) do
    lines[#lines + 1] = "  multipart: " .. p[1] .. "=" .. output.text(p[2])
  end
  if req.before then
    table.insert(lines, 1, "(first reads the current settings: " .. request_lines(req.before)[1] .. ")")
  end
  return lines
end

-- Calls api[method] with the arguments and, last, the per-call options; a raised misuse
-- (a wrong value for an argument) is a bad command line.
local function call(api, method, args, opts)
  local n = #args
  if opts then args[n + 1] = opts end
  local ok, v, err = pcall(api[method], api, unpack(args, 1, opts and n + 1 or n))
  args[n + 1] = nil
  if not ok then cli.fail("usage", errors.strip(v)) end
  return v, err
end

local function confirmed(ctx, target)
  if ctx.args.yes then return true end
  if not ctx.sys.isatty("stdin") then
    cli.fail("aborted", "not sent: confirm with --yes (or see the request with --dry-run)")
  end
  return ctx.sys.confirm("Send this to " .. target .. "? [y/N] ", ctx.sys.stderr, ctx.sys.stdin)
end

function settings.set(ctx, commands)
  local args = ctx.args
  local target = settings.locate(ctx, commands, args.target)
  local write = WRITES[target.kind] or cli.fail("usage", "no settings to write for a device of type " .. target.kind)
  local call_args = { write(target, args.setting, args.values) }
  local method = table.remove(call_args, 1)
  -- With --type and --dry-run nothing needs the session: no login, no request.
  local api = (args.dry_run and args.type) and ctx:new_api() or ctx:session_api()
  local req = ctx:check(call(api, method, call_args, { dry_run = true })) -- validates; sends nothing
  local shown = request_lines(req)
  if args.dry_run then return { lines = shown, json = req } end
  for _, l in ipairs(shown) do ctx:note(l) end
  if not confirmed(ctx, args.target) then cli.fail("aborted", "not sent") end
  local reply = ctx:check(call(api, method, call_args))
  return { lines = { "sent: " .. output.json(reply) }, json = reply }
end

function settings.register(commands)
  commands.command {
    name = "settings",
    summary = "Read or change a plant's or a device's settings.",
    description = [[
Reads (get) or changes (set) the settings of a plant (by its id) or a device (by its
serial). A change is checked by the library before anything is sent (out of range:
exit status 11), shows the exact request and asks for confirmation on a terminal;
--yes sends without asking, --dry-run only shows the request.]],
    epilog = [[
Examples:
   growatt settings get MIN4K00208
   growatt settings set MIN4K00208 charge_power 80 --dry-run
   growatt settings set MIN4K00208 time_segment1 1 06:00 08:00 1 --yes
   growatt settings set SPH6K00207 mix_ac_charge_time_period 100 90 1 06 00 08 00 1 ...
   growatt settings set INV3K00209 pv_on_off off
   growatt settings set 2222207 plantName "Garden" --yes]],
    define = function(p, help)
      p:command_target("action")
      local get = help(p:command("get"):summary("Show the settings."))
      get:argument("target", "A plant id or a device serial.")
      get:option("--type", "What the target is (skips looking it up): " .. table.concat(KINDS, ", ") .. ".")
        :choices(KINDS)
      local set = help(p:command("set"):summary("Change one setting."))
      set:argument("target", "A plant id or a device serial.")
      set:argument("setting", "The setting type (e.g. charge_power, pv_on_off) or plant field.")
      set:argument("values", "Its value(s)."):args("*")
      set:option("--type", "What the target is (skips looking it up)."):choices(KINDS)
      set:flag("--dry-run", "Show the request; send nothing.")
      set:flag("-y --yes", "Send without asking.")
    end,
    run = function(ctx)
      if ctx.args.action == "get" then return settings.get(ctx, commands) end
      return settings.set(ctx, commands)
    end,
  }
end

return settings
