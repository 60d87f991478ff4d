# Convenience targets; the README's two commands are the reference (CI runs the second).
PY := .venv/bin/python

.PHONY: install lint format test run app bench

install:
	python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]"

lint:
	.venv/bin/ruff check .

format:
	.venv/bin/ruff check --fix .

test: lint
	$(PY) -m pytest

run:
	.venv/bin/ecocomp run baseline_2023

app:
	.venv/bin/streamlit run app_streamlit.py

bench:
	$(PY) benchmarks/bench_allocation.py && $(PY) benchmarks/bench_settlement.py && $(PY) benchmarks/bench_ui_interaction.py
