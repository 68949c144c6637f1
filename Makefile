# msckg: two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# setuptools prints an informational notice on every editable install ("Editable installation ...
# be careful with folders in your working directory"); it is not about this project, so it is muted.
PIP_QUIET := PYTHONWARNINGS="ignore:Editable installation"

.PHONY: run test build bench bench-100k docs java virtuoso clean help reason reason-data sssom sssom-check test-ontology embeddings fuzz context sssom-py release ontology-report
.PHONY: chromium yasgui screenshots load serve

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 'setuptools>=77' wheel  # setuptools/wheel: tests/test_install.py builds the wheel offline
	$(PIP_QUIET) $(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)  ## create the environment, build the graph, answer a cross-study question
	$(BIN)/msckg build
	$(BIN)/msckg -q ask trials
	$(BIN)/msckg ask adverse-events -p class=msckg:AE_Haemorrhage -p min_grade=3 --limit 12

build: $(STAMP)  ## build the graph into ./store
	$(BIN)/msckg build

embeddings: $(STAMP)  ## optional: semantic similarity for search/link (CPU torch first, then the extra; then rebuild)
	$(BIN)/pip install -q "torch==$${TORCH_VERSION:-2.13.0}"
	$(PIP_QUIET) $(BIN)/pip install -q -e '.[test,embeddings]'
	$(BIN)/msckg build

java:  ## make sure Java (for HermiT) is present; install it with apt-get when we can
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Java not found: installing default-jre-headless (HermiT needs it)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else echo "Java not found: install a JRE (e.g. 'sudo apt-get install default-jre-headless'); the reasoning tests need it" >&2; exit 1; fi; }
	@java -version 2>&1 | head -1

# sssom-py validates every SSSOM file the project writes (tests/test_sssom_files.py). It lives in a venv of
# its own: its ~100 dependencies stay out of the project's environment (docs/decisions/0011, 0050).
SSSOM_VENV  := .venv-sssom
SSSOM_STAMP := $(SSSOM_VENV)/.installed
SSSOM_PY    ?= sssom>=0.4.21,<0.5

$(SSSOM_STAMP):
	@test -d $(SSSOM_VENV) || $(PYTHON) -m venv $(SSSOM_VENV)
	$(SSSOM_VENV)/bin/pip install -q '$(SSSOM_PY)'
	@touch $(SSSOM_STAMP)

sssom-py: $(SSSOM_STAMP)  ## the sssom-py validator in its own venv (.venv-sssom), for the tests

virtuoso:  ## make sure Virtuoso 7 (a second real SPARQL server for the compliance suite) is present; apt-get when we can
	@command -v virtuoso-t >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Virtuoso not found: installing virtuoso-opensource-7-bin (the server binary; no system service is started)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null; \
	  else echo "Virtuoso not found: the compliance tests against it will skip (sudo apt-get install virtuoso-opensource-7-bin)" >&2; fi; }

# the suite runs on every core (pytest-xdist), a test file per worker so its module fixtures are built once
# (docs/decisions/0165); TEST_WORKERS=0 runs it in one process
TEST_WORKERS ?= auto
test: $(STAMP) java virtuoso $(SSSOM_STAMP) chromium yasgui  ## set up what the tests need and run them
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

BENCH_SIZES ?= 1000 10000
bench: $(STAMP)  ## the real pipeline at BENCH_SIZES trials (default "1000 10000"), each figure beside a baseline; JSON in .bench/
	BENCH_SIZES="$(BENCH_SIZES)" $(BIN)/python -m benchmarks.pipeline
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/pool.py
	$(BIN)/python benchmarks/ctgov_loader.py

fuzz: $(STAMP)  ## hypothesis at 10,000 examples per property + atheris 10,000 runs per entry point -> fuzz/last-run.md
	$(PIP_QUIET) $(BIN)/pip install -q -e '.[test,fuzz]'
	$(BIN)/python fuzz/run.py

bench-100k: $(STAMP)  ## the pipeline at 100,000 trials (no rdflib/pyshacl baselines: they cannot finish)
	$(BIN)/python -m benchmarks.pipeline 100000 --no-baselines --out .bench/results-100k.json

clean:  ## remove the environment and the store
	rm -rf $(VENV) $(SSSOM_VENV) store release

# ---- ontology: reasoning, SSSOM, HTML reference ----

reason: $(STAMP) java  ## HermiT: the ontology is consistent, no unsatisfiable classes (~2 s)
	$(BIN)/python -m msckg.graph.ontology.reason

reason-data: $(STAMP) java  ## HermiT on the ontology plus every curated record (domains, ranges, disjointness; minutes)
	$(BIN)/python -m msckg.graph.ontology.reason --with-data

sssom: $(STAMP)  ## regenerate ontology/mappings.sssom.tsv from the ontology's alignments
	$(BIN)/python -m msckg.graph.ontology.sssom

sssom-check: $(STAMP)  ## fail if ontology/mappings.sssom.tsv is out of date
	$(BIN)/python -m msckg.graph.ontology.sssom --check

context: $(STAMP)  ## regenerate ontology/context.jsonld (the JSON-LD context) from the ontology and prefixes
	$(BIN)/python -m msckg.graph.ontology.context

release: $(STAMP)  ## ontology release files into ./release (git-ignored): msckg.owl, -base.owl, .json, shapes, SSSOM
	$(BIN)/python -m msckg.graph.ontology.release release

ontology-report: $(STAMP)  ## ROBOT-style QC table of the ontology (queries/ontology-qc); exit 1 on any ERROR row
	$(BIN)/python -m msckg.graph.ontology.report

docs: $(STAMP)  ## HTML reference of the ontology -> docs/ontology/index.html (git-ignored)
	$(BIN)/python -m msckg.graph.ontology.docs

test-ontology: $(STAMP) java  ## the ontology's own tests (labels, alignments, SSSOM, HermiT)
	$(BIN)/python -m pytest tests/test_ontology.py tests/test_reasoning.py

# ---- serving: the SPARQL editor, the browser tests, screenshots, the load test ----

YASGUI_VERSION ?= 4.6.2
YASGUI_DIR := graph/serve/static
CHROMIUM ?= /usr/bin/chromium
LOAD_STORE ?= build/load-10k
LOAD_TRIALS ?= 10000
LOAD_USERS ?= 8
LOAD_SECONDS ?= 60

yasgui: $(YASGUI_DIR)/yasgui.min.js  ## vendor YASGUI from npm into the static folder (no CDN at run time)

$(YASGUI_DIR)/yasgui.min.js:
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: the SPARQL editor page falls back to a plain form (install nodejs/npm for YASGUI)" >&2; exit 1; }
	@tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent @zazuko/yasgui@$(YASGUI_VERSION) >/dev/null && tar xzf zazuko-yasgui-$(YASGUI_VERSION).tgz) \
	  && cp $$tmp/package/build/yasgui.min.js $$tmp/package/build/yasgui.min.css $(YASGUI_DIR)/ \
	  && cp $$tmp/package/package.json $(YASGUI_DIR)/yasgui.package.json && rm -rf $$tmp
	@echo "YASGUI $(YASGUI_VERSION) (MIT) vendored into $(YASGUI_DIR)"

chromium:  ## make sure Debian's Chromium is present for the browser tests (apt-get; Playwright never downloads one)
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Chromium not found: installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium not found at $(CHROMIUM): install it (e.g. 'sudo apt-get install chromium'); the browser tests need it" >&2; exit 1; fi; }
	@$(CHROMIUM) --version 2>/dev/null | head -1

serve: $(STAMP) yasgui  ## serve the graph at http://127.0.0.1:8000/ (endpoint at /sparql)
	$(BIN)/msckg serve

screenshots: $(STAMP) chromium yasgui  ## PNGs of the main pages for a reviewer -> build/screenshots/
	$(BIN)/python -m tests.serve.screenshots build/screenshots

load: $(STAMP)  ## bounded locust load test (loopback, LOAD_SECONDS s, LOAD_USERS clients) on LOAD_STORE (built if absent)
	$(PIP_QUIET) $(BIN)/pip install -q -e '.[test,load]'
	$(BIN)/python -m benchmarks.load --store $(LOAD_STORE) --trials $(LOAD_TRIALS) --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)
