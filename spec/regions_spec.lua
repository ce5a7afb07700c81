-- Regions (growatt.regions, the region option) and server discovery (api:discover_server)
-- against the sandbox.
local growatt = require("growatt")
local regions = require("growatt.engine.regions")
local S = require("spec.support.sandbox")
local pairs_of = S.pairs_of

describe("growatt.regions", function()
  it("lists the known servers by name, the deprecated ones marked", function()
    assert.equal("https://openapi-us.growatt.com/", growatt.regions.north_america.url)
    assert.equal("https://openapi-au.growatt.com/", growatt.regions.australia_new_zealand.url)
    assert.equal("https://openapi-cn.growatt.com/", growatt.regions.china.url)
    assert.equal("https://openapi.growatt.com/", growatt.regions.other_regions.url)
    assert.equal(growatt.regions.other_regions.url, growatt.regions.europe.url)
    assert.equal("http://server.smten.com/", growatt.regions.smten.url)
    assert.equal("http://ess-server.atesspower.com/", growatt.regions.era.url)
    for _, name in ipairs({ "server", "server_api", "server_us" }) do
      assert.is_true(growatt.regions[name].deprecated, name)
    end
    assert.is_nil(growatt.regions.north_america.deprecated)
    for name, r in pairs(growatt.regions) do
      assert.matches("^https?://[%w.-]+/$", r.url, name)
      assert.equal("string", type(r.label), name)
    end
  end)

  it("is a shortcut for server_url in growatt.new and growatt.openapi", function()
    assert.equal("https://openapi-cn.growatt.com/", growatt.new({ region = "china" }).server_url)
    assert.equal("https://openapi-au.growatt.com/",
      growatt.openapi({ token = "t", region = "australia_new_zealand" }).server_url)
  end)

  it("raises at the caller's line for an unknown region or one given with server_url", function()
    local ok, msg = pcall(function() growatt.new({ region = "atlantis" }) end)
    assert.is_false(ok)
    assert.matches("regions_spec%.lua:%d+: growatt%.new: unknown region 'atlantis' %(known: .*north_america", msg)
    ok, msg = pcall(function() growatt.openapi({ token = "t", region = "atlantis" }) end)
    assert.is_false(ok)
    assert.matches("regions_spec%.lua:%d+: growatt%.openapi: unknown region 'atlantis'", msg)
    assert.has_error(function() growatt.new({ region = "china", server_url = "https://x/" }) end,
      "growatt.new: options 'server_url' and 'region' exclude each other")
    assert.has_error(function() growatt.new({ region = 1 }) end,
      "growatt.new: option 'region' must be a string, got number")
  end)

  it("normalises a server named by a reply to https://host/", function()
    assert.equal("https://server.growatt.com/", regions.normalise("server.growatt.com"))
    assert.equal("https://server.growatt.com/", regions.normalise(" server.growatt.com/ "))
    assert.equal("http://server-us.growatt.com/", regions.normalise("http://server-us.growatt.com/index.do"))
    assert.equal("https://127.0.0.1:8080/", regions.normalise("127.0.0.1:8080"))
    assert.is_nil(regions.normalise(""))
    assert.is_nil(regions.normalise("https:///x"))
  end)
end)

describe("api:discover_server", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function() S.reset() end)

  it("asks newLoginAPI.do?op=getServerUrlByName without a session and returns the server", function()
    local api = growatt.new({ server_url = url })
    assert.equal("https://openapi.growatt.com/", api:discover_server("demo"))
    local r = S.last()
    assert.equal("GET", r.method)
    assert.equal("newLoginAPI.do", r.path)
    assert.equal("op=getServerUrlByName&userName=demo", pairs_of(r.query))
    assert.same({}, r.form)
    assert.is_nil(r.headers.cookie)
    S.state({ accounts = { other = { server = "openapi-us.growatt.com" } } })
    assert.equal("https://openapi-us.growatt.com/", api:discover_server("other"))
  end)

  it("works from the OpenAPI client too, at the server's root", function()
    local api = growatt.openapi({ token = "demo-token", server_url = url })
    assert.equal("https://openapi.growatt.com/", api:discover_server("demo"))
    assert.equal("newLoginAPI.do", S.last().path)
  end)

  it("returns an api error for an unknown user and raises for a wrong argument type", function()
    local api = growatt.new({ server_url = url })
    local v, err = api:discover_server("nobody")
    assert.is_nil(v)
    assert.equal("api", err.kind)
    assert.is_false(err.response.success)
    assert.equal("op=getServerUrlByName&userName=nobody", pairs_of(S.last().query))
    assert.has_error(function() api:discover_server(42) end,
      "bad argument 'username' to 'discover_server' (string expected, got number)")
    assert.equal(1, #S.requests())
  end)

  it("accepts the server in the shapes clients have seen", function()
    local api = growatt.new({ server_url = url })
    local shapes = {
      { '{"result":1,"msg":"","obj":{"serverUrl":"http://server-us.growatt.com/"}}', "http://server-us.growatt.com/" },
      { '{"success":1,"msg":"https://openapi-au.growatt.com"}', "https://openapi-au.growatt.com/" },
      { '{"url":"openapi-cn.growatt.com"}', "https://openapi-cn.growatt.com/" },
    }
    for _, shape in ipairs(shapes) do
      S.faults({ { path = "newLoginAPI.do", body = shape[1] } })
      assert.equal(shape[2], api:discover_server("demo"))
    end
    S.faults({ { path = "newLoginAPI.do", body = '{"result":0,"msg":"server.growatt.com"}' } })
    assert.equal("api", select(2, api:discover_server("demo")).kind)
    S.faults({ { path = "newLoginAPI.do", html = true } })
    assert.equal("protocol", select(2, api:discover_server("demo")).kind)
  end)
end)
