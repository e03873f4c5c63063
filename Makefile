# flexlens: `make demo` runs the daily pipeline on the sample organisation; `make test` runs the suite.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(PYTHON) -m uv
VENV_BIN := .venv/bin

export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: demo test dev bench lint install install-dev uv clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user "uv==$(UV_VERSION)" \
		|| $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"

install: uv
	$(UV) sync --frozen --inexact --python $(PYTHON)

install-dev: uv
	$(UV) sync --frozen --extra dev --python $(PYTHON)

demo: install
	$(VENV_BIN)/flexlens demo

test: install-dev
	$(VENV_BIN)/flexlens parse
	$(VENV_BIN)/ruff check connectors orchestration tests benchmarks
	$(VENV_BIN)/pytest

dev: install
	$(VENV_BIN)/flexlens dev

bench: install-dev
	$(VENV_BIN)/python -m benchmarks.bench_pipeline

lint: install-dev
	$(VENV_BIN)/ruff check connectors orchestration tests benchmarks
	$(VENV_BIN)/ruff format --check connectors orchestration tests benchmarks

clean:
	rm -rf data/warehouse data/exports data/dagster_home dbt_project/target dbt_project/logs
