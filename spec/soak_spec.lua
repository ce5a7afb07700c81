-- The fault soak (tools/soak.lua) at CI size: GROWATT_SOAK_CALLS calls (default 2000) through
-- the sandbox with random faults from a seeded generator (GROWATT_SOAK_SEED, default 1), a
-- state file in use and a deadline. `make soak` runs 100 000.
local errors = require("growatt.errors")
local S = require("spec.support.sandbox")

local soak = dofile("tools/soak.lua")

local CALLS = tonumber(os.getenv("GROWATT_SOAK_CALLS")) or 2000
local SEED = tonumber(os.getenv("GROWATT_SOAK_SEED")) or 1

describe("the fault soak", function()
  local url
  setup(function() url = S.start() end)
  teardown(function() S.stop() end)

  it(CALLS .. " calls with random faults: every call answered, one login per expiry, the state file valid "
    .. "throughout, memory flat", function()
    local rep = soak.run({ calls = CALLS, seed = SEED, url = url, deadline = 60 + CALLS / 10 })
    local answered = rep.ok
    for kind, n in pairs(rep.errors) do
      assert.is_true(errors.kinds[kind], "an error of no known kind: " .. tostring(kind))
      answered = answered + n
    end
    assert.equal(CALLS, answered)
    -- the faults happened, and most calls still got their value (reads are retried)
    for _, name in ipairs({ "expiry", "5xx", "reset", "latency", "truncation", "html" }) do
      assert.is_true((rep.faults[name] or 0) > 0 or CALLS < 500, "no " .. name .. " fault in the run")
    end
    assert.is_true(rep.ok > CALLS * 0.8, soak.format(rep))
    assert.equal(rep.expired + 1, rep.logins, soak.format(rep))
    assert.equal(math.floor(CALLS / soak.CHECK_EVERY), rep.checks)
    assert.is_true(rep.memory.final - rep.memory.warm < soak.MEMORY_BOUND, soak.format(rep))
  end)
end)
