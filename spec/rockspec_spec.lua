-- The rockspec: every Lua module is mapped, and `luarocks make` installs a module that
-- works from any directory.
local function read(path)
  local f = assert(io.open(path))
  local s = f:read("*a")
  f:close()
  return s
end

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1; echo \"exit=$?\""))
  local out = p:read("*a")
  p:close()
  return out, tonumber(out:match("exit=(%d+)%s*$"))
end

describe("growatt-dev-1.rockspec", function()
  local spec = {}
  setup(function()
    local chunk = assert((loadstring or load)(read("growatt-dev-1.rockspec")))
    if setfenv then setfenv(chunk, spec) else
      chunk = assert(load(read("growatt-dev-1.rockspec"), "rockspec", "t", spec))
    end
    chunk()
  end)

  it("is version dev-1 with the C core built from every src/*.c", function()
    assert.equal("dev-1", spec.version)
    assert.equal("3.0", spec.rockspec_format)
    local core = spec.build.modules["growatt.core"]
    local listed = {}
    for _, s in ipairs(core.sources) do listed[s] = true end
    local out = run("ls src/*.c")
    local seen = 0
    for file in out:gmatch("(src/[%w_]+%.c)") do
      seen = seen + 1
      assert.is_true(listed[file] == true, file .. " missing from growatt.core sources")
    end
    assert.is_true(seen > 0, "no src/*.c found: " .. out)
  end)

  it("maps every Lua module under lua/", function()
    local mapped = {}
    for name, file in pairs(spec.build.modules) do
      if type(file) == "string" then mapped[file] = name end
    end
    local out = run("find lua -name '*.lua' | sort")
    local seen = 0
    for file in out:gmatch("(lua/[^\n]+%.lua)") do
      seen = seen + 1
      local name = file:gsub("^lua/", ""):gsub("/init%.lua$", ""):gsub("%.lua$", ""):gsub("/", ".")
      assert.equal(name, mapped[file], file .. " is not mapped as " .. name)
    end
    assert.is_true(seen > 0, "no lua/**/*.lua found: " .. out)
  end)

  it("installs with luarocks make into a tree, and the module works from another directory", function()
    local tree = os.tmpname()
    os.remove(tree)
    local out, code = run("luarocks --lua-version=5.4 make --deps-mode=none --tree=" .. tree ..
      " growatt-dev-1.rockspec")
    assert.equal(0, code, out)
    local script = [[
      local g = require("growatt")
      local core = require("growatt.core")
      assert(package.searchpath("growatt.core", package.cpath):find(os.getenv("TREE"), 1, true))
      assert(package.searchpath("growatt", package.path):find(os.getenv("TREE"), 1, true))
      local sb = assert(require("growatt.sandbox").start())
      local api = g.new({ server_url = sb.url })
      local login = api:login("demo", "demo-password")
      local plants = login and api:plant_list(login.user.id)
      sb:stop()
      assert(plants and #plants.data > 0, "no plants")
      print("ok " .. g._VERSION .. " " .. core._VERSION)
    ]]
    local cmd = ("cd / && TREE=%s LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua;;' " ..
      "LUA_CPATH='%s/lib/lua/5.4/?.so;;' lua5.4 -e %q"):format(tree, tree, tree, tree, script)
    out, code = run(cmd)
    run("rm -rf " .. tree)
    assert.equal(0, code, out)
    assert.matches("ok dev%-1 dev%-1", out)
  end)
end)
