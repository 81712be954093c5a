# Reliability tier (tests/reliability, issue 9): bad input, check-mode invariance, races,
# faults, large and odd states, security; on this host's kernel, as root, in namespaces
# named vnet-rel-*. Its stock_kernel cases (IPVS, ipvlan, ipip) run in the VM tier, which
# runs `pytest -m stock_kernel` over tests/. The counts and times are printed at the end
# and kept in $(RELIABILITY_COUNTS). Included at the end of the top Makefile.
RELIABILITY_COUNTS = $(BUILD)/reliability-counts.json

.PHONY: reliability
reliability: venv packages collection
	mkdir -p $(BUILD)
	cd $(COLL) && RELIABILITY_COUNTS=$(RELIABILITY_COUNTS) $(PY) -m pytest -q -p no:cacheprovider \
		--durations=5 tests/reliability
