-- The control API under /__sandbox/ (JSON in, JSON out; never recorded, never faulted), and
-- the request log it shows. Runs inside nginx (LuaJIT, Lua 5.1 API).
local cjson = require("cjson.safe").new()
local data = require("growatt.sandbox.data")
local faults = require("growatt.sandbox.faults")
local http = require("growatt.sandbox.http")
local session = require("growatt.sandbox.session")
local world = require("growatt.sandbox.world")

local M = {}

local MAX_LOG = 10000 -- the log keeps the newest requests; enough for any spec, flat for benchmarks

local log = {} -- recorded requests, oldest first

-- Adds a request to the log.
function M.record(req)
  log[#log + 1] = req
  if #log > 2 * MAX_LOG then -- drop the oldest in one go: amortised O(1) per request
    local newest = {}
    for i = #log - MAX_LOG + 1, #log do newest[#newest + 1] = log[i] end
    log = newest
  end
end

local function reset(seed)
  world.reset(seed)
  log = {}
  faults.replace({})
  session.reset()
end

-- Merges a decoded JSON object into t: objects merge key by key, null deletes, anything else replaces.
local function merge(t, patch)
  for k, v in pairs(patch) do
    if v == cjson.null then
      t[k] = nil
    elseif type(v) == "table" and type(t[k]) == "table" and next(v) ~= nil and v[1] == nil then
      merge(t[k], v)
    else
      t[k] = v
    end
  end
end

local function bad_request(message) return http.reply(400, { error = message }) end

local function json_body()
  local body = http.read_body()
  if body == "" then return {} end
  local value, err = cjson.decode(body)
  if value == nil then return nil, "bad JSON: " .. tostring(err) end
  if type(value) ~= "table" then return nil, "expected a JSON object or array" end
  return value
end

local control = {
  requests = { GET = function() return http.reply(200, data.array(log)) end },
  sessions = { GET = function() return http.reply(200, { issued = data.array(session.issued()) }) end },
  stats = { GET = function() return http.reply(200, session.stats()) end },
  reset = {
    POST = function()
      local body, err = json_body()
      if not body then return bad_request(err) end
      if body.seed ~= nil and type(body.seed) ~= "number" then return bad_request("seed must be a number") end
      reset(body.seed)
      return http.reply(200, { ok = true })
    end,
  },
  faults = {
    GET = function() return http.reply(200, data.array(faults.list())) end,
    POST = function()
      local rules, err = json_body()
      if not rules then return bad_request(err) end
      if next(rules) ~= nil and rules[1] == nil then rules = { rules } end -- one rule on its own
      local active, problem = faults.replace(rules)
      if not active then return bad_request(problem) end
      return http.reply(200, data.array(active))
    end,
  },
  state = {
    GET = function() return http.reply(200, world.state) end,
    POST = function()
      local patch, err = json_body()
      if not patch then return bad_request(err) end
      merge(world.state, patch)
      return http.reply(200, world.state)
    end,
  },
}

-- The reply to a control request for /__sandbox/<name>.
function M.handle(name)
  local methods = control[name]
  if not methods then return http.reply(404, { error = "no control endpoint /__sandbox/" .. name }) end
  local fn = methods[ngx.req.get_method()]
  if not fn then return http.reply(405, { error = "method not allowed" }) end
  return fn()
end

return M
