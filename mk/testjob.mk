# testjob.mk — vigil-testjob, the test-only program that exercises
# common/run.c against a real database (tests/integration/t_run.sh). It is
# built into build/tests/, never bin/, so `make install` never ships it.

$(BUILD)/tests/vigil-testjob: tests/helpers/vigil-testjob.c $(LIB) common/*.h $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

integration-test: $(BUILD)/tests/vigil-testjob
