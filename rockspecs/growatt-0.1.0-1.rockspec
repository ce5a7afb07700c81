-- Release 0.1.0: the sources of the tag v0.1.0, built as growatt-scm-1.rockspec builds the
-- default branch (spec/rockspec_spec.lua keeps the two alike). The repository URL is a
-- placeholder until the project has its public home (CHANGELOG.md, HACKING.md).
rockspec_format = "3.0"
package = "growatt"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/lua-growatt/lua-growatt.git",
  tag = "v0.1.0",
}
description = {
  summary = "Growatt solar-inverter cloud client: ShinePhone and OpenAPI v1, over libcurl",
  detailed = [[
A small C core over libcurl does HTTP and holds the session; the growatt Lua module
speaks Growatt's protocols and returns plain Lua tables. Account-lock protection,
automatic re-login, typed errors, validated writes, a local sandbox of the cloud.
]],
  homepage = "https://github.com/lua-growatt/lua-growatt",
  issues_url = "https://github.com/lua-growatt/lua-growatt/issues",
  license = "MIT",
  labels = { "solar", "growatt", "inverter", "curl", "openresty" },
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson >= 2.1",
  "argparse >= 0.7",
}
external_dependencies = {
  -- only the library is probed: Debian keeps curl.h under a multiarch include dir that the
  -- compiler searches by itself but LuaRocks does not
  CURL = { library = "curl" },
  OPENSSL = { header = "openssl/evp.h", library = "crypto" },
}
build = {
  type = "builtin",
  modules = {
    ["growatt.core"] = {
      sources = { "src/core.c", "src/session.c", "src/multi.c", "src/encode.c", "src/hash.c", "src/file.c",
                  "src/clock.c", "src/json.c" },
      libraries = { "curl", "crypto" },
      incdirs = { "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
    },
    ["growatt"] = "lua/growatt.lua",
    ["growatt.errors"] = "lua/growatt/errors.lua",
    ["growatt.export"] = "lua/growatt/export.lua",
    ["growatt.json"] = "lua/growatt/json.lua",
    ["growatt.client"] = "lua/growatt/client.lua",
    ["growatt.endpoints"] = "lua/growatt/endpoints.lua",
    ["growatt.settings"] = "lua/growatt/settings.lua",
    ["growatt.store"] = "lua/growatt/store.lua",
    ["growatt.store_shdict"] = "lua/growatt/store_shdict.lua",
    ["growatt.store_redis"] = "lua/growatt/store_redis.lua",
    ["growatt.ngx"] = "lua/growatt/ngx.lua",
    ["growatt.ngx_thread"] = "lua/growatt/ngx_thread.lua",
    ["growatt.policy"] = "lua/growatt/policy.lua",
    ["growatt.batch"] = "lua/growatt/batch.lua",
    ["growatt.openapi"] = "lua/growatt/openapi.lua",
    ["growatt.readings"] = "lua/growatt/readings.lua",
    ["growatt.regions"] = "lua/growatt/regions.lua",
    ["growatt.sandbox"] = "lua/growatt/sandbox/init.lua",
    ["growatt.sandbox.server"] = "lua/growatt/sandbox/server.lua",
    ["growatt.sandbox.data"] = "lua/growatt/sandbox/data.lua",
    ["growatt.sandbox.legacy"] = "lua/growatt/sandbox/legacy.lua",
    ["growatt.sandbox.v1"] = "lua/growatt/sandbox/v1.lua",
    ["growatt.sandbox.settings"] = "lua/growatt/sandbox/settings.lua",
    ["growatt.cli"] = "lua/growatt/cli.lua",
    ["growatt.cli.commands"] = "lua/growatt/cli/commands.lua",
    ["growatt.cli.output"] = "lua/growatt/cli/output.lua",
    ["growatt.cli.chart"] = "lua/growatt/cli/chart.lua",
    ["growatt.cli.term"] = "lua/growatt/cli/term.lua",
    ["growatt.cli.settings"] = "lua/growatt/cli/settings.lua",
    ["growatt.cli.readings"] = "lua/growatt/cli/readings.lua",
  },
  install = {
    bin = { growatt = "bin/growatt" },
  },
}
test_dependencies = {
  "busted",
}
test = {
  type = "busted",
}
