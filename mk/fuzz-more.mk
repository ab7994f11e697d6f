# fuzz-more.mk — libFuzzer targets for the configuration loader, the
# migration linter and the CSV writer, next to mk/fuzz.mk's package target.
#
#   make fuzz              also runs fuzz-more (mk/fuzz.mk's target depends on it)
#   make fuzz-more         each target for FUZZ_TIME seconds (default 600)
#   make fuzz-short-more   each target for FUZZ_SHORT_TIME seconds (default 13,
#                          with the leak passes under 45 s for the three);
#                          `make test` runs it (CHECKS)
#   make fuzz-config       one target, FUZZ_TIME seconds (also fuzz-sqllint,
#                          fuzz-csv)
#
# As in mk/fuzz.mk, each target is compiled with clang together with the
# library files it reaches, -fsanitize=fuzzer,address,undefined, so the
# library code is instrumented for coverage and checked by ASan and UBSan.
# The committed seeds in tests/fuzz/corpus/TARGET stay put; what libFuzzer
# finds goes to build/fuzz/TARGET/corpus, a crash to build/fuzz/TARGET/crash-*.
# A crash found becomes a seed and a case in tests/unit/test_fuzz_regressions.c.
# tests/fuzz/lsan.supp names the one leak inside libconfig 1.5 that is not ours.

FUZZ_CC          ?= clang
FUZZ_TIME        ?= 600
FUZZ_SHORT_TIME  ?= 13
FUZZM_TARGETS     = config sqllint csv
FUZZM_CFLAGS      = -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                    -fno-sanitize-recover=undefined -Icommon \
                    $(shell $(PKG_CONFIG) --cflags libpq libconfig 2>/dev/null)
FUZZM_SRC_config  = common/config.c common/log.c common/util.c
FUZZM_LIBS_config = $(shell $(PKG_CONFIG) --libs libconfig libpq 2>/dev/null)
FUZZM_SRC_sqllint = common/sqllint.c common/util.c
FUZZM_LIBS_sqllint =
FUZZM_SRC_csv     = common/csvout.c common/util.c
FUZZM_LIBS_csv    = -lcsv
FUZZM_RUN_OPTS    = -max_len=8192 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
# A dictionary when the target has one (tests/fuzz/TARGET.dict).
FUZZM_DICT        = $(if $(wildcard tests/fuzz/$(1).dict),-dict=tests/fuzz/$(1).dict)

.PHONY: fuzz-more fuzz-short-more $(FUZZM_TARGETS:%=fuzz-%) $(FUZZM_TARGETS:%=fuzz-short-%)
fuzz: fuzz-more
CHECKS += fuzz-short-more

fuzz-more: $(FUZZM_TARGETS:%=fuzz-%)
fuzz-short-more: $(FUZZM_TARGETS:%=fuzz-short-%)

# $(1): target; the rule that builds build/fuzz/fuzz_TARGET
define FUZZM_BUILD
$(BUILD)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZM_SRC_$(1)) common/*.h
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZM_CFLAGS) -o $$@ $$< $(FUZZM_SRC_$(1)) $(FUZZM_LIBS_$(1))
endef
$(foreach t,$(FUZZM_TARGETS),$(eval $(call FUZZM_BUILD,$(t))))

# libconfig 1.5 leaks a token on most syntax errors (tests/fuzz/lsan.supp),
# and a leak check after each such input cuts fuzz_config's speed tenfold:
# it fuzzes without them, and the pass below checks every input it kept.
FUZZM_OPTS_config = -detect_leaks=0

# $(1): target, $(2): seconds. Fuzz, then run every corpus input once more
# with leak checks on (-runs=0: load the corpus, execute nothing new).
define FUZZM_RUN
	@mkdir -p $(BUILD)/fuzz/$(1)/corpus
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp:print_suppressions=0 \
		$(BUILD)/fuzz/fuzz_$(1) $(FUZZM_RUN_OPTS) $(FUZZM_OPTS_$(1)) $(call FUZZM_DICT,$(1)) \
		-max_total_time=$(2) -artifact_prefix=$(BUILD)/fuzz/$(1)/ \
		$(BUILD)/fuzz/$(1)/corpus tests/fuzz/corpus/$(1)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp:print_suppressions=0 \
		$(BUILD)/fuzz/fuzz_$(1) -runs=0 -detect_leaks=1 -max_len=8192 -artifact_prefix=$(BUILD)/fuzz/$(1)/ \
		$(BUILD)/fuzz/$(1)/corpus tests/fuzz/corpus/$(1) > $(BUILD)/fuzz/$(1)/leak-pass.log 2>&1 || \
		{ cat $(BUILD)/fuzz/$(1)/leak-pass.log; exit 1; }
	@echo "fuzz_$(1): no leak in the $$(find $(BUILD)/fuzz/$(1)/corpus tests/fuzz/corpus/$(1) -type f | wc -l) corpus inputs"
endef

$(FUZZM_TARGETS:%=fuzz-%): fuzz-%: $(BUILD)/fuzz/fuzz_%
	$(call FUZZM_RUN,$*,$(FUZZ_TIME))

$(FUZZM_TARGETS:%=fuzz-short-%): fuzz-short-%: $(BUILD)/fuzz/fuzz_%
	$(call FUZZM_RUN,$*,$(FUZZ_SHORT_TIME))
