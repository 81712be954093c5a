# vnet.linux: `make test` installs everything a fresh Debian machine needs and
# runs every tier; `make lab` runs the self-contained netns labs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV        := $(CURDIR)/.venv
PY          := $(VENV)/bin/python
BIN         := $(VENV)/bin
export PATH := $(BIN):$(PATH)
# ansible-test and the VM tier need the collection under .../ansible_collections/vnet/linux,
# outside this git work tree (ansible-test would list files through git and see none).
BUILD       := $(CURDIR)/build
COLL_ROOT   ?= /tmp/vnet-linux-$(shell echo $(CURDIR) | md5sum | cut -c1-8)/collections
COLL        := $(COLL_ROOT)/ansible_collections/vnet/linux
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
# Collections the modules' roles use (ansible.posix, community.general) come
# from the 'ansible' PyPI bundle inside the venv: Galaxy is not reachable here.
DEB_PACKAGES := iproute2 iputils-ping tcpdump jq libcap2-bin util-linux
ANSIBLE_TEST := cd $(COLL) && $(BIN)/ansible-test
VM_TARGETS    = $(shell tests/vm/list-targets.sh)

.PHONY: help venv packages collection test unit sanity lint integration lab bench clean

help:
	@echo "make lab          run the self-contained netns labs on this host"
	@echo "make test         install everything and run every test tier:"
	@echo "                  unit, sanity, lint, integration (host kernel), test-vm (stock kernel)"
	@echo "make bench        print the performance ratios (benchmarks/)"

venv: $(VENV)/.installed
$(VENV)/.installed: tests/requirements.txt requirements.txt
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r tests/requirements.txt -r requirements.txt
	touch $@

packages:
	@missing=$$(for p in $(sort $(DEB_PACKAGES)); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi

# A clean copy of the tracked (and new, unignored) files: what ansible-test sees.
collection:
	rm -rf $(COLL) && mkdir -p $(COLL)
	git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(COLL)

# The VM tier (its own kernel; ~6 min alone, the host tiers ~10) runs beside the host tiers, one after
# the other, so `make test` takes about the longer of the two rather than their sum. It tests a
# copy of the collection of its own: each host tier rebuilds theirs. Its output follows theirs.
HOST_TIERS := unit sanity lint integration reliability molecule-vepa release-check matrix
VM_LOG     := $(BUILD)/test-vm.log
test: venv packages
	@mkdir -p $(BUILD); vm_rc=0 host_rc=0; \
	$(MAKE) --no-print-directory test-vm COLL_ROOT=$(COLL_ROOT)-vm >$(VM_LOG) 2>&1 & vm=$$!; \
	$(MAKE) --no-print-directory $(HOST_TIERS) || host_rc=$$?; \
	echo "===== test-vm (ran beside the host tiers; log: $(VM_LOG))"; \
	wait $$vm || vm_rc=$$?; cat $(VM_LOG); \
	if [ $$host_rc = 0 ] && [ $$vm_rc = 0 ]; then echo "tiers: $(words $(HOST_TIERS) test-vm) passed, 0 failed"; \
	else echo "tiers: FAILED (host tiers: exit $$host_rc, test-vm: exit $$vm_rc)"; exit 1; fi

unit: venv collection
	cd $(COLL) && $(PY) -m pytest -q tests/unit tests/vm -p no:cacheprovider

# ansible-test bootstraps pip in its sanity venvs with a script from a host this
# network cannot reach; tests/tools/get_pip_offline.py stands in for it (see there).
GET_PIP_CACHE = $(HOME)/.ansible/test/cache/get_pip_$(subst .,_,$(shell $(PY) -c \
	"import types; from ansible_test._internal.python_requirements import get_venv_packages as g; \
	print(g(types.SimpleNamespace(version='3.11'))['pip'])")).py

sanity: venv collection
	mkdir -p $(dir $(GET_PIP_CACHE)) && cp tests/tools/get_pip_offline.py $(GET_PIP_CACHE)
	$(ANSIBLE_TEST) sanity --local --python 3.11 --color no

lint: venv collection
	cd $(COLL) && $(BIN)/ansible-lint --profile production --offline

# Host-kernel targets; those needing the stock kernel run in test-vm instead.
integration: venv packages collection
	@for t in $(VM_TARGETS); do echo "integration: skipping $$t: runs in the VM tier"; done
	$(ANSIBLE_TEST) integration --local --allow-root --allow-destructive --python 3.11 --color no \
		$(foreach t,$(VM_TARGETS),--exclude $(t))

lab: venv packages collection
	$(BIN)/ansible-playbook -i localhost, -c local playbooks/lab/basic.yml

# Performance figures (ratios against ip -batch and ansible.builtin.command, measured in one
# run); printed, never asserted: these machines are shared and noisy.
# The IPVS benchmark needs IPVS: in the stock-kernel VM when this kernel lacks it.
bench: venv packages collection
	$(PY) benchmarks/run_bench.py
	$(call on_lvs_kernel,$(PY) benchmarks/ipvs_bench.py,bench (IPVS))

clean:
	rm -rf $(BUILD) $(COLL_ROOT) $(COLL_ROOT)-vm tests/output

include tests/vm/vm.mk
include tests/release/release.mk
include tests/reliability/reliability.mk
include tests/scenarios.mk
