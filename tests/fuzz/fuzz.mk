# libFuzzer targets (issue 6, "Bad input, everywhere"). Included by the
# Makefile; needs clang with libFuzzer (Debian: clang + libclang-rt-NN-dev).
#
#   make fuzz-build                  build/fuzz/fuzz_{tokenizer,cli,lesson,eval}
#   make fuzz [FUZZ_SECONDS=30]      build, then run each target that long
#   make fuzz-run-TARGET             run one (e.g. make fuzz-run-lesson)
#
# The project's sources are compiled again with clang and
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/libkvsim.a, so
# each target links only the objects it needs (fuzz_cli pulls in the UI and
# thus ncursesw). Runs read the seed corpus tests/fuzz/corpus/TARGET (and
# the dictionary tests/fuzz/TARGET.dict when there is one) and
# write what they find to build/fuzz/corpus/TARGET (the seeds stay as they
# are); crashes, leaks and timeouts go to build/fuzz/artifacts/TARGET/.
# Reproduce one with: build/fuzz/fuzz_TARGET build/fuzz/artifacts/TARGET/crash-...

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS := tokenizer cli lesson eval modelfile
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# -Werror is left out for the project's own files: a new clang-only warning
# elsewhere must not stop fuzzing. The targets themselves keep it.
FUZZ_LIB_CFLAGS = $(filter-out -Werror,$(BASE_CFLAGS)) -O1 -g -MMD -MP $(FUZZ_SAN) \
                  -fsanitize=fuzzer-no-link $(PKG_CFLAGS)
FUZZ_CFLAGS     = $(BASE_CFLAGS) -O1 -g -MMD -MP $(FUZZ_SAN) $(PKG_CFLAGS)

FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o) $(EMBED_OBJ)   # the built-in model: data only
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

# per-target options: -max_len in bytes
FUZZ_MAXLEN_tokenizer := 4096
FUZZ_MAXLEN_cli       := 4096
FUZZ_MAXLEN_lesson    := 65536
FUZZ_MAXLEN_eval      := 8192
FUZZ_MAXLEN_modelfile := 16384
FUZZ_OPTS = -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_ENV  = ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: fuzz fuzz-build $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libkvsim.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libkvsim.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS) -lm

# Run each target for FUZZ_SECONDS; go on after a failure, fail at the end.
fuzz: fuzz-build
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
	    $(MAKE) --no-print-directory fuzz-run-$$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed (see $(FUZZ_DIR)/artifacts/)"; exit 1; fi; \
	echo "fuzz: all targets ran $(FUZZ_SECONDS) s without a crash, leak or timeout"

$(FUZZ_TARGETS:%=fuzz-run-%): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts/$*
	@echo "== fuzz_$*: $(FUZZ_SECONDS) s"
	$(FUZZ_ENV) $(FUZZ_DIR)/fuzz_$* $(FUZZ_OPTS) -max_len=$(FUZZ_MAXLEN_$*) \
	    $(addprefix -dict=,$(wildcard tests/fuzz/$*.dict)) \
	    -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/artifacts/$*/ \
	    $(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$*
