-- busted helper for the sanitizer and valgrind reruns (tools/sanitize --gc): keeps the garbage
-- collector running all the time, so that collections and finalisers also happen inside the
-- C core's calls into Lua (every allocation there may step the collector) and between any two
-- statements of a spec, instead of now and then.
--
--   lua5.4 /usr/bin/busted --helper=spec/support/gcstress.lua ...
--
-- * pause 1%: a new cycle starts as soon as one ends, so the collector never rests (about one
--   whole cycle every few hundred allocations with a spec run's heap);
-- * a slice of collection every KiB allocated, at twice the usual speed;
-- * after every test, two full collections, so that every __gc of what the test left behind
--   has run (the second one frees what the finalisers released) before the next test starts.
local busted = require("busted")

-- (5.4 reads a 0 here as "keep the current value", hence a pause of 1 rather than 0)
local PAUSE, STEPMUL, STEPSIZE_LOG2 = 1, 200, 10

if _VERSION == "Lua 5.4" then
  collectgarbage("incremental", PAUSE, STEPMUL, STEPSIZE_LOG2)
else -- LuaJIT / 5.1: no step size
  collectgarbage("setpause", PAUSE)
  collectgarbage("setstepmul", STEPMUL)
end
collectgarbage("restart")

local function full_collections()
  collectgarbage()
  collectgarbage()
  return nil, true
end

busted.subscribe({ "test", "end" }, full_collections)
busted.subscribe({ "file", "end" }, full_collections)
