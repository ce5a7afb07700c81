-- growatt.core's session:perform_many against the sandbox: many requests in flight through
-- one curl multi handle, sharing cookies and connections with the session.
local core = require("growatt.core")
local S = require("spec.support.sandbox")
local system = require("system") -- luasystem, which busted itself needs

local function login(s)
  local res = assert(s:request("POST", "newTwoLoginAPI.do", {
    form = { { "userName", "demo" }, { "password", core.hash_password("demo-password") } },
  }))
  assert.equal(200, res.status)
end

-- n GETs of path with ?n=i, so that each result's url tells which request it answers.
local function numbered(n, path)
  local list = {}
  for i = 1, n do list[i] = { "GET", path or "PlantListAPI.do", { query = { { "n", i } } } } end
  return list
end

describe("session:perform_many", function()
  local url, s
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    s = core.session({ base_url = url })
  end)
  after_each(function() s:close() end)

  describe("misuse", function()
    local function raises(msg, requests, opts)
      assert.has_error(function() s:perform_many(requests, opts) end, msg)
    end

    it("raises on a bad list, a bad request in it (naming it) or bad options", function()
      raises(nil, nil)
      raises(nil, "GET x")
      raises("perform_many: request 2 must be a table {method, url [, opts]}, got string",
        { { "GET", "x" }, "GET x" })
      raises("perform_many: request 1: method must be a string, got nil", { { nil, "x" } })
      raises("perform_many: request 1: url must be a string, got number", { { "GET", 5 } })
      raises("perform_many: request 1: options must be a table, got string", { { "GET", "x", "q=1" } })
      raises("perform_many: request 2: unknown request option 'params'",
        { { "GET", "x" }, { "GET", "x", { params = {} } } })
      raises("perform_many: request 1: query pair 1: value must be a string or number, got boolean",
        { { "GET", "x", { query = { { "a", true } } } } })
      raises(nil, { { "GE T", "x" } })
      raises(nil, {}, "fast")
      raises("perform_many: unknown option 'concurency'", {}, { concurency = 2 })
      for _, bad in ipairs({ 0, -1, 1.5, "2", true }) do
        raises("perform_many: concurrency must be a positive integer", {}, { concurrency = bad })
      end
    end)

    it("sends nothing when one request of the batch is bad", function()
      local list = numbered(3)
      list[4] = { "POST", "x", { form = { { "password", "p" } }, headers = { { "X", false } } } }
      raises(nil, list)
      assert.same({}, S.requests())
    end)
  end)

  it("returns empty lists for an empty batch, and sends nothing", function()
    local results, errs = s:perform_many({})
    assert.same({}, results)
    assert.same({}, errs)
    assert.same({}, S.requests())
  end)

  it("returns the results in the order of the requests, whatever order they finish in", function()
    login(s)
    S.faults({ { op = "slow", stall = 0.3 } })
    local list = numbered(12)
    table.insert(list[1][3].query, { "op", "slow" }) -- the first one finishes last
    local results, errs = s:perform_many(list, { concurrency = 4 })
    assert.same({}, errs)
    assert.equal(12, #results)
    assert.equal(url .. "PlantListAPI.do?n=1&op=slow", results[1].url)
    for i, res in ipairs(results) do
      assert.equal(200, res.status)
      if i > 1 then assert.equal(url .. "PlantListAPI.do?n=" .. i, res.url) end
      assert.is_table(res.headers)
      assert.truthy(res.body:find('"back"', 1, true))
    end
    assert.is_true(results[1].elapsed > results[12].elapsed)
    assert.equal(13, #S.requests()) -- the login, then the batch
  end)

  it("sends each request's method, query, form, multipart, body and headers", function()
    s:perform_many({
      { "GET", "echo.do", { query = { { "a", 1 }, { "b", "x y" } }, headers = { ["X-One"] = "1" } } },
      { "POST", "echo.do", { form = { { "userId", 1234567 }, { "op", "set" } } } },
      { "POST", "echo.do", { multipart = { { "serialNum", "SN1" }, { "type", "x" } } } },
      { "PUT", "echo.do", { body = '{"k":1}', content_type = "application/json" } },
    }, { concurrency = 4 })
    local got = {}
    for _, r in ipairs(S.requests()) do got[r.method] = got[r.method] or {} table.insert(got[r.method], r) end
    assert.same({ { "a", "1" }, { "b", "x y" } }, got.GET[1].query)
    assert.equal("1", got.GET[1].headers["x-one"])
    local form, multipart
    for _, r in ipairs(got.POST) do
      if #r.form > 0 then form = r.form else multipart = r.multipart end
    end
    assert.same({ { "userId", "1234567" }, { "op", "set" } }, form)
    assert.equal("serialNum", multipart[1][1])
    assert.equal("SN1", multipart[1][2])
    assert.equal("type", multipart[2][1])
    assert.equal('{"k":1}', got.PUT[1].body)
    assert.equal("application/json", got.PUT[1].content_type)
  end)

  it("gives each failed request its own error and the others their results", function()
    login(s)
    local list = numbered(5)
    list[2] = { "GET", "http://127.0.0.1:1/refused" }
    local results, errs = s:perform_many(list, { concurrency = 5 })
    assert.is_false(results[2])
    assert.equal("network", errs[2].kind)
    assert.equal(7, errs[2].curl_code)
    assert.matches("^growatt: network: ", tostring(errs[2]))
    for _, i in ipairs({ 1, 3, 4, 5 }) do
      assert.equal(200, results[i].status)
      assert.is_nil(errs[i])
    end
  end)

  it("applies max_body to each transfer on its own", function()
    s:configure({ max_body = 2000 })
    S.faults({ { path = "big.do", size = 5000 }, { path = "small.do", size = 1000 } })
    local results, errs = s:perform_many({
      { "GET", "small.do" }, { "GET", "big.do" }, { "GET", "small.do" },
    })
    assert.equal(1000, #results[1].body)
    assert.equal(1000, #results[3].body)
    assert.is_false(results[2])
    assert.equal("protocol", errs[2].kind)
    assert.equal("response body exceeds 2000 bytes", errs[2].message)
  end)

  it("times out one transfer without holding up the others", function()
    login(s)
    S.faults({ { path = "slow.do", stall = 1 } })
    local list = numbered(6)
    list[3] = { "GET", "slow.do", { timeout = 0.3 } }
    local t0 = system.monotime()
    local results, errs = s:perform_many(list, { concurrency = 2 })
    local wall = system.monotime() - t0
    assert.is_false(results[3])
    assert.equal("timeout", errs[3].kind)
    assert.equal(28, errs[3].curl_code)
    for _, i in ipairs({ 1, 2, 4, 5, 6 }) do assert.equal(200, results[i].status) end
    assert.is_true(wall < 0.9, "the batch took " .. wall .. " s")
    -- the sandbox is still answering the abandoned request: let it finish, so that it does not
    -- count as in flight in the next test
    system.sleep(1.2 - wall)
  end)

  it("never has more than `concurrency` requests in flight", function()
    for _, n in ipairs({ 1, 3 }) do
      S.reset()
      S.faults({ { path = "slow.do", stall = 0.1 } })
      local results = s:perform_many(numbered(8, "slow.do"), { concurrency = n })
      assert.equal(8, #results)
      local seen = S.requests()
      assert.equal(8, #seen)
      assert.equal(n, S.max_in_flight(seen))
    end
  end)

  it("shares cookies with request(), both ways", function()
    -- a login made by request() is seen by the batch
    login(s)
    local results = s:perform_many(numbered(3))
    for _, res in ipairs(results) do assert.equal(200, res.status) end
    -- a login made in a batch is seen by request() and by cookies()
    local s2 = core.session({ base_url = url })
    s2:perform_many({ { "POST", "newTwoLoginAPI.do", {
      form = { { "userName", "demo" }, { "password", core.hash_password("demo-password") } } } } })
    assert.matches("JSESSIONID", s2:cookies())
    assert.equal(200, assert(s2:request("GET", "PlantListAPI.do", { query = { { "userId", 1234567 } } })).status)
    -- and clearing them is seen by the next batch
    s2:clear_cookies()
    local after = s2:perform_many(numbered(1))
    assert.equal(302, after[1].status)
    s2:close()
  end)

  it("keeps working over repeated batches of different sizes", function()
    login(s)
    local want = {} -- how many times the sandbox must see each ?n=i
    for _, n in ipairs({ 2, 70, 1, 5 }) do
      local results, errs = s:perform_many(numbered(n), { concurrency = n })
      assert.same({}, errs)
      assert.equal(n, #results)
      assert.equal(url .. "PlantListAPI.do?n=" .. n, results[n].url)
      for i = 1, n do want[tostring(i)] = (want[tostring(i)] or 0) + 1 end
    end
    -- every request of every batch reached the sandbox, once
    local seen = {}
    for _, r in ipairs(S.requests()) do
      if r.query[1] then seen[r.query[1][2]] = (seen[r.query[1][2]] or 0) + 1 end
    end
    assert.same(want, seen)
    -- and request() still works in between
    assert.equal(200, assert(s:request("GET", "PlantListAPI.do")).status)
  end)

  it("answers closed for every request of a closed session, after checking them", function()
    s:close()
    assert.has_error(function() s:perform_many({ { "GET", 1 } }) end)
    local results, errs = s:perform_many(numbered(2))
    assert.same({ false, false }, results)
    assert.equal("closed", errs[1].kind)
    assert.equal("closed", errs[2].kind)
    assert.same({}, S.requests())
  end)
end)
