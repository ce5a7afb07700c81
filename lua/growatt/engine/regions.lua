--- Growatt's servers by region, and asking Growatt which one holds an account.
--
--   growatt.regions.north_america.url          --> "https://openapi-us.growatt.com/"
--   growatt.new{ region = "north_america" }    -- the same as server_url = that URL
--   local url = assert(api:discover_server("my-user"))
--
-- An account lives on one server; the wrong one answers with an auth error or a redirect.
-- The same hosts serve the ShinePhone API at their root and the OpenAPI under v1/.

local errors = require("growatt.errors")
local endpoints = require("growatt.shinephone.endpoints")

local regions = {}

local function server(url, label, deprecated)
  return { url = url, label = label, deprecated = deprecated or nil }
end

--- The known servers by name. `deprecated` ones still answer for some accounts but
-- Growatt has moved their users elsewhere; prefer the others.
regions.servers = {
  north_america = server("https://openapi-us.growatt.com/", "North America"),
  australia_new_zealand = server("https://openapi-au.growatt.com/", "Australia and New Zealand"),
  china = server("https://openapi-cn.growatt.com/", "China"),
  other_regions = server("https://openapi.growatt.com/", "Europe and all other regions"),
  europe = server("https://openapi.growatt.com/", "Europe (the same server as other_regions)"),
  smten = server("http://server.smten.com/", "SMTEN (a Growatt OEM brand)"),
  era = server("http://ess-server.atesspower.com/", "ERA / ATESS (a Growatt OEM brand)"),
  server = server("https://server.growatt.com/", "the original server", true),
  server_api = server("https://server-api.growatt.com/", "the 2021-2024 default server", true),
  server_us = server("https://server-us.growatt.com/", "the old North America server", true),
  server_au = server("https://server-au.growatt.com/", "the old Australia server", true),
}

--- The URL of the region `name`, or nil and a message naming the known regions.
function regions.url(name)
  local entry = regions.servers[name]
  if entry then return entry.url end
  local known = {}
  for k in pairs(regions.servers) do known[#known + 1] = k end
  table.sort(known)
  name = tostring(name)
  if #name > 40 then name = name:sub(1, 40) .. "..." end
  return nil, string.format("unknown region '%s' (known: %s)", name, table.concat(known, ", "))
end

--- "host", "host:port", "http://host/path" -> "https://host/" (the scheme kept when given).
function regions.normalise(s)
  s = s:match("^%s*(.-)%s*$")
  local scheme, rest = s:match("^(%a[%w+.-]*)://(.*)$")
  local host = (rest or s):match("^([^/?#]+)")
  if not host or host == "" then return nil end
  return (scheme and scheme:lower() or "https") .. "://" .. host .. "/"
end

-- The server the reply names. ShinePhone answers {"success":true,"msg":"<host>"}; other
-- shapes seen in clients carry it in obj / serverUrl / url, so all of them are accepted.
local function server_of(reply)
  local obj = type(reply.obj) == "table" and reply.obj or {}
  local candidates = { reply.serverUrl, reply.url, obj.serverUrl, obj.url, reply.obj, reply.msg }
  for i = 1, 6 do
    local v = candidates[i]
    if type(v) == "string" and v ~= "" then
      local url = regions.normalise(v)
      if url then return url end
    end
  end
end

local function refused(reply)
  return reply.success == false or reply.success == 0 or
    (reply.result ~= nil and tonumber(reply.result) ~= 1)
end

local function discovered(reply)
  local url = not refused(reply) and server_of(reply)
  if not url then
    return nil, errors.new("api", "the server knows no server for this user name", { response = reply })
  end
  return url
end

--- Endpoint entries of the password API: discover_server(username) asks Growatt which
-- server holds the account (no login needed) and returns its URL as "https://host/".
regions.endpoints = {
  discover_server = {
    method = "GET", path = "newLoginAPI.do",
    args = { { "username", "string" } },
    query = { { "op", "getServerUrlByName" }, { "userName", endpoints.A "username" } },
    result = discovered,
    doc = { "Asks Growatt which server holds an account (no login needed).", result = "string",
            returns = 'its URL, as "https://host/"', example = 'api:discover_server("demo")' },
  },
}

return regions
