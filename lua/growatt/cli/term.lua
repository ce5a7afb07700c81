--- The terminal around the command-line tool: is a stream a terminal, how wide is it,
-- reading a password without echo, asking for a confirmation. Plain Lua through the shell
-- (test, stty, tput), so it needs no C; `growatt.cli` takes these through its `sys` table,
-- so that callers (and specs) can replace them.

local term = {}

local FD = { stdin = 0, stdout = 1, stderr = 2 }

-- os.execute returns true/nil on Lua 5.2+ and a status number on Lua 5.1 / LuaJIT.
local function succeeded(a)
  return a == true or a == 0
end

local tty_cache = {}

--- Whether the process's stdin, stdout or stderr ("stdin", ...) is a terminal.
function term.isatty(name)
  local fd = assert(FD[name], "term.isatty: stdin, stdout or stderr expected")
  if tty_cache[name] == nil then
    tty_cache[name] = succeeded(os.execute("test -t " .. fd))
  end
  return tty_cache[name]
end

--- The terminal's width in columns: $COLUMNS, else what `tput cols` says, else 80.
function term.columns(env)
  local n = tonumber(env and env.COLUMNS or nil)
  if n and n >= 1 then return math.floor(n) end
  local p = io.popen("tput cols 2>/dev/null")
  local out = p and p:read("*a")
  if p then p:close() end
  n = tonumber(out and out:match("%d+"))
  if n and n >= 1 then return n end
  return 80
end

-- Reads one line from the terminal on stdin with echo off. Echo goes off before the prompt
-- is shown, so nothing typed after the prompt can appear; the shell restores echo on every
-- way out (a line, end of input, Ctrl-C, a kill), so the terminal is never left silent.
local READ_SECRET = [[
trap 'stty echo 2>/dev/null; printf "\n" >&2; exit 130' INT TERM HUP
stty -echo 2>/dev/null
printf '%s' "$1" >&2
IFS= read -r line
status=$?
stty echo 2>/dev/null
printf '\n' >&2
[ $status -eq 0 ] && printf '%s' "$line"
exit $status]]

--- `s` as one word for sh, in single quotes.
local function quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
term.quote = quote

--- Shows `prompt` on stderr and reads a line from the terminal without echoing it.
-- Returns the line, or nil when the input ended or was interrupted.
function term.read_secret(prompt)
  io.stderr:flush()
  local p = assert(io.popen("sh -c " .. quote(READ_SECRET) .. " sh " .. quote(prompt), "r"))
  local line = p:read("*a")
  p:close()
  if line == "" then return nil end
  return line
end

--- Writes `prompt` to `out` and reads an answer line from `input`; true for y/yes.
function term.confirm(prompt, out, input)
  out:write(prompt)
  out:flush()
  local answer = input:read("*l")
  return answer ~= nil and (answer:lower() == "y" or answer:lower() == "yes")
end

return term
