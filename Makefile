# The README's commands. `make run` starts the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)
MANAGE := $(BIN)/python manage.py

.PHONY: install run test test-fast lint format typecheck bench clean

$(STAMP): requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

run: install
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0
	ICSVOICE_REQUIRE_MFA=0 $(MANAGE) seed_demo --banner
	ICSVOICE_REQUIRE_MFA=0 $(BIN)/honcho --procfile Procfile start

test: install
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy icsvoice groups boards engagement

clean:
	rm -rf $(VENV) var/static var/cache
