-- Spec helper: one sandbox per spec file, driven through its control API with the system curl
-- (so it works before and without the C core).
--
--   local S = require("spec.support.sandbox")
--   local url
--   setup(function() url = S.start() end)
--   teardown(S.stop)
--   before_each(S.reset)
--   ... S.last().form, S.requests(), S.faults({ { path = "PlantListAPI.do", status = 503 } }), S.stats()
local sandbox = require("growatt.sandbox")
local cjson = require("cjson")

local S = {}
local current -- the running sandbox of this spec file (busted insulates each file's modules)

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- lua-cjson 2.1 decodes every number as a float; give integers back as integers on 5.3+.
local function normalise(v)
  if type(v) == "number" and math.tointeger then return math.tointeger(v) or v end
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = normalise(x) end
  end
  return v
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("*a")
  f:close()
  os.remove(path)
  return text
end

-- Starts the sandbox (once; later calls return the same url). opts go to growatt.sandbox.start.
function S.start(opts)
  if not current then current = assert(sandbox.start(opts)) end
  return current.url
end

function S.stop()
  if current then current:stop() end
  current = nil
end

function S.url() return current and current.url end

-- The running sandbox object (port, prefix, stop).
function S.sandbox() return current end

-- One HTTP request with curl; no redirects are followed. opts:
--   query      string appended after "?", sent as is
--   form       string, sent as is as an application/x-www-form-urlencoded body
--   multipart  { {name, value}, ... } sent as multipart/form-data in this order
--   body       raw body string; content_type its Content-Type
--   headers    { ["Name"] = value }; cookie: the Cookie header; timeout: seconds (default 10)
-- Returns { status, headers = { lowercase-name = value }, body, json (decoded, or nil if the
-- body is not JSON), time (seconds, as curl measured it) }.
function S.http(method, path, opts)
  opts = opts or {}
  assert(current, "the sandbox is not started (S.start)")
  local header_file, body_file, data_file = os.tmpname(), os.tmpname(), os.tmpname()
  local args = { "curl -s -H 'Expect:'", "-X", quote(method), "-D", quote(header_file), "-o", quote(body_file),
                 "-m", tostring(opts.timeout or 10), "-w", quote("%{http_code} %{time_total}") }
  local function add(...) for _, a in ipairs({ ... }) do args[#args + 1] = a end end
  for name, value in pairs(opts.headers or {}) do add("-H", quote(name .. ": " .. value)) end
  if opts.cookie then add("-b", quote(opts.cookie)) end
  if opts.content_type then add("-H", quote("Content-Type: " .. opts.content_type)) end
  local data = opts.form or opts.body
  if data then -- through a file, so any byte gets through unchanged
    local f = assert(io.open(data_file, "wb"))
    f:write(data)
    f:close()
    add("--data-binary", quote("@" .. data_file))
  end
  for _, part in ipairs(opts.multipart or {}) do add("--form-string", quote(part[1] .. "=" .. part[2])) end
  add(quote(current.url .. path .. (opts.query and ("?" .. opts.query) or "")))
  local pipe = assert(io.popen(table.concat(args, " ")))
  local written = pipe:read("*a")
  pipe:close()
  os.remove(data_file)
  local status, time = written:match("^(%d+) ([%d.]+)")
  local res = { status = tonumber(status), time = tonumber(time), headers = {}, body = read_file(body_file) }
  for name, value in read_file(header_file):gmatch("([^\r\n:]+):%s*([^\r\n]*)") do
    res.headers[name:lower()] = value
  end
  local ok, value = pcall(cjson.decode, res.body)
  if ok then res.json = normalise(value) end
  return res
end

-- A control call: raises unless the sandbox answers 200; returns the decoded reply.
local function control(method, name, value)
  local opts
  if value ~= nil then
    opts = { content_type = "application/json", body = type(value) == "string" and value or cjson.encode(value) }
  end
  local res = S.http(method, "__sandbox/" .. name, opts)
  if res.status ~= 200 then
    error(("sandbox control %s /__sandbox/%s: HTTP %s %s"):format(method, name, tostring(res.status), res.body), 3)
  end
  return res.json
end

-- Clears the log, counters, faults and sessions and re-seeds the data.
function S.reset() control("POST", "reset") end

-- Every request the sandbox received since the last reset, oldest first.
function S.requests() return control("GET", "requests") end

-- How many requests for path (with method, when given) the sandbox received since the last reset.
function S.count(path, method)
  local n = 0
  for _, r in ipairs(S.requests()) do
    if r.path == path and (not method or r.method == method) then n = n + 1 end
  end
  return n
end

-- The latest request, or nil.
function S.last()
  local list = S.requests()
  return list[#list]
end

-- Replaces the fault rules; {} clears them. Returns the active rules.
function S.faults(rules)
  return control("POST", "faults", next(rules or {}) == nil and "[]" or rules)
end

-- { requests, logins, login_ok, login_failed, ... }
function S.stats() return control("GET", "stats") end

-- With a table: merges it into the sandbox's data (objects merge, null deletes), e.g.
-- S.state{ accounts = { demo = { locked = true } } }. Returns the whole data.
function S.state(patch)
  if patch == nil then return control("GET", "state") end
  return control("POST", "state", patch)
end

-- A logged request's query or form pairs (or a dry run's) as one "name=value&..." string.
function S.pairs_of(list)
  local t = {}
  for _, p in ipairs(list or {}) do t[#t + 1] = p[1] .. "=" .. p[2] end
  return table.concat(t, "&")
end

--- The most requests the sandbox had in flight at once among `requests` (each request
-- records how many were in flight when it arrived).
function S.max_in_flight(requests)
  local max = 0
  for _, r in ipairs(requests) do
    if r.in_flight > max then max = r.in_flight end
  end
  return max
end

return S
