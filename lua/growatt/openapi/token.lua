--- The token families' adapter (OpenAPI v1 and v4): a `token` header instead of a login.
--
-- The token is kept here, keyed by api object rather than in it, so that printing or
-- serialising an api object never shows one; prepared requests (dry runs, hooks, batch
-- items) carry a "***" mark where the header goes, and the transport puts the real token
-- on the wire at the last moment (growatt.engine.api: engine.transport). An api's store
-- account is named by a digest of its token ("token:<16 hex digits>"), never the token, so
-- that its budget and request windows are kept per token across processes sharing a store.

local core = require("growatt.core")
local errors = require("growatt.errors")
local engine = require("growatt.engine.api")
local reply = require("growatt.engine.reply")

local token = {}

local tokens = setmetatable({}, { __mode = "k" })

local MARK = "***"

--- What is wrong with a token that a header cannot carry, or nil (never the token itself:
-- it is a secret).
function token.problem(t)
  if t == "" then return "must not be empty" end
  if #t > 1024 then return "must be at most 1024 bytes" end
  if t:find("%c") then return "must not contain control characters" end
end

--- Checks a constructor's `token` option (`fname` names the constructor); raises
-- errors.misuse (call it inside an errors.boundary).
function token.check_option(fname, t)
  if t == nil or t == "" then errors.misuse("%s: option 'token' is required", fname) end
  local problem = token.problem(t)
  if problem then errors.misuse("%s: option 'token' %s", fname, problem) end
end

--- Gives `api` the token `t` (already checked).
function token.set(api, t)
  tokens[api] = t
  api.account = "token:" .. core.verifier("lua-growatt token account", t):sub(1, 16)
end

--- api:set_token(t): replaces the token (its store account, budget and windows are the new
-- token's).
function token.set_token(api, t)
  errors.check(t, "string", "token", "set_token")
  local problem = token.problem(t)
  if problem then error("bad argument 'token' to 'set_token' (the token " .. problem .. ")", 2) end
  token.set(api, t)
end

--- A new object of a token family's `class` (made with token.family), for the options
-- `opts` of the constructor `fname`: the family's own options (`types`: name -> Lua type;
-- `token` among them) are checked here, the rest are growatt.new's; the user agent is
-- `user_agent` unless given. Raises errors.misuse (call it inside an errors.boundary).
function token.open(class, fname, opts, types, user_agent)
  errors.check(opts, "table", "opts", fname)
  local base = {}
  for k, v in pairs(opts) do
    local want = types[k]
    if want and type(v) ~= want then
      errors.misuse("%s: option '%s' must be a %s, got %s", fname, k, want, type(v))
    end
    if not want then base[k] = v end
  end
  token.check_option(fname, opts.token)
  base.agent_identifier = base.agent_identifier or user_agent
  local api = engine.open(class, fname, base, opts.cache)
  token.set(api, opts.token)
  return api
end

-- A token client has no session to renew: a login page (or a redirect to one) in place of
-- data means the server did not take the token, or is no token API server.
local function receive(req, res, err)
  local value
  value, err = reply.receive(req, res, err)
  if err and err.kind == "session_expired" then
    err.kind = "auth"
    err.message = "the server answered with its login page: the token was refused, or server_url is " ..
      "not a token API server"
  end
  return value, err
end

--- The family adapter (growatt.engine.api: engine.class).
token.family = {
  receive = receive,
  prepare = function(_, req)
    local headers = req.headers or {}
    headers[#headers + 1] = { "token", MARK }
    req.headers = headers
    return req
  end,
  authorize = function(api, headers)
    local out = {}
    for _, h in ipairs(headers or {}) do
      if h[1]:lower() ~= "token" then out[#out + 1] = h end
    end
    out[#out + 1] = { "token", tokens[api] }
    return out
  end,
}

return token
