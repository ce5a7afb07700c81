-- The fault soak: N calls of one api through the sandbox, with faults drawn from a seeded
-- generator before each call (session expiry, 5xx, resets, latency, timeouts, truncated
-- bodies, HTML pages), a state file in use, and a deadline. It counts how each call was
-- answered and checks, as it goes, what must hold:
--   * every call is answered: a value, or nil and an error value of a known kind;
--   * the state file is valid JSON with the account's session after every CHECK_EVERY calls;
--   * logins: the sandbox saw exactly one per forced expiry, plus the first;
--   * memory: after the run (and a full collection) within a small bound of what it was after
--     the warm-up.
--
--   lua5.4 tools/soak.lua [calls] [seed]        (make soak: 100 000 calls; prints the figures)
--   local report = dofile("tools/soak.lua").run{ calls = 2000, seed = 1, deadline = 60 }
--
-- run() raises on the first broken rule and returns the figures otherwise.
local growatt = require("growatt")
local core = require("growatt.core")
local errors = require("growatt.errors")
local json = require("growatt.json")
local sandbox = require("growatt.sandbox")

local M = {}

M.CHECK_EVERY = 100   -- calls between two checks of the state file
M.WARM_UP = 200       -- calls before memory is measured
M.MEMORY_BOUND = 1024 -- KiB the heap may grow by from the warm-up to the end

-- Park-Miller: the same numbers under Lua 5.4 and LuaJIT (every product stays below 2^53).
local function generator(seed)
  local x = seed % 2147483646 + 1
  return function(n) -- 1..n
    x = x * 16807 % 2147483647
    return x % n + 1
  end
end

local P1, P2, P3 = "2222207", "2222208", "2222209"

-- The calls, drawn at random: reads of every kind of envelope, and batches.
local CALLS = {
  function(api) return api:plant_list(1234567) end,
  function(api) return api:plant_info(P1) end,
  function(api) return api:device_list(P2) end, -- empty deviceList: its fallback too
  function(api) return api:tlx_detail("MIN4K00208") end,
  function(api) return api:mix_system_status("SPH6K00207", P1) end,
  function(api) return api:inverter_detail("INV3K00209") end,
  function(api) return api:noah_info("NOAH200209") end,
  function(api) return api:plant_detail(P3, 1, "2026-11-24") end,
  function(api)
    local values, errs = api:batch({ { "plant_list", 1234567 }, { "tlx_detail", "MIN4K00208" },
                                     { "storage_detail", "STO5K00207" } })
    for i = 1, 3 do
      if values[i] == nil then return nil, errs[i] end
    end
    return values
  end,
}

-- The faults, by weight (per 1000 calls); each is one rule for the call's first request (a
-- batch's or a retry's other requests pass).
local FAULTS = {
  { 700, "none" },
  { 50, "expiry", function(r) return { expire = true, expired_as = ({ "redirect", "page", "json" })[r(3)] } end },
  { 50, "5xx", function(r) return { status = ({ 500, 502, 503 })[r(3)] } end },
  -- twice at most: libcurl sends a request again, once, on a kept-alive connection that closed
  { 40, "reset", function(r) return { reset = true, times = r(2) } end },
  { 60, "latency", function(r) return { stall = r(10) / 1000 } end },
  { 1, "timeout", function() return { stall = 1.1 } end }, -- past the api's timeout of 1 s
  { 41, "truncation", function(r) return { truncate = r(20) } end },
  { 40, "html", function() return { html = true } end },
  { 18, "garbage", function() return { body = "{oops" } end },
}

local function pick(r)
  local n = r(1000)
  for _, f in ipairs(FAULTS) do
    if n <= f[1] then return f end
    n = n - f[1]
  end
end

-- The sandbox's control API through a kept-alive C session.
local function controller(url)
  local session = core.session({ timeout = 30 })
  return function(method, name, value)
    local res, err = session:request(method, url .. "__sandbox/" .. name, value ~= nil and
      { body = json.encode(value), content_type = "application/json" } or nil)
    assert(res and res.status == 200, "sandbox control " .. name .. ": " .. tostring(res and res.body or err))
    return json.decode(res.body)
  end
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return text
end

local function check_state(path, i, url)
  local state = json.decode(read_file(path) or "")
  local acc = type(state) == "table" and type(state.accounts) == "table" and
    state.accounts[require("growatt.store").key(url, "demo")]
  if not (type(acc) == "table" and acc.user_id == 1234567 and type(acc.cookies) == "string") then
    error(string.format("after call %d the state file is not a valid state with the session", i))
  end
end

local function kb() collectgarbage() collectgarbage() return collectgarbage("count") end

--- Runs the soak: opts.calls (default 2000), opts.seed (1), opts.deadline (seconds, 600),
-- opts.url (a running sandbox; else one is started and stopped). Returns { calls, seconds,
-- ok, errors = { kind = count }, faults = { name = count }, logins, expired, checks,
-- memory = { warm, final } (KiB), requests (the sandbox's) }.
function M.run(opts)
  opts = opts or {}
  local calls, deadline = opts.calls or 2000, opts.deadline or 600
  local sb
  local url = opts.url
  if not url then
    sb = assert(sandbox.start({ seed = 1 }))
    url = sb.url
  end
  local ok, report = pcall(function()
    local control = controller(url)
    control("POST", "reset")
    local dir = io.open("/dev/shm", "rb") and "/dev/shm" or os.getenv("TMPDIR") or "/tmp" -- no fsync wait on tmpfs
    local state_file = string.format("%s/growatt-soak-%d.json", dir, math.floor(core.now() * 1000) % 1e9)
    local api = growatt.new({ server_url = url, state_file = state_file, timeout = 1, connect_timeout = 1,
                              login_interval = 0,
                              retries = { attempts = 2, base = 0.001, max = 0.002, deadline = 1 } })
    local r = generator(opts.seed or 1)
    local rep = { calls = calls, ok = 0, errors = {}, faults = {}, checks = 0, memory = {} }
    local started = core.now()
    assert(api:login("demo", "demo-password"))
    for i = 1, calls do
      if core.now() - started > deadline then
        error(string.format("the deadline of %d s passed after %d calls", deadline, i - 1))
      end
      local fault = pick(r)
      rep.faults[fault[2]] = (rep.faults[fault[2]] or 0) + 1
      if fault[3] then
        local rule = fault[3](r)
        rule.times = rule.times or 1
        control("POST", "faults", { rule })
      end
      local v, err = CALLS[r(#CALLS)](api)
      if v ~= nil then
        rep.ok = rep.ok + 1
      elseif errors.is(err) and errors.kinds[err.kind] then
        rep.errors[err.kind] = (rep.errors[err.kind] or 0) + 1
      else
        error(string.format("call %d was not answered: %s, %s", i, tostring(v), tostring(err)))
      end
      if fault[3] then control("POST", "faults", {}) end -- a rule a failed call left unmet
      if i % M.CHECK_EVERY == 0 then
        check_state(state_file, i, url)
        rep.checks = rep.checks + 1
      end
      if i == math.min(M.WARM_UP, calls) then rep.memory.warm = kb() end
    end
    rep.seconds = core.now() - started
    rep.memory.final = kb()
    check_state(state_file, calls, url)
    api:close()
    os.remove(state_file)
    local stats = control("GET", "stats")
    rep.logins, rep.expired, rep.requests = stats.logins, stats.expired or 0, stats.requests
    return rep
  end)
  if sb then sb:stop() end
  if not ok then error(report, 0) end
  return report
end

--- The figures as lines of text.
function M.format(rep)
  local function list(t)
    local keys, out = {}, {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do out[#out + 1] = k .. " " .. t[k] end
    return table.concat(out, ", ")
  end
  return table.concat({
    string.format("calls: %d in %.1f s (%.0f calls/s), sandbox requests %d", rep.calls, rep.seconds,
      rep.calls / rep.seconds, rep.requests),
    "faults: " .. list(rep.faults),
    string.format("answered: %d values, errors: %s", rep.ok, list(rep.errors)),
    string.format("logins: %d, forced expiries: %d", rep.logins, rep.expired),
    string.format("state file checks: %d", rep.checks),
    string.format("memory: %.0f KiB after the warm-up, %.0f KiB at the end", rep.memory.warm, rep.memory.final),
  }, "\n")
end

if arg and arg[0] and arg[0]:match("soak%.lua$") then -- run as a script, not loaded by a spec
  local rep = M.run({ calls = tonumber(arg[1]) or 100000, seed = tonumber(arg[2]) or 1, deadline = 3600 })
  print(M.format(rep))
  local good = rep.logins == rep.expired + 1 and rep.memory.final - rep.memory.warm < M.MEMORY_BOUND
  print(good and "soak: passed" or "soak: FAILED (logins or memory)")
  os.exit(good and 0 or 1)
end

return M
