VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA ?= ./br_data
HTTP ?= 127.0.0.1:8090

.PHONY: run test lint typecheck unit compat bench soak sqlmap clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/backroom serve --http $(HTTP) --dir $(DATA)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# the official PocketBase JS SDK, for the tests that drive Backroom with it
JS_DEPS := tests/js/node_modules/.installed
$(JS_DEPS): tests/js/package.json
	cd tests/js && npm install --no-audit --no-fund --loglevel=error
	touch $(JS_DEPS)

unit: $(STAMP) $(JS_DEPS)
	$(VENV)/bin/pytest -q -n 2

test: lint typecheck unit

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/rules.py
	$(PY) bench/auth.py
	$(PY) bench/files.py
	$(PY) bench/realtime.py

soak: $(STAMP)
	$(PY) bench/run.py --duration 60 --repeat 1 --no-write
	$(PY) bench/rules.py --duration 60 --repeat 1 --no-write
	$(PY) bench/auth.py --duration 60 --repeat 1 --no-write
	$(PY) bench/files.py --duration 60 --repeat 1 --no-write
	$(PY) bench/realtime.py --subscribers 1000 --duration 60 --saturate 50,100

sqlmap: $(STAMP)
	$(PY) -m pip install -q sqlmap
	cd bench && $(abspath $(PY)) sqlmap_scan.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/js/node_modules
