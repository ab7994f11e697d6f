# badinput.mk — the bad-input suite (tests/badinput/): every program fed
# wrong options, broken configuration, unreachable or unprepared databases,
# damaged migration sets and packages, each case checked for its exit code,
# its one-line message and the state it leaves. It starts its own throwaway
# cluster and takes under two minutes.
#
#   make check-badinput                      every case (`make test` runs it)
#   make check-badinput BADINPUT=export-     the cases whose id matches a regex

BADINPUT ?=

.PHONY: check-badinput
CHECKS += check-badinput

check-badinput: all
	tests/badinput/run $(BADINPUT)
