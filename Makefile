# vnet.linux — everything a fresh machine needs is installed by these targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV        := $(CURDIR)/.venv
PY          := $(VENV)/bin/python
BIN         := $(VENV)/bin
# ansible-test needs the collection under .../ansible_collections/<ns>/<name>.
BUILD       := $(CURDIR)/build
COLL_ROOT   := $(BUILD)/collections
COLL        := $(COLL_ROOT)/ansible_collections/vnet/linux
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT):$(VENV)/lib/python3.11/site-packages

help:
	@echo "make lab   - run the self-contained netns labs on this host"
	@echo "make test  - install everything and run every test tier"

include tests/vm/vm.mk
