-- Spec helper: a real redis-server (Debian's) of our own on 127.0.0.1, on a random port,
-- without persistence, driven through the shell and redis-cli, as the sandbox drives nginx.
--
--   local R = require("spec.support.redis")
--   local redis = R.start()           -- redis.port
--   redis:cli("GET", "growatt:state") -- redis-cli's output
--   redis:stop()  redis:start()       -- the same port again
--   redis:pause()  redis:resume()     -- SIGSTOP / SIGCONT: a Redis that answers nothing
--   redis:close()                     -- stops it and removes its directory

local R = {}
local Server = {}
Server.__index = Server

local N = require("spec.support.nginx") -- its shell helpers
local quote = N.quote

-- Runs a shell command; returns its output (without trailing white space) and exit code.
local function sh(cmd)
  local text, code = N.sh(cmd)
  return (text:gsub("%s+$", "")), code
end
R.sh = sh

local function pid_of(self)
  local f = io.open(self.dir .. "/redis.pid", "r")
  local pid = f and f:read("*l")
  if f then f:close() end
  return pid and pid:match("^%d+$")
end

--- Starts (or starts again) the server on its port; raises when it does not come up.
function Server:start()
  local _, code = sh(("redis-server --bind 127.0.0.1 --port %d --save '' --appendonly no --daemonize yes " ..
    "--dir %s --pidfile %s --logfile %s%s"):format(self.port, quote(self.dir), quote(self.dir .. "/redis.pid"),
    quote(self.dir .. "/redis.log"), self.password and (" --requirepass " .. quote(self.password)) or ""))
  assert(code == 0, "redis-server did not start")
  for _ = 1, 300 do
    local out = self:cli("PING")
    if out == "PONG" or out:find("NOAUTH", 1, true) then
      self.pid = pid_of(self)
      if self.pid then return self end
    end
    sh("sleep 0.01")
  end
  local log = sh("cat " .. quote(self.dir .. "/redis.log"))
  error("redis-server does not answer on port " .. self.port .. ": " .. log)
end

--- Stops the server at once (KILL: it keeps nothing on disk anyway) and waits until its port
-- is closed.
function Server:stop()
  local pid = self.pid or pid_of(self)
  if not pid then return end
  sh(("kill -KILL %s; i=0; while redis-cli -p %d PING >/dev/null 2>&1 && [ $i -lt 300 ]; do sleep 0.01; " ..
    "i=$((i+1)); done; rm -f %s"):format(pid, self.port, quote(self.dir .. "/redis.pid")))
  self.pid = nil
end

function Server:pause() sh("kill -STOP " .. self.pid) end
function Server:resume() sh("kill -CONT " .. self.pid) end

--- Runs redis-cli with these arguments against the server; returns its output.
function Server:cli(...)
  local args = {}
  for i, a in ipairs({ ... }) do args[i] = quote(a) end
  local auth = self.password and ("--no-auth-warning -a " .. quote(self.password) .. " ") or ""
  return (sh(("redis-cli -h 127.0.0.1 -p %d %s%s"):format(self.port, auth, table.concat(args, " "))))
end

--- Stops the server and removes its directory.
function Server:close()
  self:stop()
  sh("rm -rf " .. quote(self.dir))
end

--- A new server; opts.password sets requirepass. A port that turns out to be taken is
-- replaced by another. If this process dies first, the server goes within a second.
function R.start(opts)
  opts = opts or {}
  local dir = sh('mktemp -d "${TMPDIR:-/tmp}/growatt-redis.XXXXXX"')
  local self = setmetatable({ dir = dir, password = opts.password }, Server)
  local ok, err
  for _ = 1, 5 do
    self.port = N.random_port()
    ok, err = pcall(self.start, self)
    if ok then break end
  end
  if not ok then
    sh("rm -rf " .. quote(dir))
    error(err, 2)
  end
  local pidfile = quote(dir .. "/redis.pid")
  sh(("(trap '' HUP INT TERM; while kill -0 $PPID 2>/dev/null && [ -d %s ]; do sleep 1; done; " ..
    "[ -e %s ] && kill -CONT $(cat %s) && kill -TERM $(cat %s)) </dev/null >/dev/null 2>&1 &")
    :format(quote(dir), pidfile, pidfile, pidfile))
  return self
end

return R
