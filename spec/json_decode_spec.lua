-- growatt.json.decode (growatt.core.json_decode): what replies become.
local json = require("growatt.json")
local core = require("growatt.core")
local cjson = require("cjson").new()

local has_integers = math.type ~= nil

local function integer(v)
  assert.equal("number", type(v))
  if has_integers then assert.equal("integer", math.type(v)) end
  assert.equal(math.floor(v), v)
end

-- cjson's result with integral floats within 2^53 made integers: what decode promises.
local function expected(v)
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = expected(x) end
  elseif has_integers and type(v) == "number" and v == math.floor(v) and math.abs(v) <= 2 ^ 53 then
    return math.tointeger(v)
  end
  return v
end

describe("json.decode", function()
  it("decodes objects, arrays, strings, booleans and null", function()
    local v = json.decode(' { "a" : [ 1 , "2" , { "b" : null } ] , "c" : true , "d" : false , "e" : {} , "f" : [] } ')
    assert.same({ a = { 1, "2", { b = json.null } }, c = true, d = false, e = {}, f = {} }, v)
    assert.equal(cjson.null, v.a[3].b)
    assert.equal("x", json.decode('"x"'))
    assert.equal(2, json.decode('{"a":1,"a":2}').a) -- the last duplicate wins
  end)

  it("gives integral numbers within 2^53 as integers, others as floats", function()
    local v = json.decode('[1234567, -5, 0, -0, 1.0, 1e3, 123456789012345, 9007199254740992,' ..
      ' 1.5, 0.1, 9007199254740994, 1e300]')
    for i = 1, 8 do integer(v[i]) end
    assert.equal(1234567, v[1])
    assert.equal(0, v[4])
    assert.equal(1000, v[6])
    assert.equal(1.5, v[9])
    assert.equal(0.1, v[10])
    if has_integers then
      assert.equal("float", math.type(v[11]))
      assert.equal("float", math.type(v[12]))
    end
    -- an id read from a reply goes back on the wire without ".0"
    assert.equal("userId=1234567", core.encode({ { "userId", v[1] } }))
  end)

  it("decodes every escape, \\u as UTF-8 with surrogate pairs", function()
    assert.equal('a"b\\c/d\b\f\n\r\t', json.decode('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"'))
    assert.equal("é日😀", json.decode('"\\u00e9\\u65E5\\ud83d\\ude00"'))
    assert.equal("é日", json.decode('"é日"'))
    assert.equal("a\0b", json.decode('"a\\u0000b"'))
  end)

  it("builds arrays and objects larger than the stack holds at once", function()
    local items, members = {}, {}
    for i = 1, 10000 do
      items[i] = tostring(i)
      members[i] = '"k' .. i .. '":' .. i
    end
    local a = json.decode("[" .. table.concat(items, ",") .. "]")
    assert.equal(10000, #a)
    assert.equal(1, a[1])
    assert.equal(4097, a[4097])
    assert.equal(10000, a[10000])
    local o = json.decode("{" .. table.concat(members, ",") .. "}")
    local n = 0
    for k, v in pairs(o) do
      n = n + 1
      assert.equal("k" .. v, k)
    end
    assert.equal(10000, n)
  end)

  it("accepts 1000 levels of nesting and refuses more", function()
    assert.is_table(json.decode(string.rep("[", 1000) .. string.rep("]", 1000)))
    local v, err = json.decode(string.rep("[", 1001) .. string.rep("]", 1001))
    assert.is_nil(v)
    assert.equal("json: nesting too deep at byte 1001", err)
  end)

  it("returns nil and a message with the byte for malformed text", function()
    local cases = {
      [""] = "json: unexpected end at byte 1",
      ["{"] = "json: expected a string key at byte 2",
      ["[1,]"] = "json: unexpected character at byte 4",
      ['{"a"}'] = "json: expected ':' at byte 5",
      ["{a:1}"] = "json: expected a string key at byte 2",
      ["[1 2]"] = "json: expected ',' or ']' at byte 4",
      ['{"a":1,}'] = "json: expected a string key at byte 8",
      ["01"] = "json: malformed number at byte 1",
      ["1."] = "json: malformed number at byte 1",
      ["-"] = "json: malformed number at byte 1",
      ["1e"] = "json: malformed number at byte 1",
      ["NaN"] = "json: unexpected character at byte 1",
      ["tru"] = "json: unexpected character at byte 1",
      ['"abc'] = "json: unterminated string at byte 5",
      ['"\\x"'] = "json: invalid escape at byte 3",
      ['"\\u12"'] = "json: truncated \\u escape at byte 4",
      ['"\\u12x4"'] = "json: malformed \\u escape at byte 4",
      ['"\\ud800x"'] = "json: lone UTF-16 surrogate in \\u escape at byte 4",
      ['"a\1b"'] = "json: control character in string at byte 3",
      ["1 2"] = "json: unexpected text after the value at byte 3",
      ["<html>"] = "json: unexpected character at byte 1",
    }
    for text, message in pairs(cases) do
      local v, err = json.decode(text)
      assert.is_nil(v, text)
      assert.equal(message, err, text)
    end
    assert.is_nil((json.decode({})))
  end)

  it("agrees with lua-cjson on random documents", function()
    math.randomseed(8)
    local function value(depth)
      local r = math.random(1, depth > 4 and 4 or 6)
      if r == 1 then return math.random(-1000000, 1000000) end
      if r == 2 then return math.random() * 1000 - 500 end
      if r == 3 then
        local t = {}
        for i = 1, math.random(0, 12) do t[i] = string.char(math.random(1, 255)) end
        return table.concat(t)
      end
      if r == 4 then return math.random() < 0.5 end
      local t = {}
      for i = 1, math.random(1, 6) do
        if r == 5 then t["k" .. math.random(1, 20)] = value(depth + 1) else t[i] = value(depth + 1) end
      end
      return t
    end
    for _ = 1, 500 do
      local text = cjson.encode({ v = value(0) })
      assert.same(expected(cjson.decode(text)), json.decode(text))
    end
  end)
end)
