-- The manual and the editor types against the code: every public method is documented,
-- the generated files are what tools/gendocs.lua makes now, the LuaLS definitions annotate
-- every method, and the Lua examples of the manual compile.
local load = rawget(_G, "loadstring") or load -- PUC Lua 5.1's load takes a function, not text

local growatt = require("growatt")
local openapi = require("growatt.openapi")
local gendocs = dofile("tools/gendocs.lua")

local GENERATED = { "docs/api.md", "docs/settings.md", "types/growatt.lua" }

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- The public methods of a class table: functions whose names do not start with "_".
local function public(class)
  local names = {}
  for k, v in pairs(class) do
    if type(k) == "string" and type(v) == "function" and not k:match("^_") then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

-- Documented method names by class name, from the generator.
local function documented()
  local out = {}
  for _, entry in ipairs(gendocs.methods()) do
    local set = {}
    for _, rec in ipairs(entry.methods) do set[rec.name] = rec end
    out[entry.class.name] = set
  end
  return out
end

-- The public methods of the classes that have no documentation, as "Class.name".
local function undocumented()
  local docs, missing = documented(), {}
  local function check(class_name, class, doc_name, prefix)
    for _, name in ipairs(public(class)) do
      if not docs[doc_name][(prefix or "") .. name] then missing[#missing + 1] = class_name .. "." .. name end
    end
  end
  check("growatt.Api", growatt.Api, "growatt.Api")
  local own = {}
  for k, v in pairs(openapi.OpenApi) do own[k] = v end
  check("growatt.OpenApi", own, "growatt.OpenApi")
  check("growatt.Min", openapi.Min, "growatt.OpenApi", "min_")
  check("growatt.Sph", openapi.Sph, "growatt.OpenApi", "sph_")
  check("growatt.V4", require("growatt.v4.client").V4, "growatt.V4")
  return missing
end

describe("docs", function()
  it("document every public method of growatt.Api, OpenApi and its device classes", function()
    assert.same({}, undocumented())
    local docs = documented()
    local n = 0
    for _ in pairs(docs["growatt.Api"]) do n = n + 1 end
    assert.is_true(n >= 50, "growatt.Api has " .. n .. " documented methods")
  end)

  it("find a method installed without documentation", function()
    growatt.Api.frobnicate = function() end
    local ok, missing = pcall(undocumented)
    growatt.Api.frobnicate = nil
    assert.is_true(ok, missing)
    assert.same({ "growatt.Api.frobnicate" }, missing)
  end)

  it("document no method that does not exist", function()
    local classes = { ["growatt.Api"] = growatt.Api, ["growatt.OpenApi"] = openapi.OpenApi,
      ["growatt.V4"] = require("growatt.v4.client").V4 }
    for class_name, set in pairs(documented()) do
      for name in pairs(set) do
        assert.is_function(classes[class_name][name], class_name .. "." .. name .. " is documented but missing")
      end
    end
  end)

  it("refuse to generate when an endpoint entry has no doc field", function()
    local ep = growatt.Api._endpoints.tlx_detail
    local doc = ep.doc
    ep.doc = nil
    local ok, err = pcall(gendocs.methods)
    ep.doc = doc
    assert.is_false(ok)
    assert.matches("tlx_detail has no doc field", err, 1, true)
  end)

  it("are what tools/gendocs.lua makes from the tables now (run `make docs`)", function()
    local out = os.tmpname()
    os.remove(out)
    assert(os.execute("mkdir -p '" .. out .. "/docs' '" .. out .. "/types'"))
    local files = gendocs.generate(".")
    gendocs.write(files, out)
    for _, path in ipairs(GENERATED) do
      assert.is_string(files[path], path)
      assert.is_true(read(out .. "/" .. path) == read(path), path .. " is stale: run `make docs`")
    end
    os.execute("rm -rf '" .. out .. "'")
  end)

  it("notice a generated block edited by hand", function()
    local api_md = read("docs/api.md")
    local files = gendocs.generate(".")
    assert.equal(api_md, files["docs/api.md"])
    local edited = api_md:gsub("%- sends `GET PlantListAPI%.do", "- sends `GET Elsewhere.do", 1)
    assert.are_not.equal(api_md, edited)
    local tmp = os.tmpname()
    os.remove(tmp)
    assert(os.execute("mkdir -p '" .. tmp .. "/docs'"))
    local f = assert(io.open(tmp .. "/docs/api.md", "wb"))
    f:write(edited)
    f:close()
    f = assert(io.open(tmp .. "/docs/settings.md", "wb"))
    f:write(read("docs/settings.md"))
    f:close()
    local again = gendocs.generate(tmp)
    os.execute("rm -rf '" .. tmp .. "'")
    assert.equal(api_md, again["docs/api.md"]) -- the block is made again from the tables
  end)

  describe("types/growatt.lua", function()
    local text = read("types/growatt.lua")

    it("is valid Lua and a ---@meta file", function()
      assert.truthy(text:match("^%-%-%-@meta growatt\n"))
      local chunk = assert(load(text, "=types/growatt.lua"))
      local ok, mod = pcall(chunk)
      assert.is_true(ok, mod)
      assert.is_function(mod.new)
    end)

    it("annotates every parameter and the results of every function", function()
      local count, comments = 0, {}
      for line in (text .. "\n"):gmatch("(.-)\n") do
        local fname, params = line:match("^function ([%w_.:]+)%((.-)%) end$")
        if fname then
          count = count + 1
          local block = table.concat(comments, "\n")
          for p in params:gmatch("[%w_]+") do
            assert.truthy(block:find("---@param " .. p .. "%??%s"), fname .. " has no ---@param " .. p)
          end
          assert.truthy(block:find("---@return ", 1, true), fname .. " has no ---@return")
          comments = {}
        elseif line:match("^%-%-%-") then
          comments[#comments + 1] = line
        else
          comments = {}
        end
      end
      assert.is_true(count >= 90, count .. " functions")
    end)

    it("defines every public method of the classes", function()
      local function has(var, name)
        return text:find("\nfunction " .. var .. ":" .. name .. "%(") or text:find("\n" .. var .. "%." .. name .. " = ")
      end
      for _, name in ipairs(public(growatt.Api)) do assert.truthy(has("Api", name), "Api:" .. name) end
      for _, name in ipairs(public(openapi.OpenApi)) do assert.truthy(has("OpenApi", name), "OpenApi:" .. name) end
      for _, name in ipairs(public(openapi.Min)) do assert.truthy(has("Min", name), "Min:" .. name) end
      for _, name in ipairs(public(openapi.Sph)) do assert.truthy(has("Sph", name), "Sph:" .. name) end
      for _, name in ipairs(public(require("growatt.v4.client").V4)) do
        assert.truthy(has("V4", name), "V4:" .. name)
      end
    end)

    it("gives plant_list its parameter and its result's fields", function()
      assert.truthy(text:find("---@param user_id string|integer", 1, true))
      assert.truthy(text:find("---@return growatt.PlantListBack? result", 1, true))
      assert.truthy(text:find("---@class growatt.PlantListBack\n---@field data growatt.PlantRow[]", 1, true))
    end)
  end)

  it("hold Lua examples that compile", function()
    local files = { "README.md", "docs/api.md", "docs/settings.md", "docs/openapi.md", "docs/errors.md",
                    "docs/editors.md" }
    local blocks = 0
    for _, path in ipairs(files) do
      for code in read(path):gmatch("```lua\n(.-)```") do
        blocks = blocks + 1
        local chunk, err = load(code, "=" .. path)
        assert.is_function(chunk, err)
      end
    end
    assert.is_true(blocks >= 80, blocks .. " blocks")
  end)
end)

describe("docs/errors.md", function()
  it("says when each error kind happens and what to do, and the README names each", function()
    local page, readme = read("docs/errors.md"), read("README.md")
    for kind in pairs(growatt.errors.kinds) do
      local row = page:match("\n| `" .. kind .. "` | ([^\n]+) |\n")
      assert.is_string(row, "docs/errors.md has no row for " .. kind)
      local when, todo = row:match("^(.-) | (.+)$")
      assert.is_true(#(when or "") > 10 and #(todo or "") > 10, kind .. ": when and what to do")
      assert.truthy(readme:find("`" .. kind .. "`", 1, true), "README.md does not name " .. kind)
    end
  end)
end)

describe("the README's first script", function()
  local S = require("spec.support.sandbox")
  local H = require("spec.support.session")
  setup(function() S.start() end)
  teardown(S.stop)

  it("runs as written: one login, the plant list, a refused write and a dry run, nothing else sent", function()
    S.reset()
    local code = assert(read("README.md"):match("## First script\n\n```lua\n(.-)```"))
    local dir = H.tempdir()
    H.write(dir .. "/first.lua", H.script({ code }))
    local out = H.sh(string.format("HOME='%s' GROWATT_SERVER='%s' GROWATT_USERNAME=demo "
      .. "GROWATT_PASSWORD=demo-password %s '%s/first.lua' 2>&1; echo \"exit $?\"", dir, S.url(), H.LUA, dir))
    local state = H.read(dir .. "/.growatt-state.json")
    H.remove(dir)
    assert.matches("2222207\tGarden mix %+ storage\t", out)
    assert.matches("growatt: invalid: param1 %(charge power%) must be 0..100, got 180", out)
    assert.matches("POST\t" .. S.url():gsub("%p", "%%%0") .. "newTcpsetAPI%.do", out)
    assert.matches("exit 0$", out)
    assert.is_string(state, "the state file")
    local requests = S.requests()
    assert.equal(2, #requests)
    assert.same({ "POST", "newTwoLoginAPI.do" }, { requests[1].method, requests[1].path })
    assert.same({ "GET", "PlantListAPI.do", "userId=1234567" },
      { requests[2].method, requests[2].path, S.pairs_of(requests[2].query) })
  end)
end)

describe("docs/api.md's examples", function()
  local S = require("spec.support.sandbox")
  setup(function() S.start() end)
  teardown(S.stop)

  -- "api:name" / "v1:name" / "growatt.name" -> the example's code, from the page itself.
  local function examples()
    local out, text = {}, read("docs/api.md")
    for name, code in text:gmatch("\n### ([%w_.:]+)\n.-```lua\n(.-)```") do out[name] = code end
    return out
  end

  -- Runs an example with `growatt`, a logged-in `api`, `login` and a token client `v1` in
  -- scope, and returns what its first statement's variables hold afterwards.
  local function run(code, var)
    S.reset()
    if var == "v1" then S.state{ v1 = { window = 0 } } end -- no 5-minute rule
    local growatt_ = require("growatt")
    local api = growatt_.new{ server_url = S.url() }
    local login = assert(api:login("demo", "demo-password"))
    local v1 = growatt_.openapi{ token = "demo-token", server_url = S.url(), min_interval = 0 }
    if var == "v4" then S.state{ v4 = { scale = 0 } } end -- no intervals
    local v4 = growatt_.v4{ token = "demo-token", server_url = S.url() }
    local os_ = setmetatable({ getenv = function(k) return k == "GROWATT_TOKEN" and "demo-token" or nil end },
      { __index = os })
    local env = setmetatable({ growatt = growatt_, api = api, v1 = v1, v4 = v4, login = login, os = os_ },
      { __index = _G })
    local names = code:match("^local ([%w_, ]-) =")
    local chunk = assert(load(code .. (names and ("\nreturn " .. names) or ""), "=example", "t", env))
    if setfenv then setfenv(chunk, env) end -- luacheck: ignore 113
    local r = table.pack and table.pack(chunk()) or { n = select("#", chunk()), chunk() }
    api:close()
    v1:close()
    v4:close()
    return r
  end

  it("run against the sandbox, each sending the request its entry says and getting no error", function()
    local entries = { api = growatt.Api._endpoints, v1 = openapi.endpoints,
                      v4 = require("growatt.v4.client").endpoints }
    local ran = 0
    for name, code in pairs(examples()) do
      local var, method = name:match("^(%w+):([%w_]+)$")
      local r = run(code, var)
      ran = ran + 1
      local second = r.n >= 2 and r[2] or nil -- err; batch's errs; the OpenAPI cache info
      assert.is_false(growatt.errors.is(second), name .. ": " .. tostring(second))
      if type(second) == "table" and not second.cached then assert.same({}, second, name) end
      local ep = var and entries[var][method]
      if ep then
        local path = ep.path:match("^[^?]*")
        local seen
        for _, req in ipairs(S.requests()) do
          if req.method == ep.method and req.path == path then seen = req end
        end
        assert.is_table(seen, name .. ": no " .. ep.method .. " " .. path .. " reached the sandbox")
        local sent = {}
        for _, list in ipairs({ seen.query, seen.form }) do
          for _, p in ipairs(list) do sent[p[1]] = true end
        end
        for _, list in ipairs({ ep.query or {}, ep.form or {} }) do
          for _, p in ipairs(list) do
            if type(p[2]) ~= "table" then assert.is_true(sent[p[1]], name .. ": " .. p[1] .. " not sent") end
          end
        end
      end
    end
    assert.is_true(ran >= 75, ran .. " examples")
  end)
end)

describe("the manual's links", function()
  -- Pages written elsewhere in the project, linked before they exist in every branch.
  local ELSEWHERE = { ["docs/session-safety.md"] = true, ["docs/security.md"] = true,
                      ["docs/openresty.md"] = true, ["docs/sandbox.md"] = true, ["docs/speed.md"] = true,
                      ["HACKING.md"] = true, ["CHANGELOG.md"] = true, ["LICENSE"] = true }
  local PAGES = { "README.md", "docs/README.md", "docs/api.md", "docs/settings.md", "docs/openapi.md",
                  "docs/errors.md", "docs/cli.md", "docs/editors.md", "docs/readings.md" }

  local function exists(path)
    local f = io.open(path, "rb")
    if f then f:close() end
    return f ~= nil
  end

  -- GitHub's anchors of a page's headings (outside code blocks).
  local function anchors(path)
    local set, seen, in_code = {}, {}, false
    for line in read(path):gmatch("[^\n]*") do
      if line:match("^```") then in_code = not in_code end
      local text = not in_code and line:match("^#+ (.*)$")
      if text then
        local slug = text:lower():gsub("[^%w%- _]", ""):gsub(" ", "-")
        if seen[slug] then slug, seen[slug] = slug .. "-" .. seen[slug], seen[slug] + 1 else seen[slug] = 1 end
        set[slug] = true
      end
    end
    return set
  end

  -- "docs/x.md" from a link in `page`.
  local function resolve(page, target)
    local dir = page:match("^(.*)/") or ""
    local path = (dir ~= "" and (dir .. "/") or "") .. target
    path = path:gsub("[^/]+/%.%./", "")
    return path
  end

  it("lead to pages and headings that exist", function()
    local checked = 0
    for _, page in ipairs(PAGES) do
      local in_code = false
      for line in read(page):gmatch("[^\n]*") do
        if line:match("^```") then in_code = not in_code end
        for target in (in_code and "" or line):gmatch("%]%(([^)%s]+)%)") do
          if not target:match("^%a+:") then
            local file, anchor = target:match("^([^#]*)#?(.*)$")
            local path = file == "" and page or resolve(page, file)
            if not ELSEWHERE[path] then
              assert.is_true(exists(path), page .. ": " .. target)
              if anchor ~= "" then assert.is_true(anchors(path)[anchor], page .. ": " .. target) end
            end
            checked = checked + 1
          end
        end
      end
    end
    assert.is_true(checked >= 140, checked .. " links")
  end)

  it("notice a heading that is not there", function()
    assert.is_true(anchors("docs/api.md")["apiplant_list"])
    assert.is_true(anchors("docs/api.md")["v1plant_list"])
    assert.is_true(anchors("docs/api.md")["growattapi-settings"])
    assert.is_nil(anchors("docs/api.md")["apinot_a_method"])
  end)
end)
