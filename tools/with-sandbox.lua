-- Runs a command with a sandbox started for it (GROWATT_SERVER names the sandbox), then
-- stops the sandbox however the command ends (an error, Ctrl-C), and exits with its status.
--   lua5.4 tools/with-sandbox.lua CMD [ARGS...]
local sandbox = require("growatt.sandbox")
local sb, err = sandbox.start()
if not sb then
  io.stderr:write(err, "\n")
  os.exit(1)
end
local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local words = {}
for i = 1, #arg do words[i] = quote(arg[i]) end
io.stderr:write("sandbox on ", sb.url, "\n")
-- os.execute ignores Ctrl-C in this process while the command runs: the command stops,
-- this goes on to stop the sandbox.
local ok, how, code = os.execute("GROWATT_SERVER=" .. quote(sb.url) .. " " .. table.concat(words, " "))
sb:stop()
if type(ok) == "number" then code = ok ~= 0 and 1 or 0 -- Lua 5.1 returns the status only
elseif not ok then code = (how == "exit" and code) or 1 else code = 0 end
os.exit(code)
