# The README's commands. `make run` starts the embedded default; `make test` runs the suite.
PYTHON ?= python3
# COLLECTSTATIC=0 skips collecting the static files before the tests (CI collects them once,
# then runs two suites side by side).
COLLECTSTATIC ?= 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)
MANAGE := $(BIN)/python manage.py

.PHONY: install assets run test test-fast lint format typecheck schema bench bench-faults clean

$(STAMP): requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# nhsuk-frontend's CSS, JS and images, built into static/dist (git-ignored) when it is missing
# or older than the npm lock file or our sources.
ASSETS_STAMP := static/dist/.built
$(ASSETS_STAMP): package.json package-lock.json $(shell find static/src -type f 2>/dev/null)
	npm ci --no-audit --no-fund --ignore-scripts
	npm run build
	@touch $@

assets: $(ASSETS_STAMP)

run: install assets
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0
	ICSVOICE_REQUIRE_MFA=0 $(MANAGE) seed_demo --banner
	ICSVOICE_REQUIRE_MFA=0 $(BIN)/supervisord --configuration supervisord.conf

test: install assets
	@command -v chromium >/dev/null 2>&1 || command -v $${ICSVOICE_CHROMIUM:-chromium} >/dev/null 2>&1 \
		|| echo "NOTE: no Chromium found, so the browser tests will be SKIPPED (apt-get install chromium)."
	@if [ "$(COLLECTSTATIC)" != 0 ]; then $(MANAGE) collectstatic --no-input --verbosity 0; fi
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy icsvoice groups boards engagement

# The API's OpenAPI schema, kept in the repository; a test fails when it differs from the code.
schema: install
	$(MANAGE) spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

# Speed and memory targets (never timed unit tests). Each benchmark prints its figures, writes
# bench/results/<name>.json (git-ignored) and fails when it misses its target. Set
# DATABASE_URL to a PostgreSQL server to measure on it; otherwise SQLite, and the England-scale
# ones say they need PostgreSQL. SCALE=0.1 makes the England-scale database a tenth the size.
SCALE ?= 1
bench: install assets
	$(BIN)/python -m bench.packs
	$(BIN)/python -m bench.emails
	$(BIN)/python -m bench.audit
	$(BIN)/python -m bench.england --scale $(SCALE)
	$(BIN)/python -m bench.load --scale $(SCALE)

# Faults under load: SIGKILL a Celery worker, restart Redis, restart PostgreSQL (this machine's
# own services: run it where nothing else needs them). A tenth of England's scale by default.
FAULT_SCALE ?= 0.1
bench-faults: install assets
	$(BIN)/python -m bench.faults --scale $(FAULT_SCALE)

clean:
	rm -rf $(VENV) var/static var/cache
