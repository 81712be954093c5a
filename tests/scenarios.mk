# Scenario tier (DESIGN.md): playbooks/lab and molecule build multi-host
# topologies from network namespaces and prove them with real traffic.
# LVS-TUN needs IPVS and IPIP; where this kernel lacks them (the CI machine) it
# runs inside the stock-kernel VM (tests/vm/run.sh), and says so.
# Included at the end of the top Makefile.

# The labs' client fetches pages with curl; the director is read with ipvsadm.
DEB_PACKAGES += curl ipvsadm

comma := ,
VM_LAB = VM_VENV=$(VENV) VM_COLL_ROOT=$(COLL_ROOT) VM_RESULTS=$(BUILD)/vm-lab $(CURDIR)/tests/vm/run.sh
# Runs a command in the collection copy here when this kernel has IPVS and IPIP
# (loading them if they are modules), else in the stock-kernel VM.
define on_lvs_kernel
	@modprobe -q ip_vs 2>/dev/null || true; modprobe -q ipip 2>/dev/null || true
	@if [ -d /proc/sys/net/ipv4/vs ] && [ -d /sys/module/ipip ]; then \
		cd $(COLL) && $(1); \
	else \
		echo "$(2): this kernel has no IPVS/IPIP: running it inside the stock-kernel VM (tests/vm)"; \
		$(VM_LAB) $(1); \
	fi
endef

.PHONY: lab-vepa lab-lvs-tun molecule molecule-vepa molecule-lvs-tun

# `make lab` runs these before its own recipe (the basic lab).
lab: lab-vepa lab-lvs-tun

lab-vepa: venv packages collection
	cd $(COLL) && $(BIN)/ansible-playbook -i localhost, playbooks/lab/vepa.yml

lab-lvs-tun: venv packages collection
	$(call on_lvs_kernel,$(BIN)/ansible-playbook -i localhost$(comma) playbooks/lab/lvs_tun.yml,lab-lvs-tun)

# The molecule tier: both scenarios, converge + idempotence + verify with traffic.
molecule: molecule-vepa molecule-lvs-tun

molecule-vepa: venv packages collection
	cd $(COLL) && $(BIN)/molecule test -s vepa

molecule-lvs-tun: venv packages collection
	$(call on_lvs_kernel,$(BIN)/molecule test -s lvs_tun,molecule-lvs-tun)
