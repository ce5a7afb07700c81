-- Issue 13: no Lua module over about 400 lines, no function over about 60. Measured with
-- luac's listing, which gives every function's first and last line.

-- Modules not split yet, each with the size it may not grow past (none left).
local NOT_YET = {}

local function modules()
  local pipe = assert(io.popen("find lua -name '*.lua' | sort"))
  local list = {}
  for path in pipe:lines() do list[#list + 1] = path end
  pipe:close()
  return list
end

-- { first, last } of each function luac lists for `path`, and whether luac listed the file.
local function functions(path)
  local pipe = assert(io.popen("luac5.4 -p -l " .. path .. " 2>&1"))
  local listing = pipe:read("*a")
  pipe:close()
  local out = {}
  for first, last in listing:gmatch("\nfunction <[^:]+:(%d+),(%d+)>") do
    out[#out + 1] = { tonumber(first), tonumber(last) }
  end
  return out, listing:find("^%s*main <") ~= nil
end

describe("the Lua modules", function()
  it("are each at most 400 lines, with no function over 60", function()
    local files = modules()
    assert.is_true(#files >= 60, #files .. " modules")
    for _, path in ipairs(files) do
      local lines = 0
      for _ in io.lines(path) do lines = lines + 1 end
      assert.is_true(lines <= (NOT_YET[path] or 400), path .. " has " .. lines .. " lines")
      local list, listed = functions(path)
      assert.is_true(listed, path .. ": luac did not list it")
      for _, f in ipairs(list) do
        local length = f[2] - f[1] + 1
        assert.is_true(length <= 60, path .. ":" .. f[1] .. " is a function of " .. length .. " lines")
      end
    end
  end)

  it("are measured: a function of 61 lines is found and one of 60 is not", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("local function a()\n", ("  local _ = 1\n"):rep(58), "end\n",
            "local function b()\n", ("  local _ = 1\n"):rep(59), "end\n")
    f:close()
    local list = functions(path)
    os.remove(path)
    assert.same({ { 1, 60 }, { 61, 121 } }, list)
  end)
end)
