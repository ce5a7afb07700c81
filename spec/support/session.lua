-- Helpers of the session-safety specs (session, store, secrets) and of the read spec's child
-- process: shell commands, files, the interpreter running the spec (for child processes) and
-- a class with a write.
local growatt = require("growatt")
local A = require("growatt.shinephone.endpoints").A

local H = {}

-- The interpreter running this spec, and where its build of the C core is.
local BUILD = rawget(_G, "jit") and "jit" or _VERSION:match("%d+%.%d+")
H.LUA = BUILD == "jit" and "luajit" or "lua" .. BUILD
H.CPATH = "build/" .. BUILD .. "/?.so"

-- Runs a shell command; returns its output without the trailing white space.
function H.sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

-- A file's bytes, or nil when it cannot be read.
function H.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function H.write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

function H.tempdir() return H.sh("mktemp -d") end
function H.remove(dir) os.execute("rm -rf '" .. dir .. "'") end

-- A Lua script for a child process that finds this checkout's modules and core.
function H.script(lines)
  return "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path\n" ..
    "package.cpath = '" .. H.CPATH .. ";' .. package.cpath\n" .. table.concat(lines, "\n")
end

-- Runs `n` child processes at once, each making the client `constructor(opts)` (a
-- growatt function name) with `opts` (a Lua table constructor's text) and calling
-- `call` on it (the text of a method call, e.g. 'last_data("SN", "noah")'). Returns how
-- many sent (got a value) and how many were refused with rate_limited and a retry_after,
-- and the children's output.
function H.race(dir, n, constructor, opts, call)
  local script = dir .. "/race.lua"
  H.write(script, H.script({
    "local growatt = require('growatt')",
    "local a = growatt." .. constructor .. "(" .. opts .. ")",
    "local v, err = a:" .. call,
    "io.write(v and 'sent' or (err.kind .. ' ' .. tostring(err.retry_after)), '\\n')",
  }))
  local out = H.sh("for i in $(seq " .. n .. "); do " .. H.LUA .. " '" .. script .. "' & done; wait")
  local sent, limited = 0, 0
  for line in out:gmatch("[^\n]+") do
    if line == "sent" then sent = sent + 1 end
    if line:match("^rate_limited %d+$") then limited = limited + 1 end
  end
  return sent, limited, out
end

-- An Api class with one write endpoint, so that specs can tell what happens to writes:
-- touch(user_id) POSTs PlantListAPI.do with the user id in the form.
H.Writer = setmetatable({}, { __index = growatt.Api })
H.Writer.__index = H.Writer
require("growatt.engine.api").install(H.Writer, {
  touch = {
    method = "POST", path = "PlantListAPI.do", args = { { "user_id", "id" } },
    form = { { "userId", A "user_id" } }, result = "back", write = true,
  },
})

return H
