--- The ShinePhone client (the password API): growatt.new's class, growatt.Api. Its methods
-- are the shared ones of growatt.engine.api, one per endpoint entry (growatt.shinephone.endpoints,
-- growatt.shinephone.settings, growatt.engine.regions), and the session methods below: login, resume, walk.

local core = require("growatt.core")
local errors = require("growatt.errors")
local reply = require("growatt.engine.reply")
local endpoints = require("growatt.shinephone.endpoints")
local policy = require("growatt.engine.policy")
local regions = require("growatt.engine.regions")
local settings = require("growatt.shinephone.settings")
local batch = require("growatt.engine.batch")
local engine = require("growatt.engine.api")

local Api = engine.class()

engine.install(Api, endpoints.legacy)
engine.install(Api, settings.endpoints)
engine.install(Api, regions.endpoints) -- discover_server

--- Logs in with a user name and password (or, with is_password_hashed, the hash).
-- Returns the server's `back` table with `userId` and `userLevel` added, or nil and an
-- error of kind `auth` (502/501; with `retry_after` when the password was refused before
-- and waits its back-off), `locked` (507, with `locked_until`), `rate_limited` (the login
-- guard, with `retry_after`) or `api`. When the store holds a live session of the same user
-- at the same server (e.g. from the previous run of a cron script) made with this password
-- (it proves itself against the stored verifier), no request is made: the stored copy of
-- the login reply comes back, without user.password and user.token. A dry run returns the
-- request with "***" where the hash goes.
function Api:login(username, password, is_password_hashed)
  errors.check(username, "string", "username", "login")
  errors.check(password, "string", "password", "login")
  if is_password_hashed ~= nil then errors.check(is_password_hashed, "boolean", "is_password_hashed", "login") end
  local hash = is_password_hashed and password or core.hash_password(password)
  if self.dry_run then return self:_login_request(username, "***") end -- no secret in output
  return policy.login(self, username, hash, function(name, h) return self:_login_request(name, h) end)
end

--- The prepared login request.
function Api:_login_request(username, hash)
  return self:_prepare({
    method = "POST", path = "newTwoLoginAPI.do", name = "login", write = false,
    form = { { "userName", username }, { "password", hash } }, result = reply.login_result,
  })
end

--- Takes up the session of `username` kept in the store (state_file, store) by an earlier
-- login, without credentials: no login is ever sent, so an expiry comes back as
-- session_expired. Returns the stored login reply (without user.password and user.token),
-- or nil and a session_expired error when there is no live stored session.
function Api:resume(username)
  errors.check(username, "string", "username", "resume")
  return policy.resume(self, username)
end

Api.walk = batch.walk
engine.lazy(Api, "readings", "growatt.readings", "for_api")

--- growatt.new(opts) or, as in the reference, growatt.new(add_random_user_id, agent_identifier).
local function new(opts, agent_identifier)
  if type(opts) == "boolean" then
    opts = { add_random_user_id = opts, agent_identifier = agent_identifier }
  end
  if opts ~= nil then errors.check(opts, "table", "opts", "growatt.new") end
  return engine.open(Api, "growatt.new", opts or {})
end

return { Api = Api, new = errors.boundary(new) }
