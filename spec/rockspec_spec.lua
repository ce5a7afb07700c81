-- The rockspecs and the release: growatt-scm-1.rockspec (the working tree) and the release
-- rockspecs/growatt-0.1.0-1.rockspec build the same modules; every Lua module is mapped; the
-- version is one everywhere; LuaRocks lints both. Tagged #install (the Lua 5.4 run only,
-- .busted): `luarocks make` for PUC Lua 5.1, 5.2, 5.3 and 5.4 installs a library and a
-- `growatt` command that work, and the release packs into a source rock that installs.
local H = require("spec.support.session")
local sh, read = H.sh, H.read

local SCM = "growatt-scm-1.rockspec"
local RELEASE = "rockspecs/growatt-0.1.0-1.rockspec"
local URL = "git+https://github.com/lua-growatt/lua-growatt.git"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Output and exit status of a shell command (stderr included).
local function run(cmd)
  local out = sh("(" .. cmd .. ") 2>&1; echo \"exit=$?\"")
  local code = tonumber(out:match("exit=(%d+)$"))
  return (out:gsub("\n?exit=%d+$", "")), code
end

-- A rockspec's fields, read as LuaRocks reads it: a chunk run in an empty environment.
local function load_rockspec(path)
  local text = assert(read(path), path)
  local env = {}
  local chunk
  if setfenv then
    chunk = assert(loadstring(text, "=" .. path))
    setfenv(chunk, env)
  else
    chunk = assert(load(text, "=" .. path, "t", env))
  end
  chunk()
  return env
end

-- A copy of `t` without the keys in `drop` (a set of dotted paths such as "source.tag").
local function without(t, drop, prefix)
  local out = {}
  for k, v in pairs(t) do
    local path = (prefix and prefix .. "." or "") .. tostring(k)
    if not drop[path] then out[k] = type(v) == "table" and without(v, drop, path) or v end
  end
  return out
end

describe("rockspecs", function()
  local scm, release
  setup(function()
    scm, release = load_rockspec(SCM), load_rockspec(RELEASE)
  end)

  it("growatt-scm-1 builds the default branch of the git repository", function()
    assert.equal("3.0", scm.rockspec_format)
    assert.equal("growatt", scm.package)
    assert.equal("scm-1", scm.version)
    assert.same({ url = URL }, scm.source)
    assert.equal("MIT", scm.description.license)
  end)

  it("the release is version 0.1.0-1 from the tag v0.1.0, and builds exactly what scm builds", function()
    assert.equal("0.1.0-1", release.version)
    assert.same({ url = URL, tag = "v0.1.0" }, release.source)
    local drop = { version = true, ["source.tag"] = true }
    assert.same(without(scm, drop), without(release, drop))
  end)

  it("builds the C core from every src/*.c", function()
    local listed = {}
    for _, s in ipairs(scm.build.modules["growatt.core"].sources) do listed[s] = true end
    local seen = 0
    for file in sh("ls src/*.c"):gmatch("[^\n]+") do
      seen = seen + 1
      assert.is_true(listed[file] == true, file .. " missing from growatt.core sources")
    end
    assert.is_true(seen > 0, "no src/*.c found")
  end)

  it("maps every Lua module under lua/, and only those", function()
    local mapped, count = {}, 0
    for name, file in pairs(scm.build.modules) do
      if type(file) == "string" then
        mapped[file] = name
        count = count + 1
      end
    end
    local seen = 0
    for file in sh("find lua -name '*.lua' | sort"):gmatch("[^\n]+") do
      seen = seen + 1
      local name = file:gsub("^lua/", ""):gsub("/init%.lua$", ""):gsub("%.lua$", ""):gsub("/", ".")
      assert.equal(name, mapped[file], file .. " is not mapped as " .. name)
    end
    assert.is_true(seen > 0, "no lua/**/*.lua found")
    assert.equal(seen, count, "the rockspec maps a file that is not under lua/")
  end)

  it("luarocks lint passes on both", function()
    for _, path in ipairs({ SCM, RELEASE }) do
      local out, code = run("luarocks lint " .. q(path))
      assert.equal(0, code, path .. ": " .. out)
    end
  end)

  it("the module, the C core, the user agent and the changelog carry the release's version", function()
    local growatt = require("growatt")
    local version = release.version:match("^(.-)%-%d+$")
    assert.equal("0.1.0", version)
    assert.equal(version, growatt._VERSION)
    assert.equal(version, require("growatt.core")._VERSION)
    assert.truthy(growatt.DEFAULT_USER_AGENT:find("lua-growatt/" .. version .. ")", 1, true))
    -- the newest release in CHANGELOG.md (Keep a Changelog: "## [x.y.z] - date")
    local changelog = assert(read("CHANGELOG.md"))
    assert.equal(version, changelog:match("\n## %[(%d[^%]]*)%] %- %d%d%d%d%-%d%d%-%d%d"))
    -- the newest rockspec of rockspecs/ is that release
    local newest = sh("ls rockspecs | sort -V | tail -n 1")
    assert.equal("growatt-" .. release.version .. ".rockspec", newest)
  end)

  it("ships the MIT license the rockspecs name", function()
    local license = assert(read("LICENSE"))
    assert.truthy(license:find("^MIT License\n"))
    assert.truthy(license:find("Copyright (c) 2026 lua-growatt contributors", 1, true))
    assert.truthy(license:find("THE SOFTWARE IS PROVIDED \"AS IS\"", 1, true))
  end)
end)

-- The script each installed Lua runs from "/": where growatt and growatt.core were found
-- (the tree, not this checkout), the versions, and one call against the sandbox.
local CALL = [[
local function where(name, path)
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", (name:gsub("%.", "/")))
    local f = io.open(file)
    if f then f:close() return file end
  end
end
local tree = os.getenv("TREE")
assert(where("growatt", package.path):find(tree, 1, true) == 1, "growatt is not the tree's")
assert(where("growatt.core", package.cpath):find(tree, 1, true) == 1, "growatt.core is not the tree's")
local g = require("growatt")
local sb = assert(require("growatt.sandbox").start())
local api = g.new({ server_url = sb.url })
local login, err = api:login("demo", "demo-password")
local plants
if login then plants, err = api:plant_list(login.user.id) end
api:close()
sb:stop()
assert(plants, tostring(err))
print(_VERSION .. ": growatt " .. g._VERSION .. ", core " .. require("growatt.core")._VERSION ..
  ", " .. #plants.data .. " plants")
]]

-- Runs CALL and `growatt --help` with the modules of the tree `tree` for Lua `version`, from
-- the root directory; returns CALL's output and the command's.
local function use(tree, version)
  local env = ("cd / && eval \"$(luarocks --lua-version=%s --tree=%s path)\" && TREE=%s")
    :format(version, q(tree), q(tree))
  local out, code = run(("%s lua%s -e %s"):format(env, version, q(CALL)))
  assert.equal(0, code, out)
  local help, help_code = run(("%s %s/bin/growatt --help"):format(env, q(tree)))
  assert.equal(0, help_code, help)
  return out, help
end

describe("the rock, installed #install", function()
  -- The working tree, committed and tagged v0.1.0 in a scratch repository: `luarocks make`
  -- builds there (it leaves objects and a core.so where it builds), and git reaches it in
  -- place of the public URL (url.<base>.insteadOf), so that luarocks pack clones the tag
  -- with the rockspec as written and nothing goes to the network.
  local dir, repo
  setup(function()
    dir = H.tempdir()
    repo = dir .. "/lua-growatt"
    -- the sandbox's nginx workers (nobody, when run as root) read the installed modules
    local out, code = run(("chmod 755 %s && mkdir %s && git ls-files -co --exclude-standard |" ..
      " while IFS= read -r f; do [ -e \"$f\" ] && printf '%%s\\n' \"$f\"; done | tar -cf - -T - | tar -xf - -C %s &&" ..
      " cd %s && git init -q && git add -A && git -c user.name=spec -c user.email=spec@localhost commit -qm v0.1.0" ..
      " && git tag v0.1.0"):format(q(dir), q(repo), q(repo), q(repo)))
    assert.equal(0, code, out)
  end)
  teardown(function() H.remove(dir) end)

  for _, version in ipairs({ "5.1", "5.2", "5.3", "5.4" }) do
    it("luarocks make --lua-version=" .. version .. " installs a library and a growatt command that work", function()
      local tree = dir .. "/tree-" .. version
      local out, code = run(("cd %s && luarocks --lua-version=%s make --deps-mode=none --tree=%s %s")
        :format(q(repo), version, q(tree), SCM))
      assert.equal(0, code, out)
      assert.truthy(read(tree .. "/lib/lua/" .. version .. "/growatt/core.so"), "no core.so for " .. version)
      local call, help = use(tree, version)
      assert.matches("^Lua " .. version:gsub("%.", "%%.") .. ": growatt 0%.1%.0, core 0%.1%.0, [1-9]%d* plants$", call)
      assert.truthy(help:find("^Usage: growatt "), help)
      assert.truthy(help:find("\nCommands:", 1, true), help)
    end)
  end

  it("the release packs into a source rock of its tag, which installs with --deps-mode=none", function()
    local git = ("GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=%s GIT_CONFIG_VALUE_0=%s")
      :format(q("url.file://" .. repo .. ".insteadOf"), q((URL:gsub("^git%+", ""))))
    local out, code = run(("cd %s && %s luarocks pack %s"):format(q(dir), git, q(repo .. "/" .. RELEASE)))
    assert.equal(0, code, out)
    local rock = dir .. "/growatt-0.1.0-1.src.rock"
    assert.truthy(read(rock), out)
    -- the rock holds the rockspec as written (the public URL and the tag) and the sources
    local listing = sh("unzip -l " .. q(rock))
    assert.truthy(listing:find("lua-growatt/src/session.c", 1, true), listing)
    assert.equal((read(RELEASE):gsub("%s+$", "")), sh("unzip -p " .. q(rock) .. " growatt-0.1.0-1.rockspec"))

    local tree = dir .. "/tree-release"
    out, code = run(("cd %s && luarocks --lua-version=5.4 install --deps-mode=none --tree=%s %s")
      :format(q(dir), q(tree), "./growatt-0.1.0-1.src.rock"))
    assert.equal(0, code, out)
    assert.truthy(read(tree .. "/lib/luarocks/rocks-5.4/growatt/0.1.0-1/growatt-0.1.0-1.rockspec"), out)
    local call, help = use(tree, "5.4")
    assert.matches("^Lua 5%.4: growatt 0%.1%.0, core 0%.1%.0, [1-9]%d* plants$", call)
    assert.truthy(help:find("^Usage: growatt "), help)
  end)
end)
