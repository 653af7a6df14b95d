# kvsim — build, run, test.
#
#   make            build/kvsim
#   make run        install missing packages, build, start the demo UI
#   make test       install missing packages, build, run every suite and the
#                   end-to-end tests, then the same suites under ASan+UBSan
#   make asan       build/asan/kvsim and the sanitizer test binaries
#   make docs-check re-run the `$ kvsim` examples of README.md and docs/ and diff them
#   make regenerate rewrite golden screens and docs transcripts (e.g. after a
#                   new models/default.kvsim, which the binary embeds)
#   make clean | make install PREFIX=/usr/local
#   make V=1        show the full compiler commands (default: "CC file.c")
#   make WERROR=1   warnings are errors (CI does this; a user's newer
#                   compiler must not fail the build on a new warning)
#
# Layout: sim/ (libc+libm), lessons/ (no curses), ui/ (ncursesw; only
# ui/term.c includes curses.h), tests/ (cmocka suites + shell end-to-end).

CC      ?= cc
PREFIX  ?= /usr/local
WERROR  ?=
V       ?=
OPT     ?= -O3 -g

# WERROR=1 (or yes, or -Werror as older CI scripts say) adds -Werror
WERROR_FLAG := $(if $(filter 1 yes -Werror,$(WERROR)),-Werror,)
# one line per file unless V=1: "  CC  sim/engine.c", "  LD  build/kvsim"
ifeq ($(V),1)
Q  :=
CC_MSG =
LD_MSG =
else
Q  := @
CC_MSG = @printf '  CC  %s\n' '$<'
LD_MSG = @printf '  LD  %s\n' '$@'
endif

PKGS    := ncursesw cmocka
PKG_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# -ffp-contract=off: no fused multiply-add, so every float result is the same
# whichever call site or mode computes it (cache == recompute, bitwise).
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla $(WERROR_FLAG)
BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600 \
           -ffp-contract=off -fno-strict-aliasing -I. $(WARN)
CFLAGS  ?= $(OPT)
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS) -MMD -MP
# The matrix product's variant (sim/kernels.c, docs/performance.md):
#   SIMD=portable  plain C11, vectorised by the compiler (any CPU)
#   SIMD=avx2      AVX2 intrinsics; only sim/kernels.c and sim/kmath.c get -mavx2
#   SIMD=auto      avx2 when the building machine's CPU has it (default)
SIMD    ?= auto
ifeq ($(SIMD),auto)
SIMD_RESOLVED := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo avx2 || echo portable)
else
SIMD_RESOLVED := $(SIMD)
endif
ifeq ($(SIMD_RESOLVED),avx2)
KERNEL_SIMD_FLAGS := -mavx2 -DKVSIM_AVX2
else ifeq ($(SIMD_RESOLVED),portable)
KERNEL_SIMD_FLAGS :=
else
$(error SIMD=$(SIMD): expected portable, avx2 or auto)
endif
build/obj/sim/kernels.o build/asan/obj/sim/kernels.o \
build/obj/sim/kmath.o build/asan/obj/sim/kmath.o: ALL_CFLAGS += $(KERNEL_SIMD_FLAGS)
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

SIM_SRC    := $(sort $(wildcard sim/*.c))
LESSON_SRC := $(sort $(wildcard lessons/*.c))
UI_SRC     := $(filter-out ui/cmd/main.c,$(sort $(wildcard ui/*.c ui/panels/*.c ui/cmd/*.c)))
LIB_SRC    := $(SIM_SRC) $(LESSON_SRC) $(UI_SRC)
TEST_SRC   := $(sort $(wildcard tests/test_*.c))

# The shipped trained model is part of the binary (sim/modelfile_default.c):
# tools/embed writes models/default.kvsim's bytes into build/gen/default_model.c.
# One data-only object serves every build (plain, ASan, fuzz). Replacing
# models/default.kvsim and running make rebuilds it.
DEFAULT_MODEL := models/default.kvsim
EMBED_OBJ := build/obj/gen/default_model.o

OBJ      := $(LIB_SRC:%.c=build/obj/%.o) $(EMBED_OBJ)
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/obj/%.o) $(EMBED_OBJ)
TESTS      := $(TEST_SRC:tests/%.c=build/tests/%)
ASAN_TESTS := $(TEST_SRC:tests/%.c=build/asan/tests/%)

.PHONY: all run test asan clean install deps deps-test bench check-tests docs-check regenerate
all: build/kvsim

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC_MSG)
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC_MSG)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(PKG_CFLAGS) -c $< -o $@

build/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC_MSG)
	$(Q)$(CC) $(BASE_CFLAGS) -O2 $< -o $@

build/gen/default_model.c: $(DEFAULT_MODEL) build/tools/embed
	@mkdir -p $(dir $@)
	@printf '  GEN %s\n' '$@'
	$(Q)build/tools/embed kvsim_default_model $(DEFAULT_MODEL) $@

# data only: no optimisation, debug info or sanitizer to spend time on
$(EMBED_OBJ): build/gen/default_model.c
	@mkdir -p $(dir $@)
	$(CC_MSG)
	$(Q)$(CC) $(BASE_CFLAGS) -c $< -o $@

build/kvsim: build/obj/ui/cmd/main.o $(OBJ)
	$(LD_MSG)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(PKG_LIBS) -lm

build/asan/kvsim: build/asan/obj/ui/cmd/main.o $(ASAN_OBJ)
	$(LD_MSG)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $^ -o $@ $(PKG_LIBS) -lm

build/tests/%: build/obj/tests/%.o $(OBJ)
	@mkdir -p $(dir $@)
	$(LD_MSG)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(PKG_LIBS) -lm

build/asan/tests/%: build/asan/obj/tests/%.o $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(LD_MSG)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $^ -o $@ $(CMOCKA_LIBS) $(PKG_LIBS) -lm

# Install what the build needs when it is missing (Debian/Ubuntu: apt-get).
deps:
	@sh tools/deps.sh run
deps-test:
	@sh tools/deps.sh test

run: deps
	@$(MAKE) --no-print-directory all
	./build/kvsim

asan: build/asan/kvsim $(ASAN_TESTS)

# Every suite, the end-to-end scripts, then the suites again under
# ASan+UBSan. tests/run.sh prints one closing line in cmocka's format.
test: deps-test
	@$(MAKE) --no-print-directory all $(TESTS) asan
	@sh tests/run.sh

# Re-run every `$ kvsim ...` example of README.md and docs/*.md and diff
# its output, and check the docs' scripts and keys against the program
# (tests/test_docs.sh, also part of `make test`). KVSIM_UPDATE_DOCS=1
# rewrites the examples' output.
docs-check: all
	@sh tests/test_docs.sh build/kvsim

bench: all
	./build/kvsim bench-ui

# After a change to what kvsim shows by default (a new models/default.kvsim,
# docs/architecture.md §5): rewrite the golden screens and the docs'
# transcripts from this build, then read every change in `git diff`.
# The golden suites: test_screens (core views) and test_screens_serving.
GOLDEN_TESTS := build/tests/test_screens build/tests/test_screens_serving
regenerate: all $(GOLDEN_TESTS)
	for t in $(GOLDEN_TESTS); do KVSIM_UPDATE_GOLDEN=1 $$t || exit 1; done
	KVSIM_UPDATE_DOCS=1 python3 tools/docs_check.py build/kvsim

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 build/kvsim $(DESTDIR)$(PREFIX)/bin/kvsim
	install -m 644 docs/kvsim.1 $(DESTDIR)$(PREFIX)/share/man/man1/kvsim.1
	install -d $(DESTDIR)$(PREFIX)/share/kvsim/lessons/en $(DESTDIR)$(PREFIX)/share/kvsim/lessons/zh
	install -m 644 lessons/en/*.lesson $(DESTDIR)$(PREFIX)/share/kvsim/lessons/en
	install -m 644 lessons/zh/*.lesson $(DESTDIR)$(PREFIX)/share/kvsim/lessons/zh

clean:
	rm -rf build

# libFuzzer targets (clang): `make fuzz` builds and runs each for FUZZ_SECONDS.
-include tests/fuzz/fuzz.mk

.SECONDARY:
-include $(shell find build -name '*.d' 2>/dev/null)
