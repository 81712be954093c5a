# Stock-kernel VM tier (tests/vm/README.md): boots a Debian kernel with
# virtme-ng under TCG and runs the tests that need IPVS, IPIP/tunl0, ipvlan,
# dummy or vlan, which the CI machine's own kernel lacks.
VM_RESULTS := $(BUILD)/vm
# Installed with the others up front (run.sh checks again): `make test` runs this tier beside
# the host tiers, and two apt-get at once would collide on dpkg's lock.
DEB_PACKAGES += qemu-system-x86 busybox-static kmod ipvsadm

.PHONY: test-vm
test-vm: venv collection
	VM_VENV=$(VENV) VM_RESULTS=$(VM_RESULTS) VM_COLL_ROOT=$(COLL_ROOT) \
		$(CURDIR)/tests/vm/run.sh
