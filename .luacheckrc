-- Lua code runs under 5.1 (LuaJIT, nginx) to 5.4.
std = "max"
max_line_length = 120
exclude_files = { "build/", "tree/", ".luarocks/", "lua_modules/" }

files["spec/"] = { std = "+busted" }
-- generated LuaLS definitions: empty functions with long annotations
files["types/"] = { ignore = { "212", "241", "631" } }
files["lua/growatt/sandbox/"] = { globals = { "ngx" } }
files["lua/growatt/openresty/"] = { globals = { "ngx" } }
files["examples/openresty/"] = { globals = { "ngx" } }
