# Two entry points a fresh machine needs: `make extract` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: install extract test eval bench
install: $(STAMP)

extract: $(STAMP)
	$(BIN)/llm-extract extract notices --out out/rules.jsonl --overwrite
	$(BIN)/llm-extract show out/rules.jsonl

eval: $(STAMP)
	$(BIN)/llm-extract eval --gold gold --notices notices tests/data/genre --backend rules --report out/eval-rules

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python evals/bench_rules.py
	$(BIN)/python evals/bench_hostile.py
	$(BIN)/python evals/bench_merge.py
	$(BIN)/python evals/bench_concurrency.py
	$(BIN)/python evals/bench_overhead.py
	$(BIN)/python evals/bench_lanes.py
	$(BIN)/python evals/bench_transport.py
	$(BIN)/python evals/bench_resume.py
