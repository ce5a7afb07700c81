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
      sources = { "src/core.c", "src/session.c", "src/config.c", "src/transfer.c", "src/request.c",
                  "src/apply.c", "src/result.c", "src/cookies.c", "src/multi.c", "src/text.c",
                  "src/encode.c", "src/hash.c", "src/file.c", "src/clock.c", "src/json.c" },
      libraries = { "curl", "crypto" },
      incdirs = { "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
    },
    ["growatt"] = "lua/growatt.lua",
    ["growatt.errors"] = "lua/growatt/errors.lua",
    ["growatt.export"] = "lua/growatt/export.lua",
    ["growatt.json"] = "lua/growatt/json.lua",
    ["growatt.engine.client"] = "lua/growatt/engine/client.lua",
    ["growatt.engine.reply"] = "lua/growatt/engine/reply.lua",
    ["growatt.shinephone.endpoints"] = "lua/growatt/shinephone/endpoints.lua",
    ["growatt.shinephone.settings"] = "lua/growatt/shinephone/settings.lua",
    ["growatt.shinephone.kinds"] = "lua/growatt/shinephone/kinds.lua",
    ["growatt.shinephone.rules"] = "lua/growatt/shinephone/rules.lua",
    ["growatt.shinephone.values"] = "lua/growatt/shinephone/values.lua",
    ["growatt.engine.store"] = "lua/growatt/engine/store.lua",
    ["growatt.store"] = "lua/growatt/store.lua",
    ["growatt.openresty.store_shdict"] = "lua/growatt/openresty/store_shdict.lua",
    ["growatt.store_shdict"] = "lua/growatt/store_shdict.lua",
    ["growatt.engine.redis"] = "lua/growatt/engine/redis.lua",
    ["growatt.engine.store_redis"] = "lua/growatt/engine/store_redis.lua",
    ["growatt.engine.store_shape"] = "lua/growatt/engine/store_shape.lua",
    ["growatt.store_redis"] = "lua/growatt/store_redis.lua",
    ["growatt.openresty.ngx"] = "lua/growatt/openresty/ngx.lua",
    ["growatt.ngx"] = "lua/growatt/ngx.lua",
    ["growatt.openresty.thread"] = "lua/growatt/openresty/thread.lua",
    ["growatt.engine.policy"] = "lua/growatt/engine/policy.lua",
    ["growatt.engine.account"] = "lua/growatt/engine/account.lua",
    ["growatt.engine.login"] = "lua/growatt/engine/login.lua",
    ["growatt.engine.batch"] = "lua/growatt/engine/batch.lua",
    ["growatt.engine.api"] = "lua/growatt/engine/api.lua",
    ["growatt.shinephone.api"] = "lua/growatt/shinephone/api.lua",
    ["growatt.openapi.v1"] = "lua/growatt/openapi/v1.lua",
    ["growatt.openapi.v1_endpoints"] = "lua/growatt/openapi/v1_endpoints.lua",
    ["growatt.openapi.token"] = "lua/growatt/openapi/token.lua",
    ["growatt.openapi"] = "lua/growatt/openapi.lua",
    ["growatt.v4.client"] = "lua/growatt/v4/client.lua",
    ["growatt.v4.docs"] = "lua/growatt/v4/docs.lua",
    ["growatt.v4.endpoints"] = "lua/growatt/v4/endpoints.lua",
    ["growatt.v4.replies"] = "lua/growatt/v4/replies.lua",
    ["growatt.engine.regions"] = "lua/growatt/engine/regions.lua",
    ["growatt.readings"] = "lua/growatt/readings.lua",
    ["growatt.readings.units"] = "lua/growatt/readings/units.lua",
    ["growatt.readings.maps"] = "lua/growatt/readings/maps.lua",
    ["growatt.readings.record"] = "lua/growatt/readings/record.lua",
    ["growatt.readings.fetch"] = "lua/growatt/readings/fetch.lua",
    ["growatt.sandbox"] = "lua/growatt/sandbox/init.lua",
    ["growatt.sandbox.control"] = "lua/growatt/sandbox/control.lua",
    ["growatt.sandbox.data"] = "lua/growatt/sandbox/data.lua",
    ["growatt.sandbox.defaults"] = "lua/growatt/sandbox/defaults.lua",
    ["growatt.sandbox.energy"] = "lua/growatt/sandbox/energy.lua",
    ["growatt.sandbox.faults"] = "lua/growatt/sandbox/faults.lua",
    ["growatt.sandbox.fleet"] = "lua/growatt/sandbox/fleet.lua",
    ["growatt.sandbox.fields"] = "lua/growatt/sandbox/fields.lua",
    ["growatt.sandbox.http"] = "lua/growatt/sandbox/http.lua",
    ["growatt.sandbox.json"] = "lua/growatt/sandbox/json.lua",
    ["growatt.sandbox.legacy"] = "lua/growatt/sandbox/legacy.lua",
    ["growatt.sandbox.legacy.devices"] = "lua/growatt/sandbox/legacy/devices.lua",
    ["growatt.sandbox.legacy.format"] = "lua/growatt/sandbox/legacy/format.lua",
    ["growatt.sandbox.legacy.plants"] = "lua/growatt/sandbox/legacy/plants.lua",
    ["growatt.sandbox.legacy.reads"] = "lua/growatt/sandbox/legacy/reads.lua",
    ["growatt.sandbox.pages"] = "lua/growatt/sandbox/pages.lua",
    ["growatt.sandbox.router"] = "lua/growatt/sandbox/router.lua",
    ["growatt.sandbox.server"] = "lua/growatt/sandbox/server.lua",
    ["growatt.sandbox.session"] = "lua/growatt/sandbox/session.lua",
    ["growatt.sandbox.settings"] = "lua/growatt/sandbox/settings.lua",
    ["growatt.sandbox.settings.checks"] = "lua/growatt/sandbox/settings/checks.lua",
    ["growatt.sandbox.settings.writes"] = "lua/growatt/sandbox/settings/writes.lua",
    ["growatt.sandbox.v1"] = "lua/growatt/sandbox/v1.lua",
    ["growatt.sandbox.v1.common"] = "lua/growatt/sandbox/v1/common.lua",
    ["growatt.sandbox.v1.devices"] = "lua/growatt/sandbox/v1/devices.lua",
    ["growatt.sandbox.v1.params"] = "lua/growatt/sandbox/v1/params.lua",
    ["growatt.sandbox.v1.plants"] = "lua/growatt/sandbox/v1/plants.lua",
    ["growatt.sandbox.v4.api"] = "lua/growatt/sandbox/v4/api.lua",
    ["growatt.sandbox.v4.common"] = "lua/growatt/sandbox/v4/common.lua",
    ["growatt.sandbox.v4.details"] = "lua/growatt/sandbox/v4/details.lua",
    ["growatt.sandbox.v4.info_fields"] = "lua/growatt/sandbox/v4/info_fields.lua",
    ["growatt.sandbox.v4.last_fields"] = "lua/growatt/sandbox/v4/last_fields.lua",
    ["growatt.sandbox.v4.reads"] = "lua/growatt/sandbox/v4/reads.lua",
    ["growatt.sandbox.v4.records"] = "lua/growatt/sandbox/v4/records.lua",
    ["growatt.sandbox.v4.world"] = "lua/growatt/sandbox/v4/world.lua",
    ["growatt.sandbox.v4.writes"] = "lua/growatt/sandbox/v4/writes.lua",
    ["growatt.sandbox.world"] = "lua/growatt/sandbox/world.lua",
    ["growatt.cli"] = "lua/growatt/cli.lua",
    ["growatt.cli.commands"] = "lua/growatt/cli/commands.lua",
    ["growatt.cli.output"] = "lua/growatt/cli/output.lua",
    ["growatt.cli.chart"] = "lua/growatt/cli/chart.lua",
    ["growatt.cli.context"] = "lua/growatt/cli/context.lua",
    ["growatt.cli.failure"] = "lua/growatt/cli/failure.lua",
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
