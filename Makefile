# msckg: two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# setuptools prints an informational notice on every editable install ("Editable installation ...
# be careful with folders in your working directory"); it is not about this project, so it is muted.
PIP_QUIET := PYTHONWARNINGS="ignore:Editable installation"

.PHONY: run test build bench docs java clean help reason reason-data sssom sssom-check test-ontology embeddings

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
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

test: $(STAMP) java  ## set up what the tests need and run them
	$(BIN)/pytest -q

bench: $(STAMP)  ## speed benchmarks, each beside a baseline measured in the same run
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/search.py

clean:  ## remove the environment and the store
	rm -rf $(VENV) store

# ---- ontology: reasoning, SSSOM, HTML reference ----

reason: $(STAMP) java  ## HermiT: the ontology is consistent, no unsatisfiable classes (~2 s)
	$(BIN)/python -m msckg.graph.ontology.reason

reason-data: $(STAMP) java  ## HermiT on the ontology plus every curated record (domains, ranges, disjointness; minutes)
	$(BIN)/python -m msckg.graph.ontology.reason --with-data

sssom: $(STAMP)  ## regenerate ontology/mappings.sssom.tsv from the ontology's alignments
	$(BIN)/python -m msckg.graph.ontology.sssom

sssom-check: $(STAMP)  ## fail if ontology/mappings.sssom.tsv is out of date
	$(BIN)/python -m msckg.graph.ontology.sssom --check

docs: $(STAMP)  ## HTML reference of the ontology -> docs/ontology/index.html (git-ignored)
	$(BIN)/python -m msckg.graph.ontology.docs

test-ontology: $(STAMP) java  ## the ontology's own tests (labels, alignments, SSSOM, HermiT)
	$(BIN)/python -m pytest tests/test_ontology.py tests/test_reasoning.py
