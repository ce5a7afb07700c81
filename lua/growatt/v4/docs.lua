--- What each OpenAPI v4 method is for: the `doc` of each entry of growatt.v4.endpoints
-- (tools/gendocs.lua makes docs/api.md and types/ from it). The examples use the sandbox's
-- demo devices (docs/sandbox.md) and run against it in spec/docs_spec.lua.

local S, T = '"NOAH200209"', '"noah"'
local docs = {
  device_list = { "One page (1-based, 100 devices) of the devices the token may see.",
    returns = "`data`: `{ deviceSn, deviceType, datalogSn, createDate }`; `lastPager` on the last page",
    args = { page = "the page, from 1" }, example = "v4:device_list(1)" },
  device_info = { "Details and settings of devices of one type; more than 100 serials are split into "
    .. "requests of 100 and merged.", returns = "`{ [device_type] = { details... } }`",
    example = "v4:device_info({ " .. S .. " }, " .. T .. ")" },
  last_data = { "The latest values of devices of one type; more than 100 serials are split into requests "
    .. "of 100 and merged.", returns = "`{ [device_type] = { records... } }`",
    example = 'v4:last_data({ "MIN4K00208", "MIN4K00209" }, "min")' },
  history = { "One device's records of one day (about 5-minute steps).",
    returns = "`datas`: the records; `start`, `haveNext`", args = { date = "the day; default today" },
    example = 'v4:history("MIN4K00208", "min", "2026-11-24")' },
  devices_history = { "Devices' records of one day; more than 50 serials are split into requests of 50.",
    returns = "`{ [sn] = { records... } }`", args = { date = "the day; default today" },
    example = 'v4:devices_history({ "MIN4K00208" }, "min", "2026-11-24")' },
  read_power = { "The active-power setting: percent, or W for noah.", result = "number",
    example = "v4:read_power(" .. S .. ", " .. T .. ")" },
  wifi_signal = { "The datalogger's WiFi signal in dBm (Growatt sends it in `message`).", result = "number",
    example = 'v4:wifi_signal("MIN4K00208", "min")' },
  read_vpp_parameter = { "Reads one VPP parameter: sph, spa, min, wit.",
    example = 'v4:read_vpp_parameter("MIN4K00208", "min", 5)' },
  dfc_data = { "High-frequency values: powers, battery, `utcTime` (real UTC).",
    example = 'v4:dfc_data("MIN4K00208", "min")' },
  device_info_param = { "Model, datalogger, battery model and capacity, nominal power.",
    example = "v4:device_info_param(" .. S .. ", " .. T .. ")" },
  set_on_off = { "Switches an inverter on (true/1) or off: not noah.",
    example = 'v4:set_on_off("INV3K00209", "inv", true)' },
  set_power = { "Active power: percent 0..100, or W 0..800 for noah.",
    example = "v4:set_power(" .. S .. ", " .. T .. ", 300)" },
  set_high_limit_soc = { "Noah: the upper SOC limit 0..100.",
    example = "v4:set_high_limit_soc(" .. S .. ", " .. T .. ", 95)" },
  set_low_limit_soc = { "Noah: the lower SOC limit 0..100.",
    example = "v4:set_low_limit_soc(" .. S .. ", " .. T .. ", 10)" },
  set_grid_charge = { "Noah: allow charging from the grid (true/1) or not.",
    example = "v4:set_grid_charge(" .. S .. ", " .. T .. ", true)" },
  set_off_grid = { "Noah: off-grid output on (true/1) or off.",
    example = "v4:set_off_grid(" .. S .. ", " .. T .. ", false)" },
  set_device = { "Noah: the associated micro-inverter (a table or its JSON text).",
    example = "v4:set_device(" .. S .. ", " .. T .. ', { deviceId = "", deviceModel = "NEO 2000M-X2", '
      .. 'brandsName = "Growatt", modelId = "0x0105", type = 0 })' },
  set_time_segment = { "Noah: one of nine schedule slots.",
    args = { start_time = '`"HH:mm"`', end_time = '`"HH:mm"`', enabled = "whether it is on; default true" },
    example = "v4:set_time_segment(" .. S .. ", " .. T .. ', 1, "06:00", "09:30", 0, 300)' },
  set_vpp_parameter = { "Writes one VPP parameter (ranges: docs/v4.md): sph, spa, min, wit.",
    example = 'v4:set_vpp_parameter("MIN4K00208", "min", 5, 80)' },
  set_new_vpp_parameter = { "Writes one VPP parameter, newer endpoint "
    .. "(call remove_vpp_time_period before a schedule).",
    example = 'v4:set_new_vpp_parameter("MIN4K00208", "min", 34, { { percentage = 95, startTime = 0, '
      .. 'endTime = 300 } })' },
  remove_vpp_time_period = { "Removes the VPP time schedule (set_type 34) before a new one is set.",
    example = 'v4:remove_vpp_time_period("MIN4K00208", "min", 34)' },
}

return docs
