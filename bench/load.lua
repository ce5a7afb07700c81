-- The module's side of the benchmark: one workload per process, run by bench/run.lua under
-- lua5.4 or luajit (LUA_PATH / LUA_CPATH point at the tree being measured).
--
--   load.lua calls STATE N METHOD [ARG...]         N sequential calls
--   load.lua rss   STATE WARM N METHOD [ARG...]    VmRSS after WARM calls and after N more
--   load.lua batch STATE N CONCURRENCY METHOD [ARG...]   N calls through api:batch
--   load.lua cold  STATE METHOD [ARG...]           one call, from a stored session
--   load.lua transport STATE N METHOD [ARG...]     N exchanges of the call's request through
--                                                  the C session alone (no decoding, no policy)
--   load.lua decode STATE N METHOD [ARG...]        N json.decode of the call's reply body
--
-- STATE is the stored session: the server URL, the user id, then the cookie lines. With
-- BENCH_STATE_FILE set, the Api keeps its state in that file instead of memory, and takes up
-- the session of "demo" stored there. Each workload prints one line of key=value figures; a
-- failed call stops it with a message.
local growatt = require("growatt")
local client = require("growatt.engine.client")
local json = require("growatt.json")
local system = require("system") -- luasystem (a busted dependency): monotonic clock

local mode = arg[1]

local function read_state(path)
  local f = assert(io.open(path, "rb"))
  local url, user_id, cookies = f:read("*l"), f:read("*l"), f:read("*a")
  f:close()
  local state_file = os.getenv("BENCH_STATE_FILE")
  local api = growatt.new({ server_url = url, state_file = state_file })
  if state_file then assert(api:resume("demo")) else api.session:set_cookies(cookies) end
  api.user_id = tonumber(user_id)
  return api
end

-- The call from the command line: METHOD and its arguments (numerals become numbers).
local function call_of(first)
  local call = { arg[first] }
  for i = first + 1, #arg do call[#call + 1] = tonumber(arg[i]) or arg[i] end
  return call
end

local unpack = table.unpack or unpack -- luacheck: ignore 143

local function run(api, call, n)
  local method = api[call[1]]
  for _ = 1, n do
    local v, err = method(api, unpack(call, 2))
    if v == nil then error("call failed: " .. tostring(err), 0) end
  end
end

local function rss_kib()
  local f = assert(io.open("/proc/self/status"))
  local kib = f:read("*a"):match("VmRSS:%s*(%d+)")
  f:close()
  return tonumber(kib)
end

local api = read_state(arg[2])
if mode == "calls" then
  local n, call = tonumber(arg[3]), call_of(4)
  local t0, c0 = system.monotime(), os.clock()
  run(api, call, n)
  local seconds, cpu = system.monotime() - t0, os.clock() - c0
  api:close() -- with a state file: writes the request counts still waiting
  print(string.format("calls=%d seconds=%.6f cpu=%.6f per_second=%.1f", n, seconds, cpu, n / seconds))
elseif mode == "rss" then
  local warm, n, call = tonumber(arg[3]), tonumber(arg[4]), call_of(5)
  run(api, call, warm)
  local rss_warm, heap_warm = rss_kib(), collectgarbage("count")
  run(api, call, n)
  print(string.format("rss_warm=%d rss_end=%d heap_warm=%.0f heap_end=%.0f", rss_warm, rss_kib(),
    heap_warm, collectgarbage("count")))
elseif mode == "batch" then
  local n, concurrency, call = tonumber(arg[3]), tonumber(arg[4]), call_of(5)
  local calls = {}
  for i = 1, n do calls[i] = call end
  local t0 = system.monotime()
  local values, errs = api:batch(calls, { concurrency = concurrency })
  local seconds = system.monotime() - t0
  for i = 1, n do
    if values[i] == nil then error("call " .. i .. " failed: " .. tostring(errs[i]), 0) end
  end
  print(string.format("calls=%d concurrency=%d seconds=%.6f", n, concurrency, seconds))
elseif mode == "transport" or mode == "decode" then
  local n, call = tonumber(arg[3]), call_of(4)
  local req = api:_prepare(client.build(api._endpoints[call[1]], call[1], unpack(call, 2)))
  local function exchange() return assert(api.session:request(client.session_args(req))) end
  local res = exchange()
  local t0 = system.monotime()
  for _ = 1, n do
    if mode == "decode" then assert(json.decode(res.body)) else exchange() end
  end
  print(string.format("calls=%d seconds=%.6f", n, system.monotime() - t0))
elseif mode == "cold" then
  run(api, call_of(3), 1)
  print("ok")
else
  error("unknown workload " .. tostring(mode), 0)
end
