--- lua-growatt: the Growatt solar-inverter cloud client.
--
--   local growatt = require("growatt")
--   local api = growatt.new()                        -- or growatt.new{ server_url = ... }
--   local login = assert(api:login(username, password))
--   local plants = assert(api:plant_list(login.user.id))
--
-- Methods keep the reference library's (growattServer) names and argument order.
-- Misuse raises; everything the network or the server can do returns `nil, err`
-- (see growatt.errors). This module is the front door only: the clients are
-- growatt.shinephone.api (growatt.new), growatt.openapi.v1 (growatt.openapi) and
-- growatt.v4.client (growatt.v4), all built on growatt.engine.api.

local core = require("growatt.core")
local errors = require("growatt.errors")
local json = require("growatt.json")
local regions = require("growatt.engine.regions")
local engine = require("growatt.engine.api")
local shinephone = require("growatt.shinephone.api")

-- The token clients, loaded when first used (a ShinePhone script does not pay for them at
-- start): growatt.<name> is require(module)[field].
local TOKEN_FAMILIES = {
  --- The OpenAPI v1 client: growatt.openapi{ token = ..., server_url | region = ... }
  -- (see growatt.openapi).
  openapi = { "growatt.openapi.v1", "new" },
  -- OpenAPI v1 device types (device_list's `type`); api:device() has classes for MIN and SPH
  DeviceType = { "growatt.openapi.v1", "DeviceType" },
  --- The OpenAPI v4 client: growatt.v4{ token = ..., server_url | region = ... } (docs/v4.md).
  v4 = { "growatt.v4.client", "new" },
}

return setmetatable({
  _VERSION = engine.VERSION,
  null = json.null,
  errors = errors,
  hash_password = core.hash_password,
  Timespan = { hour = 0, day = 1, month = 2 },
  BATT_MODE_LOAD_FIRST = 0,
  BATT_MODE_BATTERY_FIRST = 1,
  BATT_MODE_GRID_FIRST = 2,
  DEFAULT_SERVER_URL = engine.DEFAULT_SERVER_URL,
  DEFAULT_USER_AGENT = engine.DEFAULT_USER_AGENT,
  regions = regions.servers, -- name -> { url, label, deprecated }
  OPTIONS = engine.OPTIONS,  -- options of growatt.new and their Lua types
  Api = shinephone.Api,      -- the class of growatt.new's objects
  --- Makes a ShinePhone API object. `opts` is a table of options (growatt.OPTIONS); as in
  -- the reference, `growatt.new(add_random_user_id, agent_identifier)` also works.
  new = shinephone.new,
}, { __index = function(facade, name)
  local where = TOKEN_FAMILIES[name]
  if not where then return nil end
  local value = require(where[1])[where[2]]
  rawset(facade, name, value)
  return value
end })
