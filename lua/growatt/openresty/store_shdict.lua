--- A state store over an nginx lua_shared_dict (the growatt.store interface), so that every
-- nginx worker process, and the worker-thread VMs, share one session and one lock state.
--
--   local key = require("growatt.store").key(server_url, "demo")   -- "demo@https://host:443"
--   local store = require("growatt.store_shdict").new("growatt", key)
--   local state = store:load()            -- { salt = ..., accounts = { [key] = {...} } }
--   store:update(function(state) ... end) -- one read-modify-write, serialised across workers
--
-- One store object serves one account (a user at one server; any string names it): its
-- state is one JSON document under the key "account:<key>". save() writes that account
-- only, so stores of other accounts in the same dict are never overwritten. The salt of
-- the verifiers is one per dict, under "salt": the first one saved stays. Runs inside nginx
-- only (LuaJIT).

-- luacheck: globals ngx
local json = require("growatt.json")
local store = require("growatt.engine.store")

local store_shdict = {}

store_shdict.LOCK_TTL = 2 -- seconds: a crashed holder of the update lock blocks others this long at most

local Shdict = {}
Shdict.__index = Shdict

--- A store for the account `account` (store.key) in the shared dict named `dict_name`;
-- raises if nginx has no such lua_shared_dict.
function store_shdict.new(dict_name, account)
  assert(type(dict_name) == "string", "store_shdict.new: dict_name must be a string")
  assert(type(account) == "string", "store_shdict.new: account must be a string")
  local dict = ngx.shared[dict_name]
  if not dict then
    error("growatt: no lua_shared_dict '" .. dict_name .. "' in nginx.conf (lua_shared_dict " ..
      dict_name .. " 1m;)", 2)
  end
  return setmetatable({ dict = dict, account = account, key = "account:" .. account }, Shdict)
end

-- The account's state alone, decoded and checked (growatt.store.sanitise: what has the
-- wrong shape is dropped and noted in self.problems); nil when nothing is left.
local function read(self)
  local text = self.dict:get(self.key)
  if text == nil then return nil end
  local account = type(text) == "string" and json.decode(text) or false
  local state = store.checked(self, { accounts = { [self.account] = account } }, "lua_shared_dict")
  account = state.accounts[self.account]
  if next(account) ~= nil then return account end
end

function Shdict:load()
  local salt = self.dict:get("salt")
  return { salt = store.valid_salt(salt) and salt or nil, accounts = { [self.account] = read(self) } }
end

-- Saves the state's salt when the dict has no valid one, and gives the state the one kept.
local function save_salt(dict, state)
  local kept = dict:get("salt")
  if not store.valid_salt(kept) and store.valid_salt(state.salt) then
    if kept ~= nil then dict:delete("salt") end
    dict:add("salt", state.salt)
    kept = dict:get("salt")
  end
  if store.valid_salt(kept) then state.salt = kept end
end

function Shdict:save(state)
  if type(state) == "table" then save_salt(self.dict, state) end
  local account = type(state) == "table" and type(state.accounts) == "table" and state.accounts[self.account]
  if account == nil then
    self.dict:delete(self.key)
    return true
  end
  local text, err = json.encode(account)
  if not text then return nil, "state is not plain data: " .. err end
  local ok, serr = self.dict:set(self.key, text)
  if not ok then return nil, "lua_shared_dict: " .. tostring(serr) end
  return true
end

-- Waits a moment for another holder of the update lock: ngx.sleep where the phase allows it
-- (it yields to the event loop), else the C core's blocking sleep (worker threads, init phases).
local function pause(seconds)
  if ngx.sleep and pcall(ngx.sleep, seconds) then return end
  require("growatt.core").sleep(seconds)
end

--- load, fn, save under a lock key, so that two workers never interleave their changes.
-- Returns the new state, or nil and a message.
function Shdict:update(fn)
  local lock = "lock:" .. self.key
  local waited = 0
  while not self.dict:add(lock, true, store_shdict.LOCK_TTL) do
    if waited > store_shdict.LOCK_TTL then return nil, "lua_shared_dict: the state stayed locked" end
    pause(0.001)
    waited = waited + 0.001
  end
  local ok, state = pcall(function()
    local s = self:load()
    return fn(s) or s
  end)
  local saved, err = true, nil
  if ok then saved, err = self:save(state) end
  self.dict:delete(lock)
  if not ok then error(state, 0) end
  if not saved then return nil, err end
  return state
end

return store_shdict
