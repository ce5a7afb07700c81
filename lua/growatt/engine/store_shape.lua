--- The shape of a stored state, checked on every load by every store (growatt.engine.store
-- re-exports all of it): a value that fails its check is dropped, and what was dropped is
-- counted in the store's `problems`. Never raises.

local json = require("growatt.json")

local shape = {}

--- Whether `s` is a salt as the stores keep it: 64 lowercase hex digits.
function shape.valid_salt(s)
  return type(s) == "string" and #s == 64 and not s:find("[^0-9a-f]")
end

---------------------------------------------------------------------------
-- The state's shape, checked on every load: a value that fails its check is dropped.

local function finite(v) return type(v) == "number" and v == v and v > -math.huge and v < math.huge end

-- Set when plain() drops a part of a table.
local lossy = false

-- JSON data with no number JSON cannot hold (inf, nan): v, what is not such data dropped
-- from it in place, or nil when v itself is not.
local function plain(v)
  local t = type(v)
  if t == "number" then return finite(v) and v or nil end
  if t == "string" or t == "boolean" or v == json.null then return v end
  if t ~= "table" then return nil end
  for k, x in pairs(v) do
    local clean = nil
    if type(k) == "string" or finite(k) then clean = plain(x) end
    if clean == nil then lossy = true end
    v[k] = clean
  end
  return v
end

-- Each check returns the clean value (cleaned in place), or nil when v has the wrong shape.
local is = {}
function is.number(v) return finite(v) and v or nil end
function is.string(v) return type(v) == "string" and v or nil end
function is.table(v) return type(v) == "table" and plain(v) or nil end
-- { ["<number>"] = count >= 0 }; any entry of another shape makes the whole field wrong.
function is.counts(v)
  if type(v) ~= "table" then return nil end
  for k, n in pairs(v) do
    if type(k) ~= "string" or not tonumber(k) or not finite(n) or n < 0 then return nil end
  end
  return v
end
-- { [request key] = epoch seconds > 0 }: the request windows.
function is.ends(v)
  if type(v) ~= "table" then return nil end
  for k, n in pairs(v) do
    if type(k) ~= "string" or not finite(n) or n <= 0 then return nil end
  end
  return v
end
-- 64 lowercase hex digits: a salt or a verifier.
function is.hex64(v) return shape.valid_salt(v) and v or nil end
-- { [verifier] = { count, next_try } }: any entry of another shape makes the whole field wrong.
function is.refused(v)
  if type(v) ~= "table" then return nil end
  for k, r in pairs(v) do
    if not is.hex64(k) or type(r) ~= "table" or not finite(r.count) or not finite(r.next_try) then return nil end
  end
  return v
end
shape.is = is

-- A field's name for a message: only the names the store knows (the rest came from the file).
local function label(kind, k, known)
  return kind .. (known[k] and " '" .. k .. "'" or " of another name")
end

-- Cleans the object t in place: each field passes its check in `fields` (or plain), or is
-- dropped and named in problems.
local function clean_record(t, fields, kind, problems)
  for k, v in pairs(t) do
    local clean
    if type(k) ~= "string" then
      problems[#problems + 1] = "a " .. kind .. " whose name is not a string was dropped"
    else
      lossy = false
      clean = (fields[k] or plain)(v, problems)
      local what = label(kind, k, fields)
      if clean == nil then problems[#problems + 1] = what .. " had the wrong type: dropped" end
      if lossy then problems[#problems + 1] = what .. " held values that are not JSON: dropped" end
    end
    t[k] = clean
  end
  return t
end

-- An object whose fields pass the checks in `fields`.
function is.record(fields)
  return function(v, problems)
    if type(v) == "table" then return clean_record(v, fields, "field", problems) end
  end
end

--- The fields of an account and the check of each (shape.is); a field not listed is kept
-- as it is (plain JSON data).
shape.ACCOUNT_FIELDS = {
  user_id = is.number,
  cookies = is.string,
  login = is.table,
  last_login = is.number,
  locked_until = is.number,
  logins = is.number,
  requests = is.counts,
  verifier = is.hex64,
  refused = is.refused,
  windows = is.ends,
}

-- { [user name] = account }: an account that is not an object is an empty one.
function is.accounts(v, problems)
  if type(v) ~= "table" then return nil end
  for name, acc in pairs(v) do
    if type(name) ~= "string" then
      problems[#problems + 1] = "an account whose name is not a string was dropped"
      v[name] = nil
    elseif type(acc) ~= "table" then
      problems[#problems + 1] = "an account that is not an object was read as empty"
      v[name] = {}
    else
      clean_record(acc, shape.ACCOUNT_FIELDS, "account field", problems)
    end
  end
  lossy = false -- said field by field already
  return v
end

--- The fields of the state's top level and their checks; other fields are kept as they are.
shape.STATE_FIELDS = {
  accounts = is.accounts,
  salt = is.hex64,
  -- the command-line tool's record of the last login (growatt.cli)
  cli = is.record({ username = is.string, server_url = is.string }),
}

--- Cleans a state as read from a store, in place, and returns it (a new table when it was
-- not one) and the list of what was wrong (nil when nothing): a state that is not an object
-- is empty, names other than strings are dropped, and so is every field that fails its check
-- (shape.ACCOUNT_FIELDS, shape.STATE_FIELDS). Never raises. The messages name the fields
-- the store knows, never values or user names.
function shape.sanitise(state)
  local problems = {}
  if type(state) ~= "table" then
    if state ~= nil then problems[1] = "the state is not an object: read as empty" end
    return {}, problems[1] and problems
  end
  local out = clean_record(state, shape.STATE_FIELDS, "field", problems)
  return out, problems[1] and problems
end

-- Counts what a store dropped, once per load that found it: shape.problems.
local function note(s, problems, what)
  if not problems then return end
  local p = s.problems or { count = 0 }
  s.problems = p
  p.count = p.count + #problems
  p.last = { message = (what and what .. ": " or "") .. table.concat(problems, "; "), at = os.time() }
end

--- Sanitises a state read by the store `s` and notes what was dropped in s.problems.
function shape.checked(s, state, what)
  local clean, problems = shape.sanitise(state)
  note(s, problems, what)
  return clean
end

shape.note = note

--- An account as a store that keeps each account apart read it (decoded JSON; nil when
-- there was none), checked as an account of the state: {} when none or not an object.
function shape.checked_account(s, acc, what)
  local state = shape.checked(s, { accounts = { [""] = acc } }, what)
  return state.accounts[""] or {}
end

return shape
