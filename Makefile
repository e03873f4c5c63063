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

.PHONY: demo test dev bench lint install install-dev install-engines uv clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user "uv==$(UV_VERSION)" \
		|| $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"

install: uv
	$(UV) sync --frozen --inexact --python $(PYTHON)

# the tests run the project on all three engines: PostgreSQL's and Spark's dbt adapters too
install-dev: uv
	$(UV) sync --frozen --extra dev --extra postgres --extra spark --python $(PYTHON)

# `make install-engines` adds PostgreSQL's and Spark's dbt adapters to the default install
install-engines: uv
	$(UV) sync --frozen --inexact --extra postgres --extra spark --python $(PYTHON)

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
