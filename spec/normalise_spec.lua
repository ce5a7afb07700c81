-- growatt.core.normalise, the integer pass of growatt.json's decoding.
local core = require("growatt.core")
local json = require("growatt.json")

local has_integers = math.type ~= nil

describe("core.normalise", function()
  it("turns integral floats within 2^53 into integers, in place, through nested tables", function()
    local v = { a = 1.0, b = { 1.5, 2.0, -0.0, 2 ^ 53, 2 ^ 53 + 2, 1e300, "3" }, c = { d = { e = 4.0 } } }
    assert.equal(v, core.normalise(v))
    assert.equal(1, v.a)
    assert.equal(1.5, v.b[1])
    assert.equal(2, v.b[2])
    assert.equal(0, v.b[3])
    assert.equal("3", v.b[7])
    assert.equal(4, v.c.d.e)
    if has_integers then
      assert.equal("integer", math.type(v.a))
      assert.equal("integer", math.type(v.b[2]))
      assert.equal("integer", math.type(v.b[4]))
      assert.equal("float", math.type(v.b[5]))
      assert.equal("float", math.type(v.b[6]))
      assert.equal("integer", math.type(v.c.d.e))
    end
  end)

  it("returns other values as they are, a lone integral float as an integer", function()
    assert.equal("x", core.normalise("x"))
    assert.equal(json.null, core.normalise(json.null))
    assert.equal(2.5, core.normalise(2.5))
    assert.equal(7, core.normalise(7.0))
    if has_integers then assert.equal("integer", math.type(core.normalise(7.0))) end
    assert.has_error(function() core.normalise() end)
  end)

  it("is what json.decode applies: ids go back on the wire without .0", function()
    local v = json.decode('{"user":{"id":1234567},"list":[1,2.5]}')
    assert.equal("id=1234567", core.encode({ { "id", v.user.id } }))
    if has_integers then
      assert.equal("integer", math.type(v.user.id))
      assert.equal("float", math.type(v.list[2]))
    end
  end)
end)
