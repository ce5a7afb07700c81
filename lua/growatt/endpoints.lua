--- Endpoints are data: one entry per method of the ShinePhone API.
--
-- An entry says how a call becomes a request and what part of the reply is returned:
--   method   "GET" or "POST"
--   path     relative to `api.server_url` (may carry a fixed query, as the reference sends it)
--   args     the positional arguments, in the reference's order: { name, kind [, default] }
--            kinds are converters in growatt.client (`id`, `string`, ...)
--   query, form, multipart
--            ordered wire pairs { wire_name, value }; a value made by `A"name"` is the
--            argument of that name (left out when nil, as the reference leaves out None),
--            anything else is sent as the constant it is
--   result   "back" | "obj" | "raw" | function(decoded) -> value
--   write    true when the call changes something on the server (never retried blindly)

local endpoints = {}

--- A reference to the call argument `name`.
local function A(name) return { arg = name } end
endpoints.A = A

endpoints.legacy = {
  plant_list = {
    method = "GET", path = "PlantListAPI.do",
    args = { { "user_id", "id" } },
    query = { { "userId", A "user_id" } },
    result = "back",
  },
}

return endpoints
