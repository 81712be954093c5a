# Stock-kernel VM tier (tests/vm/README.md): boots a Debian kernel with
# virtme-ng under TCG and runs the tests that need IPVS, IPIP/tunl0, ipvlan,
# dummy or vlan, which the CI machine's own kernel lacks.
VM_RESULTS := $(BUILD)/vm
# What run.sh needs on the host (it checks them and installs what is missing). Installed
# with the others up front too: `make test` runs this tier beside the host tiers, and two
# apt-get at once would collide on dpkg's lock.
export VM_DEB_PACKAGES := qemu-system-x86 busybox-static kmod ipvsadm iproute2 dropbear-bin socat openssh-client
DEB_PACKAGES += $(VM_DEB_PACKAGES)

.PHONY: test-vm
test-vm: venv collection
	VM_VENV=$(VENV) VM_RESULTS=$(VM_RESULTS) VM_COLL_ROOT=$(COLL_ROOT) \
		$(CURDIR)/tests/vm/run.sh
