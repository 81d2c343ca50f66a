# Desk Monitor — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# requirements.txt is what a person edits; requirements.lock (make lock) is the whole closure with hashes: what is installed.
STAMP  := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
PORT   ?= 8501

.PHONY: setup lock lint demo run test test-fast browser oidc bench clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

# After editing requirements.txt: pin the whole dependency closure, with every file's hash.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	    --no-emit-find-links -o requirements.lock requirements.txt

# ruff (lint and format) over the tree, mypy over lib/, queries/ and answers/ (pyproject.toml)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Build the embedded demo desk, or bring it up to now (rebuilt when too old), unless a ClickHouse is configured.
# The running app then keeps it live (lib/demo/feeder.py).
demo: setup
	@if [ -n "$$CLICKHOUSE_URL" ]; then echo "CLICKHOUSE_URL is set: not seeding the embedded demo"; \
	else $(BIN)/python -m cli demo; fi

# Headless (no browser is opened): the URL is printed. Listens on all interfaces; no sign-in unless [auth] is set.
run: demo
	@echo "Desk Monitor: open http://localhost:$(PORT) (headless, no browser is opened; listening on all interfaces" \
	     "on port $(PORT); no authentication unless [auth] is set in .streamlit/secrets.toml)"
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0 --server.headless true

browser:
	@bash scripts/ensure_chromium.sh

# The loopback OpenID Connect provider of the sign-in tests (npm's oidc-provider in tests/oidc, npm ci)
oidc:
	@bash scripts/ensure_oidc_provider.sh

test: setup browser oidc
	$(BIN)/python -m pytest -n 4 --dist loadgroup --no-loadscope-reorder

test-fast: setup
	$(BIN)/python -m pytest -m "not browser"

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data artifacts .pytest_cache tests/oidc/node_modules
