# vigil — build, test, bench, install, demo.
#
#   make               build common/libvigil.a and every program into bin/
#   make test          install what is missing, build, run every test
#   make demo          the whole story against a throwaway PostgreSQL
#   make bench         benchmarks with baselines measured in the same run
#   make install       PREFIX=/usr/local DESTDIR=
#   WERROR=1           warnings are errors (CI)
#   SANITIZE=1         AddressSanitizer + UndefinedBehaviorSanitizer

PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR      = $(PREFIX)/bin
SHAREDIR    = $(PREFIX)/share/vigil
VERSION     = 0.1.0

CC         ?= cc
PKG_CONFIG ?= pkg-config
PKGS        = libpq libconfig libzip openssl

# Flags from pkg-config, resolved once; libcsv ships no .pc file.
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv -lpthread
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wno-format-nonliteral -Wvla -Wpointer-arith
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPT     ?= -O2 -g
CFLAGS  ?=
LDFLAGS ?=
ALL_CFLAGS  = -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) -Icommon \
              -DVIGIL_VERSION='"$(VERSION)"' -DVIGIL_SHAREDIR='"$(SHAREDIR)"' $(CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)

ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
ALL_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=address,undefined
OPT = -O1 -g
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1:exitcode=86
endif

BUILD    = build
LIB      = $(BUILD)/libvigil.a
LIB_SRC  = $(sort $(wildcard common/*.c))
LIB_OBJ  = $(LIB_SRC:common/%.c=$(BUILD)/common/%.o)
PROG_SRC = $(sort $(wildcard jobs/vigil-*.c))
PROGS    = $(PROG_SRC:jobs/%.c=bin/%)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Checks that `make test` runs after the unit and integration tests; the
# fragments in mk/ add theirs (systemd units, man pages, metrics, fuzzing).
CHECKS =

.PHONY: all deps test unit-test integration-test lint-migrations bench demo install \
        uninstall clean check checks
all: $(LIB) $(PROGS)

-include mk/*.mk

# Rebuild everything when the compiler flags change (SANITIZE=1, WERROR=1).
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

$(BUILD)/common/%.o: common/%.c common/*.h $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

bin/%: jobs/%.c $(LIB) common/*.h $(BUILD)/.flags
	@mkdir -p bin
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) common/*.h $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS)

# Installs the Debian packages that are missing (as root), or prints the
# apt-get line to run.
deps:
	@scripts/deps $(if $(filter test demo bench fuzz,$(MAKECMDGOALS)),--test)

unit-test: $(UNITS)
	@pass=0; fail=0; for t in $(UNITS); do \
		if (cd tests/unit && ../../$$t); then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAILED: $$t"; fi; \
	done; echo "unit: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

lint-migrations: bin/vigil-migrate
	bin/vigil-migrate lint --migrations sql/migrations

integration-test: all
	tests/run-integration $(TESTS)

checks: $(CHECKS)

test: deps
	$(MAKE) all
	$(MAKE) unit-test
	$(MAKE) lint-migrations
	$(MAKE) integration-test
	$(MAKE) checks
	@echo "make test: all suites passed"

check: test

bench: deps all
	tests/bench/run $(BENCH)

demo: deps all
	scripts/demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/sql/migrations
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -m 0644 sql/migrations/*.sql $(DESTDIR)$(SHAREDIR)/sql/migrations/
	install -m 0644 config/vigil.conf $(DESTDIR)$(SHAREDIR)/vigil.conf.example

uninstall:
	rm -f $(PROGS:bin/%=$(DESTDIR)$(BINDIR)/%)
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf $(BUILD) bin
