-- Bad input, over real HTTP against the sandbox: every public method with every kind of odd
-- argument, and the calls that read a reply's fields with every kind of odd reply.
--
-- Arguments. Each argument of each method is given, in turn, a table, a boolean, a function,
-- nil, "", a 1 MiB string, a string with a NUL byte, invalid UTF-8, -1, 1.5, NaN, +-inf, 2^63
-- and 1e308, the other arguments being valid. What each does is decided per kind of argument
-- (KINDS below), and is one of:
--   raise    a wrong Lua type, nil where the argument is required, or a value that is no value
--            of its kind: an id or integer that is not a whole number written exactly (NaN,
--            infinities, fractions, floats beyond 2^53), a date that is no date, a timespan
--            other than 0, 1, 2, a time of day that is none. A Lua error at the caller's line
--            naming the argument and the method; nothing is sent.
--   invalid  a value of the right kind that the client refuses to send: a setting out of its
--            range, a time segment or period that does not exist, a URL over client.MAX_URL
--            (4 KiB: a 1 MiB serial in a query; see client.MAX_URL for why). nil, err of kind
--            invalid; nothing is sent.
--   sent     anything else goes on the wire byte for byte: "", NUL bytes, invalid UTF-8, 1 MiB
--            in a form body, whole numbers as written ("-1"), nil for an optional argument
--            (left out) or one with a default. The server answers: a result, or nil, err of
--            the kind it calls for (api: "no such device", http: 404 for an unknown op, ...).
-- In every case: no Lua error from inside the library, and the same api object then makes a
-- good call.
local growatt = require("growatt")
local client = require("growatt.engine.client")
local core = require("growatt.core")
local errors = require("growatt.errors")
local json = require("growatt.json")
local openapi = require("growatt.openapi")
local sandbox = require("spec.support.sandbox")

-- The sandbox's control API through one kept-alive session of the C core rather than a curl
-- process per call (spec.support.sandbox): the matrix makes thousands of them.
local S = { start = sandbox.start, stop = sandbox.stop }
local control_session

local function control(method, name, value)
  control_session = control_session or core.session({ timeout = 30 })
  local res, err = control_session:request(method, sandbox.url() .. "__sandbox/" .. name, value ~= nil and
    { body = type(value) == "string" and value or assert(json.encode(value)), content_type = "application/json" }
    or nil)
  assert(res and res.status == 200, "sandbox control " .. name .. ": " .. tostring(res and res.body or err))
  return assert(json.decode(res.body))
end

function S.reset() control("POST", "reset") end
function S.stats() return control("GET", "stats") end
function S.requests() return control("GET", "requests") end
function S.faults(rules) return control("POST", "faults", next(rules) == nil and "[]" or rules) end
function S.state(patch) return control("POST", "state", patch) end
function S.last()
  local log = S.requests()
  return log[#log]
end

local unpack = table.unpack or unpack

local P1, P2, P3 = "2222207", "2222208", "2222209"
local MIX, STO, TLX, BAT, INV, NOAH = "SPH6K00207", "STO5K00207", "MIN4K00208", "APX5K00208", "INV3K00209",
  "NOAH200209"
local DAY = "2026-11-24"
local HUGE = ("x"):rep(2 ^ 20)
local TOKEN = "demo-token"

-- The odd values, each with its class (a column of KINDS).
local VALUES = {
  { "a table", {}, "table" }, { "a boolean", true, "boolean" }, { "a function", print, "function" },
  { "nil", nil, "nil" }, { "an empty string", "", "string" }, { "a 1 MiB string", HUGE, "huge" },
  { "a NUL byte", "a\0b", "string" }, { "invalid UTF-8", "\255\254", "string" },
  { "-1", -1, "whole" }, { "1.5", 1.5, "odd" }, { "NaN", 0 / 0, "odd" }, { "inf", math.huge, "odd" },
  { "-inf", -math.huge, "odd" }, { "2^63", 2 ^ 63, "odd" }, { "1e308", 1e308, "odd" },
}

-- Outcome by kind of argument and class of value. "url": invalid when the argument goes into
-- the URL's query (too long), sent when it goes into a body. A nil for an optional argument or
-- one with a default is always sent (left out, or the default).
local COLUMNS = { "table", "boolean", "function", "nil", "string", "huge", "whole", "odd" }
local R, I, W = "raise", "invalid", "sent"
local KINDS = {
  --                  table boolean function nil string huge whole odd
  id =              { R,    R,      R,       R,  W,     "url", W, R },
  optional_id =     { R,    R,      R,       W,  W,     "url", W, R },
  string =          { R,    R,      R,       R,  W,     "url", R, R },
  timespan =        { R,    R,      R,       R,  R,     R,     R, R },
  date =            { R,    R,      R,       W,  R,     R,     W, R },
  integer =         { R,    R,      R,       R,  R,     R,     W, R },
  number =          { R,    R,      R,       R,  R,     R,     I, I }, -- then the setting's range
  flag =            { R,    W,      R,       R,  R,     R,     R, R },
  on_off =          { R,    W,      R,       R,  R,     R,     R, R },
  clock =           { R,    R,      R,       R,  R,     R,     R, R },
  periods =         { I,    R,      R,       R,  R,     R,     R, R }, -- {}: not 3 periods
  segment =         { R,    R,      R,       R,  I,     I,     I, I }, -- time_segment1..9 only
  text =            { R,    R,      R,       R,  I,     I,     I, I }, -- then the setting's range
  params =          { I,    R,      R,       R,  R,     R,     R, R }, -- {}: parameters missing
  named =           { W,    R,      R,       R,  R,     R,     R, R },
  param_or_params = { I,    R,      R,       R,  I,     I,     I, I }, -- charge_power: 0..100
  settings_table =  { I,    R,      R,       W,  R,     R,     R, R }, -- {}: no current values
  param_values =    { I,    I,      R,       I,  I,     I,     I, I }, -- ac_charge: 0 or 1
  sns =             { I,    R,      R,       R,  I,     I,     R, R }, -- {}: no serial; letters and digits
  value =           { I,    I,      R,       R,  I,     I,     I, I }, -- then the endpoint's range
  day =             { R,    R,      R,       W,  I,     I,     W, R }, -- nil: today; yyyy-MM-dd
}

-- Outcomes that differ from the kind's, by "method argument": class -> outcome.
local OVERRIDES = {
  -- Noah's setting types are not checked: an empty parameter list is the server's to refuse
  ["update_noah_settings parameters"] = { table = W },
  -- the plant's current settings are read first, with the plant id in the query
  ["update_plant_settings plant_id"] = { huge = I },
  -- v1: time_unit must be day, month or year; pages and rows are counted from 1
  ["plant_energy_history time_unit"] = { string = I, huge = I },
  ["plant_energy_history page"] = { whole = I }, ["plant_energy_history perpage"] = { whole = I },
  ["min_energy_history page"] = { whole = I }, ["min_energy_history limit"] = { whole = I },
  ["sph_energy_history page"] = { whole = I }, ["sph_energy_history limit"] = { whole = I },
  -- v1 register reads: a parameter id and a start address exclude each other (the baseline
  -- names a parameter), so any start address is refused
  ["min_read_parameter start_address"] = { whole = I }, ["sph_read_parameter start_address"] = { whole = I },
  ["min_read_parameter parameter_id"] = { ["nil"] = I }, ["sph_read_parameter parameter_id"] = { ["nil"] = I },
  -- v1 writes: the type names a setting; an unknown one is sent; segment and mode are ranged
  ["min_write_time_segment segment_id"] = { whole = I }, ["min_write_time_segment batt_mode"] = { whole = I },
  ["min_write_parameter parameter_values"] = { ["nil"] = I },
  ["sph_write_parameter parameter_values"] = { ["nil"] = I },
  -- v4: the device type is one of nine names; switches take booleans; a page counts from 1
  ["v4 device_type"] = { string = I, huge = I }, ["v4 page"] = { whole = I },
  ["v4 set_on_off value"] = { boolean = W }, ["v4 set_grid_charge value"] = { boolean = W },
  ["v4 set_off_grid value"] = { boolean = W }, ["v4 set_device value"] = { table = W },
  ["v4 set_time_segment enabled"] = { boolean = W },
  ["v4 set_vpp_parameter value"] = { boolean = W }, ["v4 set_new_vpp_parameter value"] = { boolean = W }, -- 1/0
}

local function outcome(method, spec, class, where, family)
  local o = (OVERRIDES[method .. " " .. spec[1]] or {})[class]
  if family and o == nil then
    o = (OVERRIDES[family .. " " .. method .. " " .. spec[1]] or OVERRIDES[family .. " " .. spec[1]] or {})[class]
  end
  if o == nil then
    local row = KINDS[spec[2]]
    for i, c in ipairs(COLUMNS) do
      if c == class then o = row[i] end
    end
    if class == "nil" and (spec.optional or spec[3] ~= nil) then o = W end
  end
  if o == "url" then o = where == "query" and I or W end
  return o
end

-- Where an argument goes on the wire: "query", "form" or nil (not sent as itself).
local function placement(ep, name)
  for _, where in ipairs({ "query", "form", "multipart" }) do
    for _, p in ipairs(ep[where] or {}) do
      if type(p[2]) == "table" and p[2].arg == name then return where end
    end
  end
end

-- Valid arguments of every endpoint method of the password API (logged in as demo).
local LEGACY = {
  plant_list = { 1234567 }, plant_detail = { P1, 1, DAY }, plant_list_two = {}, plant_info = { P1 },
  plant_energy_data = { P1 }, inverter_data = { INV, DAY }, inverter_detail = { INV }, inverter_detail_two = { INV },
  tlx_data = { TLX, DAY }, tlx_detail = { TLX }, tlx_params = { TLX }, tlx_system_status = { P2, TLX },
  tlx_energy_overview = { P2, TLX }, tlx_energy_prod_cons = { P2, TLX, 1, DAY }, tlx_battery_info = { BAT },
  tlx_battery_info_detailed = { P2, BAT }, mix_info = { MIX, P1 }, mix_totals = { MIX, P1 },
  mix_system_status = { MIX, P1 }, mix_detail = { MIX, P1, 1, DAY }, dashboard_data = { P1, 1, DAY },
  storage_detail = { STO }, storage_params = { STO }, storage_energy_overview = { P1, STO },
  is_plant_noah_system = { P3 }, noah_system_status = { NOAH }, noah_info = { NOAH }, device_list = { P1 },
  inverter_list = { P1 }, discover_server = { "demo" }, plant_settings = { P1 }, get_plant_settings = { P1 },
  update_plant_settings = { P1, { plantName = "Renamed" } },
  update_inverter_setting = { MIX, "backflow_setting",
    { op = "mixSetApiNew", serialNum = MIX, type = "backflow_setting" }, { 1, 55 } },
  update_mix_inverter_setting = { MIX, "backflow_setting", { 1, 55 } },
  update_ac_inverter_setting = { MIX, "backflow_setting", { 1, 55 } },
  update_tlx_inverter_setting = { TLX, "charge_power", 55 },
  update_tlx_inverter_time_segment = { TLX, 3, 1, "06:05", "08:00", true },
  tlx_all_settings = { TLX }, tlx_enabled_settings = { TLX, DAY }, get_mix_inverter_settings = { MIX },
  update_noah_settings = { NOAH, "default_power", { 300 } },
  update_classic_inverter_setting = { { action = "inverterSet", serialNum = INV, paramId = "pv_active_p_rate" },
    { command_1 = "40", command_2 = "" } },
  set_classic_inverter_active_power_rate = { INV, 40 }, set_classic_inverter_on_off = { INV, true },
  classic_inverter_info = { INV },
}

local PERIODS = { { start_time = "1:00", end_time = "5:30", enabled = true },
                  { start_time = "13:00", end_time = "14:00" }, { start_time = "0:00", end_time = "0:00" } }

-- ... and of the OpenAPI v1 client's (token "demo-token").
local V1 = {
  plant_list = {}, discover_server = { "demo" }, plant_details = { P1 }, plant_energy_overview = { P1 },
  plant_power_overview = { P1, DAY },
  plant_energy_history = { P1 }, device_list = { P1 },
  min_detail = { TLX }, min_energy = { TLX }, min_settings = { TLX }, min_energy_history = { TLX },
  min_read_parameter = { TLX, "pv_on_off" }, min_write_parameter = { TLX, "ac_charge", 1 },
  min_write_time_segment = { TLX, 1, 1, "06:00", "08:00", true },
  sph_detail = { MIX }, sph_energy = { MIX }, sph_energy_history = { MIX },
  sph_read_parameter = { MIX, "ac_charge" }, sph_write_parameter = { MIX, "ac_charge", 1 },
  sph_write_ac_charge_times = { MIX, 50, 90, true, PERIODS },
  sph_write_ac_discharge_times = { MIX, 50, 10, PERIODS },
}

-- ... and of the OpenAPI v4 client's.
local V4 = {
  device_list = {}, device_info = { NOAH, "noah" }, last_data = { TLX, "min" }, history = { TLX, "min", DAY },
  devices_history = { { TLX }, "min", DAY }, read_power = { NOAH, "noah" }, wifi_signal = { TLX, "min" },
  read_vpp_parameter = { TLX, "min", 5 }, dfc_data = { TLX, "min" }, device_info_param = { NOAH, "noah" },
  set_on_off = { INV, "inv", true }, set_power = { NOAH, "noah", 300 }, set_high_limit_soc = { NOAH, "noah", 95 },
  set_low_limit_soc = { NOAH, "noah", 10 }, set_grid_charge = { NOAH, "noah", 1 }, set_off_grid = { NOAH, "noah", 0 },
  set_device = { NOAH, "noah", { deviceId = INV } },
  set_time_segment = { NOAH, "noah", 1, "06:00", "08:00", 0, 300, true },
  set_vpp_parameter = { TLX, "min", 5, 80 }, set_new_vpp_parameter = { TLX, "min", 5, 80 },
  remove_vpp_time_period = { TLX, "min", 34 },
}

-- Calls api[name](api, args[1..n]) from this line: a misuse error must name this file.
local function call(api, name, args, n)
  local r = { n = 0 }
  r.v, r.err = api[name](api, unpack(args, 1, n))
  return r
end

-- pcall(call, ...) -> { raised = message } or { v, err }.
local function attempt(api, name, args, n)
  local ok, r = pcall(call, api, name, args, n)
  if not ok then return { raised = tostring(r) } end
  return r
end

-- The value as the sandbox must have received it, for the kinds sent as themselves.
local function wire(v)
  if type(v) == "number" then return string.format("%d", v) end
  return v
end

local function received(r, where, name)
  for _, p in ipairs(r[where] or {}) do
    if p[1] == name then return p[2] end
  end
end

-- The wire name of an argument in an entry's lists.
local function wire_name(ep, arg)
  for _, where in ipairs({ "query", "form", "multipart" }) do
    for _, p in ipairs(ep[where] or {}) do
      if type(p[2]) == "table" and p[2].arg == arg then return p[1] end
    end
  end
end

local function label(method, spec, value_name)
  return string.format("%s(%s = %s)", method, spec[1], value_name)
end

-- Checks one case's result against its expected outcome; returns the number of requests the
-- sandbox must have received for it (0 or 1 and up).
local function judge(method, spec, value, expected, r)
  local what = label(method, spec, value[1])
  if expected == R then
    assert(r.raised, what .. ": expected a raise, got " .. tostring(r.err or r.v))
    assert(r.raised:find("^[^\n]*badinput_spec%.lua:%d+: bad argument '" .. spec[1]:gsub("%p", "%%%0")),
      what .. ": the raise must name the argument at the caller's line: " .. r.raised:sub(1, 300))
    assert(r.raised:find("to '" .. method .. "'", 1, true), what .. ": the raise must name the method: " .. r.raised)
    assert(#r.raised < 300, what .. ": a message of " .. #r.raised .. " bytes")
    return
  end
  assert(not r.raised, what .. ": raised " .. tostring(r.raised):sub(1, 300))
  if expected == I then
    assert(r.v == nil and errors.is(r.err, "invalid"), what .. ": expected invalid, got " .. tostring(r.err or r.v))
    assert(#tostring(r.err) < 300, what .. ": a message of " .. #tostring(r.err) .. " bytes")
    return
  end
  if r.v == nil then
    assert(errors.is(r.err), what .. ": not an error value: " .. tostring(r.err))
    assert(r.err.kind ~= "invalid" and r.err.kind ~= "timeout" and r.err.kind ~= "network",
      what .. ": sent, but " .. tostring(r.err))
    assert(#tostring(r.err) < 300, what .. ": a message of " .. #tostring(r.err) .. " bytes")
  end
end

-- Runs the matrix of one method: the raise and invalid cases first (the sandbox must then have
-- received nothing), then the sent ones (each checked on the wire, in the sandbox's log, where
-- the argument goes as itself), then one good call. `sent` counts the requests the api made
-- (its on_request hook), so that each case finds its own in the log.
local function matrix(api, sent, method, ep, args, family)
  local positions = {}
  for i, spec in ipairs(ep.args or {}) do positions[i] = spec end
  if ep.write then positions[#positions + 1] = { "options", "write_options", optional = true } end
  local quiet, loud = {}, {}
  for i, spec in ipairs(positions) do
    for _, value in ipairs(VALUES) do
      local expected
      if spec[2] == "write_options" then -- nil, or a table (no dry_run: sent); anything else raises
        expected = (value[3] == "nil" or value[3] == "table") and W or R
      else
        expected = outcome(method, spec, value[3], placement(ep, spec[1]), family)
      end
      local case = { i = i, spec = spec, value = value, expected = expected }
      if expected == W then loud[#loud + 1] = case else quiet[#quiet + 1] = case end
    end
  end
  local n = #positions
  sent.n = S.stats().requests
  local before = sent.n
  local function run(case)
    local a = { unpack(args, 1, n) }
    a[case.i] = case.value[2]
    return attempt(api, method, a, n)
  end
  for _, case in ipairs(quiet) do
    judge(method, case.spec, case.value, case.expected, run(case))
    assert(sent.n == before, label(method, case.spec, case.value[1]) .. ": sent a request")
  end
  assert.equal(before, S.stats().requests, method .. ": a raised or invalid call reached the sandbox")
  for _, case in ipairs(loud) do
    local first = sent.n + 1
    judge(method, case.spec, case.value, W, run(case))
    assert(sent.n >= first, label(method, case.spec, case.value[1]) .. ": nothing was sent")
    case.last = sent.n
  end
  local log = S.requests()
  assert.equal(sent.n, #log, method .. ": the sandbox did not receive what the api sent")
  for _, case in ipairs(loud) do
    local name, kind = wire_name(ep, case.spec[1]), case.spec[2]
    if name and case.value[2] ~= nil and (kind == "id" or kind == "optional_id" or kind == "string") then
      local expected = wire(case.value[2])
      if kind == "optional_id" and expected == "" then expected = nil end -- "" leaves it out
      assert(expected == received(log[case.last], placement(ep, case.spec[1]), name),
        label(method, case.spec, case.value[1]) .. ": not on the wire as given")
    end
  end
  local r = attempt(api, method, args, #(ep.args or {}))
  assert(not r.raised and (r.v ~= nil or not errors.is(r.err, "network")),
    method .. ": the api failed after its bad inputs: " .. tostring(r.raised or r.err))
end

describe("bad input", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)

  -- What the test's api sent, counted by its on_request hook: after each test the sandbox
  -- must have received exactly that (nothing from the raised or invalid calls).
  local sent
  before_each(function() sent = { n = 0 } end)
  after_each(function()
    if sent.api then assert.equal(sent.n, S.stats().requests, "the sandbox received what the api did not send") end
  end)

  -- An api that counts what it sends in sent.n.
  local function legacy_api(counter)
    S.reset()
    counter.api = true
    local api = growatt.new({ server_url = url, timeout = 5, login_interval = 0, retries = false,
                              on_request = function() counter.n = counter.n + 1 end })
    assert(api:login("demo", "demo-password"))
    return api
  end

  local function v1_api(counter)
    S.reset()
    counter.api = true
    S.state({ v1 = { window = 0 } })
    return growatt.openapi({ server_url = url, token = TOKEN, timeout = 5, min_interval = 0, retries = false,
                             on_request = function() counter.n = counter.n + 1 end })
  end

  local function v4_api(counter)
    S.reset()
    counter.api = true
    S.state({ v4 = { scale = 0 } })
    return growatt.v4({ server_url = url, token = TOKEN, timeout = 5, retries = false, intervals = false,
                        on_request = function() counter.n = counter.n + 1 end })
  end

  -- One test per method of a class's endpoint entries, with the valid arguments in `valid`.
  local function each_method(title, class, valid, make_api, family)
    describe(title, function()
      local names = {}
      for name in pairs(class._endpoints) do names[#names + 1] = name end
      table.sort(names)
      for _, name in ipairs(names) do
        it(name, function()
          assert(valid[name], "no valid arguments for " .. name)
          matrix(make_api(sent), sent, name, class._endpoints[name], valid[name], family)
        end)
      end
    end)
  end
  each_method("every endpoint method of the password API, every argument, every odd value", growatt.Api, LEGACY,
    legacy_api)
  each_method("every method of the OpenAPI v1 client, every argument, every odd value", openapi.OpenApi, V1, v1_api)
  each_method("every method of the OpenAPI v4 client, every argument, every odd value",
    require("growatt.v4.client").V4, V4, v4_api, "v4")

  -- Each odd value in turn as one argument of a method that is not an endpoint entry:
  -- expect(value) says what must happen ("raise" naming `arg`, or a function checking the
  -- result); the api must send nothing for the raises.
  local function each_value(api, method, arg, make_args, expect)
    for _, value in ipairs(VALUES) do
      local args, n = make_args(value[2])
      local what = method .. "(" .. arg .. " = " .. value[1] .. ")"
      local count = sent.n
      local r = attempt(api, method, args, n)
      local e = expect(value)
      if e == R then
        assert(r.raised, what .. ": expected a raise, got " .. tostring(r.err or r.v))
        assert(r.raised:find("^[^\n]*badinput_spec%.lua:%d+: ") and r.raised:find(arg, 1, true)
          and r.raised:find(method, 1, true), what .. ": " .. r.raised:sub(1, 300))
        assert(#r.raised < 300, what .. ": a message of " .. #r.raised .. " bytes")
        assert.equal(count, sent.n, what .. ": sent something")
      else
        assert(not r.raised, what .. ": raised " .. tostring(r.raised):sub(1, 300))
        e(r, what, value)
      end
    end
  end

  local function is_type(v) return v == "table" or v == "boolean" or v == "function" end

  it("login: user names and passwords of any bytes are sent in the form; wrong types raise", function()
    S.reset()
    sent.api = true
    -- not logged in: a login of a user with a live stored session sends nothing
    local api = growatt.new({ server_url = url, timeout = 5, login_interval = 0,
                              on_request = function() sent.n = sent.n + 1 end })
    local function refused(kind, code)
      return function(r, what)
        assert(r.v == nil and errors.is(r.err, kind) and r.err.code == code, what .. ": " .. tostring(r.err))
      end
    end
    each_value(api, "login", "username", function(v) return { v, "demo-password" }, 2 end, function(value)
      if value[3] == "string" or value[3] == "huge" then
        return function(r, what)
          refused("auth", "501")(r, what)
          assert(S.last().form[1][2] == value[2], what .. ": not sent as given")
        end
      end
      return R
    end)
    each_value(api, "login", "password", function(v) return { "demo", v }, 2 end, function(value)
      if value[3] == "string" or value[3] == "huge" then
        return function(r, what)
          refused("auth", "502")(r, what)
          assert(S.last().form[2][2] == growatt.hash_password(value[2]), what .. ": not sent as its hash")
        end
      end
      return R
    end)
    each_value(api, "login", "is_password_hashed", function(v) return { "demo", "x", v }, 3 end, function(value)
      if value[3] == "nil" or value[3] == "boolean" then return refused("auth", "502") end
      return R
    end)
    assert(api:login("demo", "demo-password"))
    assert(api:plant_list(1234567))
  end)

  it("resume: any user name without a stored session is session_expired, with nothing sent", function()
    local api = legacy_api(sent)
    local before = S.stats().requests
    each_value(api, "resume", "username", function(v) return { v }, 1 end, function(value)
      if value[3] == "string" or value[3] == "huge" then
        return function(r, what) assert(errors.is(r.err, "session_expired"), what .. ": " .. tostring(r.err)) end
      end
      return R
    end)
    assert.equal(before, S.stats().requests)
  end)

  it("batch: calls, each call's method and arguments, and the options are checked before anything is sent",
    function()
    local api = legacy_api(sent)
      each_value(api, "batch", "calls", function(v) return { v }, 1 end, function(value)
        if value[3] == "table" then
          return function(r, what) assert(next(r.v) == nil and next(r.err or {}) == nil, what) end
        end
        return R
      end)
      -- a call that is no table, a method that is no endpoint, an argument its method refuses
      each_value(api, "batch", "call 1", function(v) return { { v } }, 1 end, function(value)
        return value[3] == "nil" and function(r, what) assert(#r.v == 0, what) end or R -- { nil }: no calls
      end)
      each_value(api, "batch", "call 1", function(v) return { { { v } } }, 1 end, function() return R end)
      each_value(api, "batch", "call 1", function(v) return { { { "plant_list", v } } }, 1 end, function(value)
        if value[3] == "string" or value[3] == "whole" then
          return function(r, what) assert(errors.is(r.err[1], "api"), what .. ": " .. tostring(r.err[1])) end
        elseif value[3] == "huge" then
          return function(r, what) assert(errors.is(r.err[1], "invalid"), what .. ": " .. tostring(r.err[1])) end
        end
        return R
      end)
      local ok = { { "plant_list", 1234567 } }
      each_value(api, "batch", "opts", function(v) return { ok, v }, 2 end, function(value)
        if value[3] == "nil" or value[3] == "table" then
          return function(r, what) assert(r.v[1] and r.v[1].data, what) end
        end
        return R
      end)
      each_value(api, "batch", "concurrency", function(v) return { ok, { concurrency = v } }, 2 end, function(value)
        if value[3] == "nil" then return function(r, what) assert(r.v[1], what) end end
        return R
      end)
      local values = api:batch({ { "plant_list", 1234567 }, { "device_list", P1 } })
      assert.equal(P1, values[1].data[1].plantId)
      assert.is_table(values[2][1])
    end)

  it("walk: the options are checked before anything is sent", function()
    local api = legacy_api(sent)
    each_value(api, "walk", "opts", function(v) return { v }, 1 end, function(value)
      if value[3] == "nil" or value[3] == "table" then
        return function(r, what) assert(#r.v.plants == 3, what) end
      end
      return R
    end)
    each_value(api, "walk", "concurrency", function(v) return { { concurrency = v } }, 1 end, function(value)
      if value[3] == "nil" then return function(r, what) assert(#r.v.plants == 3, what) end end
      return R
    end)
  end)

  it("stats takes no arguments and ignores any; a closed api answers every call with closed", function()
    local api = legacy_api(sent)
    for _, value in ipairs(VALUES) do assert.is_table(api:stats(value[2])) end
    api:close()
    api:close()
    sent.api = false -- the hook still sees the calls a closed session refuses
    local before = S.stats().requests
    local _, err = api:plant_list(1234567)
    assert.equal("closed", err.kind)
    _, err = api:login("other", "other-password")
    assert.equal("closed", err.kind)
    local _, errs = api:batch({ { "plant_list", 1234567 } })
    assert.equal("closed", errs[1].kind)
    assert.equal(before, S.stats().requests)
  end)

  it("OpenAPI device objects: a serial of any bytes makes one (its calls send it); a type without a class is "
    .. "invalid", function()
    local api = v1_api(sent)
    each_value(api, "device", "device_sn", function(v) return { v, growatt.DeviceType.MIN }, 2 end, function(value)
      if value[3] == "string" or value[3] == "huge" then
        return function(r, what) assert(r.v.device_sn == value[2], what) end
      end
      return R
    end)
    each_value(api, "device", "device_type", function(v) return { TLX, v }, 2 end, function(value)
      if is_type(value[3]) or value[3] == "nil" then return R end
      return function(r, what) assert(errors.is(r.err, "invalid"), what .. ": " .. tostring(r.err)) end
    end)
    local min = assert(api:device("a\0b", "min"))
    local _, err = min:detail()
    assert.equal("api", err.kind)
    assert.equal("a\0b", S.last().query[1][2])
    local data = assert(assert(api:device(TLX, 7)):detail())
    assert.is_table(data)
  end)

  it("OpenAPI set_token: a token a header cannot carry raises, without showing it", function()
    local api = v1_api(sent)
    each_value(api, "set_token", "token", function(v) return { v }, 1 end, function(value)
      if value[2] == "\255\254" then -- a header can carry it: Growatt does not know it
        return function(_, what)
          local _, err = api:plant_list()
          assert(errors.is(err, "auth"), what .. ": " .. tostring(err))
        end
      end
      return R
    end)
    for _, bad in ipairs({ "", "a\0b", "a\r\nX-Evil: 1", "a\fb", HUGE }) do
      local ok, msg = pcall(api.set_token, api, bad)
      assert.is_false(ok)
      if #bad > 3 then assert.is_nil(msg:find(bad, 1, true)) end
      assert.has_error(function() growatt.openapi({ server_url = url, token = bad }) end)
    end
    api:set_token(TOKEN)
    assert.is_table(api:plant_list())
  end)

  it("OpenAPI reads computed from settings: a settings table of any shape gives defaults, never an error",
    function()
    local api = v1_api(sent)
      local shapes = { {}, { data = 5 }, { data = {} }, { forcedTimeStart1 = {}, time1Mode = 0 / 0 },
                       { forcedTimeStart1 = "99999999999999999999:1", forcedTimeStop1 = "7:5:9",
                         chargePowerCommand = "1e308", forcedChargeStopSwitch1 = math.huge } }
      for method, sn in pairs({ min_read_time_segments = TLX, sph_read_ac_charge_times = MIX,
                                sph_read_ac_discharge_times = MIX }) do
        for _, shape in ipairs(shapes) do
          local v = api[method](api, sn, shape)
          assert.is_table(v)
        end
        each_value(api, method, "device_sn", function(v) return { v, {} }, 2 end, function(value)
          if value[3] == "string" or value[3] == "huge" then return function(r, what) assert(r.v, what) end end
          return R
        end)
        each_value(api, method, "settings_data", function(v) return { sn, v }, 2 end, function(value)
          if value[3] == "table" or value[3] == "nil" then return function(r, what) assert(r.v, what) end end
          return R
        end)
      end
      local segments = assert(api:min_read_time_segments(TLX, { forcedTimeStart1 = "99999999999999999999:1" }))
      assert.equal("00:00", segments[1].start_time)
      assert.equal("07:05", assert(api:min_read_time_segments(TLX, { forcedTimeStop1 = "7:5:9" }))[1].end_time)
    end)

  it("growatt.new and growatt.openapi: options of a wrong type or value raise at the caller's line", function()
    for name, want in pairs(growatt.OPTIONS) do
      for _, value in ipairs(VALUES) do
        if value[2] ~= nil and not want:find(type(value[2]), 1, true) then
          local ok, msg = pcall(growatt.new, { [name] = value[2] })
          assert(not ok and msg:find("option '" .. name .. "'", 1, true), name .. " = " .. value[1])
        end
      end
    end
    for _, opts in ipairs({ { timeout = -1 }, { timeout = 0 / 0 }, { connect_timeout = -math.huge },
                            { max_body = 1.5 }, { max_body = -1 }, { login_interval = 0 / 0 },
                            { server_url = "http://a\0b/" }, { agent_identifier = "x\r\nX-Evil: 1" },
                            { agent_identifier = "x\fy" },
                            { proxy = "a\0b" }, { ca_file = "a\0b" }, { region = HUGE }, { state_file = "" },
                            { budget = { per_day = 0 / 0 } }, { retries = { attempts = 1.5 } } }) do
      local ok, msg = pcall(growatt.new, opts)
      local name = next(opts)
      assert(not ok, name)
      assert(msg:find("^growatt%.new: ") and msg:find(name, 1, true) and #msg < 300, msg:sub(1, 300))
    end
  end)

  -- libcurl 7.88 broke the Cookie header of a request whose head passed 8190 bytes before it:
  -- the server waited for the rest, and the call timed out
  it("a URL longer than client.MAX_URL is refused as invalid; one at the limit is answered, with the session "
    .. "cookie and the longest user agent", function()
    S.reset()
    sent.api = true
    local api = growatt.new({ server_url = url, timeout = 5, agent_identifier = ("a"):rep(512),
                              add_random_user_id = true, on_request = function() sent.n = sent.n + 1 end })
    assert(api:login("demo", "demo-password"))
    local fixed = #(url .. "PlantListAPI.do?userId=")
    local before = S.stats().requests
    local _, err = api:plant_list(("9"):rep(client.MAX_URL - fixed + 1))
    assert.equal("invalid", err.kind)
    assert.equal(before, S.stats().requests)
    _, err = api:plant_list(("9"):rep(client.MAX_URL - fixed))
    assert.equal("api", err.kind)
    assert.equal(client.MAX_URL - fixed, #S.last().query[1][2])
  end)
end)

---------------------------------------------------------------------------
-- Replies. Each call that reads fields of a reply meets every kind of reply a server could
-- send: each gives nil, err of the kind it calls for, and the same api object then makes a
-- good call. Every fault rule is for one request (times = 1), so the good call after it also
-- shows that the bad one reached the sandbox exactly once (a redirect was not followed, a
-- failure not retried).

local DEEP = ("["):rep(10000) .. ("]"):rep(10000)

-- The calls, each with the sandbox path its fault rule matches and its good call.
local READERS = {
  { "login", "newTwoLoginAPI.do", function(api) return api:login("demo", "demo-password") end, fresh = true },
  { "plant_list", "PlantListAPI.do", function(api) return api:plant_list(1234567) end },
  { "device_list (its fallback too)", "newTwoPlantAPI.do", function(api) return api:device_list(P2) end },
  { "tlx_detail", "newTlxApi.do", function(api) return api:tlx_detail(TLX) end },
  { "mix_detail", "newMixApi.do", function(api) return api:mix_detail(MIX, P1, 1, DAY) end },
  { "classic_inverter_info", "commonDeviceSetC/setInverter", function(api) return api:classic_inverter_info(INV) end,
    text = true },
  { "batch", "PlantListAPI.do", function(api)
    local values, errs = api:batch({ { "plant_list", 1234567 } })
    return values[1], errs[1]
  end },
  { "the v1 envelope (min_detail)", "v1/device/tlx/tlx_data_info", function(api) return api:min_detail(TLX) end,
    v1 = true },
  { "v1 min_read_time_segments", "v1/device/tlx/tlx_set_info",
    function(api) return api:min_read_time_segments(TLX) end, v1 = true },
}

-- Replies every call must refuse, with the kind of error.
local REPLIES = {
  { "an empty body", { body = "" }, "protocol" },
  { "an HTML page", { html = true }, "protocol" },
  { "not JSON", { body = "{oops" }, "protocol" },
  { "a JSON string", { body = '"x"' }, "protocol" },
  { "JSON nested 10 000 deep", { body = DEEP }, "protocol" },
  { "a body cut short of its Content-Length", { truncate = 10 }, "protocol" },
  { "10 MB, over max_body (8 MiB)", { size = 10000000 }, "protocol" },
  -- twice: libcurl sends a request again, once, when a kept-alive connection closes unanswered
  { "a reset connection", { reset = true, times = 2 }, "network" },
  { "a redirect to another host", { redirect = "http://evil.example/steal?x=1" }, "http" },
  { "HTTP 500", { status = 500 }, "http" },
}

-- Replies of the right envelope with odd fields, by call: { what, body, kind or "ok" }.
local SHAPES = {
  login = {
    { "back a string", '{"back":"x"}', "protocol" },
    { "back.user a number", '{"back":{"success":true,"user":5}}', "protocol" },
    { "no user id", '{"back":{"success":true,"user":{"id":null}}}', "protocol" },
    { "msg a table", '{"back":{"success":false,"msg":{}}}', "api" },
    { "lockDuration huge", '{"back":{"success":false,"msg":"507","lockDuration":1e308}}', "locked" },
    { "lockDuration not a number", '{"back":{"success":false,"msg":"507","lockDuration":"x"}}', "locked" },
    { "invalid UTF-8 in a string", '{"back":{"success":true,"user":{"id":1234567,"accountName":"\255\254"}}}',
      "ok" },
  },
  plant_list = {
    { "back a string", '{"back":"x"}', "protocol" },
    { "back.success false", '{"back":{"success":false,"msg":7}}', "api" },
    { "data a number", '{"back":{"success":true,"data":7}}', "ok" },
    { "invalid UTF-8 in a string", '{"back":{"success":true,"data":[{"plantName":"\255"}]}}', "ok" },
  },
  ["device_list (its fallback too)"] = {
    { "deviceList a string", '{"deviceList":"x"}', "protocol" },
    { "deviceList a number", '{"deviceList":7}', "protocol" },
    { "result 0", '{"result":0,"msg":"no"}', "api" },
  },
  tlx_detail = {
    { "data a number", '{"data":7}', "ok" },
    { "result \"0\"", '{"result":"0"}', "api" },
    { "success false", '{"success":false,"msg":[]}', "api" },
  },
  mix_detail = {
    { "obj a number", '{"result":1,"obj":7}', "protocol" },
    { "obj an empty array", '{"result":1,"obj":[]}', "ok" },
    { "chartData null", '{"result":1,"obj":{"chartData":null}}', "ok" },
  },
  classic_inverter_info = {
    { "inv an array", "<script>var inv=JSON.parse('[1,2]');</script>", "protocol" },
    { "inv malformed", "<script>var inv=JSON.parse('{\"a\":');</script>", "protocol" },
    { "inv nested deep", "<script>var inv=JSON.parse('{\"a\":" .. DEEP .. "}');</script>", "protocol" },
  },
  ["the v1 envelope (min_detail)"] = {
    { "error_code \"0\"", '{"error_code":"0","data":{}}', "api" },
    { "error_code null", '{"error_code":null,"data":{}}', "protocol" },
    { "no error_code", '{"data":{}}', "protocol" },
    { "error_code -1", '{"error_code":-1,"error_msg":[]}', "moved" },
    { "data a number", '{"error_code":0,"data":7}', "ok" },
  },
  ["v1 min_read_time_segments"] = {
    { "data a number", '{"error_code":0,"data":7}', "protocol" },
    { "data null", '{"error_code":0,"data":null}', "protocol" },
    { "odd times", '{"error_code":0,"data":{"forcedTimeStart1":"99999999999999999999:1","time1Mode":"x"}}', "ok" },
  },
}

describe("bad replies", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)

  local function new_api(reader, opts)
    local o = { server_url = url, timeout = 2, login_interval = 0, retries = false }
    for k, v in pairs(opts or {}) do o[k] = v end
    if reader.v1 then
      o.token, o.min_interval = TOKEN, 0
      return growatt.openapi(o)
    end
    if reader.fresh then -- a store that keeps nothing: every login is sent
      o.store = { load = function() return {} end, save = function() return true end }
    end
    local api = growatt.new(o)
    if not reader.fresh then assert(api:login("demo", "demo-password")) end
    return api
  end

  -- One bad reply to one call, then the good call on the same api.
  local function meet(api, reader, rule, kind, what)
    rule.path, rule.times = reader[2], rule.times or 1
    S.faults({ rule })
    local v, err = reader[3](api)
    what = reader[1] .. ", " .. what
    if kind == "ok" then
      assert(v ~= nil, what .. ": " .. tostring(err))
    else
      assert(v == nil and errors.is(err, kind), what .. ": expected " .. kind .. ", got " .. tostring(err or v))
      assert(#tostring(err) < 300, what .. ": a message of " .. #tostring(err) .. " bytes")
    end
    assert.same({}, S.faults({}), what .. ": the fault was not met once")
    v, err = reader[3](api)
    assert(v ~= nil, what .. ": the next call failed: " .. tostring(err))
  end

  for _, reader in ipairs(READERS) do
    it(reader[1] .. ": every kind of bad reply is an error of its kind, and the api goes on", function()
      S.reset()
      S.state({ v1 = { window = 0 } })
      local api = new_api(reader)
      for _, reply in ipairs(REPLIES) do
        local rule = {}
        for k, v in pairs(reply[2]) do rule[k] = v end
        meet(api, reader, rule, reply[3], reply[1])
      end
      for _, shape in ipairs(SHAPES[reader[1]] or {}) do
        local rule = { body = shape[2] }
        if reader.text then rule = { status = 200, body = shape[2] } end
        meet(api, reader, rule, shape[3], shape[1])
      end
    end)
  end

  it("a 10 MB reply under max_body is read whole", function()
    S.reset()
    local api = new_api(READERS[2], { max_body = 16 * 2 ^ 20 })
    S.faults({ { path = "PlantListAPI.do", size = 10000000, times = 1 } })
    local back = assert(api:plant_list(1234567))
    assert.equal(10000000 - #'{"back":{"success":true,"padding":""}}', #back.padding)
    assert(api:plant_list(1234567))
  end)

  it("a reply that drips one byte a second is cut by the timeout, and the api goes on", function()
    S.reset()
    S.state({ v1 = { window = 0 } })
    for _, i in ipairs({ 1, 2, 7 }) do
      local reader = READERS[i]
      local api = new_api(reader, { timeout = 1 })
      S.faults({ { path = reader[2], drip = 1, times = 1 } })
      local started = os.time()
      local v, err = reader[3](api)
      assert(v == nil and errors.is(err, "timeout"), reader[1] .. ": " .. tostring(err or v))
      assert(os.time() - started <= 3, reader[1] .. ": the timeout did not cut the drip")
      assert(reader[3](api))
    end
  end)

  it("a redirect is not followed, nor taken for an expiry when it leads to another host", function()
    S.reset()
    local api = new_api(READERS[2])
    S.faults({ { path = "PlantListAPI.do", redirect = "http://evil.example/error.do", times = 1 } })
    local _, err = api:plant_list(1234567)
    assert.equal("http", err.kind)
    assert.equal(302, err.status)
    assert.equal(2, S.stats().requests) -- the login and this one
  end)
end)
