# ragsql — `make demo` runs the main job end to end, `make test` runs the suite.
# Every target installs what it needs and is idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := .build/stamps
SHARED    ?= ../shared
export RAGSQL_PGPORT ?= 54329
# DATABASE_URL may point at any PostgreSQL 15–17 with pgvector and plpython3u;
# left unset, the project-local cluster is used (and started on demand).
LOCAL_DB  := $(if $(DATABASE_URL),,1)
export DATABASE_URL ?= $(shell bash scripts/db.sh url)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: help setup system venv db stop migrate psql dburl dburl-tcp dburl-jdbc demo test eval-retrieval eval eval-intents eval-pii eval-injection eval-refusal eval-graph agent-demo bench cron mlflow-venv feast-venv browser mlflow mlflow-sync mlflow-stop feast llm llm-stop clean

help:
	@echo "make demo            set up everything and answer sample questions from SQL"
	@echo "make test            set up everything and run the test suite"
	@echo "make setup | db | stop | migrate | psql | dburl | dburl-tcp | dburl-jdbc | eval-retrieval | eval | eval-intents | eval-pii | eval-injection | eval-refusal | eval-graph | agent-demo | bench | cron | mlflow | mlflow-sync | mlflow-stop | feast | llm | llm-stop"

setup: system venv

system: $(STAMP)/system
$(STAMP)/system: scripts/install_system.sh
	bash scripts/install_system.sh
	@mkdir -p $(STAMP) && touch $@

venv: $(STAMP)/venv
# Debian's python3 builds the venv: it is the interpreter PL/Python embeds.
# The project itself goes in editable: the `ragsql` command, from any directory.
$(STAMP)/venv: requirements.txt requirements-torch.txt pyproject.toml $(STAMP)/system
	test -x $(PY) || /usr/bin/python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-torch.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@mkdir -p $(STAMP) && touch $@

db: $(STAMP)/system
ifeq ($(LOCAL_DB),1)
	@bash scripts/db.sh start
endif

stop:
	@bash scripts/db.sh stop

migrate: setup db
	$(VENV)/bin/alembic upgrade head

psql: db
	@psql "$(DATABASE_URL)"

dburl:
	@echo "$(DATABASE_URL)"

# The same database over TCP (libpq form), and as JDBC for Java BI tools.
dburl-tcp:
	@bash scripts/db.sh url-tcp "$(DATABASE_URL)"

dburl-jdbc:
	@bash scripts/db.sh url-jdbc "$(DATABASE_URL)"

# MLflow and Feast each get a venv of their own: their dependencies never
# touch the venv the server embeds.
mlflow-venv: $(STAMP)/mlflow-venv
$(STAMP)/mlflow-venv: requirements-mlflow.txt $(STAMP)/system
	test -x .venv-mlflow/bin/python || /usr/bin/python3 -m venv .venv-mlflow
	.venv-mlflow/bin/python -m pip install -q --disable-pip-version-check -r requirements-mlflow.txt
	@mkdir -p $(STAMP) && touch $@

feast-venv: $(STAMP)/feast-venv
$(STAMP)/feast-venv: requirements-feast.txt $(STAMP)/system
	test -x .venv-feast/bin/python || /usr/bin/python3 -m venv .venv-feast
	.venv-feast/bin/python -m pip install -q --disable-pip-version-check -r requirements-feast.txt
	@mkdir -p $(STAMP) && touch $@

browser: $(STAMP)/browser
$(STAMP)/browser: scripts/install_browser.sh
	bash scripts/install_browser.sh
	@mkdir -p $(STAMP) && touch $@

# MLflow's UI and tracking server on loopback (backend store: database
# `mlflow` of this cluster; artifacts: .mlflow/), and a follower that
# mirrors evaluation runs and stage transitions into it.
mlflow: migrate mlflow-venv
	bash scripts/mlflow.sh start

mlflow-sync: migrate mlflow-venv
	PYTHONPATH=. .venv-mlflow/bin/python -m ragsql.mlflow_sync --tracking-uri $$(bash scripts/mlflow.sh url)

mlflow-stop:
	bash scripts/mlflow.sh stop

# The sales domain's feature store (feature_store/) on this database: the
# demo tables, feast apply, then materialize up to now (incremental).
feast: migrate feast-venv
	$(PY) -m ragsql.sqlfiles --demo
	bash scripts/feast.sh apply
	bash scripts/feast.sh materialize

demo: migrate
	$(PY) -m ragsql demo samples

test: setup db mlflow-venv feast-venv browser
	$(PY) -m pytest -q tests

eval-retrieval: migrate
	$(PY) -m ragsql.eval_retrieval --data $(SHARED)/data/xquad

# Evaluation kept in the database (rag.eval_*): XQuAD runs per retrieval
# mode and generator, then the real-documents set (data/real_docs) over
# files every Debian machine has; both use the local LLM when `make llm` is
# running.
eval: migrate
	$(PY) -m ragsql.eval --data $(SHARED)/data/xquad
	$(PY) -m ragsql.eval_real --split all $$(bash scripts/llm.sh status | grep -q running && echo --llm)

# GraphRAG against plain hybrid search on bridge questions (two facts in two
# documents) over a generated corpus of its own (ragsql/graph_corpus.py).
eval-graph: migrate
	$(PY) -m ragsql.eval_graph --split all

# Refusal on near-topic questions (XQuAD with one paragraph per article
# withheld): the held-out test split, through rag.answer.
eval-refusal: migrate
	$(PY) -m ragsql.eval_refusal --data $(SHARED)/data/xquad --split test

# The intent parser on the golden set (data/): accuracy, coverage, rejection.
eval-intents: migrate
	$(PY) -m ragsql.eval_intents

# PII detection (py_udfs/pii.py) on the held-out split of its labelled set
# (data/pii); needs no database.
eval-pii: setup
	$(PY) -m ragsql.eval_pii --split test

# Planted instructions end to end: the extractive path, and the local LLM
# (started here: building it the first time takes several minutes).
eval-injection: migrate llm
	$(PY) -m ragsql.eval_injection

# Single-backend figures, then the same product under load (concurrent
# workers, search during an ingest, cancel and fallback latencies, memory).
# Run it alone: two cores shared with anything else move the numbers.
bench: migrate
	$(PY) -m ragsql.bench
	$(PY) -m ragsql.bench_load

# Optional local LLM (OpenAI-compatible, loopback): builds llama-cpp-python and
# assembles the GGUF once (several minutes), then starts the server.
# The drift snapshot and the nightly golden-set evaluation, with pg_cron.
cron: migrate
	$(PY) -m ragsql cron install

# The data-quality agent on planted anomalies, with the local LLM.
agent-demo: migrate llm
	$(PY) -m ragsql.agent_demo --rounds 3

llm:
	bash scripts/llm.sh start

llm-stop:
	bash scripts/llm.sh stop

clean: stop
	-bash scripts/mlflow.sh stop
	rm -rf .pgdata .build $(VENV) .venv-mlflow .venv-feast .mlflow
