-- growatt.sandbox: a local emulator of Growatt's cloud, for tests, examples and trying scripts.
-- It runs Debian's nginx with its Lua module on 127.0.0.1, from a private temporary prefix;
-- nginx loads growatt.sandbox.server (LuaJIT) from the directory this file lives in.
--
--   local sandbox = require("growatt.sandbox")
--   local sb = assert(sandbox.start())   -- sb.url == "http://127.0.0.1:PORT/", sb.port, sb.prefix
--   ...
--   sb:stop()
--   sandbox.run{ port = 8080 }           -- in the foreground until interrupted
--
-- This file runs in the caller's Lua (5.1 to 5.4, LuaJIT) with the standard library only:
-- it drives nginx, mktemp, curl and kill through the shell.
local M = {}

local MODULE_DIR = "/usr/lib/nginx/modules/"
local CJSON_CPATH = "/usr/lib/x86_64-linux-gnu/lua/5.1/?.so"
local INSTALL = "install it with: apt-get install nginx libnginx-mod-http-lua"
-- below the kernel's ephemeral range (32768..60999), where outgoing connections take ports
local PORT_MIN, PORT_MAX = 20000, 32767
local START_ATTEMPTS = 6 -- random ports tried when one turns out to be taken

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Runs a shell command; returns its output (stdout and stderr) and its exit code. The code is
-- echoed rather than taken from close(), whose results differ between Lua 5.1 and 5.2+.
local function sh(cmd)
  local f = assert(io.popen("( " .. cmd .. "\n) 2>&1; echo \"#$?\""))
  local out = f:read("*a")
  f:close()
  local text, code = out:match("^(.-)#(%d+)%s*$")
  return text or out, tonumber(code) or -1
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function find_in_path(name)
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    if exists(dir .. "/" .. name) then return dir .. "/" .. name end
  end
end

-- The directory that holds growatt/sandbox/*.lua: the repository's lua/ or a LuaRocks tree.
local function lua_dir()
  local file = debug.getinfo(1, "S").source:match("^@(.+)$")
  if not file then return nil end
  if file:sub(1, 1) ~= "/" then
    file = sh("pwd"):gsub("%s+$", "") .. "/" .. file:gsub("^%./", "")
  end
  return file:match("^(.*)/growatt/sandbox/init%.lua$") or file:match("^(.*)/growatt/sandbox%.lua$")
end

local function check_options(opts, fname)
  opts = opts or {}
  if type(opts) ~= "table" then error("growatt.sandbox." .. fname .. ": options must be a table", 3) end
  -- option -> what it must be: "string", or the range of an integer
  local kinds = { port = { 1, 65535 }, prefix = "string", workers = { 1, 64 }, seed = { -2 ^ 31, 2 ^ 31 },
                  nginx = "string" }
  for k, v in pairs(opts) do
    local kind = kinds[k]
    if not kind then error("growatt.sandbox." .. fname .. ": unknown option '" .. tostring(k) .. "'", 3) end
    if kind == "string" and type(v) ~= "string" then
      error("growatt.sandbox." .. fname .. ": option '" .. k .. "' must be a string", 3)
    elseif kind ~= "string" and (type(v) ~= "number" or v ~= math.floor(v) or v < kind[1] or v > kind[2]) then
      error(("growatt.sandbox.%s: option '%s' must be an integer in %d..%d"):format(fname, k, kind[1], kind[2]), 3)
    end
  end
  return opts
end

-- What the sandbox needs from the system, or nil and a message that says how to get it.
local function environment(opts)
  local nginx = opts.nginx or find_in_path("nginx") or "/usr/sbin/nginx"
  if not exists(nginx) then return nil, "growatt.sandbox: nginx not found; " .. INSTALL end
  for _, module in ipairs({ "ndk_http_module.so", "ngx_http_lua_module.so" }) do
    if not exists(MODULE_DIR .. module) then
      return nil, "growatt.sandbox: " .. MODULE_DIR .. module .. " not found; " .. INSTALL
    end
  end
  if not find_in_path("curl") then
    return nil, "growatt.sandbox: curl not found; install it with: apt-get install curl"
  end
  local dir = lua_dir()
  if not dir then return nil, "growatt.sandbox: cannot tell where growatt/sandbox/init.lua was loaded from" end
  return { nginx = nginx, lua_dir = dir }
end

---------------------------------------------------------------------------
-- Ports

local function random_number()
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(4)
  if f then f:close() end
  if not bytes or #bytes < 4 then return os.time() + math.floor(os.clock() * 1e6) end
  local n = 0
  for i = 1, 4 do n = n * 256 + bytes:byte(i) end
  return n
end

-- Whether a socket holds the port (Linux /proc; TIME_WAIT does not count, nginx reuses those).
-- Checked before starting nginx because nginx itself retries a taken port for 2.5 s.
local function port_taken(port)
  for _, file in ipairs({ "/proc/net/tcp", "/proc/net/tcp6" }) do
    local f = io.open(file, "r")
    if f then
      local text = f:read("*a")
      f:close()
      for local_port, st in text:gmatch("\n%s*%d+: %x+:(%x+) %x+:%x+ (%x%x)") do
        if st ~= "06" and tonumber(local_port, 16) == port then return true end
      end
    end
  end
  return false
end

local function pick_port()
  local port
  for _ = 1, 20 do
    port = PORT_MIN + random_number() % (PORT_MAX - PORT_MIN + 1)
    if not port_taken(port) then break end
  end
  return port
end

---------------------------------------------------------------------------
-- Prefix, config, processes

-- Returns the prefix directory, whether we made it (and so remove it), the user id and the
-- pid of this Lua process (the shell's parent: what the watchdog keeps an eye on).
local function make_prefix(dir)
  -- A fresh prefix gets 0755 rather than mktemp's 0700, so that nginx workers running as
  -- another user could still read it (as root, the config keeps the workers root anyway).
  local make = dir and ("mkdir -p " .. quote(dir) .. " && d=" .. quote(dir))
    or 'd=$(mktemp -d "${TMPDIR:-/tmp}/growatt-sandbox.XXXXXX") && chmod 755 "$d"'
  local out, code = sh(make .. ' && printf "%s\\n%s\\n%s\\n" "$d" "$(id -u)" "$PPID"')
  local path, uid, pid = out:match("^(.-)\n(%d+)\n(%d+)\n$")
  if code ~= 0 or not path then return nil, "growatt.sandbox: cannot make a prefix: " .. out end
  return { path = path, owned = dir == nil, uid = tonumber(uid), lua_pid = pid }
end

local function nginx_string(s) return '"' .. s:gsub('[\\"]', "\\%0") .. '"' end

local function config_text(p, port, opts, env)
  local dir = env.lua_dir
  local function path(name) return nginx_string(p.path .. "/" .. name) end
  local lines = {
    "# Written by growatt.sandbox for one sandbox; removed when it stops.",
    "load_module " .. MODULE_DIR .. "ndk_http_module.so;",
    "load_module " .. MODULE_DIR .. "ngx_http_lua_module.so;",
    -- As root, nginx would run its workers as nobody, who may not read the Lua files.
    p.uid == 0 and "user root root;" or "",
    "daemon on;",
    "master_process on;",
    "worker_processes " .. (opts.workers or 1) .. ";",
    "pid " .. path("nginx.pid") .. ";",
    "error_log " .. path("error.log") .. " warn;",
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    "  server_tokens off;",
    "  absolute_redirect off;        # Location: /error.do?... as Growatt sends it",
    "  keepalive_requests 1000000;   # benchmarks run long keep-alive loops",
    "  client_max_body_size 16m;",
    "  client_body_buffer_size 16m;  # bodies stay in memory, where the recorder reads them",
    "  lua_package_path " .. nginx_string(dir .. "/?.lua;" .. dir .. "/?/init.lua;;") .. ";",
    "  lua_package_cpath " .. nginx_string(CJSON_CPATH .. ";;") .. ";",
    "  lua_shared_dict growatt_sandbox 8m;",
  }
  for _, temp in ipairs({ "client_body", "proxy", "fastcgi", "uwsgi", "scgi" }) do
    lines[#lines + 1] = "  " .. temp .. "_temp_path " .. path(temp .. "_temp") .. ";"
  end
  lines[#lines + 1] = "  init_by_lua_block { require('growatt.sandbox.server').init({ seed = " ..
    (opts.seed and string.format("%d", opts.seed) or "nil") .. " }) }"
  lines[#lines + 1] = "  init_worker_by_lua_block { require('growatt.sandbox.server').init_worker() }"
  lines[#lines + 1] = "  server {"
  lines[#lines + 1] = "    listen 127.0.0.1:" .. port .. ";"
  lines[#lines + 1] = "    location / { content_by_lua_block { require('growatt.sandbox.server').handle() } }"
  lines[#lines + 1] = "  }"
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

local function write_file(path, text)
  local f, err = io.open(path, "w")
  if not f then return nil, err end
  f:write(text)
  f:close()
  return true
end

local function read_tail(path, max)
  local f = io.open(path, "r")
  if not f then return "" end
  local text = f:read("*a")
  f:close()
  return #text > max and text:sub(-max) or text
end

-- True while the process exists and is not a zombie (a dead nginx master may linger as one
-- until init reaps it).
local ALIVE = [[alive() { kill -0 "$1" 2>/dev/null && ! grep -qs '^[0-9]* (.*) Z' "/proc/$1/stat"; }
]]

-- Stops the nginx of a prefix: TERM to the master (a fast shutdown: workers exit at once,
-- then the master), wait up to 3 s, then KILL the master and its workers. Only a pid whose
-- command line names nginx is signalled.
local function stop_script(p)
  local pidfile = quote(p.path .. "/nginx.pid")
  return ALIVE .. ([[
pid=$(cat %s 2>/dev/null)
if [ -n "$pid" ] && grep -qas nginx "/proc/$pid/cmdline"; then
  workers=$(ps -o pid= --ppid "$pid" 2>/dev/null)
  kill -TERM "$pid" 2>/dev/null
  i=0; while alive "$pid" && [ $i -lt 300 ]; do sleep 0.01; i=$((i+1)); done
  if alive "$pid"; then kill -KILL "$pid" $workers 2>/dev/null; fi
fi
rm -f %s
]]):format(pidfile, pidfile) .. (p.owned and ("rm -rf " .. quote(p.path) .. "\n") or "")
end

-- A background shell that stops nginx if this Lua process dies without calling stop()
-- (a crash, a kill, a spec file without teardown): no nginx outlives its owner by more than
-- a second. It exits by itself once the pid file is gone, i.e. after a normal stop.
-- It ignores the signals a terminal or `timeout` sends to the whole process group, and runs
-- in its own session where setsid exists.
local function start_watchdog(p)
  local pidfile = quote(p.path .. "/nginx.pid")
  local script = "trap '' HUP INT TERM\n" .. ALIVE ..
    ("while alive %s && [ -e %s ]; do sleep 1; done\n[ -e %s ] && { %s}")
      :format(p.lua_pid, pidfile, pidfile, stop_script(p))
  local launcher = find_in_path("setsid") and "setsid sh -c " or "sh -c "
  os.execute(launcher .. quote(script) .. " </dev/null >/dev/null 2>&1 &")
end

-- Polls the control API until the worker answers (about 10 ms after nginx returns).
local function wait_ready(url)
  local _, code = sh(([[i=0
while [ $i -lt 200 ]; do
  curl -s -o /dev/null -f -m 1 %s && exit 0
  sleep 0.01; i=$((i+1))
done
exit 1]]):format(quote(url .. "__sandbox/stats")))
  return code == 0
end

local Sandbox = {}
Sandbox.__index = Sandbox

-- Stops nginx, waits until it has exited, removes the temporary prefix. Safe to call twice.
function Sandbox:stop()
  if self.stopped then return true end
  self.stopped = true
  sh(stop_script(self._prefix))
  return true
end

local function fail(p, message)
  local log = read_tail(p.path .. "/error.log", 2000)
  sh(stop_script(p))
  return nil, "growatt.sandbox: " .. message .. (log ~= "" and ("\n" .. log) or "")
end

-- Starts a sandbox in the background. opts: port (default: a free random one in
-- 20000..32767), prefix (default: a fresh temporary directory, removed by stop), workers
-- (default 1: one worker keeps the log, faults and data consistent), seed (data seed),
-- nginx (the binary). Returns the sandbox, or nil and a message.
function M.start(opts)
  opts = check_options(opts, "start")
  local env, err = environment(opts)
  if not env then return nil, err end
  if opts.port and port_taken(opts.port) then
    return nil, "growatt.sandbox: port " .. opts.port .. " is already in use"
  end
  local p
  p, err = make_prefix(opts.prefix)
  if not p then return nil, err end
  local port, out, code
  for _ = 1, opts.port and 1 or START_ATTEMPTS do
    port = opts.port or pick_port()
    assert(write_file(p.path .. "/nginx.conf", config_text(p, port, opts, env)))
    out, code = sh(quote(env.nginx) .. " -p " .. quote(p.path .. "/") .. " -c " .. quote(p.path .. "/nginx.conf") ..
      " -e " .. quote(p.path .. "/error.log"))
    if code == 0 or not out:find("Address already in use", 1, true) then break end
  end
  if code ~= 0 then return fail(p, "nginx did not start: " .. out) end
  local url = "http://127.0.0.1:" .. port .. "/"
  if not wait_ready(url) then return fail(p, "nginx started but " .. url .. " does not answer") end
  start_watchdog(p)
  return setmetatable({ port = port, url = url, prefix = p.path, _prefix = p }, Sandbox)
end

-- Runs a sandbox until interrupted (Ctrl-C), then stops it and removes its prefix; returns
-- true, or writes the reason to stderr and returns nil and the reason if it cannot start.
-- nginx runs as a daemon so the address is printed only once it answers; this process waits.
function M.run(opts)
  opts = check_options(opts, "run")
  local sb, err = M.start(opts)
  if not sb then
    io.stderr:write(err, "\n")
    return nil, err
  end
  local demo = require("growatt.sandbox.data").DEMO
  io.stdout:write("growatt sandbox listening on ", sb.url, "\n",
    "  user ", demo.user, ", password ", demo.password, " (ShinePhone API)\n",
    "  token ", demo.token, " (OpenAPI v1: ", sb.url, "v1/)\n",
    "  docs/sandbox.md: pointing clients at it, faults, the control API under ", sb.url, "__sandbox/\n")
  io.stdout:flush()
  -- os.execute ignores SIGINT in this process while the shell runs, so Ctrl-C ends the
  -- shell's wait and we go on to stop nginx.
  os.execute(ALIVE .. 'while alive "$(cat ' .. quote(sb.prefix .. "/nginx.pid") .. ' 2>/dev/null)"; do sleep 1; done')
  sb:stop()
  return true
end

return M
