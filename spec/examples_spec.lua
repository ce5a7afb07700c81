-- Every example script, run as users run it, against the sandbox: each must exit with 0.
-- Examples in subfolders (examples/openresty/) and those whose first line says
-- "-- spec: skip" need something else and are left out.
local S = require("spec.support.sandbox")
local H = require("spec.support.session") -- the interpreter running this spec, its build of the core

local LUA, CPATH = H.LUA, H.CPATH .. ";;"

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function first_line(path)
  local f = assert(io.open(path))
  local line = f:read("*l") or ""
  f:close()
  return line
end

local function examples()
  local list = {}
  local pipe = assert(io.popen("ls examples/*.lua 2>/dev/null"))
  for path in pipe:lines() do
    if not first_line(path):find("^%-%-%s*spec:%s*skip") then list[#list + 1] = path end
  end
  pipe:close()
  table.sort(list)
  return list
end

-- Runs a script with the sandbox as its server; returns its exit code and its output.
local function run(path, url)
  local out = os.tmpname()
  local cmd = string.format(
    "GROWATT_SERVER=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s' %s %s >%s 2>&1; echo $?",
    quote(url), CPATH, LUA, quote(path), quote(out))
  local pipe = assert(io.popen(cmd))
  local code = tonumber(pipe:read("*a"):match("(%d+)%s*$"))
  pipe:close()
  local f = io.open(out)
  local text = f and f:read("*a") or ""
  if f then f:close() end
  os.remove(out)
  return code, text
end

describe("examples", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function() S.reset() end)

  local list = examples()

  it("are there", function()
    for _, name in ipairs({ "simple", "mix", "tlx", "noah", "user_agent" }) do
      local found = false
      for _, path in ipairs(list) do found = found or path == "examples/" .. name .. ".lua" end
      assert.is_true(found, "examples/" .. name .. ".lua")
    end
  end)

  for _, path in ipairs(list) do
    it(path .. " runs against the sandbox", function()
      local code, output = run(path, url)
      assert.equal(0, code, output)
      assert.is_true(#S.requests() > 0, "the example sent nothing to the sandbox")
    end)
  end

  it("a failing example exits with a non-zero status", function()
    local code, output = run("examples/simple.lua", "http://127.0.0.1:1/")
    assert.are_not.equal(0, code)
    assert.matches("network", output)
  end)
end)
