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

CORE54  := build/5.4/growatt/core.so
COREJIT := build/jit/growatt/core.so

LUA_PATH_DEV := lua/?.lua;lua/?/init.lua;;

.PHONY: all build deps test demo sandbox rock check lint clean bench

all: build

deps:
	@sh tools/deps

build: $(CORE54) $(COREJIT)

$(CORE54): $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(LUA54_CFLAGS) -shared -o $@ $(SRC) $(LIBS)

$(COREJIT): $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(LUAJIT_CFLAGS) -shared -o $@ $(SRC) $(LIBS)

# The whole suite under Lua 5.4 and LuaJIT, then luacheck; the last line is "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory build
	@sh tools/runtests

lint:
	luacheck -q .

demo: deps
	@$(MAKE) --no-print-directory build
	@sh tools/demo

sandbox: deps
	@$(MAKE) --no-print-directory build
	LUA_PATH='$(LUA_PATH_DEV)' lua5.4 -e 'require("growatt.sandbox").run{port = tonumber(os.getenv("PORT"))}'

# Benchmarks against the sandbox (not part of `make test`): writes bench/RESULTS.md.
bench:
	@sh tools/deps valgrind
	@$(MAKE) --no-print-directory build
	@mkdir -p build/bench
	$(CC) -std=c99 -Wall -Wextra -Werror $(CFLAGS) -o build/bench/floor bench/floor.c -lcurl
	LUA_PATH='$(LUA_PATH_DEV)' LUA_CPATH='build/5.4/?.so;;' lua5.4 bench/run.lua

# Install the rock into ./tree, as a user would (no registry needed).
rock: deps
	luarocks --lua-version=5.4 make --deps-mode=none --tree=tree growatt-dev-1.rockspec

clean:
	rm -rf build tree
