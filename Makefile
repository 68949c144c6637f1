# msckg: two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# setuptools prints an informational notice on every editable install ("Editable installation ...
# be careful with folders in your working directory"); it is not about this project, so it is muted.
PIP_QUIET := PYTHONWARNINGS="ignore:Editable installation"

.PHONY: run test build bench bench-100k docs java virtuoso clean help reason reason-data sssom sssom-check test-ontology embeddings fuzz context sssom-py release ontology-report

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 'setuptools>=77' wheel  # setuptools/wheel: tests/test_install.py builds the wheel offline
	$(PIP_QUIET) $(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)  ## create the environment, build the graph, answer a cross-study question
	$(BIN)/msckg build
	$(BIN)/msckg ask trials --columns trial,registry_ids,phase,allocation,masking,enrolled,manufacturers
	$(BIN)/msckg ask response-rates --columns trial,arm_or_population,outcome,timepoint,responders,denominator,proportion

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

  ## set up what the tests need and run them
virtuoso:  ## make sure Virtuoso 7 (a second real SPARQL server for the compliance suite) is present; apt-get when we can
	@command -v virtuoso-t >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Virtuoso not found: installing virtuoso-opensource-7-bin (the server binary; no system service is started)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null; \
	  else echo "Virtuoso not found: the compliance tests against it will skip (sudo apt-get install virtuoso-opensource-7-bin)" >&2; fi; }

test: $(STAMP) java virtuoso $(SSSOM_STAMP)  ## set up what the tests need and run them
	$(BIN)/pytest -q

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
