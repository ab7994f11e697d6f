# lint.mk — static analysis of common/ and jobs/, and the demo under valgrind.
#
#   make lint            lint-cppcheck and lint-clang-tidy (try make -j2 lint)
#   make lint-cppcheck   cppcheck: warning, style, performance, portability
#   make lint-clang-tidy clang-tidy with the checks of .clang-tidy, one file
#                        at a time, again only for files changed since
#   make valgrind-demo   scripts/demo with every vigil program it runs under
#                        valgrind memcheck; any memory error or definite leak
#                        fails it (logs in build/valgrind/)
#
# Every finding is an error. A cppcheck finding examined and found false is
# suppressed below by check and file, with the reason; they are kept out of
# the sources, which belong to their modules' authors.

CPPCHECK      ?= cppcheck
CLANG_TIDY    ?= clang-tidy
VALGRIND      ?= valgrind
LINT_SRC       = $(sort $(wildcard common/*.c jobs/vigil-*.c))
# clang-tidy compiles each file as the build does (no -Werror: its own
# findings are what counts here)
LINT_CFLAGS    = -std=gnu11 $(PKG_CFLAGS) -Icommon -DVIGIL_VERSION='"$(VERSION)"' \
                 -DVIGIL_SHAREDIR='"$(SHAREDIR)"'

# variableScope: declaring at the top of a block is the PostgreSQL style
#   STYLE.md follows.
# readdirCalled: readdir_r is deprecated by glibc; readdir on a stream of
#   one's own is thread-safe.
# arrayIndexThenCheck in package.c: `sorted[i - 2]` is guarded by `i < 2 ||`
#   before it, sorted[i] is in bounds (i < n); cppcheck misreads the order.
# knownConditionTrueFalse in sqllint.c: both conditions it calls constant
#   (`p[1] == '\n'` after a backslash in scan_quoted, `end - p < 12` in
#   parse_allow) vary with the input; tests/unit/test_sqllint.c takes both ways.
CPPCHECK_FLAGS = --quiet --error-exitcode=1 --inline-suppr --std=c11 --library=posix \
                 --enable=warning,style,performance,portability -Icommon \
                 --suppress=missingIncludeSystem --suppress=variableScope --suppress=readdirCalled \
                 --suppress=arrayIndexThenCheck:common/package.c \
                 --suppress=knownConditionTrueFalse:common/sqllint.c \
                 --template='{file}:{line}: {severity}: {id}: {message}'

VALGRIND_WRAP  = $(VALGRIND) --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                 --show-leak-kinds=definite --track-origins=yes \
                 --log-file=$(CURDIR)/$(BUILD)/valgrind/%p.log

.PHONY: lint lint-cppcheck lint-clang-tidy valgrind-demo

lint: lint-cppcheck lint-clang-tidy

lint-cppcheck:
	$(CPPCHECK) $(CPPCHECK_FLAGS) $(LINT_SRC)

LINT_STAMPS = $(LINT_SRC:%.c=$(BUILD)/lint/%.tidy)

lint-clang-tidy: $(LINT_STAMPS)

$(BUILD)/lint/%.tidy: %.c common/*.h .clang-tidy
	@mkdir -p $(dir $@)
	$(CLANG_TIDY) --quiet $< -- $(LINT_CFLAGS)
	@touch $@

# The demo exits 1 when a step failed, and a program exits 99 on a valgrind
# error, which the demo takes for a failed step; the logs name the error.
valgrind-demo: all
	@rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	@if VIGIL_WRAP="$(VALGRIND_WRAP)" scripts/demo > $(BUILD)/valgrind/demo.log 2>&1 && \
		grep -q 'every step did what it should' $(BUILD)/valgrind/demo.log; then ok=1; else ok=0; fi; \
	runs=$$(ls $(BUILD)/valgrind/*.log | grep -vc demo.log); \
	bad=$$(grep -l 'ERROR SUMMARY: [1-9]' $(BUILD)/valgrind/[0-9]*.log 2>/dev/null); \
	if [ $$ok = 1 ] && [ -z "$$bad" ]; then \
		echo "valgrind-demo: $$runs program runs under memcheck, no error, no definite leak"; \
	else \
		[ $$ok = 1 ] || { cat $(BUILD)/valgrind/demo.log; echo "valgrind-demo: the demo failed"; }; \
		for f in $$bad; do echo "== $$f"; cat $$f; done; \
		echo "valgrind-demo: failed"; exit 1; \
	fi

# cppcheck is fast (seconds): every `make test` runs it. clang-tidy takes
# minutes on this machine, so it runs with `make lint` only.
CHECKS += lint-cppcheck
