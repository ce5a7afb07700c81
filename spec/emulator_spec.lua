-- The sandbox as an emulator for other clients: raw requests byte for byte as growattServer
-- 1.4.0 (Python requests) sent them, and the fields that Home Assistant's sensors read,
-- per API and device type (growatt.sandbox.data.FIELDS), all served and consistent.
local socket = require("socket")
local cjson = require("cjson")
local S = require("spec.support.sandbox")
local data = require("growatt.sandbox.data")

local UA = "Dalvik/2.1.0 (Linux; U; Android 12; https://github.com/indykoning/PyPi_GrowattServer)"
local PLANT, TLX_PLANT, NOAH_PLANT = "2222207", "2222208", "2222209"
local SPH, STORAGE, MIN, INVERTER = "SPH6K00207", "STO5K00207", "MIN4K00208", "INV3K00209"
local TODAY = os.date("%Y-%m-%d")

-- Python's urlencode (quote_plus): letters, digits and _.-~ stay, a space is "+".
local function urlencode(list)
  local out = {}
  for i, p in ipairs(list) do
    out[i] = (p[1] .. "=" .. tostring(p[2]):gsub("[^%w_.~-]", function(c)
      return c == " " and "+" or string.format("%%%02X", c:byte())
    end))
  end
  return table.concat(out, "&")
end

-- A requests.Session of growattServer 1.4.0 over one keep-alive connection: its request
-- line and headers in requests' order (Host, User-Agent, Accept-Encoding, Accept,
-- Connection, Cookie, Content-Length, Content-Type), its cookie jar, and no redirects.
local Python = {}
Python.__index = Python

local function python_session(url)
  local host, port = url:match("^http://([^:/]+):(%d+)/$")
  return setmetatable({ host = host, port = tonumber(port), cookies = {} }, Python)
end

function Python:send(bytes)
  for _ = 1, 2 do -- a connection the server closed is opened again, as urllib3 does
    if not self.conn then
      self.conn = assert(socket.tcp())
      self.conn:settimeout(10)
      assert(self.conn:connect(self.host, self.port))
    end
    if self.conn:send(bytes) then
      local line = self.conn:receive("*l")
      if line then return line end
    end
    self.conn:close()
    self.conn = nil
  end
  error("no answer from the sandbox")
end

-- method, path (may carry "?op=..."), query pairs, form pairs or a multipart list.
-- Returns { status, headers (lowercase names), body, json }.
function Python:request(method, path, query, form, multipart)
  local target = "/" .. path
  if query and #query > 0 then target = target .. (path:find("?", 1, true) and "&" or "?") .. urlencode(query) end
  local body, content_type
  if form then
    body, content_type = urlencode(form), "application/x-www-form-urlencoded"
  elseif multipart then
    local boundary, parts = "5d1e4b4e1fc3b9a8f2d7c6e0a1b2c3d4", {}
    for _, p in ipairs(multipart) do
      parts[#parts + 1] = "--" .. boundary .. '\r\nContent-Disposition: form-data; name="' .. p[1] ..
        '"\r\n\r\n' .. p[2] .. "\r\n"
    end
    body = table.concat(parts) .. "--" .. boundary .. "--\r\n"
    content_type = "multipart/form-data; boundary=" .. boundary
  end
  local lines = { method .. " " .. target .. " HTTP/1.1", "Host: " .. self.host .. ":" .. self.port,
                  "User-Agent: " .. UA, "Accept-Encoding: gzip, deflate", "Accept: */*", "Connection: keep-alive" }
  local jar = {}
  for name, value in pairs(self.cookies) do jar[#jar + 1] = name .. "=" .. value end
  if #jar > 0 then lines[#lines + 1] = "Cookie: " .. table.concat(jar, "; ") end
  if body then
    lines[#lines + 1] = "Content-Length: " .. #body
    lines[#lines + 1] = "Content-Type: " .. content_type
  elseif method ~= "GET" then
    lines[#lines + 1] = "Content-Length: 0"
  end
  local status_line = self:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or ""))
  local res = { status = tonumber(status_line:match("^HTTP/1%.%d (%d+)")), headers = {} }
  while true do
    local line = assert(self.conn:receive("*l"))
    if line == "" then break end
    local name, value = line:match("^([^:]+):%s*(.*)$")
    res.headers[name:lower()] = value
    if name:lower() == "set-cookie" then
      local k, v = value:match("^([^=]+)=([^;]*)")
      self.cookies[k] = v
    end
  end
  res.body = assert(self.conn:receive(tonumber(res.headers["content-length"]) or 0))
  if (res.headers.connection or ""):lower() == "close" then
    self.conn:close()
    self.conn = nil
  end
  local ok, value = pcall(cjson.decode, res.body)
  res.json = ok and value or nil
  return res
end

function Python:close()
  if self.conn then self.conn:close() end
  self.conn = nil
end

-- growattServer 1.4.0's reads: the library's name, then method, path, query and form as it
-- sent them, then the part of the reply it returned (nil: the whole reply).
local function reads()
  return {
    { "plant_list", "GET", "PlantListAPI.do", { { "userId", "1234567" } }, nil, "back" },
    { "plant_detail", "GET", "PlantDetailAPI.do", { { "plantId", PLANT }, { "type", "1" }, { "date", TODAY } },
      nil, "back" },
    { "plant_info", "GET", "newTwoPlantAPI.do",
      { { "op", "getAllDeviceList" }, { "plantId", TLX_PLANT }, { "pageNum", "1" }, { "pageSize", "1" } } },
    { "inverter_data", "GET", "newInverterAPI.do",
      { { "op", "getInverterData" }, { "id", INVERTER }, { "type", "1" }, { "date", TODAY } } },
    { "inverter_detail", "GET", "newInverterAPI.do",
      { { "op", "getInverterDetailData" }, { "inverterId", INVERTER } } },
    { "inverter_detail_two", "GET", "newInverterAPI.do",
      { { "op", "getInverterDetailData_two" }, { "inverterId", INVERTER } } },
    { "tlx_data", "GET", "newTlxApi.do",
      { { "op", "getTlxData" }, { "id", MIN }, { "type", "1" }, { "date", TODAY } } },
    { "tlx_detail", "GET", "newTlxApi.do", { { "op", "getTlxDetailData" }, { "id", MIN } } },
    { "mix_info", "GET", "newMixApi.do", { { "op", "getMixInfo" }, { "mixId", SPH } }, nil, "obj" },
    { "mix_totals", "POST", "newMixApi.do", { { "op", "getEnergyOverview" }, { "mixId", SPH }, { "plantId", PLANT } },
      nil, "obj" },
    { "mix_system_status", "POST", "newMixApi.do",
      { { "op", "getSystemStatus_KW" }, { "mixId", SPH }, { "plantId", PLANT } }, nil, "obj" },
    { "mix_detail", "POST", "newMixApi.do", { { "op", "getEnergyProdAndCons_KW" }, { "plantId", PLANT },
      { "mixId", SPH }, { "type", "0" }, { "date", TODAY } }, nil, "obj" },
    { "dashboard_data", "POST", "newPlantAPI.do", { { "action", "getEnergyStorageData" }, { "date", TODAY },
      { "type", "0" }, { "plantId", PLANT } } },
    { "storage_detail", "GET", "newStorageAPI.do", { { "op", "getStorageInfo_sacolar" }, { "storageId", STORAGE } } },
    { "storage_params", "GET", "newStorageAPI.do", { { "op", "getStorageParams_sacolar" }, { "storageId", STORAGE } } },
    { "storage_energy_overview", "POST", "newStorageAPI.do?op=getEnergyOverviewData_sacolar",
      { { "plantId", PLANT }, { "storageSn", STORAGE } }, nil, "obj" },
    { "get_plant_settings", "GET", "newPlantAPI.do", { { "op", "getPlant" }, { "plantId", PLANT } } },
  }
end

local function names(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = p[1] end
  return out
end

-- Asserts the sandbox's record of a request from `py`: method, path, every parameter in
-- place and order, and the headers requests sends (nothing about a language anywhere).
local function assert_received(r, method, path, query, form, content_type)
  assert.equal(method, r.method)
  assert.equal(path, r.path)
  assert.equal(urlencode(query or {}), urlencode(r.query))
  assert.equal(urlencode(form or {}), urlencode(r.form))
  assert.equal(UA, r.headers["user-agent"])
  assert.equal("gzip, deflate", r.headers["accept-encoding"])
  assert.equal("*/*", r.headers.accept)
  assert.equal("keep-alive", r.headers.connection)
  assert.equal(content_type, r.headers["content-type"])
  if method == "POST" and not form then assert.equal("0", r.headers["content-length"]) end
  for _, list in ipairs({ r.query, r.form }) do
    for _, p in ipairs(list) do assert.not_equal("language", p[1]) assert.not_equal("lan", p[1]) end
  end
end

describe("the sandbox as a Growatt emulator", function()
  local url, py
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)
  before_each(function()
    S.reset()
    py = python_session(url)
  end)
  after_each(function() py:close() end)

  -- growattServer's hash_password("demo-password"), computed the same way here.
  local function hashed(password)
    local md5 = io.popen("printf %s '" .. password .. "' | md5sum"):read("*l"):sub(1, 32)
    return (md5:gsub("()0", function(pos) if pos % 2 == 1 then return "c" end end))
  end

  local function logged_in()
    local res = py:request("POST", "newTwoLoginAPI.do", nil,
      { { "userName", data.DEMO.user }, { "password", hashed(data.DEMO.password) } })
    assert.equal(200, res.status)
    assert.is_true(res.json.back.success)
    return res
  end

  describe("growattServer 1.4.0, request for request", function()
    it("logs in with the form it posted and keeps the cookie it was given", function()
      local res = logged_in()
      assert.equal(1234567, res.json.back.user.id)
      assert.truthy(py.cookies.JSESSIONID)
      assert_received(S.last(), "POST", "newTwoLoginAPI.do", nil,
        { { "userName", "demo" }, { "password", hashed("demo-password") } }, "application/x-www-form-urlencoded")
      assert.is_nil(S.last().cookie)
      -- a wrong password is refused as Growatt refuses it, not with an HTTP error
      local bad = py:request("POST", "newTwoLoginAPI.do", nil, { { "userName", "demo" }, { "password", hashed("x") } })
      assert.equal(200, bad.status)
      assert.same({ false, "502" }, { bad.json.back.success, bad.json.back.msg })
    end)

    it("serves every read of the library as sent, without a language parameter", function()
      logged_in()
      for _, case in ipairs(reads()) do
        local name, method, path, query, form, part = case[1], case[2], case[3], case[4], case[5], case[6]
        local res = py:request(method, path, query, form)
        assert.equal(200, res.status, name .. ": " .. res.body) -- raise_for_status
        assert.is_table(res.json, name .. ": not JSON: " .. res.body)
        local got = part and res.json[part] or res.json
        assert.is_table(got, name .. " has no " .. tostring(part))
        assert.is_nil(res.json.result == 0 and res.json.msg or nil, name)
        if part == "back" then assert.is_true(got.success, name) end
        local r = S.last()
        local full_path, inline = path:match("^([^?]+)%??(.*)$")
        local sent_query = {}
        if inline ~= "" then sent_query[1] = { inline:match("^([^=]+)=(.*)$") } end
        for _, p in ipairs(query) do sent_query[#sent_query + 1] = p end
        assert_received(r, method, full_path, sent_query, form, nil)
        assert.equal("JSESSIONID=" .. py.cookies.JSESSIONID, r.cookie)
      end
    end)

    it("plant_info (getAllDeviceList, no language) lists every device, the TLX plant's included", function()
      logged_in()
      for _, plant in ipairs({ PLANT, TLX_PLANT, NOAH_PLANT }) do
        local res = py:request("GET", "newTwoPlantAPI.do",
          { { "op", "getAllDeviceList" }, { "plantId", plant }, { "pageNum", 1 }, { "pageSize", 1 } })
        assert.equal(200, res.status)
        local sns = {}
        for i, d in ipairs(res.json.deviceList) do sns[i] = d.deviceSn end
        assert.same(S.state().plants[plant].devices, sns)
        assert.matches("^[%d.]+/EUR$", res.json.plantMoneyText) -- Home Assistant splits it on "/"
      end
      assert.same({ "op", "plantId", "pageNum", "pageSize" }, names(S.last().query))
    end)

    it("other ops that asked for language or lan answer without it too", function()
      logged_in()
      local cases = {
        { "POST", "newTwoPlantAPI.do", { { "op", "getAllPlantListTwo" } }, {}, "PlantList" },
        { "POST", "newTwoPlantAPI.do", { { "op", "getUserCenterEnertyDataByPlantid" } }, { { "plantId", PLANT } },
          "plantBean" },
        { "POST", "newTlxApi.do", { { "op", "getEnergyProdAndCons_KW" } },
          { { "date", TODAY }, { "plantId", TLX_PLANT }, { "id", MIN }, { "type", "0" } }, "obj" },
        { "POST", "newTlxApi.do", { { "op", "getBatInfo" } }, { { "serialNum", "APX5K00208" } }, "obj" },
        { "POST", "newTlxApi.do", { { "op", "getBatDetailData" } },
          { { "plantId", TLX_PLANT }, { "id", "APX5K00208" } },
          "data" },
        { "GET", "newTwoPlantAPI.do", { { "op", "getAllDeviceListTwo" }, { "plantId", PLANT } }, nil, "deviceList" },
      }
      for _, c in ipairs(cases) do
        local res = py:request(c[1], c[2], c[3], c[4] and #c[4] > 0 and c[4] or nil)
        assert.equal(200, res.status)
        assert.is_table(res.json[c[5]], c[3][1][2] .. ": " .. res.body)
      end
    end)

    it("update_mix_inverter_setting: tcpSet.do with everything in the form changes the SPH", function()
      logged_in()
      local form = { { "op", "mixSetApiNew" }, { "serialNum", SPH }, { "type", "pf_sys_year" },
                     { "param1", "2026-12-01 10:20:30" } }
      local res = py:request("POST", "tcpSet.do", nil, form)
      assert.equal(200, res.status)
      assert.same({ success = true, msg = "inv_set_success" }, res.json)
      assert_received(S.last(), "POST", "tcpSet.do", {}, form, "application/x-www-form-urlencoded")
      assert.equal("2026-12-01 10:20:30", S.state().settings.mix[SPH].pf_sys_year)
      -- a value out of range is refused and changes nothing
      form[4] = { "param1", "yesterday" }
      res = py:request("POST", "tcpSet.do", nil, form)
      assert.is_false(res.json.success)
      assert.equal("2026-12-01 10:20:30", S.state().settings.mix[SPH].pf_sys_year)
    end)

    it("update_plant_settings: the multipart form of every field changes the plant", function()
      logged_in()
      local current = py:request("GET", "newPlantAPI.do", { { "op", "getPlant" }, { "plantId", PLANT } }).json
      -- Python's str() of a JSON value: an integer without ".0"
      local function str(v) return v == math.floor(v) and string.format("%d", v) or tostring(v) end
      local fields = {
        { "plantCoal", current.formulaCoal }, { "plantSo2", current.formulaSo2 },
        { "accountName", current.userAccount }, { "plantID", str(current.id) }, { "plantFirm", "0" },
        { "plantCountry", current.country }, { "plantType", str(current.plantType) },
        { "plantIncome", current.formulaMoneyStr }, { "plantAddress", current.plantAddress },
        { "plantTimezone", "2" }, { "plantLng", current.plant_lng }, { "plantCity", current.city },
        { "plantCo2", current.formulaCo2 }, { "plantMoney", current.formulaMoneyUnitId },
        { "plantPower", str(current.nominalPower) }, { "plantLat", current.plant_lat },
        { "plantDate", current.createDateText }, { "plantName", current.plantName },
      }
      local res = py:request("POST", "newTwoPlantAPI.do?op=updatePlant", nil, nil, fields)
      assert.equal(200, res.status, res.body)
      assert.is_true(res.json.success, res.body)
      local r = S.last()
      assert.same(fields, (function()
        local list = {}
        for i, p in ipairs(r.multipart) do list[i] = { p[1], p[2] } end
        return list
      end)())
      assert.matches("^multipart/form%-data; boundary=", r.headers["content-type"])
      assert.equal(2, S.state().settings.plants[PLANT].timezone)
    end)

    it("without a session: the 302 to the error page that the library does not follow", function()
      local res = py:request("GET", "PlantListAPI.do", { { "userId", "1234567" } })
      assert.equal(302, res.status)
      assert.equal("/error.do?errorMess=errorNoLogin", res.headers.location)
      assert.is_nil(res.json)
    end)
  end)

  ---------------------------------------------------------------------------
  -- Fields: per API and device type, the union of the replies a client merges.

  local function merge(...)
    local out = {}
    for _, t in ipairs({ ... }) do
      assert.is_table(t)
      for k, v in pairs(t) do out[k] = v end
    end
    return out
  end

  local function v1(method, path, sn_field, sn)
    local opts = { headers = { token = data.DEMO.token } }
    if method == "GET" then
      opts.query = sn_field .. "=" .. sn
    else
      opts.form, opts.content_type = sn_field .. "=" .. sn, "application/x-www-form-urlencoded"
    end
    local res = S.http(method, "v1/" .. path, opts)
    assert.equal(0, res.json.error_code, path .. ": " .. res.body)
    return res.json.data
  end

  -- api -> type -> the merged record, fetched as the client fetches it.
  local FETCH = {
    legacy = {
      total = function()
        local t = py:request("GET", "newTwoPlantAPI.do",
          { { "op", "getAllDeviceList" }, { "plantId", PLANT }, { "pageNum", 1 }, { "pageSize", 1 } }).json
        t.deviceList = nil
        return t
      end,
      inverter = function()
        return py:request("GET", "newInverterAPI.do",
          { { "op", "getInverterDetailData" }, { "inverterId", INVERTER } }).json
      end,
      storage = function()
        return merge(
          py:request("GET", "newStorageAPI.do", { { "op", "getStorageParams_sacolar" }, { "storageId", STORAGE } })
            .json.storageDetailBean,
          py:request("POST", "newStorageAPI.do?op=getEnergyOverviewData_sacolar",
            { { "plantId", PLANT }, { "storageSn", STORAGE } }).json.obj)
      end,
      mix = function()
        local function obj(method, op, extra)
          local query = { { "op", op }, { "mixId", SPH }, { "plantId", PLANT } }
          for _, p in ipairs(extra or {}) do query[#query + 1] = p end
          return py:request(method, "newMixApi.do", query).json.obj
        end
        return merge(obj("GET", "getMixInfo"), obj("POST", "getEnergyOverview"), obj("POST", "getSystemStatus_KW"),
          obj("POST", "getEnergyProdAndCons_KW", { { "type", "0" }, { "date", TODAY } }))
      end,
      tlx = function()
        return py:request("GET", "newTlxApi.do", { { "op", "getTlxDetailData" }, { "id", MIN } }).json.data
      end,
    },
    v1 = {
      tlx = function()
        return merge(v1("GET", "device/tlx/tlx_data_info", "device_sn", MIN),
          v1("GET", "device/tlx/tlx_set_info", "device_sn", MIN), v1("POST", "device/tlx/tlx_last_data", "tlx_sn", MIN))
      end,
      mix = function()
        return merge(v1("GET", "device/mix/mix_data_info", "device_sn", SPH),
          v1("POST", "device/mix/mix_last_data", "mix_sn", SPH))
      end,
    },
  }

  describe("every field Home Assistant reads", function()
    for _, api in ipairs({ "legacy", "v1" }) do
      local types = {}
      for type_ in pairs(data.FIELDS[api]) do types[#types + 1] = type_ end
      table.sort(types)
      for _, type_ in ipairs(types) do
        local fields = data.FIELDS[api][type_]
        it(("%s %s: %s (%d fields)"):format(api, type_, fields.from, #fields.keys), function()
          if api == "legacy" then logged_in() end
          local fetch = FETCH[api][type_]
          assert.is_function(fetch, "no way to fetch " .. api .. " " .. type_)
          local record, missing = fetch(), {}
          for _, key in ipairs(fields.keys) do
            local v = record[key]
            if v == nil or v == cjson.null or v == "" then missing[#missing + 1] = key end
          end
          assert.same({}, missing)
          for _, key in ipairs(fields.absent or {}) do assert.is_nil(record[key], key) end
        end)
      end
    end

    it("the lists are the sensors' keys: 63 for a MIN, 36 for legacy storage, no key twice", function()
      assert.equal(63, #data.FIELDS.v1.tlx.keys)
      assert.equal(62, #data.FIELDS.legacy.tlx.keys)
      assert.equal(36, #data.FIELDS.legacy.storage.keys)
      for _, api in pairs(data.FIELDS) do
        for _, fields in pairs(api) do
          local seen = {}
          for _, key in ipairs(fields.keys) do
            assert.is_nil(seen[key], key)
            seen[key] = true
          end
        end
      end
    end)
  end)

  ---------------------------------------------------------------------------
  -- Consistency: energies are the integral of the power curve; SOC follows battery power.

  describe("values that agree with each other", function()
    it("legacy MIN: today's energies add up to the integral of today's power curve", function()
      logged_in()
      local curve = py:request("GET", "newTlxApi.do",
        { { "op", "getTlxData" }, { "id", MIN }, { "type", "1" }, { "date", TODAY } }).json.invPacData
      local kwh = 0
      for _, w in pairs(curve) do kwh = kwh + w * 5 / 60 / 1000 end
      local d = py:request("GET", "newTlxApi.do", { { "op", "getTlxDetailData" }, { "id", MIN } }).json.data
      assert.is_true(kwh > 1)
      assert.near(kwh, d.esystemToday, 0.1)
      assert.near(d.esystemToday, d.epv1Today + d.epv2Today, 0.15) -- the strings share it
      local overview = py:request("POST", "newTlxApi.do", nil,
        { { "op", "getEnergyOverview" }, { "plantId", TLX_PLANT }, { "id", MIN } }).json.obj
      assert.near(kwh, tonumber(overview.epvToday), 0.1)
      -- what the inverter puts out is what the panels made, less what went into the battery
      assert.near(d.eacToday, d.esystemToday - d.echargeToday + d.edischargeToday, 0.15)
    end)

    it("v1 MIN: the day's 5-minute records integrate to epvToday; SOC moves with battery power", function()
      local points = {}
      for page = 1, 3 do
        local res = S.http("POST", "v1/device/tlx/tlx_data", { headers = { token = data.DEMO.token },
          content_type = "application/x-www-form-urlencoded",
          form = ("tlx_sn=%s&start_date=%s&end_date=%s&page=%d&perpage=100"):format(MIN, TODAY, TODAY, page) })
        assert.equal(0, res.json.error_code, res.body)
        for _, p in ipairs(res.json.data.datas) do points[#points + 1] = p end
      end
      assert.equal(data.STEPS, #points)
      local kwh, rises, falls = 0, 0, 0
      for i, p in ipairs(points) do
        kwh = kwh + p.ppv * 5 / 60 / 1000
        if i > 1 then
          local change = p.bdc1Soc - points[i - 1].bdc1Soc
          if change > 0 then
            rises = rises + 1
            assert.is_true(p.bdc1ChargePower > 0, p.time)
          elseif change < 0 then
            falls = falls + 1
            assert.is_true(p.bdc1DischargePower > 0, p.time)
          end
          assert.is_false(p.bdc1ChargePower > 0 and p.bdc1DischargePower > 0, p.time)
        end
      end
      assert.is_true(rises > 0 and falls > 0, "the battery both charges and discharges over the day")
      local last = v1("POST", "device/tlx/tlx_last_data", "tlx_sn", MIN)
      assert.near(kwh, last.epvToday, 0.1)
      assert.near(last.epvToday, last.epv1Today + last.epv2Today, 0.15)
    end)

    it("SPH: the ShinePhone and v1 replies agree about the day", function()
      logged_in()
      local info = py:request("GET", "newMixApi.do", { { "op", "getMixInfo" }, { "mixId", SPH } }).json.obj
      local detail = py:request("POST", "newMixApi.do", { { "op", "getEnergyProdAndCons_KW" }, { "plantId", PLANT },
        { "mixId", SPH }, { "type", "0" }, { "date", TODAY } }).json.obj
      local last = v1("POST", "device/mix/mix_last_data", "mix_sn", SPH)
      assert.near(tonumber(info.epvToday), last.epvtoday, 0.051)
      assert.near(tonumber(info.eBatChargeToday), last.echarge1Today, 0.051)
      assert.near(tonumber(detail.eChargeToday), last.eChargeToday, 0.051)
      assert.near(tonumber(detail.echarge1), last.echarge1, 0.051)
      assert.is_true(last.eChargeToday > 0 and last.echarge1 > 0)
    end)

    it("legacy storage: the battery's and the load's energies agree across the two replies", function()
      logged_in()
      local bean = py:request("GET", "newStorageAPI.do",
        { { "op", "getStorageParams_sacolar" }, { "storageId", STORAGE } }).json.storageDetailBean
      local overview = py:request("POST", "newStorageAPI.do?op=getEnergyOverviewData_sacolar",
        { { "plantId", PLANT }, { "storageSn", STORAGE } }).json.obj
      assert.equal(overview.eChargeToday, bean.eBatChargeToday)
      assert.equal(overview.eDischargeToday, bean.eBatDisChargeToday)
      assert.equal(overview.useEnergyToday, bean.eopDischrToday)
      assert.equal(overview.eToUserToday, bean.eacDisChargeToday)
      assert.equal(bean.vbat, bean.vBat)
      assert.equal(bean.vpv1, bean.vpv)
      assert.near(tonumber(bean.pBat), tonumber(bean.pCharge) - tonumber(bean.pDischarge), 0.01)
    end)
  end)
end)
