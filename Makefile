# ars_analysis — set-up, reports, tests and benchmarks.
# Needs only Python 3.11 and make: every target creates the virtual environment itself
# from the pinned versions in requirements/lock.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# The stamp changes whenever the pinned requirements or the package metadata change.
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv report test lint format bench bench-quick lab references clean browser office

help:
	@echo "make report       set up and render the sample client reports into reports/"
	@echo "make test         set up and run every test (incl. a real-browser test), ruff lint and format checks"
	@echo "make test-fast    the unit tier: no notebook execution, no rendered batch, no slow test (< 1 min)"
	@echo "make bench        run all benchmarks (full sizes; slow)   make bench-quick: small sizes"
	@echo "make lab          open JupyterLab with the package and a registered kernel"
	@echo "make references  regenerate the nbval reference notebooks in tests/notebooks/"

$(STAMP): requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(BIN)/ars render --jobs 2

# Debian's chromium (and CJK fonts, so screenshots show Chinese) for the real-browser test
# (tests/test_browser.py): installed when missing and
# when running as root with apt-get; otherwise that test is skipped and says why.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } \
	    || echo "chromium could not be installed: the browser test will be skipped"; \
	else echo "chromium is missing and cannot be installed here (needs root and apt-get): the browser test will be skipped"; fi

# Debian's LibreOffice Impress (and poppler-utils' pdfinfo) for the deck-to-PDF test
# (tests/test_deck.py): installed like chromium above, when missing and running as root with
# apt-get; otherwise that test is skipped and says why. Measured: about 80 s with
# --no-install-recommends after apt-get update (200 MB).
office:
	@if command -v soffice >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's LibreOffice Impress for the deck PDF test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-impress poppler-utils fonts-noto-cjk >/dev/null; } \
	    || echo "LibreOffice could not be installed: the deck PDF test will be skipped"; \
	else echo "LibreOffice is missing and cannot be installed here (needs root and apt-get): the deck PDF test will be skipped"; fi

# --dist loadgroup: the tests that share the rendered test batch (xdist_group "rendered_batch")
# run in one worker, so the batch is rendered once.
test: $(STAMP) browser office
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadgroup --doctest-modules ars_analysis tests
	$(BIN)/pytest -p no:xdist --nbval tests/notebooks --nbval-sanitize-with tests/notebooks/sanitize.cfg

# The unit tier: no notebook is executed, no batch rendered, no test marked slow (< 1 min).
.PHONY: test-fast
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m "not slow and not notebook" --doctest-modules ars_analysis tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --quick

lab: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name ars_analysis --display-name "Python (ars_analysis)"
	cd notebooks && ../$(BIN)/jupyter lab

references: $(STAMP)
	$(BIN)/python tests/notebooks/make_references.py

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache build *.egg-info
