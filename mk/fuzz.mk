# fuzz.mk — fuzzing the package checker with libFuzzer (clang).
#
#   make fuzz          run fuzz_package for FUZZ_TIME seconds (default 600)
#   make fuzz-short    the same for 20 s; `make test` runs it (CHECKS)
#
# The seeds are generated into build/fuzz/package/seeds and stay put; what
# libFuzzer finds goes to build/fuzz/package/corpus, a crash to
# build/fuzz/package/crash-*.
#
# The target and the library code it reaches are compiled with clang,
# -fsanitize=fuzzer,address,undefined; the seeds come from
# tests/fuzz/make-corpus.

FUZZ_CC      ?= clang
FUZZ_TIME    ?= 600
FUZZ_SRC      = tests/fuzz/fuzz_package.c common/package.c common/sign.c common/hash.c common/util.c
FUZZ_CFLAGS   = -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -Icommon -Itests/fuzz \
                $(shell $(PKG_CONFIG) --cflags libzip openssl 2>/dev/null)
FUZZ_LIBS     = $(shell $(PKG_CONFIG) --libs libzip openssl 2>/dev/null)
FUZZ_RUN_OPTS = -max_len=65536 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
                -artifact_prefix=$(BUILD)/fuzz/package/

.PHONY: fuzz fuzz-short fuzz-corpus
CHECKS += fuzz-short

$(BUILD)/fuzz/fuzz_package: $(FUZZ_SRC) common/*.h tests/fuzz/fuzz_key.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC) $(FUZZ_LIBS)

$(BUILD)/fuzz/make_seeds: tests/fuzz/make_seeds.c tests/fuzz/fuzz_key.h $(LIB) common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/fuzz/package/seeds/.done: $(BUILD)/fuzz/make_seeds tests/fuzz/make-corpus
	rm -rf $(BUILD)/fuzz/package/seeds
	tests/fuzz/make-corpus $(BUILD)/fuzz/package/seeds
	touch $@

fuzz-corpus: $(BUILD)/fuzz/package/seeds/.done

# Corpus directories: the first one receives new inputs, the seeds stay put.
fuzz: $(BUILD)/fuzz/fuzz_package fuzz-corpus
	@mkdir -p $(BUILD)/fuzz/package/corpus
	$(BUILD)/fuzz/fuzz_package $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_TIME) \
		$(BUILD)/fuzz/package/corpus $(BUILD)/fuzz/package/seeds

fuzz-short: $(BUILD)/fuzz/fuzz_package fuzz-corpus
	@mkdir -p $(BUILD)/fuzz/package/corpus
	$(BUILD)/fuzz/fuzz_package $(FUZZ_RUN_OPTS) -max_total_time=20 \
		$(BUILD)/fuzz/package/corpus $(BUILD)/fuzz/package/seeds
