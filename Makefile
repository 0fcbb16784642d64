# Every target creates the virtual environment itself (.venv), so a fresh clone needs only `make ...`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MUTATION_STAMP := $(VENV)/.installed-mutation
BENCH_STAMP := $(VENV)/.installed-bench
MUTATION_CHILDREN ?= 2
MUTANTS ?=

.PHONY: crawl demo test lint bench bench-extract bench-crawl bench-recrawl bench-revisit bench-search bench-export bench-store bench-gate fuzz mutation clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

crawl: $(STAMP)  ## crawl the live site politely into archive/itp6.db
	$(BIN)/itp6crawl crawl

demo: $(STAMP)  ## serve the local replica, crawl it into archive/demo.db, search it
	$(BIN)/itp6crawl demo

test: lint  ## lint and the test suite (no network beyond 127.0.0.1)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check itp6crawl tests benchmarks
	$(BIN)/ruff format --check itp6crawl tests benchmarks

# The bench targets install the `bench` extra too (tantivy), which `make test` never needs.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]' || echo 'tantivy could not be installed: the benchmarks run without it'
	touch $(BENCH_STAMP)

bench-extract: $(BENCH_STAMP)  ## extraction quality side by side (needs ../shared/benchmarks)
	$(BIN)/python benchmarks/extract_quality.py

bench-crawl: $(BENCH_STAMP)  ## crawl 2,000 replica articles on 127.0.0.1: throughput, memory, search latency
	$(BIN)/python benchmarks/crawl_throughput.py

bench-recrawl: $(BENCH_STAMP)  ## first crawl vs re-crawl of an unchanged 2,000-article replica: requests, bytes, projection
	$(BIN)/python benchmarks/recrawl.py

bench-revisit: $(BENCH_STAMP)  ## 60 simulated days of daily runs on an 18,700-post replica: profiles x policies, requests, bytes, freshness
	$(BIN)/python benchmarks/revisit_sim.py

bench-search: $(BENCH_STAMP)  ## search relevance and latency by query shape at 20k and 100k articles (ours, tantivy, FTS5 trigram, sqlite-utils), refresh after a crawl, cold start
	$(BIN)/python benchmarks/search_bench.py

bench-export: $(BENCH_STAMP)  ## itp6crawl export of 20k and 100k-article archives: seconds, rows/s, peak RSS per format
	$(BIN)/python benchmarks/export_bench.py

bench-store: $(BENCH_STAMP)  ## per-article store cost at 1k, 20k and 100k articles: flat, or exit 1 (targets.toml)
	$(BIN)/python benchmarks/store_scaling.py

bench-gate: $(BENCH_STAMP)  ## one table of end-to-end figures (crawl 20k, processing vs trafilatura, reindex, search, export) against benchmarks/targets.toml; exits 1 on a miss
	$(BIN)/python benchmarks/gate.py

bench: bench-extract bench-crawl bench-recrawl bench-revisit bench-search bench-export bench-store bench-gate

fuzz: $(STAMP)  ## property tests at 10,000 examples per target (extraction, URLs, query language, search, cut pages, broken markup)
	ITP6_FUZZ_EXAMPLES=10000 $(BIN)/pytest -q -p no:cacheprovider tests/test_extract_sniff.py tests/test_query_fuzz.py tests/test_completeness.py tests/test_extract_markup.py

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,mutation]'
	touch $(MUTATION_STAMP)

# Not part of `make test`. A full run starts from a fresh mutants/ (mutmut keeps old verdicts otherwise);
# MUTANTS='itp6crawl.search.*' reruns those mutants only, reusing mutants/. Ends with the score per target.
mutation: $(MUTATION_STAMP)  ## mutation testing (mutmut) of extract/, store/, search.py, text.py, spiders/: score killed/total
	$(if $(MUTANTS),,rm -rf mutants)
	$(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(foreach m,$(MUTANTS),'$(m)')
	$(BIN)/python benchmarks/mutation_score.py --files

clean:
	rm -rf $(VENV) mutants .pytest_cache .ruff_cache build *.egg-info archive/demo.db*
