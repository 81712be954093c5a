# Release readiness (tests/release):
#   make docs           render the module/role/plugin reference into docs/reference with
#                       antsibull-docs; committed, since GitHub renders it and the README links it
#   make release-check  docs up to date and lint-clean, tarball built with build_ignore proven,
#                       galaxy-importer clean, the installed tarball runs a module and a role
#   make matrix         the newest ansible-core on Python 3.12: unit, sanity, installed-tarball smoke
RELEASE_DIR    = $(abspath $(COLL_ROOT)/..)/release
MATRIX_DIR     = $(abspath $(COLL_ROOT)/..)/matrix
MATRIX_VENV   := $(BUILD)/venv-py312
MATRIX_PYTHON ?= $(shell PYENV_VERSION=3.12 pyenv which python3.12 2>/dev/null || command -v python3.12)

.PHONY: docs release-check matrix

docs: venv collection
	$(PY) tests/release/docs.py docs/reference

release-check: venv packages collection
	tests/release/check.sh $(BIN) $(COLL) $(RELEASE_DIR)

matrix: packages collection $(MATRIX_VENV)/.installed
	tests/release/matrix.sh $(MATRIX_VENV) $(COLL) $(MATRIX_DIR)

# The newest ansible-core when this venv is made; matrix.sh prints the version it tests.
$(MATRIX_VENV)/.installed: tests/release/matrix-requirements.txt
	@test -n "$(MATRIX_PYTHON)" || { echo "matrix: needs Python 3.12 (pyenv install 3.12, or python3.12 on PATH)" >&2; exit 1; }
	rm -rf $(MATRIX_VENV) && $(MATRIX_PYTHON) -m venv $(MATRIX_VENV)
	$(MATRIX_VENV)/bin/python -m pip install -q -r $<
	touch $@
