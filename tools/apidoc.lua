--- The documentation that the endpoint tables cannot hold: the methods written by hand, the
-- argument kinds and names, and the shapes of results. tools/gendocs.lua makes docs/api.md
-- and types/growatt.lua from this and the endpoint tables' `doc` fields; spec/docs_spec.lua
-- fails when a public method is documented in neither place.

local apidoc = {}

--- Argument kinds of growatt.engine.client.kinds: the LuaLS type and what the kind accepts.
apidoc.kinds = {
  id = { "string|integer", "a string, or a whole number (sent without `.0`)" },
  optional_id = { "string|integer|nil", "left out of the request when nil or `\"\"`" },
  string = { "string" },
  integer = { "integer" },
  number = { "number" },
  timespan = { "growatt.Timespan", "`growatt.Timespan.hour`, `.day` or `.month` (0, 1, 2)" },
  date = { "string|integer|osdate", '`"YYYY-MM-DD"` or `"YYYY-MM"`, an `os.time()` number or an '
    .. '`os.date("*t")` table; default today (local time)' },
  params = { "table", "a list (param1..N) or a table with names" },
  named = { "table<string, string|number>", "a table with names" },
  param_or_params = { "string|number|table", "one value (param1), a list or a table with names" },
  settings_table = { "table", "the result of plant_settings" },
  text = { "string|number" },
  clock = { "string|osdate", '`"HH:MM"` or a table with `hour` and `min`' },
  segment = { "integer|string", "1..9" },
  flag = { "boolean", "or 0 / 1" },
  on_off = { "boolean", "or 0 / 1" },
  param_values = { "string|number|boolean|table", "one value (param1), a list, or `{ [position] = value }`" },
  periods = { "growatt.Period[]", "exactly 3 periods" },
  sns = { "string|string[]", "one serial number or a list" },
  value = { "any", "checked against the endpoint's range before sending (docs/v4.md)" },
  day = { "string|integer|osdate", '`"yyyy-MM-dd"`, an `os.time()` number or an `os.date("*t")` table' },
}

--- What an argument holds, by its name (an entry's `doc.args` may say more).
apidoc.args = {
  user_id = "the user id (`login.user.id`)",
  plant_id = "a plant id",
  timespan = "the chart's step",
  date = "the day (or month, for the month timespan)",
  day = "the day",
  inverter_id = "a classic inverter's serial number",
  tlx_id = "a TLX/MIN inverter's serial number",
  serial_num = "the serial number of a TLX/MIN system's battery",
  mix_id = "a mix (SPH) inverter's serial number",
  storage_id = "a storage unit's serial number",
  serial_number = "a device's serial number",
  device_sn = "a device's serial number",
  username = "the account's user name",
  setting_type = "the setting type (docs/settings.md)",
  parameters = "param1..N (or command_1, command_2), as docs/settings.md lists them",
  default_parameters = "the fixed parameters that go first",
  changed_settings = "form field names and their new values, e.g. `{ plantTimezone = \"0\" }`",
  current_settings = "the plant's settings (read with plant_settings when not given)",
  parameter = "the value (param1), a list or a table with names",
  segment_id = "the segment, 1..9",
  batt_mode = "`growatt.BATT_MODE_LOAD_FIRST` (0), `BATTERY_FIRST` (1) or `GRID_FIRST` (2)",
  start_time = "the start, hour and minute",
  end_time = "the end, hour and minute",
  enabled = "whether it is on",
  rate = "the active power rate in %, 0..100",
  start_date = "the first day (default: end_date, else today)",
  end_date = "the last day (default: start_date)",
  time_unit = '"day", "month" or "year"',
  timezone = "a time zone name, e.g. `\"Europe/Berlin\"`",
  page = "the page, 1..250",
  perpage = "rows per page, 1..100",
  limit = "rows per page, 1..100",
  parameter_id = "the parameter's name (its setting type)",
  start_address = "the first register (instead of parameter_id)",
  end_address = "the last register",
  parameter_values = "the value(s)",
  charge_power = "the charge power in %, 0..100",
  charge_stop_soc = "stop charging at this SOC in %, 0..100",
  mains_enabled = "charge from the grid",
  discharge_power = "the discharge power in %, 0..100",
  discharge_stop_soc = "stop discharging at this SOC in %, 0..100",
  periods = "`{ start_time, end_time, enabled }` each",
  device_type = 'the v4 device type: `"inv"`, `"storage"`, `"max"`, `"sph"`, `"spa"`, `"min"`, `"wit"`, '
    .. '`"sph-s"` or `"noah"`',
  value = "the value to set",
  set_type = 'the VPP parameter: 1..34 or `"set_param_<n>"`',
  slot = "the schedule slot, 1..9",
  mode = "0 load first, 1 battery first, 2 smart",
  power = "the power in W, 0..800",
}

--- Sample values for the examples, by argument name; the ids are the sandbox's
-- (docs/sandbox.md). A device's serial number and its plant depend on the method's device family.
apidoc.samples = {
  user_id = "login.user.id", plant_id = '"2222207"', timespan = "growatt.Timespan.day",
  date = '"2026-11-24"', day = '"2026-11-24"', inverter_id = '"INV3K00209"', tlx_id = '"MIN4K00208"',
  serial_num = '"APX5K00208"', mix_id = '"SPH6K00207"', storage_id = '"STO5K00207"', username = '"demo"',
  rate = "80", enabled = "true", start_date = '"2026-11-20"', end_date = '"2026-11-24"',
  parameter_id = '"charge_power"', time_unit = '"day"',
}
apidoc.plants = {
  { "tlx", '"2222208"' }, { "min", '"2222208"' }, { "noah", '"2222209"' }, { "inverter_", '"2222209"' },
}
apidoc.serials = {
  { "noah", '"NOAH200209"' }, { "classic", '"INV3K00209"' }, { "tlx", '"MIN4K00208"' }, { "min", '"MIN4K00208"' },
  { "mix", '"SPH6K00207"' }, { "sph", '"SPH6K00207"' }, { "storage", '"STO5K00207"' },
}

local function arg(name, type, text, optional) return { name, type, text, optional = optional } end

--- The functions of the module.
apidoc.functions = {
  {
    name = "growatt.new",
    args = { arg("opts", "growatt.Options", "options ([Options](#options)); every one has a default", true) },
    "Makes a ShinePhone API object (user name and password).", result = "growatt.Api", raises = true,
    returns = "the API object; a wrong option raises", example = 'local api = growatt.new{ region = "europe" }',
  },
  {
    name = "growatt.openapi", args = { arg("opts", "growatt.OpenApiOptions", "`token`, and growatt.new's options") },
    "Makes an OpenAPI v1 object (a token instead of a login): docs/openapi.md.", result = "growatt.OpenApi",
    raises = true, returns = "the API object; a wrong option raises",
    example = 'local api = growatt.openapi{ token = os.getenv("GROWATT_TOKEN") }',
  },
  {
    name = "growatt.v4", args = { arg("opts", "growatt.V4Options", "`token`, and growatt.new's options") },
    "Makes an OpenAPI v4 object (a token; every device type): docs/v4.md.", result = "growatt.V4",
    raises = true, returns = "the API object; a wrong option raises",
    example = 'local v4 = growatt.v4{ token = os.getenv("GROWATT_TOKEN") }',
  },
  {
    name = "growatt.hash_password", args = { arg("password", "string", "the password") },
    "The password hash the ShinePhone login sends (for `login`'s is_password_hashed).", result = "string",
    raises = true, returns = "the hash", example = 'local hash = growatt.hash_password("demo-password")',
  },
}

--- The methods every client has (growatt.engine.api), documented once for each class.
local shared = {
  stats = { args = {}, "What the session policy counted for this object.", result = "growatt.Stats",
    plain = true, example = "local stats = api:stats()" },
  batch = { args = { arg("calls", "table[]", '`{ "method_name", arg1, ... }` each'),
                     arg("opts", "{ concurrency: integer? }", "at most this many in flight (default 8)", true) },
    "Many calls at once through libcurl's multi interface; one call's failure does not fail the others.",
    result = "table", returns = "`values, errs`: what each call returned, in the order of the calls",
    errors = "table", example = 'local values, errs = api:batch({ { "device_list", "2222207" }, '
      .. '{ "inverter_detail", "INV3K00209" } })' },
  close = { args = {}, "Closes the HTTP session; the object makes no calls afterwards.", plain = true,
    example = "api:close()" },
}

--- The methods written by hand, by class.
apidoc.methods = {
  ["growatt.Api"] = {
    login = { args = { arg("username", "string", "the user name"),
                       arg("password", "string", "the password or its hash"),
                       arg("is_password_hashed", "boolean", "whether `password` is the hash", true) },
      "Logs in, or takes up the live session of the same user kept in the store (no request then).",
      result = "growatt.LoginReply", returns = "the login reply (`back`) with `userId` and `userLevel`; "
        .. "errors `auth`, `locked`, `rate_limited` (the login guard)",
      example = 'local login, err = api:login("demo", "demo-password")' },
    resume = { args = { arg("username", "string", "the user name of an earlier login") },
      "Takes up the session kept in the store by an earlier login, without credentials: never logs in.",
      result = "growatt.LoginReply", returns = "the stored login reply; `session_expired` when there is none",
      example = 'local login, err = api:resume("demo")' },
    walk = { args = { arg("opts", "{ concurrency: integer? }", "as batch's", true) },
      "The whole account in three rounds of batches: plants, their devices, each device's status.",
      result = "growatt.Walk", example = "local tree, err = api:walk()" },
    readings = { args = { arg("opts", "growatt.ReadingsOptions", "`plants`, `serials`, `concurrency`", true) },
      "One normalised record per device (docs/readings.md): power, energy, battery, grid and load in W, kWh "
        .. "and %, from the fewest requests (12 for the sandbox's demo account).",
      result = "growatt.Reading[]", returns = "the records, a failed device's with `err`; "
        .. "`nil, err` only when the plant list fails; a wrong option raises",
      example = "local records, err = api:readings()" },
  },
  ["growatt.V4"] = {
    devices = { args = {}, "Every device the token may see: the pages of device_list until `lastPager`.",
      result = "table[]", returns = "the list of `{ deviceSn, deviceType, datalogSn, createDate }`",
      example = "local devices, err = v4:devices()" },
    readings = { args = { arg("opts", "growatt.ReadingsOptions", "`serials`, `concurrency` (no `plants`: v4 has none)",
                           true) },
      "One normalised record per device (docs/readings.md), from the device list and queryLastData per "
        .. "device type, 100 serials a request (10 requests for the sandbox's demo token).",
      result = "growatt.Reading[]", returns = "the records, a failed device's with `err`; "
        .. "`nil, err` only when the device list fails; a wrong option raises",
      example = "local records, err = v4:readings()" },
    raw = { args = { arg("result", "table", "a table a v4 read returned") },
      "The decoded reply (the envelope, before normalisation) that a result came from.", result = "table?",
      plain = true, returns = "the envelope, or nil", example = "local envelope = v4:raw(last)" },
    set_token = { args = { arg("token", "string", "the new token") },
      "Replaces the token.", plain = true, raises = true, example = 'v4:set_token(os.getenv("GROWATT_TOKEN"))' },
  },
  ["growatt.OpenApi"] = {
    device = { args = { arg("device_sn", "string", "the serial number"),
                        arg("device_type", "integer|string", "`growatt.DeviceType.MIN` (7) or `.SPH` (5), or "
                          .. '`"min"` / `"sph"`') },
      "An object for one MIN or SPH inverter whose methods are the `min_`/`sph_` ones without the prefix "
        .. "and the serial.", result = "growatt.Min|growatt.Sph",
      returns = "the device object; `invalid` for the types without one",
      example = 'local min = assert(v1:device("MIN4K00208", growatt.DeviceType.MIN))' },
    readings = { args = { arg("opts", "growatt.ReadingsOptions", "`plants`, `serials`, `concurrency`", true) },
      "One normalised record per device (docs/readings.md), from device_list and the MIN and SPH last-data "
        .. "endpoints (6 requests for the sandbox's demo account).",
      result = "growatt.Reading[]", returns = "the records, a failed device's with `err`; "
        .. "`nil, err` only when the plant list fails; a wrong option raises",
      example = "local records, err = v1:readings()" },
    set_token = { args = { arg("token", "string", "the new token") },
      "Replaces the token (the 5-minute windows of the old one are forgotten).", plain = true, raises = true,
      example = 'v1:set_token(os.getenv("GROWATT_TOKEN"))' },
    min_read_time_segments = { args = { arg("device_sn", "string", "a MIN inverter's serial number"),
                                        arg("settings_data", "table", "min_settings's result (read when not given)",
                                          true) },
      "A MIN inverter's nine time-of-use segments.", result = "growatt.TimeSegment[]", cached = true,
      example = 'local segments, err = v1:min_read_time_segments("MIN4K00208")' },
    sph_read_ac_charge_times = { args = { arg("device_sn", "string", "an SPH inverter's serial number"),
                                          arg("settings_data", "table", "sph_detail's result (read when not given)",
                                            true) },
      "An SPH inverter's AC charge settings.", result = "growatt.ChargeTimes", cached = true,
      example = 'local charge, err = v1:sph_read_ac_charge_times("SPH6K00207")' },
    sph_read_ac_discharge_times = { args = { arg("device_sn", "string", "an SPH inverter's serial number"),
                                             arg("settings_data", "table", "sph_detail's result (read when not "
                                               .. "given)", true) },
      "An SPH inverter's AC discharge settings.", result = "growatt.DischargeTimes", cached = true,
      example = 'local discharge, err = v1:sph_read_ac_discharge_times("SPH6K00207")' },
  },
}

for _, class in pairs(apidoc.methods) do
  for name, rec in pairs(shared) do
    local copy = {}
    for k, v in pairs(rec) do copy[k] = v end
    class[name] = copy
  end
end

--- Other names of methods: name -> the method it is.
apidoc.aliases = {
  ["growatt.Api"] = { get_plant_settings = "plant_settings" },
  ["growatt.OpenApi"] = { get_device = "device" },
}

--- The classes of results and options, for the editor types: name -> { text, fields }, each
-- field { name, type, text }.
local function f(name, type, text) return { name, type, text } end
apidoc.classes = {
  { "growatt.Error", "An error value: what the network or the server did (docs/errors.md).", {
    f("kind", "growatt.ErrorKind", "what went wrong"), f("message", "string", "what happened, in words"),
    f("code", "string|integer?", "the server's code"), f("status", "integer?", "the HTTP status"),
    f("response", "table?", "the decoded reply"), f("retry_after", "number?", "seconds to wait"),
    f("locked_until", "integer?", "when an account lock ends (epoch seconds)"),
    f("param", "string?", "the parameter an `invalid` error is about") } },
  { "growatt.Options", "Options of growatt.new (docs/api.md#options).", {
    f("server_url", "string?", "the Growatt server"), f("region", "string?", "a name of growatt.regions"),
    f("agent_identifier", "string?", "the User-Agent"), f("add_random_user_id", "boolean?", "append five digits"),
    f("timeout", "number?", "seconds per request (30)"), f("connect_timeout", "number?", "seconds to connect (10)"),
    f("ca_file", "string?", "a CA bundle"), f("proxy", "string?", "an HTTP(S) proxy URL"),
    f("max_body", "integer?", "the largest reply (8 MiB)"), f("dry_run", "boolean?", "return requests, send nothing"),
    f("state_file", "string?", "a JSON file for the session state"), f("store", "table?", "a state store"),
    f("login_interval", "number?", "seconds between logins (60)"),
    f("budget", "{ per_day: integer }?", "a request budget"),
    f("retries", "table|boolean?", "read retries"),
    f("on_request", "fun(info: table)?", "called after each request") } },
  { "growatt.OpenApiOptions : growatt.Options", "Options of growatt.openapi (docs/openapi.md).", {
    f("token", "string", "the API token"), f("cache", "boolean?", "answer repeats from the last good reply"),
    f("min_interval", "number?", "seconds between identical requests (300)") } },
  { "growatt.V4Options : growatt.Options", "Options of growatt.v4 (docs/v4.md).", {
    f("token", "string", "the API token"), f("cache", "boolean?", "answer repeats from the last good reply"),
    f("timezone", "number?", "the plants' UTC offset in hours, for `<field>_utc` where a reply has none"),
    f("intervals", "boolean?", "keep Growatt's intervals before sending (true)") } },
  { "growatt.LoginReply", "The login reply (`back`).", {
    f("success", "boolean", "true"),
    f("userId", "integer", "the user id"), f("userLevel", "integer", "the user's level"),
    f("user", "{ id: integer, accountName: string, timeZone: integer }", "the user (no password or token)"),
    f("data", "{ plantId: string, plantName: string }[]", "the plants") } },
  { "growatt.PlantListBack", "plant_list's `back`.", {
    f("data", "growatt.PlantRow[]", "one row per plant"), f("totalData", "table", "the account's sums") } },
  { "growatt.PlantRow", "A row of plant_list.", {
    f("plantId", "string", "the id"), f("plantName", "string", "the name"),
    f("currentPower", "string", 'power now, e.g. "650 W"'), f("todayEnergy", "string", 'e.g. "3.1 kWh"'),
    f("totalEnergy", "string", 'e.g. "812.4 kWh"'), f("isHaveStorage", "string", '"true" or "false"') } },
  { "growatt.Device", "A device of device_list.", {
    f("deviceSn", "string", "the serial number"),
    f("deviceType", "string", "inverter, tlx, min, mix, storage, noah, bat"),
    f("deviceAilas", "string", "the alias (Growatt's spelling)"), f("datalogSn", "string", "the datalogger"),
    f("lost", "boolean", "offline"), f("energy", "string", "energy today") } },
  { "growatt.Stats", "api:stats().", {
    f("requests", "integer", "requests sent"), f("logins", "integer", "logins sent"),
    f("relogins", "integer", "logins after an expiry"), f("reused", "integer", "logins answered from the store"),
    f("retries", "integer", "reads sent again"), f("hook_errors", "integer", "on_request hooks that raised"),
    f("errors", "table<growatt.ErrorKind, { count: integer }>", "errors by kind") } },
  { "growatt.Walk", "api:walk()'s tree.", {
    f("plants", "{ id: string, name: string, err: growatt.Error?, devices: "
      .. "{ sn: string, type: string, status: table?, err: growatt.Error?, note: string? }[] }[]", "the plants") } },
  { "growatt.ReadingsOptions", "Options of api:readings().", {
    f("plants", "(string|integer)[]?", "only these plants (no plant list is fetched)"),
    f("serials", "string[]?", "only these devices"), f("concurrency", "integer?", "as batch's") } },
  { "growatt.Reading", "A record of api:readings() (docs/readings.md); a field is there only when reported.", {
    f("serial", "string", "the serial number"),
    f("type", "string", "mix, storage, tlx, bat, inverter, noah, max, spa, ..."),
    f("plant_id", "string", "the plant"), f("api", "string", '"shinephone", "v1" or "v4"'),
    f("power_w", "number?", "output power (W)"), f("pv_power_w", "number?", "solar power (W)"),
    f("energy_today_kwh", "number?", "energy today (kWh)"), f("energy_total_kwh", "number?", "lifetime energy (kWh)"),
    f("battery_soc_pct", "number?", "state of charge (%)"),
    f("battery_power_w", "number?", "battery power (W), positive while charging"),
    f("grid_power_w", "number?", "grid power (W), positive while importing"),
    f("load_power_w", "number?", "the house's power (W)"), f("online", "boolean?", "reporting"),
    f("time", "string?", "plant-local time of the values"), f("epoch", "integer?", "the same in UTC seconds"),
    f("raw", "table", "the replies read, by source"), f("err", "growatt.Error?", "why a read failed") } },
  { "growatt.Period", "A charge or discharge period of the SPH writes.", {
    f("start_time", "string|osdate", '"H:MM"'), f("end_time", "string|osdate", '"H:MM"'),
    f("enabled", "boolean?", "default false") } },
  { "growatt.TimeSegment", "A MIN time-of-use segment.", {
    f("segment_id", "integer", "1..9"),
    f("batt_mode", "integer?", "0..2"), f("mode_name", "string", '"Battery First", ...'),
    f("start_time", "string", '"HH:MM"'), f("end_time", "string", '"HH:MM"'), f("enabled", "boolean", "on") } },
  { "growatt.ChargeTimes", "sph_read_ac_charge_times's result.", {
    f("charge_power", "integer", "%"),
    f("charge_stop_soc", "integer", "%"), f("mains_enabled", "boolean", "from the grid"),
    f("periods", "{ period_id: integer, start_time: string, end_time: string, enabled: boolean }[]", "3 periods") } },
  { "growatt.DischargeTimes", "sph_read_ac_discharge_times's result.", {
    f("discharge_power", "integer", "%"), f("discharge_stop_soc", "integer", "%"),
    f("periods", "{ period_id: integer, start_time: string, end_time: string, enabled: boolean }[]", "3 periods") } },
  { "growatt.CacheInfo", "The second value of an OpenAPI read answered from the cache.", {
    f("cached", "boolean", "true"), f("age", "number", "seconds since the reply") } },
  { "growatt.v1.PlantList", "OpenAPI plant_list's data.", {
    f("count", "integer", "how many"), f("plants", "growatt.v1.Plant[]", "the plants") } },
  { "growatt.v1.Plant", "A plant of OpenAPI plant_list.", {
    f("plant_id", "integer", "the id"), f("name", "string", "the name"), f("current_power", "number|string", "W"),
    f("total_energy", "number|string", "kWh"),
    f("peak_power", "number|string", "kWp"), f("city", "string", "where") } },
  { "growatt.v1.DeviceList", "OpenAPI device_list's data.", {
    f("count", "integer", "how many"), f("devices", "growatt.v1.Device[]", "the devices") } },
  { "growatt.v1.Device", "A device of OpenAPI device_list.", {
    f("device_sn", "string", "the serial number"), f("type", "integer", "a growatt.DeviceType"),
    f("model", "string", "the model"), f("lost", "boolean", "offline"), f("status", "integer", "the state"),
    f("datalogger_sn", "string", "the datalogger"), f("last_update_time", "string", '"YYYY-MM-DD HH:MM:SS"') } },
  { "growatt.v1.PowerList", "OpenAPI plant_power_overview's data.", {
    f("count", "integer", "how many"), f("powers", "{ time: string, power: number? }[]", "5-minute points") } },
}

return apidoc
