--- Makes the generated parts of the manual and the editor types from the endpoint tables
-- (their `doc` fields) and tools/apidoc.lua:
--   docs/api.md, docs/settings.md  the blocks between <!-- generated: NAME --> and
--                                  <!-- end generated -->; the prose around them is kept
--   types/growatt.lua              LuaLS / LuaCATS definitions (---@meta), whole
--
--   lua5.4 tools/gendocs.lua [ROOT [OUT]]   (`make docs`): reads ROOT's docs (default "."),
--   writes into OUT (default ROOT). spec/docs_spec.lua regenerates into a temporary
--   directory and compares; it also uses gendocs.methods() to find undocumented methods.

local here = (debug.getinfo(1, "S").source:match("^@(.*)[/\\]") or ".")
local apidoc = dofile(here .. "/apidoc.lua")

local growatt = require("growatt")
local openapi = require("growatt.openapi")
local v4 = require("growatt.v4.client")
local settings = require("growatt.shinephone.settings")
local endpoints = require("growatt.shinephone.endpoints")
local regions = require("growatt.engine.regions")
local errors = require("growatt.errors")

local gendocs = { apidoc = apidoc }

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function fail(fmt, ...) error("gendocs: " .. string.format(fmt, ...), 0) end

---------------------------------------------------------------------------
-- The methods, as records: { name, class, group, args = { { name, type, text, optional } },
-- summary, sends, returns, result, write, example, plain, raises, alias }

local CLASSES = {
  { name = "growatt.Api", var = "api", class = growatt.Api,
    groups = { { "Session", apidoc.methods["growatt.Api"] }, { "Reads", endpoints.legacy },
               { "Reads", regions.endpoints }, { "Settings", settings.endpoints } } },
  { name = "growatt.OpenApi", var = "v1", class = openapi.OpenApi, token = true, devices = true,
    groups = { { "Methods", apidoc.methods["growatt.OpenApi"] }, { "Methods", openapi.endpoints },
               { "Methods", regions.endpoints } } },
  { name = "growatt.V4", var = "v4", class = v4.V4, token = true,
    groups = { { "Methods", apidoc.methods["growatt.V4"] }, { "Methods", v4.endpoints } } },
}

-- Where an endpoint's arguments go: "GET path?op=x&id=<tlx_id>"; runs of param1..N as one;
-- a value computed from the arguments (not one of `args`) shows as "…".
local function wire_text(list, sep, args)
  local out, i = {}, 1
  while list and i <= #list do
    local name, v = list[i][1], list[i][2]
    local j = i
    if name:match("^param%d+$") then
      while list[j + 1] and list[j + 1][1]:match("^param%d+$") do j = j + 1 end
    end
    if j > i then
      out[#out + 1] = name .. ".." .. list[j][1]:match("%d+$")
    elseif type(v) == "table" and v.arg then
      out[#out + 1] = name .. "=" .. (args[v.arg] and ("<" .. v.arg .. ">") or "…")
    else
      out[#out + 1] = name .. "=" .. tostring(v)
    end
    i = j + 1
  end
  return #out > 0 and table.concat(out, sep) or nil
end

local function sends(ep, token)
  local args = {}
  for _, spec in ipairs(ep.args or {}) do args[spec[1]] = true end
  local path = ep.path
  local q = wire_text(ep.query, "&", args)
  if q then path = path .. (path:find("?", 1, true) and "&" or "?") .. q end
  local s = "`" .. ep.method .. " " .. path .. "`"
  local form = wire_text(ep.form, ", ", args)
  if form then s = s .. ", form " .. "`" .. form .. "`" end
  if ep.into then s = s .. ", then the parameters in the " .. ep.into end
  if ep.doc.sends then s = s .. ", " .. ep.doc.sends end
  if token then s = s .. ", with the `token` header" end
  return s
end

local RESULTS = {
  back = "the reply's `back` (an `api` error when its `success` is false)",
  raw = "the whole reply",
}

local function returns(name, ep, cls)
  local base
  if cls.token then
    base = ep.write and "`true`" or "the reply's `data`"
  elseif type(ep.result) == "string" then
    base = RESULTS[ep.result] or ("the reply's `" .. ep.result .. "` (`{}` when missing)")
  elseif not ep.doc.returns then
    fail("%s: an entry whose result is a function needs doc.returns", name)
  end
  if base and ep.doc.returns then return base .. ": " .. ep.doc.returns end
  return base or ep.doc.returns
end

-- The sample value of an argument for an example, or nil.
local function sample(name, method)
  local by_family = (name == "serial_number" or name == "device_sn") and apidoc.serials
    or name == "plant_id" and apidoc.plants
  for _, s in ipairs(by_family or {}) do
    if method:find(s[1], 1, true) then return s[2] end
  end
  return apidoc.samples[name]
end

local function example(rec, var)
  local ex = rec.example
  if not ex then
    local values = {}
    for _, a in ipairs(rec.args) do
      if not a.optional then
        values[#values + 1] = sample(a[1], rec.name) or fail("%s: no sample for '%s': add doc.example", rec.name, a[1])
      end
    end
    ex = var .. ":" .. rec.name .. "(" .. table.concat(values, ", ") .. ")"
  end
  if ex:match("^local ") or ex:match("^%w+:[%w_]+%(%)$") or rec.plain then return ex end
  return (rec.write and "local reply, err = " or "local result, err = ") .. ex
end

local function from_entry(name, ep, cls, group)
  local doc = ep.doc or fail("%s.%s has no doc field", cls.name, name)
  local args = {}
  for _, spec in ipairs(ep.args or {}) do
    local kind = apidoc.kinds[spec[2]] or fail("%s: argument kind '%s' is not in tools/apidoc.lua", name, spec[2])
    local text = (doc.args and doc.args[spec[1]]) or apidoc.args[spec[1]]
      or fail("%s: argument '%s' has no description (tools/apidoc.lua args, or doc.args)", name, spec[1])
    if kind[2] then text = text .. "; " .. kind[2] end
    if spec[3] ~= nil then
      text = text .. "; default `" .. (spec[2] == "timespan" and "growatt.Timespan.hour" or tostring(spec[3])) .. "`"
    end
    local optional = spec.optional or spec[3] ~= nil or spec[2] == "date" or spec[2] == "optional_id"
    args[#args + 1] = { spec[1], kind[1], text, optional = optional }
  end
  if ep.write then
    if ep.verify then
      args[#args + 1] = { "options", "{ dry_run: boolean?, verify: boolean? }", "per-call options: "
        .. "`{ dry_run = true }` returns the request instead of sending it; `{ verify = true }` reads the value "
        .. "back (docs/v4.md)", optional = true }
    else
      args[#args + 1] = { "options", "{ dry_run: boolean? }", "per-call options: `{ dry_run = true }` returns "
        .. "the request instead of sending it", optional = true }
    end
  end
  return {
    name = name, group = group, args = args, summary = doc[1], sends = sends(ep, cls.token),
    returns = returns(name, ep, cls), result = doc.result or (cls.token and ep.write and "true") or "table",
    write = ep.write, example = doc.example, cached = cls.token and not ep.write,
  }
end

local function from_apidoc(name, d, group)
  local args = {}
  for i, a in ipairs(d.args) do args[i] = a end
  return { name = name, group = group, args = args, summary = d[1], returns = d.returns, result = d.result,
           example = d.example, plain = d.plain, raises = d.raises, errors = d.errors, cached = d.cached }
end

--- The documented methods of each class: a list of { class record, methods = { rec, ... } }
-- with the methods sorted by group, then name.
function gendocs.methods()
  local out = {}
  for _, cls in ipairs(CLASSES) do
    local list, seen, order = {}, {}, {}
    for gi, g in ipairs(cls.groups) do
      order[g[1]] = order[g[1]] or gi
      for _, name in ipairs(sorted_keys(g[2])) do
        local v = g[2][name]
        if not seen[name] then
          seen[name] = true
          local alias = (apidoc.aliases[cls.name] or {})[name]
          local rec = alias and { name = name, alias = alias, group = g[1], args = {} }
            or (v.method and from_entry(name, v, cls, g[1])) or from_apidoc(name, v, g[1])
          list[#list + 1] = rec
        end
      end
    end
    for name, target in pairs(apidoc.aliases[cls.name] or {}) do
      if not seen[name] then
        seen[name] = true
        list[#list + 1] = { name = name, alias = target, group = "Aliases", args = {} }
        order.Aliases = 99
      end
    end
    table.sort(list, function(a, b)
      if order[a.group] ~= order[b.group] then return order[a.group] < order[b.group] end
      return a.name < b.name
    end)
    out[#out + 1] = { class = cls, methods = list }
  end
  return out
end

---------------------------------------------------------------------------
-- Markdown

local function signature(rec, var)
  local req, opt = {}, {}
  for _, a in ipairs(rec.args) do
    if a.optional then opt[#opt + 1] = a[1] else req[#req + 1] = a[1] end
  end
  local s = table.concat(req, ", ")
  for i, name in ipairs(opt) do
    s = s .. ((i == 1 and #req == 0) and "[" or " [, ") .. name
  end
  return (var and (var .. ":") or "") .. rec.name .. "(" .. s .. string.rep("]", #opt) .. ")"
end

local function method_md(rec, var, out)
  out[#out + 1] = "### " .. var .. ":" .. rec.name
  out[#out + 1] = ""
  if rec.alias then
    out[#out + 1] = "Another name of [`" .. rec.alias .. "`](#" .. var .. rec.alias .. "), kept from the "
      .. "reference library."
    out[#out + 1] = ""
    return
  end
  out[#out + 1] = "`" .. signature(rec, var) .. "`: " .. rec.summary
  out[#out + 1] = ""
  for _, a in ipairs(rec.args) do
    out[#out + 1] = "- `" .. a[1] .. "` (`" .. a[2] .. "`" .. (a.optional and ", optional" or "") .. "): " .. a[3]
  end
  if rec.sends then out[#out + 1] = "- sends " .. rec.sends end
  if rec.returns or not rec.plain then
    local r = rec.returns or ("a `" .. rec.result .. "`")
    if not rec.plain and not rec.raises then r = r .. "; or `nil, err`" end
    out[#out + 1] = "- returns " .. r
  end
  if rec.write then
    out[#out + 1] = "- a write: sent again only when no connection could be made"
  end
  out[#out + 1] = ""
  out[#out + 1] = "```lua"
  out[#out + 1] = example(rec, var)
  out[#out + 1] = "```"
  out[#out + 1] = ""
end

local function index_md(list, var, out)
  out[#out + 1] = "| method | what it does |"
  out[#out + 1] = "|---|---|"
  for _, rec in ipairs(list) do
    local what = rec.alias and ("another name of `" .. rec.alias .. "`") or rec.summary
    out[#out + 1] = "| [`" .. rec.name .. "`](#" .. var .. rec.name .. ") | " .. what .. " |"
  end
  out[#out + 1] = ""
end

local function class_md(entry)
  local cls, out, group = entry.class, {}, nil
  index_md(entry.methods, cls.var, out)
  for _, rec in ipairs(entry.methods) do
    if rec.group ~= group and #entry.class.groups > 2 then
      group = rec.group
      out[#out + 1] = "## " .. cls.name .. ": " .. group
      out[#out + 1] = ""
    end
    method_md(rec, cls.var, out)
  end
  return table.concat(out, "\n")
end

local function functions_md()
  local out = {}
  for _, rec in ipairs(apidoc.functions) do
    local r = from_apidoc(rec.name, rec, "functions")
    out[#out + 1] = "### " .. rec.name
    out[#out + 1] = ""
    out[#out + 1] = "`" .. signature(r) .. "`: " .. r.summary
    out[#out + 1] = ""
    for _, a in ipairs(r.args) do
      out[#out + 1] = "- `" .. a[1] .. "` (`" .. a[2] .. "`" .. (a.optional and ", optional" or "") .. "): " .. a[3]
    end
    out[#out + 1] = "- returns " .. r.returns
    out[#out + 1] = ""
    out[#out + 1] = "```lua"
    out[#out + 1] = r.example
    out[#out + 1] = "```"
    out[#out + 1] = ""
  end
  return table.concat(out, "\n")
end

-- The device classes of the OpenAPI: the min_/sph_ methods without prefix and serial.
local function device_methods(prefix, list)
  local out = {}
  for _, rec in ipairs(list) do
    local short = not rec.alias and rec.name:match("^" .. prefix .. "_(.+)$")
    if short then
      local args = {}
      for i = 2, #rec.args do args[#args + 1] = rec.args[i] end
      local copy = {}
      for k, v in pairs(rec) do copy[k] = v end
      copy.name, copy.args, copy.full = short, args, rec.name
      out[#out + 1] = copy
    end
  end
  return out
end

local function devices_md(list)
  local out = { "| MIN (`growatt.DeviceType.MIN`) | SPH (`growatt.DeviceType.SPH`) |", "|---|---|" }
  local min, sph = device_methods("min", list), device_methods("sph", list)
  for i = 1, math.max(#min, #sph) do
    local function cell(r) return r and ("`" .. signature(r, r.full:sub(1, 3)) .. "`") or "" end
    out[#out + 1] = "| " .. cell(min[i]) .. " | " .. cell(sph[i]) .. " |"
  end
  return table.concat(out, "\n") .. "\n"
end

-- Names that differ only by a number, as one ("time_segment1 … time_segment9").
local function names_text(names)
  local prefix = names[1]:match("^(.-)%d+$")
  if #names > 2 and prefix then
    return "`" .. names[1] .. "` … `" .. names[#names] .. "`"
  end
  for i, n in ipairs(names) do names[i] = "`" .. n .. "`" end
  return table.concat(names, ", ")
end

local function types_md(types, prefix)
  local groups, order = {}, {}
  for _, pair in ipairs(settings.pairs_of(types)) do -- in the wire's order: time_segment2 before 10
    local name = pair[1]
    local sig = {}
    for i, rule in ipairs(types[name]) do sig[i] = rule.what .. "\0" .. (rule.text or "") end
    sig = table.concat(sig, "\1")
    if not groups[sig] then
      groups[sig] = { rules = types[name], names = {} }
      order[#order + 1] = sig
    end
    table.insert(groups[sig].names, name)
  end
  local out = {}
  for _, sig in ipairs(order) do
    local g = groups[sig]
    out[#out + 1] = "### " .. names_text(g.names)
    out[#out + 1] = ""
    out[#out + 1] = "| parameter | what | rule |"
    out[#out + 1] = "|---|---|---|"
    for i, rule in ipairs(g.rules) do
      out[#out + 1] = "| `" .. prefix .. i .. "` | " .. rule.what .. " | " .. (rule.text or "any value") .. " |"
    end
    out[#out + 1] = ""
  end
  return table.concat(out, "\n")
end

local function families_md()
  local out = { "| op / action | key | parameters | rules |", "|---|---|---|---|" }
  for _, op in ipairs(sorted_keys(settings.families)) do
    local fam = settings.families[op]
    out[#out + 1] = "| `" .. op .. "` | `" .. fam.key .. "` | `" .. fam.prefix .. "1`.. | "
      .. (fam.types == settings.types and "[param types](#param-types)" or "[classic types](#classic-types)") .. " |"
  end
  return table.concat(out, "\n") .. "\n"
end

---------------------------------------------------------------------------
-- LuaLS definitions

local function lua_comment(text, out)
  -- markdown links and backquotes read fine in hovers; one line per sentence is enough
  out[#out + 1] = text == "" and "---" or ("--- " .. text)
end

local function method_lua(rec, class_var, out)
  if rec.alias then
    out[#out + 1] = "--- Another name of `" .. rec.alias .. "`."
    out[#out + 1] = class_var .. "." .. rec.name .. " = " .. class_var .. "." .. rec.alias
    out[#out + 1] = ""
    return
  end
  lua_comment(rec.summary, out)
  if rec.sends then lua_comment("", out); lua_comment("Sends " .. rec.sends .. ".", out) end
  local names = {}
  for _, a in ipairs(rec.args) do
    names[#names + 1] = a[1]
    out[#out + 1] = "---@param " .. a[1] .. (a.optional and "? " or " ") .. a[2] .. " " .. (a[3]:gsub("\n", " "))
  end
  if rec.errors then
    out[#out + 1] = "---@return " .. rec.result .. " values"
    out[#out + 1] = "---@return " .. rec.errors .. " errs"
  elseif rec.plain or rec.raises then
    out[#out + 1] = "---@return " .. (rec.result or "nil")
  else
    out[#out + 1] = "---@return " .. rec.result .. "? result" .. (rec.returns and (" " .. rec.returns) or "")
    local err = rec.cached and "growatt.Error|growatt.CacheInfo|nil" or "growatt.Error?"
    out[#out + 1] = "---@return " .. err .. " err"
  end
  out[#out + 1] = "function " .. class_var .. ":" .. rec.name .. "(" .. table.concat(names, ", ") .. ") end"
  out[#out + 1] = ""
end

local function types_lua(all)
  local out = {
    "---@meta growatt",
    "-- Generated by tools/gendocs.lua (`make docs`) from the endpoint tables and tools/apidoc.lua:",
    "-- do not edit. Editor support: docs/editors.md.",
    "",
  }
  local kinds = {}
  for _, k in ipairs(sorted_keys(errors.kinds)) do kinds[#kinds + 1] = '"' .. k .. '"' end
  out[#out + 1] = "---@alias growatt.ErrorKind " .. table.concat(kinds, "|")
  out[#out + 1] = "---@alias growatt.Timespan 0|1|2"
  out[#out + 1] = ""
  for _, c in ipairs(apidoc.classes) do
    out[#out + 1] = "--- " .. c[2]
    out[#out + 1] = "---@class " .. c[1]
    for _, fld in ipairs(c[3]) do
      out[#out + 1] = "---@field " .. fld[1] .. " " .. fld[2] .. " " .. fld[3]
    end
    out[#out + 1] = ""
  end
  out[#out + 1] = "--- The Growatt solar-inverter cloud client."
  out[#out + 1] = "---@class growatt"
  out[#out + 1] = "---@field _VERSION string the module's version"
  out[#out + 1] = "---@field null lightuserdata JSON null in results"
  out[#out + 1] = "---@field Timespan { hour: 0, day: 1, month: 2 } chart steps"
  out[#out + 1] = "---@field DeviceType table<string, integer> OpenAPI device types (MIN = 7, SPH = 5, ...)"
  out[#out + 1] = "---@field regions table<string, { url: string, label: string, deprecated: boolean? }> servers"
  out[#out + 1] = "---@field errors { kinds: table<growatt.ErrorKind, true>, is: fun(v: any, kind: string?): boolean }"
  for _, k in ipairs({ "BATT_MODE_LOAD_FIRST", "BATT_MODE_BATTERY_FIRST", "BATT_MODE_GRID_FIRST" }) do
    out[#out + 1] = "---@field " .. k .. " integer " .. growatt[k]
  end
  out[#out + 1] = "local growatt = {}"
  out[#out + 1] = ""
  for _, d in ipairs(apidoc.functions) do
    method_lua(from_apidoc(d.name:match("[%w_]+$"), d), "growatt", out)
    out[#out] = nil
    out[#out] = out[#out]:gsub("^function growatt:", "function growatt.")
    out[#out + 1] = ""
  end
  for _, entry in ipairs(all) do
    local cls = entry.class
    local var = cls.name:match("[%w_]+$")
    local parent = getmetatable(cls.class) and getmetatable(cls.class).__index
    out[#out + 1] = "---@class " .. cls.name .. (parent == growatt.Api and " : growatt.Api" or "")
    out[#out + 1] = "---@field server_url string the server; can be changed at any time"
    out[#out + 1] = "local " .. var .. " = {}"
    out[#out + 1] = ""
    for _, rec in ipairs(entry.methods) do method_lua(rec, var, out) end
    if cls.devices then
      for _, dev in ipairs({ { "min", "Min" }, { "sph", "Sph" } }) do
        out[#out + 1] = "--- A " .. dev[1]:upper() .. " inverter of the OpenAPI (`v1:device`)."
        out[#out + 1] = "---@class growatt." .. dev[2]
        out[#out + 1] = "---@field device_sn string its serial number"
        out[#out + 1] = "local " .. dev[2] .. " = {}"
        out[#out + 1] = ""
        for _, rec in ipairs(device_methods(dev[1], entry.methods)) do method_lua(rec, dev[2], out) end
      end
    end
  end
  out[#out + 1] = "return growatt"
  return table.concat(out, "\n") .. "\n"
end

---------------------------------------------------------------------------
-- Files

local function read(path)
  local f = io.open(path, "rb")
  if not f then fail("cannot read %s", path) end
  local s = f:read("*a")
  f:close()
  return s
end

-- Replaces each generated block of `text` by blocks[name].
local function fill(text, blocks, path)
  local used = {}
  local out = text:gsub("(<!%-%- generated: ([%w_]+) %-%->\n).-(<!%-%- end generated %-%->)",
    function(open, name, close)
      used[name] = true
      return open .. (blocks[name] or fail("%s: unknown block '%s'", path, name)) .. close
    end)
  for name in pairs(blocks) do
    if not used[name] then fail("%s has no block '%s'", path, name) end
  end
  return out
end

--- The generated files: { [relative path] = content }, from the docs under `root`.
function gendocs.generate(root)
  root = root or "."
  local all = gendocs.methods()
  local notice = "<!-- Made by tools/gendocs.lua (`make docs`) from lua/growatt/*.lua and tools/apidoc.lua: "
    .. "edit those, not this block. -->\n\n"
  local api = {
    functions = notice .. functions_md(),
    shinephone = notice .. class_md(all[1]),
    openapi = notice .. class_md(all[2]),
    devices = notice .. devices_md(all[2].methods),
    v4 = notice .. class_md(all[3]),
  }
  local set = {
    families = notice .. families_md(),
    types = notice .. types_md(settings.types, "param"),
    classic_types = notice .. types_md(settings.classic_types, "command_"),
  }
  return {
    ["docs/api.md"] = fill(read(root .. "/docs/api.md"), api, "docs/api.md"),
    ["docs/settings.md"] = fill(read(root .. "/docs/settings.md"), set, "docs/settings.md"),
    ["types/growatt.lua"] = types_lua(all),
  }
end

--- Writes the generated files under `out`.
function gendocs.write(files, out)
  for _, path in ipairs(sorted_keys(files)) do
    local f = assert(io.open(out .. "/" .. path, "wb"))
    f:write(files[path])
    f:close()
  end
end

if arg and arg[0] and arg[0]:match("gendocs%.lua$") then
  local root = arg[1] or "."
  gendocs.write(gendocs.generate(root), arg[2] or root)
end

return gendocs
