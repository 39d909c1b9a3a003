# nrcms — the two commands: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# pytest-xdist workers: one per core (each loads the demo county once into its own test database); an idle worker
# takes tests queued for a busy one (worksteal), so the run does not end with one worker alone
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

# The demo county: 户县's shape at DEMO_PERSONS agricultural persons (4 townships), settled under 户县's 新农合
# scheme. An existing demo database is kept; `make clean demo` builds it afresh.
DEMO_PERSONS ?= 20000
DEMO_SCHEME  := nrcms/policy/schemes/huxian-2005.yaml

demo: migrate
	@if $(BIN)/nrcms shell --no-imports -c "from nrcms.demo.build import database_is_empty as e; raise SystemExit(0 if e() else 1)"; then \
		NRCMS_SCHEME_FILE=$(DEMO_SCHEME) $(BIN)/nrcms demo build --persons $(DEMO_PERSONS); \
	else echo "演示数据库已存在（var/nrcms.sqlite3），直接启动；重新生成请先 make clean"; $(BIN)/nrcms demo logins; fi
	@echo "打开 http://127.0.0.1:$(PORT)/ ，用上面的演示账号登录（Ctrl+C 停止）"
	NRCMS_SCHEME_FILE=$(DEMO_SCHEME) $(BIN)/nrcms runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

e2e: install
	$(BIN)/python -m pytest tests/e2e

lint: install
	$(BIN)/ruff check .

bench: install
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf var/nrcms.sqlite3* .pytest_cache test-artifacts
