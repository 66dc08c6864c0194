# Two commands are all the set-up there is: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install clean

run: $(STAMP)
	$(BIN)/sandbox serve --host 127.0.0.1 --port 8080

test: $(STAMP)
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
