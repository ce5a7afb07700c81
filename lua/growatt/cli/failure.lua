--- Failures of the command-line tool: exit statuses by what went wrong, and the error a
-- command raises to stop with a message and a status (growatt.cli.main turns it into both).

local errors = require("growatt.errors")

local failure = {}

--- Exit statuses, by what went wrong (documented in `growatt --help` and the README).
failure.EXIT = {
  ok = 0,
  failure = 1,          -- anything not listed below
  usage = 2,            -- bad command line
  auth = 3,             -- wrong credentials, no session (run `growatt login`), token refused
  locked = 4,           -- the account is locked (wait until the lock ends)
  session_expired = 5,  -- the session expired and no password was given to log in again
  rate_limited = 6,     -- too many requests or logins (retry later)
  blocked = 7,          -- the server refused this client (user agent, firewall)
  network = 8,          -- network, timeout, TLS
  server = 9,           -- an unexpected reply (HTTP status, HTML, malformed JSON)
  api = 10,             -- the server said no
  invalid = 11,         -- a value refused before sending (validation)
  aborted = 12,         -- a write not confirmed
  store = 13,           -- the state store cannot be reached (no login, no budget)
  interrupted = 130,    -- Ctrl-C
}

-- The exit status of each library error kind.
local KIND_EXIT = {
  auth = "auth", locked = "locked", session_expired = "session_expired",
  rate_limited = "rate_limited", blocked = "blocked",
  network = "network", timeout = "network", tls = "network", closed = "network",
  http = "server", protocol = "server",
  api = "api", moved = "api",
  invalid = "invalid", store = "store",
}

local Failure = {}
Failure.__index = Failure

--- Stops the command with `message` and the exit status named `status` (a key of failure.EXIT).
function failure.fail(status, message)
  error(setmetatable({ status = status, message = message }, Failure), 0)
end

--- A library error as one line, without the "growatt: " its tostring starts with.
function failure.describe(err)
  return (tostring(err):gsub("^growatt: ", ""))
end

--- The exit status of a library error.
function failure.exit_status(err)
  return failure.EXIT[errors.is(err) and KIND_EXIT[err.kind] or "failure"]
end

--- Returns `v`, or stops the command with the library error `err` (nil, err results).
function failure.check(v, err, hint)
  if v ~= nil then return v end
  local message = failure.describe(err)
  if hint then message = message .. "\n" .. hint end
  failure.fail(errors.is(err) and KIND_EXIT[err.kind] or "failure", message)
end

--- Whether `e` is what failure.fail raised.
function failure.is(e)
  return getmetatable(e) == Failure
end

return failure
