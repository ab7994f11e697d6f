# mk/ops.mk — operations: install and uninstall of the man pages, systemd
# units, crontab and alert rules, and the checks `make test` runs on them.
#
# The unit files in cron/systemd/ name /usr/local/bin (the default PREFIX) so
# they can be read and copied as they are; `make install` rewrites that to
# $(BINDIR), as it does the paths in the crontab and the man pages.
#
#   make install-ops      man pages, units, sysusers/tmpfiles, crontab, rules
#   make check-units      systemd-analyze verify and security --offline=yes
#   make check-man        groff -ww and man --warnings, every option documented
#   make check-rules      promtool check rules and promtool test rules
#   make check-metrics    promtool check metrics on the textfiles of real runs
#   make check-install    install into a temporary DESTDIR, run from it, uninstall
#   make check-demo       scripts/demo runs every step and says so

MANDIR       = $(PREFIX)/share/man
UNITDIR      = $(PREFIX)/lib/systemd/system
SYSUSERSDIR  = $(PREFIX)/lib/sysusers.d
TMPFILESDIR  = $(PREFIX)/lib/tmpfiles.d
OPS_UNITS    = $(sort $(wildcard cron/systemd/*.service cron/systemd/*.timer))
OPS_MAN      = $(sort $(wildcard man/*.[157]))
# Highest exposure `systemd-analyze security --offline=yes` may rate a unit,
# times ten (DESIGN §7 asks for 3.0 or less; the units reach 1.1).
UNIT_EXPOSURE_MAX ?= 20

# Rewrites the default install paths in a shipped file to this PREFIX's.
OPS_SED = sed -e 's|/usr/local/bin|$(BINDIR)|g' -e 's|/usr/local/share/vigil|$(SHAREDIR)|g'

.PHONY: install-ops uninstall-ops check-units check-man check-rules check-metrics check-install \
        check-demo

install: install-ops
uninstall: uninstall-ops
CHECKS += check-units check-man check-rules check-metrics check-install check-demo

install-ops:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SHAREDIR)
	for f in $(OPS_MAN); do \
		s=$${f##*.}; $(OPS_SED) $$f > $(DESTDIR)$(MANDIR)/man$$s/$${f#man/} && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$${f#man/} || exit 1; \
	done
	for f in $(OPS_UNITS); do \
		$(OPS_SED) $$f > $(DESTDIR)$(UNITDIR)/$${f#cron/systemd/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${f#cron/systemd/} || exit 1; \
	done
	install -m 0644 cron/systemd/vigil.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/vigil.conf
	install -m 0644 cron/systemd/vigil.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/vigil.conf
	$(OPS_SED) -e 's|^PATH=/usr/bin:/usr/bin:|PATH=/usr/bin:|' cron/vigil.crontab > $(DESTDIR)$(SHAREDIR)/vigil.crontab
	chmod 0644 $(DESTDIR)$(SHAREDIR)/vigil.crontab
	install -m 0644 cron/vigil.rules.yml $(DESTDIR)$(SHAREDIR)/vigil.rules.yml

uninstall-ops:
	rm -f $(foreach f,$(OPS_MAN),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(f)))/$(notdir $(f)))
	rm -f $(foreach f,$(OPS_UNITS),$(DESTDIR)$(UNITDIR)/$(notdir $(f)))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/vigil.conf $(DESTDIR)$(TMPFILESDIR)/vigil.conf
	rm -f $(DESTDIR)$(SHAREDIR)/vigil.crontab $(DESTDIR)$(SHAREDIR)/vigil.rules.yml

check-units: all
	UNIT_EXPOSURE_MAX=$(UNIT_EXPOSURE_MAX) tests/ops/check-units

check-man: all
	tests/ops/check-man

check-rules:
	tests/ops/check-rules

check-metrics: all
	tests/ops/check-metrics

check-install: all
	UNIT_EXPOSURE_MAX=$(UNIT_EXPOSURE_MAX) tests/ops/check-install

# The demo exits 1 when a step did not do what it should; keep its output
# for the log only when it fails.
check-demo: all
	@mkdir -p $(BUILD)
	@if scripts/demo > $(BUILD)/demo.log 2>&1 && grep -q 'every step did what it should' $(BUILD)/demo.log; then \
		echo "check-demo: $$(tail -n 1 $(BUILD)/demo.log)"; \
	else cat $(BUILD)/demo.log; echo "check-demo: failed"; exit 1; fi
