# Cafe Connect — the two commands are `make run` and `make test`; both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
CAFE := $(VENV)/bin/cafe-etl
STAMP := $(VENV)/.installed-stamp
# The pip that installs into the virtualenv: its own if it has one, else the interpreter's
# (`pip --python`: see the set-up below).
PIP = $$(test -x $(VENV)/bin/pip && echo "$(PY) -m pip" || echo "$(PYTHON) -m pip --python $(PY)")

# Local stand-ins: a folder for S3, the embedded PostgreSQL for Redshift.
DATA ?= .local
RAW ?= $(DATA)/raw
LAKE ?= $(DATA)/lake
WAREHOUSE_URL ?= embedded://$(DATA)/warehouse
BRANCHES ?= 120
DAYS ?= 3
START ?= 2026-11-02
SEED ?= 42
PROCESS_DATE ?= all

.PHONY: help setup run test lint tf-check tf-docs package clean soak bench stream chromium class-archive mutate

help:
	@echo "make run      - set up, generate sample data if none, run the nightly job locally"
	@echo "make test     - set up and run the whole test suite (includes tf-check)"
	@echo "make lint     - ruff over the code"
	@echo "make tf-check - terraform fmt, config load, checkov and wiring tests"
	@echo "make tf-docs  - regenerate the Inputs/Outputs tables of terraform/README.md"
	@echo "make package  - build the library wheel Terraform uploads (dist/)"
	@echo "make bench    - time the nightly job on 1M generated transactions (TRANSACTIONS=N)"
	@echo "make soak     - the property-based tests with many more examples"
	@echo "make mutate   - mutation testing (mutmut) of the planner and the warehouse SQL"
	@echo "make stream   - the streaming job on a local Kinesis (moto), with throughput and latency"
	@echo "make class-archive - dump Spark's classes for faster local starts (bench and stream do)"

# The virtualenv is rebuilt only when pyproject.toml changes. pip installs uv, which
# installs the project: the same packages as pip's resolver picks, in ~35 s rather than
# ~140 s (parallel downloads, no byte-compiling of every module up front). uv reads no
# pip configuration: where only pip's configured index is reachable, pip does the install.
# pyspark 3.5 is published as a source distribution only, so every fresh virtualenv
# builds its wheel: 300 MB of jars, already compressed, that setuptools would deflate
# again. Stored uncompressed (setuptools' `bdist_wheel --compression=stored`) the build
# takes ~12 s instead of ~20 s, with the same files installed.
# (`--config-settings-package`: uv 0.8.10 and later.)
SPARK_WHEEL := --config-settings-package 'pyspark:--build-option=--compression=stored'
# The virtualenv gets no pip of its own when the interpreter that makes it has pip 22.3 or
# later: that pip installs into it (`pip --python`), and the venv is made without
# ensurepip's copy of pip and setuptools (5 s of a fresh set-up).
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $$($(PYTHON) -c 'import pip, sys; \
		print("--without-pip" if tuple(map(int, pip.__version__.split(".")[:2])) >= (22, 3) else "")' 2>/dev/null) $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (AWS Glue 5.1), got " + sys.version' \
		|| { rm -rf $(VENV); exit 1; }
	$(PIP) install --quiet --disable-pip-version-check 'uv>=0.8.10,<1' \
		&& $(VENV)/bin/uv pip install --quiet --python $(PY) $(SPARK_WHEEL) -e '.[local,dev]' \
		|| $(PIP) install --quiet --disable-pip-version-check -e '.[local,dev]'
	@touch $(STAMP)

setup: $(STAMP)

# The class archive: the local Spark driver's classes, dumped from a small nightly run
# into a file later JVMs map instead of loading and verifying each class: a JVM then
# starts ~7 s and ~12 CPU-seconds cheaper. The dump itself costs ~65 s and ~100
# CPU-seconds, so it pays only over many runs: `make bench` and `make stream` make it
# (their figures are measured with it), `make run` and `make test` use one if present and
# never wait for it (on a clean clone the suite starts 4 Spark JVMs: the dump would cost it
# more than it saves). Present and matching: a no-op. After a JDK or pyspark change the
# old archive no longer matches and this dumps a new one.
class-archive: $(STAMP)
	$(PY) -m cafe_etl.devtools.class_archive

$(RAW): | $(STAMP)
	$(CAFE) generate --out $(RAW) --branches $(BRANCHES) --days $(DAYS) --start $(START) --seed $(SEED)

run: $(STAMP) | $(RAW)
	@set -o pipefail; $(PY) glue_jobs/nightly_batch.py --JOB_NAME cafe-nightly-local \
		--raw_uri $(RAW) --lake_uri $(LAKE) --warehouse_url $(WAREHOUSE_URL) \
		--process_date $(PROCESS_DATE) | tee $(DATA)/last_run.json | tail -n 1 \
		| $(PY) -m json.tool
	$(CAFE) trends --warehouse-url $(WAREHOUSE_URL)
	$(CAFE) report --warehouse-url $(WAREHOUSE_URL) --out $(DATA)/report.html
	@echo "Open it in any browser, offline: file://$(abspath $(DATA)/report.html)"

# The report's browser tests drive headless Chromium (Debian's package) through Playwright
# (a PyPI package in .[dev], started on this browser: it downloads none); as root, install
# it, without the desktop's recommended packages (19 packages instead of 107: 12 s instead
# of 31 s on a fresh machine). It installs beside the virtualenv, at the same time: both
# mostly wait on downloads.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
		|| { echo "make test needs Debian's chromium package for the report render test"; exit 1; }

test:
	@$(MAKE) --no-print-directory -j2 $(STAMP) chromium
	$(PY) -m pytest

tf-check: $(STAMP)
	$(PY) -m pytest tests/terraform

# terraform-docs' Inputs/Outputs tables, rendered from the .tf files (tests/terraform/tfdocs.py
# says why not terraform-docs itself); a test fails while they are stale.
tf-docs: $(STAMP)
	$(PY) tests/terraform/tfdocs.py

lint: $(STAMP)
	$(VENV)/bin/ruff check lib glue_jobs tests
	$(VENV)/bin/ruff format --check lib glue_jobs tests
	$(VENV)/bin/lint-imports

# The wheel alone, without the local stand-ins: no virtualenv, no PySpark. pip builds it in
# an isolated environment with only the build backend pyproject.toml names.
package:
	rm -rf dist build
	$(PYTHON) -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir dist .
	@ls dist/*.whl

clean:
	rm -rf $(DATA) dist build .pytest_cache

soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(PY) -m pytest tests/test_properties.py -q

# Mutation testing, not part of `make test` (its tool is the `mutation` extra, installed
# here only). mutmut runs in a copy of the project where lib/ is src/ (pyproject.toml's
# [tool.mutmut] says why); `mutmut results` there lists the surviving mutants, `mutmut
# show <name>` shows one.
MUTATE_DIR := $(DATA)/mutation
MUTMUT := $(abspath $(VENV))/bin/mutmut
mutate: $(STAMP)
	$(VENV)/bin/uv pip install --quiet --python $(PY) $(SPARK_WHEEL) -e '.[local,dev,mutation]' \
		|| $(PIP) install --quiet --disable-pip-version-check -e '.[local,dev,mutation]'
	rm -rf $(MUTATE_DIR) && mkdir -p $(MUTATE_DIR)
	cp -r lib $(MUTATE_DIR)/src && cp -r tests terraform glue_jobs pyproject.toml $(MUTATE_DIR)/
	cd $(MUTATE_DIR) && $(MUTMUT) run --max-children 2 && $(MUTMUT) results \
		&& echo "surviving mutants: $$($(MUTMUT) results | grep -c ': survived')"

# make bench [TRANSACTIONS=1000000] [BRANCHES=120] [DAYS=3] [COMPARE=--compare] [CORES=1,2]
# A night of the chain: make bench TRANSACTIONS=60000 BRANCHES=150 DAYS=1
# One 2 GB raw file:     make bench ONE_FILE_GB=2 COMPARE= CORES=
TRANSACTIONS ?= 1000000
COMPARE ?= --compare
CORES ?= 1,2
ONE_FILE_GB ?=
bench: $(STAMP) class-archive
	$(CAFE) bench --transactions $(TRANSACTIONS) --branches $(BRANCHES) --days $(DAYS) $(COMPARE) \
		$(if $(CORES),--cores $(CORES)) $(if $(ONE_FILE_GB),--one-file-gb $(ONE_FILE_GB)) \
		--out $(DATA)/bench-$(TRANSACTIONS)-$(BRANCHES)x$(DAYS)$(if $(ONE_FILE_GB),-$(ONE_FILE_GB)gb).json

# make stream [RATE=2200] [WINDOW=10] [SHARDS=2]: moto's Kinesis on 127.0.0.1, replay at RATE records/s, the streaming job
RATE ?= 2200
WINDOW ?= 10
SHARDS ?= 2
# Its own lake and warehouse, emptied at each run: the stream job does not write or load
# again what its lake holds, so a second run into the same lake would time neither.
STREAM_DEMO = $(DATA)/stream-demo
stream: $(STAMP) class-archive
	rm -rf $(STREAM_DEMO)
	$(CAFE) stream-demo --rate $(RATE) --window $(WINDOW) --shards $(SHARDS) \
		--lake $(STREAM_DEMO)/lake --warehouse-url embedded://$(STREAM_DEMO)/warehouse
