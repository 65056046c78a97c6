# Makefile - builds, tests, measures and installs sprig. `make help` lists the targets.
#
# Layout of the build:
#   build/obj/...          objects, one per source (BUILD=... moves all of it)
#   build/libsprig-rt.so   the runtime, libuv inside with its symbols hidden
#   build/libsprig-rt.a    the same as one relocatable object whose only
#                          global symbols are the sprig_ API
#   build/sprig.pc         pkg-config file (PREFIX decides its paths)
#   build/unit-tests       doctest unit tests, linked with the runtime objects
#   build/examples/NAME    tests/examples/NAME.c, linked with libsprig-rt.so
#   build/bench/NAME       tests/bench/NAME.c[pp]
#   build/bench/plain/NAME tests/bench/plain/NAME.c: ordinary pthread programs, no sprig
#                          linked; bench.py runs them natively and under libsprig.so
#   build/bench/tools/NAME tests/bench/tools/NAME.c: bench.py's own helpers
#
# The runtime is C++20 without exceptions, RTTI or libstdc++: it links with
# the C driver and -Wl,--no-undefined, so a stray libstdc++ dependency fails
# the build (see docs/design.md, "No libstdc++").

SHELL := /bin/bash
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

CC := gcc
CXX := g++
PYTHON := /usr/bin/python3
DEBIAN_LIBUV_A := /usr/lib/x86_64-linux-gnu/libuv_a.a
# Debian's libuv_a.a is compiled as PIE, not PIC: four PC-relative references
# to libc data (environ, stderr, in6addr_any) cannot be linked into a shared
# object. They are renamed to hidden twins in runtime/io/libuv_fixups.cpp.
# Its one destructor, uv_library_shutdown, is dropped: at exit it joins the
# thread pool, so exit would wait for a pool thread blocked in wait4 for a
# child, and in a forked child it joins the parent's threads, which do not
# exist there (libuv issue 4443: SIGSEGV at the child's exit).
LIBUV_A := $(BUILD)/libuv_pic.a

SANITIZE ?=
SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer,)
OPT ?= -O2

WARN := -Wall -Wextra -Werror
# runtime/ in folders by subsystem (README, "Layout"); includes name the file only.
RT_DIRS := runtime/core runtime/sync runtime/io runtime/signals runtime/introspect runtime/api
RT_INCLUDES := $(addprefix -I,$(RT_DIRS)) -Iruntime/include
CFLAGS_COMMON := $(OPT) -g -fPIC $(WARN) $(SAN_FLAGS) $(RT_INCLUDES)
RT_CXXFLAGS := -std=c++20 $(CFLAGS_COMMON) -fvisibility=hidden -fvisibility-inlines-hidden \
	-fno-exceptions -fno-rtti -fno-threadsafe-statics -ftls-model=initial-exec -D_GNU_SOURCE
TEST_CXXFLAGS := -std=c++20 $(CFLAGS_COMMON) -D_GNU_SOURCE
EXAMPLE_CFLAGS := -std=gnu11 $(OPT) -g $(WARN) $(SAN_FLAGS) -Iruntime/include

RT_SOURCES := $(sort $(wildcard $(addsuffix /*.cpp,$(RT_DIRS))))
RT_ASM := $(sort $(wildcard $(addsuffix /*.S,$(RT_DIRS))))
RT_OBJECTS := $(RT_SOURCES:%.cpp=$(BUILD)/obj/%.o) $(RT_ASM:%.S=$(BUILD)/obj/%.o)
PRELOAD_SOURCES := $(sort $(wildcard shim/*.cpp preload/*.cpp))
PRELOAD_OBJECTS := $(PRELOAD_SOURCES:%.cpp=$(BUILD)/obj/%.o)
UNIT_SOURCES := $(sort $(wildcard tests/unit/*.cpp))
UNIT_OBJECTS := $(UNIT_SOURCES:%.cpp=$(BUILD)/obj/%.o)
EXAMPLES := $(patsubst tests/examples/%.c,$(BUILD)/examples/%,$(sort $(wildcard tests/examples/*.c)))
BENCH_C := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(sort $(wildcard tests/bench/*.c)))
BENCH_PLAIN := $(patsubst tests/bench/plain/%.c,$(BUILD)/bench/plain/%,$(sort $(wildcard tests/bench/plain/*.c)))
BENCH_TOOLS := $(patsubst tests/bench/tools/%.c,$(BUILD)/bench/tools/%,$(sort $(wildcard tests/bench/tools/*.c)))
BENCH_CXX := $(patsubst tests/bench/%.cpp,$(BUILD)/bench/%,$(sort $(wildcard tests/bench/*.cpp)))
DEMO_PROGRAMS := $(patsubst tests/demo/%.c,$(BUILD)/demo/%,$(sort $(wildcard tests/demo/*.c)))
HEADERS := $(wildcard $(addsuffix /*.hpp,$(RT_DIRS)) $(addsuffix /*.h,$(RT_DIRS)) \
	runtime/include/*.h runtime/include/*.hpp shim/*.hpp shim/*.def)

DEPS_STAMP := $(BUILD)/.deps-ok
DEB_PACKAGES := libuv1-dev libunwind-dev doctest-dev python3-pytest pkg-config strace \
	valgrind clang-format clang-tidy cppcheck wrk groff-base python3-matplotlib
# Real programs run under sprig by tests/real (a test skips, saying so, when
# its program is missing).
DEB_PACKAGES += curl memcached redis-server redis-tools sqlite3 ruby perl haproxy \
	mariadb-server-core mariadb-client tinyproxy apache2 lmdb-utils python3-lmdb python3-gevent
# The compressors of the cpu suite of make bench (scripts/bench_cpu.py); xz-utils is in Debian's base.
DEB_PACKAGES += pigz zstd xz-utils

.PHONY: demo all deps test test-unit test-py bench install uninstall clean asan tsan \
	format check-format lint help examples bench-build bench-plot demo-build soak test-workers

all: $(BUILD)/libsprig-rt.so $(BUILD)/libsprig-rt.a $(BUILD)/sprig.pc $(BUILD)/libsprig.so

help:
	@echo "make            build libsprig-rt.so, libsprig-rt.a, sprig.pc"
	@echo "make deps       install the Debian packages sprig needs (apt-get, once)"
	@echo "make demo       an unmodified HTTP server natively and under sprig (wrk), then"
	@echo "                the direct-API examples at 10,000 connections / threads"
	@echo "make test       unit tests, then the pytest suite, then test-workers"
	@echo "make test-workers  the compared conformance programs with SPRIG_WORKERS=1"
	@echo "make bench      micro, memory and echo benchmarks, sprig against native, with ratios"
	@echo "make bench-plot docs/bench-*.png from the latest make bench"
	@echo "make soak       echo soak: 10,000 connections for 60 s under sprig, every byte checked"
	@echo "make asan|tsan  unit tests under AddressSanitizer / ThreadSanitizer"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR): bin/sprig, the libraries,"
	@echo "                headers, sprig.pc, sprig(1), libsprig(3), sprig(7)"
	@echo "make format | check-format | lint | clean"

# ---- dependencies -----------------------------------------------------------

deps: $(DEPS_STAMP)

# Remade when the Makefile changes, so a package added to the list gets installed.
$(DEPS_STAMP): Makefile
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing \
	    || { echo "make deps: apt-get failed for:$$missing" >&2; exit 1; }; \
	fi
	@mkdir -p $(@D) && touch $@

# ---- the runtime ------------------------------------------------------------

$(BUILD)/obj/runtime/%.o: runtime/%.cpp $(HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(RT_CXXFLAGS) -c $< -o $@

$(BUILD)/obj/runtime/%.o: runtime/%.S runtime/core/context_offsets.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -g -fPIC -Iruntime/core -c $< -o $@

$(BUILD)/libsprig-rt.so: $(RT_OBJECTS) $(LIBUV_A) runtime/sprig-rt.map
	$(CC) -shared -o $@ $(RT_OBJECTS) $(LIBUV_A) $(SAN_FLAGS) \
	  -Wl,--exclude-libs,ALL -Wl,--version-script=runtime/sprig-rt.map \
	  -Wl,--no-undefined -Wl,-soname,libsprig-rt.so.0 -ldl -lpthread
	ln -sf libsprig-rt.so $(BUILD)/libsprig-rt.so.0

# ---- the preload: shim + runtime --------------------------------------------

$(BUILD)/obj/shim/%.o: shim/%.cpp $(HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(RT_CXXFLAGS) -Ishim -c $< -o $@

$(BUILD)/obj/preload/%.o: preload/%.cpp $(HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(RT_CXXFLAGS) -Ishim -c $< -o $@

# libsprig.so exports the rows of shim/hooks.def and the sprig_ API, nothing else.
$(BUILD)/sprig-preload.map: shim/hooks.def
	@mkdir -p $(@D)
	{ echo '{ global: sprig_*;'; \
	  $(CC) -E -P -x c '-DSPRIG_HOOK(r,n,p,a)=n;' '-DSPRIG_HOOK_CUSTOM(r,n,p,a)=n;' $<; \
	  echo 'local: *; };'; } > $@

$(BUILD)/libsprig.so: $(RT_OBJECTS) $(PRELOAD_OBJECTS) $(LIBUV_A) $(BUILD)/sprig-preload.map
	$(CC) -shared -o $@ $(RT_OBJECTS) $(PRELOAD_OBJECTS) $(LIBUV_A) $(SAN_FLAGS) \
	  -Wl,--exclude-libs,ALL -Wl,--version-script=$(BUILD)/sprig-preload.map \
	  -Wl,--no-undefined -ldl -lpthread

# One relocatable object holding the runtime and the libuv members it uses;
# every global except the sprig_ API is made local, so the archive cannot
# clash with a program's own libuv.
$(BUILD)/libsprig-rt.a: $(RT_OBJECTS) $(LIBUV_A) runtime/sprig-rt.map
	$(CC) -r -nostdlib -o $(BUILD)/sprig-rt-combined.o $(RT_OBJECTS) $(LIBUV_A)
	grep -o 'sprig_[a-z_]*(' runtime/include/sprig.h | tr -d '(' | sort -u > $(BUILD)/sprig-rt.exports
	objcopy --keep-global-symbols=$(BUILD)/sprig-rt.exports $(BUILD)/sprig-rt-combined.o
	rm -f $@ && ar rcs $@ $(BUILD)/sprig-rt-combined.o

$(LIBUV_A): $(DEBIAN_LIBUV_A) Makefile | $(DEPS_STAMP)
	@mkdir -p $(@D)
	objcopy --redefine-sym environ=sprig_uv_environ --redefine-sym stderr=sprig_uv_stderr \
	  --redefine-sym in6addr_any=sprig_uv_in6addr_any \
	  --redefine-sym pthread_mutex_lock=sprig_uv_mutex_lock \
	  --redefine-sym pthread_mutex_trylock=sprig_uv_mutex_trylock \
	  --redefine-sym pthread_mutex_unlock=sprig_uv_mutex_unlock \
	  --redefine-sym write=sprig_uv_write \
	  --remove-section=.fini_array --remove-section=.rela.fini_array $< $@

$(BUILD)/sprig.pc: runtime/sprig.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# ---- tests ------------------------------------------------------------------

$(BUILD)/obj/tests/unit/%.o: tests/unit/%.cpp $(HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(TEST_CXXFLAGS) -c $< -o $@

$(BUILD)/unit-tests: $(UNIT_OBJECTS) $(RT_OBJECTS) $(LIBUV_A)
	$(CXX) -o $@ $(UNIT_OBJECTS) $(RT_OBJECTS) $(LIBUV_A) $(SAN_FLAGS) -ldl -lpthread

$(BUILD)/examples/%: tests/examples/%.c $(BUILD)/libsprig-rt.so runtime/include/sprig.h
	@mkdir -p $(@D)
	$(CC) $(EXAMPLE_CFLAGS) $< -o $@ -L$(BUILD) -lsprig-rt -Wl,-rpath,'$$ORIGIN/..'

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libsprig-rt.so runtime/include/sprig.h
	@mkdir -p $(@D)
	$(CC) $(EXAMPLE_CFLAGS) $< -o $@ -L$(BUILD) -lsprig-rt -Wl,-rpath,'$$ORIGIN/..' -lpthread

# The shorter stem wins: build/bench/plain/NAME and tools/NAME use these rules, not the one above.
$(BUILD)/bench/plain/%: tests/bench/plain/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(OPT) -g $(WARN) $< -o $@ -lpthread

$(BUILD)/bench/tools/%: tests/bench/tools/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(OPT) -g $(WARN) $< -o $@

$(BUILD)/bench/%: tests/bench/%.cpp $(BUILD)/libsprig-rt.so $(HEADERS)
	@mkdir -p $(@D)
	$(CXX) -std=c++20 $(OPT) -g $(WARN) -Iruntime/include $< -o $@ -L$(BUILD) -lsprig-rt \
	  -Wl,-rpath,'$$ORIGIN/..' -lpthread

# The demo's programs know nothing of sprig: built as a user builds them.
$(BUILD)/demo/%: tests/demo/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(OPT) -g $(WARN) $< -o $@ -pthread

examples: $(EXAMPLES)
demo-build: $(DEMO_PROGRAMS)
bench-build: $(BENCH_C) $(BENCH_CXX) $(BENCH_PLAIN) $(BENCH_TOOLS)

test-unit: $(BUILD)/unit-tests
	cd $(BUILD) && ./unit-tests

test-py: all examples bench-build demo-build
	SPRIG_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q tests/py tests/conformance tests/real

# The compared conformance programs again, with one worker (SPRIG_WORKERS=1):
# test-py runs them with sprig's default, one worker per CPU.
test-workers: all examples
	SPRIG_WORKERS=1 SPRIG_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q \
	  tests/conformance/test_conformance.py -k test_program

test: all
	$(MAKE) test-unit
	$(MAKE) test-py
	$(MAKE) test-workers

# ---- sanitizers: the unit tests under ASan / TSan -----------------------------

asan:
	$(MAKE) BUILD=build/asan SANITIZE=address OPT=-O1 test-unit

tsan:
	$(MAKE) BUILD=build/tsan SANITIZE=thread OPT=-O1 test-unit

# ---- benchmarks -------------------------------------------------------------

demo: all examples demo-build
	SPRIG_BUILD=$(abspath $(BUILD)) $(PYTHON) scripts/demo.py

bench: all bench-build examples demo-build
	SPRIG_BUILD=$(abspath $(BUILD)) $(PYTHON) scripts/bench.py

soak: all bench-build
	$(PYTHON) scripts/soak.py --build $(BUILD)

bench-plot: | $(DEPS_STAMP)
	@test -f $(BUILD)/bench/results.json || $(MAKE) bench
	$(PYTHON) scripts/bench_plot.py --results $(BUILD)/bench/results.json --out docs

# ---- install ----------------------------------------------------------------

# sprig.pc is written here, not copied from $(BUILD): its prefix is this
# PREFIX, whatever PREFIX the build had.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 0755 scripts/sprig $(DESTDIR)$(PREFIX)/bin/sprig
	install -m 0755 scripts/sprig-ps $(DESTDIR)$(PREFIX)/bin/sprig-ps
	install -m 0755 $(BUILD)/libsprig.so $(DESTDIR)$(PREFIX)/lib/libsprig.so
	install -m 0755 $(BUILD)/libsprig-rt.so $(DESTDIR)$(PREFIX)/lib/libsprig-rt.so.$(VERSION)
	ln -sf libsprig-rt.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsprig-rt.so.0
	ln -sf libsprig-rt.so.0 $(DESTDIR)$(PREFIX)/lib/libsprig-rt.so
	install -m 0644 $(BUILD)/libsprig-rt.a $(DESTDIR)$(PREFIX)/lib/libsprig-rt.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' runtime/sprig.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/sprig.pc
	install -m 0644 runtime/include/sprig.h runtime/include/sprig.hpp $(DESTDIR)$(PREFIX)/include/
	install -m 0644 man/sprig.1 $(DESTDIR)$(PREFIX)/share/man/man1/sprig.1
	install -m 0644 man/libsprig.3 $(DESTDIR)$(PREFIX)/share/man/man3/libsprig.3
	install -m 0644 man/sprig.7 $(DESTDIR)$(PREFIX)/share/man/man7/sprig.7

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sprig $(DESTDIR)$(PREFIX)/bin/sprig-ps \
	  $(DESTDIR)$(PREFIX)/lib/libsprig.so \
	  $(DESTDIR)$(PREFIX)/lib/libsprig-rt.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsprig-rt.so.0 \
	  $(DESTDIR)$(PREFIX)/lib/libsprig-rt.so $(DESTDIR)$(PREFIX)/lib/libsprig-rt.a \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/sprig.pc \
	  $(DESTDIR)$(PREFIX)/include/sprig.h $(DESTDIR)$(PREFIX)/include/sprig.hpp \
	  $(DESTDIR)$(PREFIX)/share/man/man1/sprig.1 $(DESTDIR)$(PREFIX)/share/man/man3/libsprig.3 \
	  $(DESTDIR)$(PREFIX)/share/man/man7/sprig.7

clean:
	rm -rf build

# ---- style ------------------------------------------------------------------

FORMAT_FILES := $(wildcard $(addsuffix /*.cpp,$(RT_DIRS)) $(addsuffix /*.hpp,$(RT_DIRS)) \
	$(addsuffix /*.h,$(RT_DIRS)) runtime/include/*.h \
	shim/*.cpp shim/*.hpp preload/*.cpp preload/*.hpp \
	runtime/include/*.hpp tests/unit/*.cpp tests/examples/*.c tests/bench/*.c tests/bench/*.cpp \
	tests/demo/*.c tests/bench/plain/*.c tests/bench/tools/*.c)

format: | $(DEPS_STAMP)
	clang-format -i $(FORMAT_FILES)

check-format: | $(DEPS_STAMP)
	clang-format --dry-run --Werror $(FORMAT_FILES)

lint: | $(DEPS_STAMP)
	clang-tidy --quiet $(RT_SOURCES) $(PRELOAD_SOURCES) -- $(RT_CXXFLAGS) -Ishim $(LINT_EXTRA)
	cppcheck --quiet --error-exitcode=1 --std=c++20 --language=c++ --inline-suppr \
	  --enable=warning,performance,portability --suppress=missingIncludeSystem \
	  $(RT_INCLUDES) -D__x86_64__ $(RT_SOURCES)
