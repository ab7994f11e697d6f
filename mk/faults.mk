# faults.mk — crash consistency and concurrency trials (tests/faults/run).
#
#   make faults             the full suite: FAULTS_TRIALS (50) SIGKILL trials
#                           and FAULTS_RESTARTS (5) PostgreSQL restarts per job,
#                           concurrency and ledger writers; a new seed each
#                           time (printed), FAULTS_SEED=N to replay one
#   make check-faults-short 8 trials and 1 restart per job with a fixed seed,
#                           60 % of the data, smaller media, --workers 4 only
#                           in the concurrency part: 1.5 to 2.5 minutes;
#                           `make test` runs it (CHECKS)
#
# Both need every program built; the suite starts its own cluster.

FAULTS_TRIALS       ?= 50
FAULTS_RESTARTS     ?= 5
FAULTS_SHORT_SEED   ?= 7447

.PHONY: faults check-faults-short
CHECKS += check-faults-short

faults: all
	FAULTS_TRIALS=$(FAULTS_TRIALS) FAULTS_RESTARTS=$(FAULTS_RESTARTS) tests/faults/run

check-faults-short: all
	FAULTS_SCALE=60 FAULTS_MEDIA_MB=2 tests/faults/run --trials 8 --restarts 1 --seed $(FAULTS_SHORT_SEED) \
		--jobs "expire enforce escalate retain export"
