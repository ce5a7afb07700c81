--- A state store over an nginx lua_shared_dict (the growatt.store interface), so that every
-- nginx worker process, and the worker-thread VMs, share one session and one lock state.
--
--   local key = require("growatt.store").key(server_url, "demo")   -- "demo@https://host:443"
--   local store = require("growatt.store_shdict").new("growatt", key)
--   local acc, salt = store:load_account(key)            -- { cookies = ..., ... }, salt
--   store:update_account(key, function(acc) ... end)  -- serialised across workers
--
-- Each account (a user at one server; any string names it) is one JSON document under the
-- key "account:<key>", so accounts never overwrite each other; the session policy reads
-- and changes one account at a time (load_account, update_account). load() and save()
-- serve the store's own account (`account`) as a whole state. The salt of the verifiers is
-- one per dict, under "salt": the first one saved stays. Runs inside nginx only (LuaJIT).

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
  return setmetatable({ dict = dict, account = account }, Shdict)
end

-- The dict's key of the account `key`.
local function dict_key(key) return "account:" .. key end

-- The account under `key`, decoded and checked (growatt.store's sanitiser: what has the
-- wrong shape is dropped and noted in self.problems); {} when there is none.
local function read(self, key)
  local text = self.dict:get(dict_key(key))
  if text == nil then return {} end
  return store.checked_account(self, type(text) == "string" and json.decode(text) or false, "lua_shared_dict")
end

-- Writes the account `acc` under `key`, or deletes it when it is empty.
local function write(self, key, acc)
  if type(acc) ~= "table" or next(acc) == nil then
    self.dict:delete(dict_key(key))
    return true
  end
  local text, err = json.encode(acc)
  if not text then return nil, "state is not plain data: " .. err end
  local ok, serr = self.dict:set(dict_key(key), text)
  if not ok then return nil, "lua_shared_dict: " .. tostring(serr) end
  return true
end

--- The account under `key` (store.key; {} when none) and the dict's salt (nil when none).
function Shdict:load_account(key)
  local salt = self.dict:get("salt")
  return read(self, key), store.valid_salt(salt) and salt or nil
end

--- The dict's salt, `fresh` saved first when it has no valid one (the first saved stays).
function Shdict:salt(fresh)
  local kept = self.dict:get("salt")
  if fresh and not store.valid_salt(kept) then
    if kept ~= nil then self.dict:delete("salt") end
    self.dict:add("salt", fresh)
    kept = self.dict:get("salt")
  end
  return store.valid_salt(kept) and kept or nil
end

--- The state of this store's own account: { salt = ..., accounts = { [account] = ... } }.
function Shdict:load()
  local acc, salt = self:load_account(self.account)
  return { salt = salt, accounts = { [self.account] = next(acc) ~= nil and acc or nil } }
end

--- Saves the state's salt (when the dict has none; the state then holds the one kept) and
-- this store's own account of the state (deleted when the state has none).
function Shdict:save(state)
  if type(state) == "table" and store.valid_salt(state.salt) then state.salt = self:salt(state.salt) end
  return write(self, self.account, type(state) == "table" and type(state.accounts) == "table"
    and state.accounts[self.account] or nil)
end

-- Waits a moment for another holder of the update lock: ngx.sleep where the phase allows it
-- (it yields to the event loop), else the C core's blocking sleep (worker threads, init phases).
local function pause(seconds)
  if ngx.sleep and pcall(ngx.sleep, seconds) then return end
  require("growatt.core").sleep(seconds)
end

--- The account under `key`, acc = fn(acc) or acc, saved (deleted when empty), under a lock
-- key, so that two workers never interleave their changes. Returns the new account, or nil
-- and a message.
function Shdict:update_account(key, fn)
  local lock = "lock:" .. dict_key(key)
  local waited = 0
  while not self.dict:add(lock, true, store_shdict.LOCK_TTL) do
    if waited > store_shdict.LOCK_TTL then return nil, "lua_shared_dict: the account stayed locked" end
    pause(0.001)
    waited = waited + 0.001
  end
  local ok, acc = pcall(function()
    local a = read(self, key)
    return fn(a) or a
  end)
  local saved, err = true, nil
  if ok then saved, err = write(self, key, acc) end
  self.dict:delete(lock)
  if not ok then error(acc, 0) end
  if not saved then return nil, err end
  return acc
end

return store_shdict
