# Two commands matter on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SPARK_STAMP := $(VENV)/.spark-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install spark java run test test-spark lint format browser bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,train]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## The spark extra (dbt-spark, pyspark) and Java 17, for the spark target and its test.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,train,spark]"
	rm -f $(VENV)/.spark-installed-*
	touch $(SPARK_STAMP)

spark: $(SPARK_STAMP) java

## Run the whole job (generate a small sample, ingest, dbt build, report) on the embedded default.
run: install
	$(BIN)/tracehouse run

## Run the test suite, with headless Chromium for the report's browser test and Spark for
## the spark target's equality test (tests/test_spark.py; `make test-spark` runs it alone).
test: install spark browser
	$(BIN)/pytest

test-spark: spark
	$(BIN)/pytest -m spark

## Headless Chromium from Debian's packages, for the browser test of the report.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found: install Debian's 'chromium' package for the browser test"; fi; }

## Java 17 for pyspark, from Debian's packages when `java` is missing.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "java not found: install Debian's 'openjdk-17-jre-headless' package for the spark target"; fi; }

lint: install
	$(BIN)/ruff check ingest reports tracehouse tests bench
	$(BIN)/ruff format --check ingest reports tracehouse tests bench
	$(BIN)/sqlfluff lint dbt_project/models

format: install
	$(BIN)/ruff format ingest reports tracehouse tests bench
	$(BIN)/ruff check --fix ingest reports tracehouse tests bench

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf target logs .cache out test-artifacts spark-warehouse derby.log
