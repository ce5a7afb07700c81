# lua-growatt: build, test, demo, sandbox.
# `make test` and `make demo` install missing Debian packages themselves (tools/deps).

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c99 -Wall -Wextra -Werror -Wshadow -fPIC
LIBS    := -lcurl -lcrypto
SRC     := $(wildcard src/*.c)
HDR     := $(wildcard src/*.h)

LUA54_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null)
LUAJIT_CFLAGS := $(shell pkg-config --cflags luajit 2>/dev/null)

# The core for each Lua: build/5.4 and build/jit (make build), build/5.1 to build/5.3 too
# (make build-all); pkg-config names them lua5.1 ... lua5.4 and luajit.
CORE54  := build/5.4/growatt/core.so
COREJIT := build/jit/growatt/core.so
CORES_OLD := build/5.1/growatt/core.so build/5.2/growatt/core.so build/5.3/growatt/core.so

LUA_PATH_DEV := lua/?.lua;lua/?/init.lua;;

.PHONY: all build build-all deps test demo sandbox rock check lint clean bench soak docs
.PHONY: quick hardening-build fuzzers asan valgrind cppcheck fuzz

all: build

deps:
	@sh tools/deps

build: $(CORE54) $(COREJIT)

build-all: build $(CORES_OLD)

# build/asan has its own rule below (an explicit rule wins over this pattern).
build/%/growatt/core.so: $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	lua=$(if $(filter jit,$*),luajit,lua$*) && flags=$$(pkg-config --cflags $$lua) && \
	  $(CC) $(WARN) $(CFLAGS) $$flags -shared -o $@ $(SRC) $(LIBS)

# The specs under Lua 5.4 and LuaJIT, luacheck, and each fuzz target for a few seconds; the
# last line is "N passed, N failed" (tools/runtests). About 7 minutes on 2 cores.
test: deps
	@$(MAKE) --no-print-directory build
	@sh tools/runtests

# Everything CI runs (.ci/run): make test's steps (the fuzz targets for FUZZ_SECONDS, default
# 60, each), then the specs under PUC Lua 5.1, 5.2 and 5.3, ASan+UBSan and valgrind (each also
# with the GC stressed) and cppcheck; one last line "N passed, N failed" over all of them.
# tools/runtests builds the hardening targets itself, counting a failed build as a failure.
check: deps
	@$(MAKE) --no-print-directory build-all
	@CHECK=1 sh tools/runtests

# Day-to-day: the specs under Lua 5.4 and LuaJIT, then luacheck.
quick: deps
	@$(MAKE) --no-print-directory build
	@QUICK=1 sh tools/runtests

lint:
	luacheck -q .

# docs/api.md, docs/settings.md (their generated blocks) and types/growatt.lua from the
# endpoint tables (tools/gendocs.lua); spec/docs_spec.lua fails when they are stale.
docs: $(CORE54)
	LUA_PATH='$(LUA_PATH_DEV)' LUA_CPATH='build/5.4/?.so;;' lua5.4 tools/gendocs.lua

demo:
	@sh tools/deps --base
	@$(MAKE) --no-print-directory build
	@sh tools/demo

# The sandbox in the foreground until Ctrl-C (`make sandbox PORT=8080 SEED=2`); it prints its URL,
# the demo user, password and v1 token. docs/sandbox.md tells how to point clients at it.
sandbox:
	@sh tools/deps --base
	@$(MAKE) --no-print-directory build
	@LUA_PATH='$(LUA_PATH_DEV)' lua5.4 -e 'require("growatt.sandbox").run{port = tonumber(os.getenv("PORT")), seed = tonumber(os.getenv("SEED"))}'

# Benchmarks against the sandbox (not part of `make test`): writes bench/RESULTS.md.
bench: deps
	@$(MAKE) --no-print-directory build
	@mkdir -p build/bench
	$(CC) -std=c99 -Wall -Wextra -Werror $(CFLAGS) -o build/bench/floor bench/floor.c -lcurl
	LUA_PATH='$(LUA_PATH_DEV)' LUA_CPATH='build/5.4/?.so;;' lua5.4 bench/run.lua

# The fault soak at full size (spec/soak_spec.lua runs 2000 calls in the suite): 100 000 calls
# through the sandbox with random faults; prints its figures. SOAK_CALLS, SOAK_SEED change it.
SOAK_CALLS ?= 100000
SOAK_SEED  ?= 1
soak: deps
	@$(MAKE) --no-print-directory build
	LUA_PATH='$(LUA_PATH_DEV)' LUA_CPATH='build/5.4/?.so;;' lua5.4 tools/soak.lua $(SOAK_CALLS) $(SOAK_SEED)

# Install the rock into ./tree, as a user would (no registry needed); LUA_VERSION=5.1 for
# PUC Lua 5.1 (or LuaJIT, which shares its modules).
LUA_VERSION ?= 5.4
rock: deps
	luarocks --lua-version=$(LUA_VERSION) make --deps-mode=none --tree=tree growatt-scm-1.rockspec

# ---- Hardening (tools/sanitize; HACKING.md).
ASAN_CORE := build/asan/growatt/core.so
PRELOAD   := build/sanitize/preload.so
SANITIZE  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
FUZZ_FLAGS := -std=c99 -Wall -Wextra -Werror -Isrc -g -O1 -fno-sanitize-recover=all \
              -fsanitize=fuzzer,address,undefined
FUZZ_LUA  := encode request response cookies json
FUZZ_C    := numbers hash
FUZZERS   := $(addprefix build/fuzz/,$(FUZZ_LUA) $(FUZZ_C) json_jit)
FUZZ_SECONDS ?= 60

hardening-build: $(ASAN_CORE) $(PRELOAD) $(FUZZERS)

fuzzers: $(FUZZERS)

$(ASAN_CORE): $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	clang $(WARN) $(SANITIZE) $(LUA54_CFLAGS) -shared -o $@ $(SRC) $(LIBS)

$(PRELOAD): tools/sanitize-preload.c
	@mkdir -p $(dir $@)
	$(CC) -std=c99 -Wall -Wextra -Werror -fPIC -shared -o $@ $<

$(addprefix build/fuzz/,$(FUZZ_LUA)): build/fuzz/%: fuzz/lua_target.c $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(LUA54_CFLAGS) -DFUZZ_TARGET='"$*"' -DFUZZ_DIR='"$(CURDIR)/fuzz"' \
	  -o $@ $< $(SRC) $(LIBS) -llua5.4

build/fuzz/json_jit: fuzz/lua_target.c $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(LUAJIT_CFLAGS) -DFUZZ_TARGET='"json"' -DFUZZ_DIR='"$(CURDIR)/fuzz"' \
	  -o $@ $< $(SRC) $(LIBS) -lluajit-5.1

$(addprefix build/fuzz/,$(FUZZ_C)): build/fuzz/%: fuzz/%.c $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(LUA54_CFLAGS) -o $@ $< $(SRC) $(LIBS) -llua5.4

# The whole suite under ASan+UBSan (leaks included), then again with the GC stressed.
asan: deps
	@$(MAKE) --no-print-directory $(ASAN_CORE) $(PRELOAD)
	@sh tools/sanitize asan
	@sh tools/sanitize asan --gc

# The whole suite under valgrind's memcheck, then again with the GC stressed.
valgrind: deps
	@$(MAKE) --no-print-directory $(CORE54) $(PRELOAD)
	@sh tools/sanitize valgrind
	@sh tools/sanitize valgrind --gc

# Warnings are errors. No -I for Lua's headers: cppcheck then checks every #if configuration
# of compat.h, the Lua 5.1 (LuaJIT) one included.
cppcheck: deps
	cppcheck -q --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
	  --std=c99 --library=posix src/ fuzz/ tools/sanitize-preload.c

# Every fuzz target for FUZZ_SECONDS (default 60) each; `make fuzz FUZZ_SECONDS=600`.
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZERS)
	@sh tools/sanitize fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build tree
