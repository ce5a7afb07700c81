-- Fuzz target: cookie import and export (session:set_cookies / cookies, over libcurl's cookie
-- engine). The bytes are the text of a state file's cookies, as set_cookies reads it. What
-- comes back must be lines that import again to the same set, clear_cookies must empty the
-- jar, and the session must still make requests (with whatever cookies it now sends).
local data, core, H = ...

local function sorted_lines(text)
  local lines = {}
  for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
  table.sort(lines)
  return table.concat(lines, "\n")
end

local s = core.session({ timeout = 2, connect_timeout = 2 })
local ok, err = pcall(s.set_cookies, s, data)
H.check(ok, "set_cookies raised: %s", tostring(err))
local exported = s:cookies()
H.check(type(exported) == "string" and not exported:find("\0", 1, true), "cookies() gave %q", exported)

local again = core.session()
again:set_cookies(exported)
H.check(sorted_lines(again:cookies()) == sorted_lines(exported), "export does not import to itself:\n%s\n--\n%s",
  exported, again:cookies())
again:clear_cookies()
H.check(again:cookies() == "", "clear_cookies left %q", again:cookies())
again:close()

H.still_works(s)
s:close()
