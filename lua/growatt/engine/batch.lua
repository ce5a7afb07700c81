--- Many calls at once, through the session's curl multi interface: the requests share the
-- session's cookies, DNS cache, connections and TLS sessions.
--
--   local values, errs = api:batch({
--     { "plant_list", login.user.id },
--     { "plant_info", "2222207" },
--   }, { concurrency = 8 })
--   -- values[i], errs[i] are what api:<method>(args...) returns for calls[i]
--
--   local tree = api:walk()   -- every plant, its devices and each device's current status

local errors = require("growatt.errors")
local client = require("growatt.engine.client")
local policy = require("growatt.engine.policy")

local unpack = table.unpack or unpack -- luacheck: ignore 143

local batch = {}

batch.DEFAULT_CONCURRENCY = 8

local function check_concurrency(opts, fname)
  if opts == nil then return batch.DEFAULT_CONCURRENCY end
  errors.check(opts, "table", "opts", fname)
  for k in pairs(opts) do
    if k ~= "concurrency" then errors.misuse("%s: unknown option '%s'", fname, tostring(k)) end
  end
  local n = opts.concurrency
  if n == nil then return batch.DEFAULT_CONCURRENCY end
  if type(n) ~= "number" or not client.whole(n) or n < 1 then
    errors.bad_argument("concurrency", fname, "positive integer", type(n) == "number" and tostring(n) or type(n))
  end
  return n
end

-- The highest integer key of a call table: arguments may be nil in the middle.
local function last_index(call)
  if call.n then return call.n end
  local n = 0
  for k in pairs(call) do
    if type(k) == "number" and k > n and k == math.floor(k) then n = k end
  end
  return n
end

-- The prepared request of calls[i] and what a fallback needs; raises errors.misuse.
local function build(api, call, i)
  if type(call) ~= "table" then
    errors.misuse("batch: call %d must be a table {method_name, args...}, got %s", i, type(call))
  end
  local name = call[1]
  local ep = type(name) == "string" and api._endpoints and api._endpoints[name]
  if not ep then
    if type(name) == "string" and #name > 40 then name = name:sub(1, 40) .. "..." end
    errors.misuse("batch: call %d: %s is not an endpoint method", i,
      type(name) == "string" and ("'" .. name .. "'") or type(name))
  end
  local item = { name = name, ep = ep, args = { unpack(call, 2, last_index(call)) }, n = last_index(call) - 1 }
  local dry_run
  local ok, req, err = pcall(function()
    local built = client.build(ep, name, unpack(item.args, 1, item.n))
    dry_run = client.dry_run_of(api.dry_run, name, ep, unpack(item.args, 1, item.n))
    return api:_complete(ep, built, dry_run, unpack(item.args, 1, item.n))
  end)
  if not ok then errors.misuse("batch: call %d: %s", i, errors.strip(req)) end
  -- a refused value (err) is that call's answer, and a per-call dry run answers with the
  -- request: neither is sent
  item.req, item.err, item.dry_run = req, err, dry_run
  return item
end

-- Sends the built items; an empty result goes on to the entry's fallback, as the methods do.
local function run(api, items, concurrency)
  local reqs, sent = {}, {}
  for i, item in ipairs(items) do
    if item.req and not item.dry_run then
      reqs[#reqs + 1] = item.req
      sent[#sent + 1] = i
    end
  end
  local got, got_errs = policy.send_many(api, reqs, concurrency)
  local values, errs = {}, {}
  for i, item in ipairs(items) do
    if item.dry_run then values[i] = item.req else errs[i] = item.err end
  end
  for k, i in ipairs(sent) do values[i], errs[i] = got[k], got_errs[k] end
  local again, where = {}, {}
  for i, item in ipairs(items) do
    local v = values[i]
    if item.ep.fallback and type(v) == "table" and next(v) == nil then
      local ep = item.ep.fallback
      where[#where + 1] = i
      again[#again + 1] = { name = item.name, ep = ep, args = item.args, n = item.n,
        req = api:_prepare(client.build(ep, item.name, unpack(item.args, 1, item.n))) }
    end
  end
  if #again > 0 then
    local v2, e2 = run(api, again, concurrency)
    for k, i in ipairs(where) do values[i], errs[i] = v2[k], e2[k] end
  end
  return values, errs
end

--- api:batch(calls [, {concurrency = N}]) -> values, errs
-- `calls` is a list of { "method_name", arg1, arg2, ... } naming endpoint methods. Every call
-- is checked before anything is sent (misuse raises); then values[i], errs[i] are what
-- api:method_name(arg1, ...) returns. One call's failure does not fail the others.
-- With dry_run, returns the list of requests that would be sent.
batch.batch = errors.boundary(function(api, calls, opts)
  errors.check(calls, "table", "calls", "batch")
  local concurrency = check_concurrency(opts, "batch")
  local items = {}
  for i = 1, #calls do items[i] = build(api, calls[i], i) end
  if api.dry_run then
    local reqs = {}
    for i, item in ipairs(items) do reqs[i] = item.req end
    return reqs
  end
  return run(api, items, concurrency)
end)

---------------------------------------------------------------------------
-- walk

-- The status call of a device, by its deviceType; nil for types that have none.
local STATUS = {
  mix = function(sn, plant_id) return { "mix_system_status", sn, plant_id } end,
  tlx = function(sn, plant_id) return { "tlx_system_status", plant_id, sn } end,
  storage = function(sn) return { "storage_detail", sn } end,
  inverter = function(sn) return { "inverter_detail", sn } end,
  noah = function(sn) return { "noah_system_status", sn } end,
}
STATUS.min = STATUS.tlx -- MIN inverters are TLX devices
batch.STATUS = STATUS

--- api:walk([{concurrency = N}]) -> tree or nil, err
-- Every plant of the logged-in user, each plant's devices and each device's current status:
--   { plants = { { id, name, devices = { { sn, type, status = ..., err = ... } }, err = ... } } }
-- A plant whose device list failed has `err` and no devices; a device whose status failed
-- has `err`; a device of a type with no status call has `note`.
batch.walk = errors.boundary(function(api, opts)
  local concurrency = check_concurrency(opts, "walk")
  if api.dry_run then errors.misuse("walk: not available with dry_run") end
  local user_id = api.user_id
  if user_id == nil then errors.misuse("walk: no user id: log in first (api:login)") end
  local list, err = api:plant_list(user_id)
  if not list then return nil, err end

  local plants, calls = {}, {}
  for i, p in ipairs(type(list.data) == "table" and list.data or {}) do
    plants[i] = { id = p.plantId, name = p.plantName, devices = {} }
    calls[i] = { "device_list", p.plantId }
  end
  local lists, errs = batch.batch(api, calls, { concurrency = concurrency })

  local devices
  devices, calls = {}, {}
  for i, plant in ipairs(plants) do
    plant.err = errs[i]
    for _, d in ipairs(type(lists[i]) == "table" and lists[i] or {}) do
      local device = { sn = d.deviceSn, type = d.deviceType }
      plant.devices[#plant.devices + 1] = device
      local status = STATUS[device.type]
      if status then
        devices[#devices + 1] = device
        calls[#calls + 1] = status(device.sn, plant.id)
      else
        device.note = "no status call for device type '" .. tostring(device.type) .. "'"
      end
    end
  end
  local statuses
  statuses, errs = batch.batch(api, calls, { concurrency = concurrency })
  for i, device in ipairs(devices) do
    device.status, device.err = statuses[i], errs[i]
  end
  return { plants = plants }
end)

return batch
