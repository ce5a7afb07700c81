-- Spec helper: nginx instances of our own (Debian's nginx with its Lua module), each from a
-- config template with placeholders (@PREFIX@, @PORT@, @WORKERS@, @LUA_PATH@, @CPATH@,
-- @EXAMPLE@), driven through the shell and curl as a user would; every nginx started here is
-- stopped by its group, and goes by itself when the spec's process dies.
--
--   local N = require("spec.support.nginx")
--   local nginx = N.start(template, { workers = 2, env = { NAME = value }, files = { ... } })
--   nginx:get("path")  nginx:burst("path", n, parallel)  local log = nginx:stop()
local cjson = require("cjson")

local N = {}
local ROOT = io.popen("pwd"):read("*l")

--- A config of our own: `main` goes at the main level, `http` into the http block, which
-- has temporary paths in the prefix and the Lua modules of the prefix, this checkout and its
-- LuaJIT build.
function N.config(main, http)
  return [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon on;
master_process on;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log warn;
]] .. main .. [[
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path @PREFIX@/client_body_temp;
  proxy_temp_path @PREFIX@/proxy_temp;
  fastcgi_temp_path @PREFIX@/fastcgi_temp;
  uwsgi_temp_path @PREFIX@/uwsgi_temp;
  scgi_temp_path @PREFIX@/scgi_temp;
  lua_package_path "@PREFIX@/?.lua;@LUA_PATH@/?.lua;@LUA_PATH@/?/init.lua;;";
  lua_package_cpath "@CPATH@/?.so;;";
]] .. http .. "}\n"
end

--- The main level for growatt.ngx: @WORKERS@ workers, a thread pool "growatt", and
-- GROWATT_SERVER from the environment.
N.ADAPTER_MAIN = [[
worker_processes @WORKERS@;
thread_pool growatt threads=16;
env GROWATT_SERVER;
]]


---------------------------------------------------------------------------
-- Shell

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs a shell command; returns its output and exit code.
local function sh(cmd)
  local f = assert(io.popen("( " .. cmd .. "\n) 2>&1; echo \"#$?\""))
  local out = f:read("*a")
  f:close()
  local text, code = out:match("^(.-)#(%d+)%s*$")
  return text, tonumber(code)
end

local function now() return tonumber((sh("date +%s.%N"))) end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("*a")
  f:close()
  return text
end

---------------------------------------------------------------------------
-- An nginx of our own: a fresh prefix, a config rendered from a template with the
-- example's placeholders, the environment the example reads.

local NGINX = {}
NGINX.__index = NGINX

local function render(template, vars)
  return (template:gsub("@([%u_]+)@", function(name)
    return assert(vars[name], "no value for @" .. name .. "@")
  end))
end

-- A port in 20000..32767 (below the ephemeral range outgoing connections use), from the
-- system's entropy (LuaJIT's math.random repeats per run).
local function random_port()
  local f = assert(io.open("/dev/urandom", "rb"))
  local a, b = f:read(2):byte(1, 2)
  f:close()
  return 20000 + (a * 256 + b) % 12768
end

-- Starts nginx from `template`; opts: workers, env = { NAME = value }, files = { name =
-- text } (written into the prefix first), vars = { NAME = value } (more placeholders).
-- Returns the handle; a template may listen on @TLS_PORT@ (the handle's port2) too.
local function start_nginx(template, opts)
  local prefix = assert((sh('d=$(mktemp -d "${TMPDIR:-/tmp}/growatt-ngx.XXXXXX") && chmod 755 "$d" && echo "$d"'))
    :match("^(%S+)"))
  local env = {}
  for k, v in pairs(opts.env or {}) do env[#env + 1] = k .. "=" .. quote(v) end
  for name, text in pairs(opts.files or {}) do
    local f = assert(io.open(prefix .. "/" .. name, "w"))
    f:write(text)
    f:close()
  end
  local self = setmetatable({ prefix = prefix }, NGINX)
  for _ = 1, 5 do
    self.port = random_port()
    self.port2 = self.port + 1
    local vars = {
      PREFIX = prefix, PORT = tostring(self.port), TLS_PORT = tostring(self.port2),
      WORKERS = tostring(opts.workers or 1),
      LUA_PATH = ROOT .. "/lua", CPATH = ROOT .. "/build/jit", EXAMPLE = ROOT .. "/examples/openresty",
    }
    for k, v in pairs(opts.vars or {}) do vars[k] = v end
    local conf = render(template, vars)
    -- As root, nginx would run the workers as nobody, who may not read this checkout.
    conf = conf:gsub("\ndaemon on;", "\nuser root root;\ndaemon on;")
    local f = assert(io.open(prefix .. "/nginx.conf", "w"))
    f:write(conf)
    f:close()
    local out, code = sh(table.concat(env, " ") .. " nginx -p " .. quote(prefix .. "/") ..
      " -c " .. quote(prefix .. "/nginx.conf") .. " -e " .. quote(prefix .. "/error.log"))
    if code == 0 then break end
    if not out:find("Address already in use", 1, true) then
      sh("rm -rf " .. quote(prefix))
      error("nginx did not start: " .. out)
    end
    os.remove(prefix .. "/error.log") -- the next port starts a clean log
  end
  self.url = "http://127.0.0.1:" .. self.port .. "/"
  -- If this process dies without stopping it, nginx goes within a second.
  sh(("(trap '' HUP INT TERM; while kill -0 $PPID 2>/dev/null && [ -e %s ]; do sleep 1; done; " ..
    "[ -e %s ] && kill -TERM $(cat %s)) </dev/null >/dev/null 2>&1 &")
    :format(quote(prefix .. "/nginx.pid"), quote(prefix .. "/nginx.pid"), quote(prefix .. "/nginx.pid")))
  local _, code = sh(("i=0; until curl -sf -o /dev/null -m 1 %s; do\n" ..
    "i=$((i+1)); [ $i -gt 200 ] && exit 1; sleep 0.01; done"):format(quote(self.url .. "ping")))
  assert(code == 0, "nginx does not answer: " .. read(prefix .. "/error.log"))
  return self
end

-- Stops nginx (TERM, then KILL after 5 s) and waits until it has gone; returns error.log.
function NGINX:stop()
  local pidfile = quote(self.prefix .. "/nginx.pid")
  sh(([[pid=$(cat %s 2>/dev/null) || exit 0
workers=$(ps -o pid= --ppid "$pid")
kill -TERM "$pid"
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" $workers
rm -f %s]]):format(pidfile, pidfile))
  local log = read(self.prefix .. "/error.log")
  sh("rm -rf " .. quote(self.prefix))
  return log
end

-- The lines of error.log at level error or worse.
local function errors_in(log)
  local bad = {}
  for line in log:gmatch("[^\n]+") do
    if line:find("%[error%]") or line:find("%[crit%]") or line:find("%[alert%]") or line:find("%[emerg%]") then
      bad[#bad + 1] = line
    end
  end
  return bad
end

-- One GET with curl: { status, body, json, time, headers }.
function NGINX:get(path)
  local out = sh(("curl -s -m 20 -D - -w '\n%%{http_code} %%{time_total}' %s"):format(quote(self.url .. path)))
  local head, body, status, time = out:match("^(.-)\r\n\r\n(.*)\n(%d+) ([%d.]+)$")
  local res = { status = tonumber(status), time = tonumber(time), body = body or out, headers = {} }
  for name, value in (head or ""):gmatch("\n([^:\r\n]+):%s*([^\r\n]*)") do res.headers[name:lower()] = value end
  local ok, v = pcall(cjson.decode, res.body)
  if ok then res.json = v end
  return res
end

-- `n` GETs of `path`, `parallel` at a time, from one curl process (so that process start-up
-- does not count): a list of { status, time } in the order they ended, and the bodies.
function NGINX:burst(path, n, parallel)
  local dir = self.prefix .. "/burst"
  sh("mkdir -p " .. quote(dir))
  local f = assert(io.open(dir .. "/curl.cfg", "w"))
  for i = 1, n do f:write(('url = "%s%s"\noutput = "%s/%d"\n'):format(self.url, path, dir, i)) end
  f:close()
  local out = sh(("curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max %d -m 20 " ..
    "-w '%%{http_code} %%{time_total}\\n' -K %s"):format(parallel or n, quote(dir .. "/curl.cfg")))
  local list, bodies = {}, {}
  for status, time in out:gmatch("(%d+) ([%d.]+)") do
    list[#list + 1] = { status = tonumber(status), time = tonumber(time) }
  end
  for i = 1, n do bodies[i] = read(dir .. "/" .. i) end
  sh("rm -rf " .. quote(dir))
  return list, bodies
end

-- Polls fn() every 50 ms until it returns a true value or `seconds` have passed.
local function wait_for(seconds, fn)
  local deadline = now() + seconds
  repeat
    local v = fn()
    if v then return v end
    sh("sleep 0.05")
  until now() > deadline
  return nil
end
N.ROOT, N.quote, N.sh, N.now, N.read = ROOT, quote, sh, now, read
N.random_port, N.start, N.errors_in, N.wait_for = random_port, start_nginx, errors_in, wait_for

return N
