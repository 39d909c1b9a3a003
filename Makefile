# nrcms — the two commands: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# pytest-xdist workers: one per core (each loads the demo county once into its own test database)
TEST_WORKERS ?= auto
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench install migrate serve clean e2e

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/nrcms migrate --no-input -v 0

demo: migrate
	$(BIN)/nrcms demo load
	@echo "打开 http://127.0.0.1:$(PORT)/ ，用上面的演示账号登录（Ctrl+C 停止）"
	$(BIN)/nrcms runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

e2e: install
	$(BIN)/python -m pytest tests/e2e

lint: install
	$(BIN)/ruff check .

bench: install
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf var/nrcms.sqlite3* .pytest_cache test-artifacts
