# Two commands are all the set-up there is: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install clean bench lock tools

# `make run PORT=9000 HOST=0.0.0.0`, or SANDBOX_PORT / SANDBOX_HOST in the environment (default 127.0.0.1:8080).
# Only a PORT or HOST given on make's command line counts: one merely set in the environment is not ours.
run: $(STAMP)
	$(BIN)/sandbox serve $(if $(filter command line,$(origin PORT)),--port $(PORT)) \
	  $(if $(filter command line,$(origin HOST)),--host $(HOST))

test: $(STAMP) tools
	$(BIN)/python -m pytest
	$(BIN)/sandbox check

install: $(STAMP)

# Reinstall whenever the project's metadata changes; the package itself is installed editable.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache dist build

# Speed against the floor of the stack (bench/run.py); BENCH_ARGS=--quick for a shorter run. wrk is the
# load generator when present, else a Python one.
bench: $(STAMP) tools
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# What the tests drive besides Python, from Debian's packages when missing and we are root: wrk, which make
# bench loads with (tests/test_bench.py), and php-cli, which checks json_encode's bytes (tests/core/test_wire.py).
tools:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get install -y -qq wrk >/dev/null; } || echo "wrk not available: make bench uses its Python load generator"
	@command -v php >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get install -y -qq php-cli >/dev/null; } || echo "php-cli not available: a test in tests/core/test_wire.py fails"

# The Docker image's pinned, hashed dependencies (requirements.lock), from pyproject.toml; uv resolves them for
# Python 3.11 on every platform.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	{ sed -n '1,3p' requirements.lock; $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	  --generate-hashes --no-header; } > requirements.lock.new && mv requirements.lock.new requirements.lock
