-- The ways to choose the User-Agent, as the reference's user agent example shows them:
-- growatt.new(add_random_user_id, agent_identifier), or the same as options.
--   GROWATT_SERVER=https://openapi.growatt.com/ GROWATT_USERNAME=... GROWATT_PASSWORD=... \
--     lua5.4 examples/user_agent.lua
-- Without GROWATT_SERVER it talks to a local sandbox (make sandbox) with its demo account.
local growatt = require("growatt")

local server = os.getenv("GROWATT_SERVER") or "http://127.0.0.1:8080/"
local username = os.getenv("GROWATT_USERNAME") or "demo"
local password = os.getenv("GROWATT_PASSWORD") or "demo-password"

local variants = {
  { "Default", growatt.new() },
  { "Add a random id to the default User-Agent", growatt.new(true) },
  { "Replace the default User-Agent", growatt.new(false, "my-user-id") },
  { "Replace it and add a random id", growatt.new(true, "my-user-id") },
  { "Extend the default User-Agent", growatt.new(false, growatt.DEFAULT_USER_AGENT .. " - my-user-id") },
  { "Extend it and add a random id (options table)",
    growatt.new({ add_random_user_id = true, agent_identifier = growatt.DEFAULT_USER_AGENT .. " - my-user-id" }) },
}

for _, v in ipairs(variants) do
  local title, api = v[1], v[2]
  api.server_url = server
  local login = assert(api:login(username, password))
  print(title)
  print(string.format("User-Agent: %s\nLogged in user id: %s\n", api.user_agent, login.userId))
  api:close()
end
