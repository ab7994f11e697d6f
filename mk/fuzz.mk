# fuzz.mk — fuzzing the package checker with libFuzzer (clang).
#
#   make fuzz          run fuzz_package for FUZZ_TIME seconds (default 600)
#                      on a copy of the seed corpus grown in build/fuzz/corpus
#   make fuzz-short    the same for 20 s; `make test` runs it (CHECKS)
#
# The target and the library code it reaches are compiled with clang,
# -fsanitize=fuzzer,address,undefined; the seeds come from
# tests/fuzz/make-corpus. A crash leaves its input as build/fuzz/crash-*.

FUZZ_CC      ?= clang
FUZZ_TIME    ?= 600
FUZZ_SRC      = tests/fuzz/fuzz_package.c common/package.c common/sign.c common/hash.c common/util.c
FUZZ_CFLAGS   = -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -Icommon -Itests/fuzz \
                $(shell $(PKG_CONFIG) --cflags libzip openssl 2>/dev/null)
FUZZ_LIBS     = $(shell $(PKG_CONFIG) --libs libzip openssl 2>/dev/null)
FUZZ_RUN_OPTS = -max_len=65536 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
                -artifact_prefix=$(BUILD)/fuzz/

.PHONY: fuzz fuzz-short fuzz-corpus
CHECKS += fuzz-short

$(BUILD)/fuzz/fuzz_package: $(FUZZ_SRC) common/*.h tests/fuzz/fuzz_key.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC) $(FUZZ_LIBS)

$(BUILD)/fuzz/make_seeds: tests/fuzz/make_seeds.c tests/fuzz/fuzz_key.h $(LIB) common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/fuzz/seeds/.done: $(BUILD)/fuzz/make_seeds tests/fuzz/make-corpus
	rm -rf $(BUILD)/fuzz/seeds
	tests/fuzz/make-corpus $(BUILD)/fuzz/seeds
	touch $@

fuzz-corpus: $(BUILD)/fuzz/seeds/.done

# Corpus directories: the first one receives new inputs, the seeds stay put.
fuzz: $(BUILD)/fuzz/fuzz_package fuzz-corpus
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_package $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_TIME) \
		$(BUILD)/fuzz/corpus $(BUILD)/fuzz/seeds

fuzz-short: $(BUILD)/fuzz/fuzz_package fuzz-corpus
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_package $(FUZZ_RUN_OPTS) -max_total_time=20 \
		$(BUILD)/fuzz/corpus $(BUILD)/fuzz/seeds
