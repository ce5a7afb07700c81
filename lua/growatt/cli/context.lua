--- The context of one run of the command-line tool: its arguments, environment and
-- streams, the state file, and the API objects the command asks for (growatt.cli.main
-- makes it; the commands of growatt.cli.commands use it).

local growatt = require("growatt")
local errors = require("growatt.errors")
local store = require("growatt.engine.store")
local failure = require("growatt.cli.failure")
local term = require("growatt.cli.term")

local fail, check = failure.fail, failure.check

local Context = {}
Context.__index = Context

--- A context for the parsed `args`, the environment `env` and the streams `sys`.
function Context.new(args, env, sys)
  local ctx = setmetatable({ args = args, env = env, sys = sys }, Context)
  ctx.format = args.json and "json" or (args.csv and "csv" or "text")
  return ctx
end

--- `s` unless it is nil or "" (unset and empty options and variables alike).
local function nonempty(s)
  if s ~= nil and s ~= "" then return s end
end
Context.nonempty = nonempty

--- The state file's path: --state-file, GROWATT_STATE_FILE, $XDG_CACHE_HOME/growatt/state.json,
-- ~/.cache/growatt/state.json. The second value is true for the default path, whose
-- directory belongs to the tool.
function Context:state_path()
  local env = self.env
  local path = nonempty(self.args.state_file) or nonempty(env.GROWATT_STATE_FILE)
  if path then return path end
  local cache = nonempty(env.XDG_CACHE_HOME) or (nonempty(env.HOME) and env.HOME .. "/.cache")
  if not cache then fail("usage", "no state file: set HOME, XDG_CACHE_HOME or --state-file") end
  return cache .. "/growatt/state.json", true
end

-- Makes the default state directory 0700, new or not: it holds the session, so no one else
-- may write (or read) there, and nothing but the tool's own files belongs in it, so taking
-- the others' permissions away breaks nothing. Stops when it cannot be done (the directory
-- is someone else's).
local function own_directory(dir)
  local q = term.quote(dir)
  os.execute("mkdir -p -m 700 " .. q .. " 2>/dev/null; chmod go= " .. q .. " 2>/dev/null")
  local p = io.popen("stat -L -c %a " .. q .. " 2>/dev/null")
  local mode = p and p:read("*l")
  if p then p:close() end
  if mode and mode:match("^%d*(%d%d)$") ~= "00" then
    fail("failure", "the state directory " .. dir .. " is open to other users (mode " .. mode
      .. ") and cannot be made 0700: fix it, or choose another with --state-file")
  end
end

--- The state store, its directory made (mode 0700) when missing; the default directory is
-- made 0700 when it is not.
function Context:store()
  if not self._store then
    local path, default = self:state_path()
    local dir = path:match("^(.*)/[^/]*$")
    local file = not default and io.open(path, "rb")
    if default then
      own_directory(dir)
    elseif file then
      file:close() -- its directory is there: no shell to start
    elseif dir and dir ~= "" then
      os.execute("mkdir -p -m 700 " .. term.quote(dir) .. " 2>/dev/null")
    end
    self._store = store.file(path)
  end
  return self._store
end

--- What the tool keeps in the state file next to the library's sessions:
-- { username, server_url } of the last login.
function Context:saved()
  local state = self:store():load()
  return type(state.cli) == "table" and state.cli or {}
end

function Context:save(fields)
  local ok, err = store.update(self:store(), function(state)
    state.cli = fields
    return state
  end)
  if not ok then fail("failure", "cannot write the state file " .. self:state_path() .. ": " .. tostring(err)) end
end

--- The server URL: --server, GROWATT_SERVER, the last login's; nil for the library's default
-- (or --region's).
function Context:server_url()
  local args = self.args
  local url = nonempty(args.server) or nonempty(self.env.GROWATT_SERVER)
  if url or args.region then return url end
  return self:saved().server_url
end

--- Writes a line to stderr, control characters escaped (notes show what servers said).
function Context:note(...)
  local parts = { ... }
  for i = 1, select("#", ...) do parts[i] = tostring(parts[i]) end
  self.sys.stderr:write(errors.escape(table.concat(parts)), "\n")
end

--- A progress line on stderr, rewritten in place; only when stderr is a terminal.
-- progress(nil) clears it.
function Context:progress(text)
  if not self.sys.isatty("stderr") then return end
  local err = self.sys.stderr
  if text then err:write("\r", text, "\27[K") else err:write("\r\27[K") end
  err:flush()
end

-- The on_request hook of --verbose: method, path, op, status and time; nothing else.
local function verbose_hook(ctx)
  return function(info)
    ctx:note(string.format("growatt: %s %s%s -> %s (%s ms)%s", tostring(info.method), tostring(info.path),
      info.op and (" op=" .. tostring(info.op)) or "", tostring(info.status or info.kind or "?"),
      tostring(info.ms and math.floor(info.ms + 0.5) or "?"), info.attempt and info.attempt > 1
        and (" attempt " .. info.attempt) or ""))
  end
end

--- Options for growatt.new / growatt.openapi shared by both: server, region, hook.
function Context:api_options(extra)
  local opts = extra or {}
  opts.server_url = self:server_url()
  if not opts.server_url and self.args.region then opts.region = self.args.region end
  if self.args.verbose then opts.on_request = verbose_hook(self) end
  return opts
end

--- A growatt.new object for the password API, not logged in (the state file attached).
function Context:new_api(extra)
  local opts = self:api_options(extra)
  self:store() -- makes the state file's directory
  opts.state_file = self:state_path()
  local ok, api = pcall(growatt.new, opts)
  if not ok then fail("usage", (tostring(api):gsub("^growatt%.new: ", ""))) end
  return api
end

--- The token API (OpenAPI v1) when GROWATT_TOKEN is set, else nil.
function Context:token_api()
  if self._v1 ~= nil then return self._v1 or nil end
  local token = nonempty(self.env.GROWATT_TOKEN)
  self._v1 = false
  if not token then return nil end
  local ok, api = pcall(growatt.openapi, self:api_options({ token = token }))
  if not ok then fail("usage", (tostring(api):gsub("^growatt%.openapi: ", ""))) end
  self._v1 = api
  return api
end

--- The API the reading commands use: the token API with GROWATT_TOKEN, else the session.
function Context:api()
  return self:token_api() or self:session_api()
end

local RELOGIN_HINT = "run `growatt login` (or set GROWATT_PASSWORD to log in again by itself)"

--- The password API with the session of the last login: with GROWATT_PASSWORD through
-- the library's login (which reuses the live session kept in the state file, or logs in),
-- else the kept session itself. Stops with exit status 3 when there is none.
function Context:session_api()
  if self._session then return self._session end
  local username = nonempty(self.env.GROWATT_USERNAME) or self:saved().username
  if not username then fail("auth", "not logged in: run `growatt login`") end
  local api = self:new_api()
  local password = nonempty(self.env.GROWATT_PASSWORD)
  if password then
    check(api:login(username, password))
  elseif not api:resume(username) then
    fail("auth", "not logged in as " .. username .. ": run `growatt login`")
  end
  self._session = api
  return api
end

--- Returns `v`, or stops with the error; an expired session that could not be renewed
-- (the library forgets it) comes with the hint to log in again.
function Context:check(v, err)
  if v == nil and errors.is(err, "session_expired") and not nonempty(self.env.GROWATT_PASSWORD) then
    check(v, err, RELOGIN_HINT)
  end
  return check(v, err)
end

return Context
