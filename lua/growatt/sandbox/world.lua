-- The world this worker serves: data.seed(seed), changed by writes and /__sandbox/state.
-- Each worker has its own (with the default single worker, the only one).
local data = require("growatt.sandbox.data")

local M = { seed = data.DEFAULT_SEED, state = nil }

-- A fresh world, from `seed` when given (it becomes the seed of later resets).
function M.reset(seed)
  if seed then M.seed = seed end
  M.state = data.seed(M.seed)
  return M.state
end

return M
