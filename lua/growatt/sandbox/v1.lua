-- OpenAPI v1 endpoints of the sandbox (protocol.md §4), and the ShinePhone server lookup
-- newLoginAPI.do?op=getServerUrlByName (§5). Runs inside nginx (LuaJIT); registered by
-- server.init via register(server).
--
-- Every v1 reply is an envelope {"data": ..., "error_code": 0, "error_msg": ""}. Before a
-- handler runs:
--   * the `token` header must be a known token (M.TOKENS, plus state.v1.tokens = { token =
--     userName }), else 10011 error_permission_denied;
--   * page must be <= 250 (10014) and perpage <= 100 (10013);
--   * the same request (token, method, path and parameters) is answered once per window,
--     else 10012 error_frequently_access. The window is 300 s; specs change it with
--     S.state{ v1 = { window = seconds } } (0 turns the rule off); a reset restores it.
-- Fault rules gain `error_code` (answer that v1 error, e.g. -1 "use the new domain") and
-- `error_msg` (its message).
-- Writes (tlxSet, mixSet) change the device's settings, which tlx_set_info and
-- mix_data_info read back. Numbers come as numbers or numeric strings, as Growatt sends them.
-- The handlers are in v1/plants.lua, v1/devices.lua and v1/params.lua.
local data = require("growatt.sandbox.data")
local common = require("growatt.sandbox.v1.common")
local plants = require("growatt.sandbox.v1.plants")
local devices = require("growatt.sandbox.v1.devices")
local parameters = require("growatt.sandbox.v1.params")

local fail, envelope, number_param = common.fail, common.envelope, common.number_param
local with_plant, with_device = plants.with_plant, devices.with_device

local M = {}

M.WINDOW = 300
M.TOKENS = {
  [data.DEMO.token] = data.DEMO.user,
  [require("growatt.sandbox.fleet").ACCOUNT.token] = "fleet",
  ["6eb6f069523055a339d71e5b1f6c88cc"] = "demo", -- the documented public test token
}

M.MESSAGES = common.MESSAGES

---------------------------------------------------------------------------
-- The gate every v1 request passes.

local function config(state) return state.v1 or {} end

local function account_of(state, token)
  if not token or token == "" then return nil end
  local name = (config(state).tokens or {})[token] or M.TOKENS[token]
  return name and state.accounts[name]
end

local function pairs_text(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = p[1] .. "=" .. p[2] end
  return table.concat(out, "&")
end

-- handler(req, ctx, account) -> payload | envelope (a table with error_code) [, extra top-level fields]
local function v1(handler)
  return function(req, ctx)
    local token = req.headers.token
    local account = account_of(ctx.state, token)
    if not account then return fail(10011) end
    local params = ctx.params
    if number_param(params, "perpage", 0) > 100 then return fail(10013) end
    if number_param(params, "page", 0) > 250 then return fail(10014) end
    local window = config(ctx.state).window or M.WINDOW
    if window > 0 then
      local key = "v1:" .. ngx.md5(table.concat({ token, req.method, req.path, pairs_text(req.query),
                                                  pairs_text(req.form) }, "\n"))
      if not ngx.shared.growatt_sandbox:add(key, true, window) then return fail(10012) end
    end
    local payload, extra = handler(req, ctx, account)
    if type(payload) == "table" and payload.error_code ~= nil then return payload end
    return envelope(payload, 0, "", extra)
  end
end

---------------------------------------------------------------------------
-- Where an account lives: newLoginAPI.do?op=getServerUrlByName&userName=<name>.
-- ShinePhone gets {"success": true, "msg": "<host>"}; state.accounts[name].server sets the host.

local function server_by_name(_, ctx)
  local account = ctx.state.accounts[ctx.params.userName or ""]
  if not account then return { success = false, msg = "" } end
  return { success = true, msg = account.server or "openapi.growatt.com" }
end

---------------------------------------------------------------------------

function M.register(server)
  local route = server.family("v1/", v1)
  route("GET", "plant/list", plants.plant_list)
  route("GET", "plant/details", with_plant(plants.plant_details))
  route("GET", "plant/data", with_plant(plants.plant_data))
  route("GET", "plant/power", with_plant(plants.plant_power))
  route("GET", "plant/energy", with_plant(plants.plant_energy))
  route("GET", "device/list", with_plant(plants.device_list))
  for type_, dir in pairs({ tlx = "device/tlx/tlx_", mix = "device/mix/mix_" }) do
    route("GET", dir .. "data_info", with_device(type_, devices.detail, "device_sn"))
    route("POST", dir .. "last_data", with_device(type_, devices.latest))
    route("POST", dir .. "data", with_device(type_, devices.history))
  end
  route("GET", "device/tlx/tlx_set_info", with_device("tlx", devices.settings, "device_sn"))
  route("POST", "readMinParam", with_device("tlx", parameters.read_parameter, "device_sn"))
  route("POST", "readMixParam", with_device("mix", parameters.read_parameter, "device_sn"))
  route("POST", "tlxSet", with_device("tlx", parameters.write))
  route("POST", "mixSet", with_device("mix", parameters.write))
  server.route("newLoginAPI.do", "getServerUrlByName", server_by_name)

  server.knob("error_code", function(code, _, rule)
    return server.reply(200, fail(code, rule.error_msg))
  end, server.expect("number"))
  server.knob("error_msg", function() end, server.expect("string")) -- the message of error_code
end

return M
