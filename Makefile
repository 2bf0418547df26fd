# Encaisse — the two commands of a fresh machine are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3.11
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen --all-extras
# Debian packages WeasyPrint needs (PDF rendering: RIB, notices, letters).
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# The portal's end-to-end tests run it in headless Chromium; document tests rasterise PDFs
# (poppler-utils) and read their EPC QR codes (zbar-tools).
TEST_DEB_PACKAGES := chromium poppler-utils zbar-tools

.PHONY: help deps system-deps python-deps run test test-fast chaos lint bench bench-match bench-ceiling bench-documents bench-platform deploy clean axe

help:
	@echo "make chaos  the slow reliability campaign (crashes, fuzzing, races)"
	@echo "make run    start the whole platform locally (embedded AWS, API, portal, SFTP, demo data)"
	@echo "make test   run the test suite (what CI runs)"
	@echo "make test-fast  unit tests and services on in-memory fakes: no emulator, no platform (< 1 min)"
	@echo "make lint   ruff, mypy --strict (functions, infra, bench), cfn-lint on template.yaml"
	@echo "make bench  statement-parser benchmarks (writes docs/benchmarks.md)"
	@echo "make bench-match  matching accuracy and throughput benchmark (writes docs/benchmarks.md)"
	@echo "make bench-ceiling  storage ceiling: TransactWriteItems/s of the embedded emulator by table size"
	@echo "make bench-platform  end to end on the embedded platform, BENCH_LEASES=1000 (writes docs/benchmarks.md)"
	@echo "make bench-documents  notices per second, peak memory, 1,000-document print batch (writes docs/benchmarks.md)"
	@echo "make deploy build and deploy to AWS with SAM (needs AWS credentials and the sam CLI)"

deps: system-deps python-deps

system-deps:
	@missing=""; for p in $(DEB_PACKAGES) $(EXTRA_DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

python-deps:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
	  python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --all-extras --quiet

run: deps
	$(RUN) encaisse up $(ARGS)

test: EXTRA_DEB_PACKAGES = $(TEST_DEB_PACKAGES)
test: deps axe
	$(RUN) pytest $(PYTEST_ARGS)

# The inner loop: pure units and the services on tests/fakes.py, nothing started.
test-fast: python-deps
	$(RUN) pytest tests/unit tests/contract -m 'not integration and not platform and not e2e and not chaos' -q $(PYTEST_ARGS)

# axe-core (npm) for the portal's accessibility audit in tests/e2e, cached under .cache/axe/.
AXE_VERSION := 4.10.3
axe: .cache/axe/axe-$(AXE_VERSION).min.js
.cache/axe/axe-$(AXE_VERSION).min.js:
	@mkdir -p .cache/axe
	@if command -v npm >/dev/null; then cd .cache/axe && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && tar -xzf axe-core-$(AXE_VERSION).tgz -O package/axe.min.js > axe.tmp && mv axe.tmp axe-$(AXE_VERSION).min.js; \
	else echo "npm is missing: the accessibility audit will be skipped (and fail with CI=true)"; fi

# The slow campaign: crash injection at each step of ingest and match, a large fuzz
# budget, repeated races (docs/reliability.md).
chaos: deps
	ENCAISSE_CHAOS_ROUNDS=$${ENCAISSE_CHAOS_ROUNDS:-10} $(RUN) pytest tests/chaos -m 'chaos or integration' $(PYTEST_ARGS)

lint: python-deps
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) cfn-lint template.yaml

bench: deps
	$(RUN) --group bench python -m bench.parsers.bench_parsers

bench-match: deps
	$(RUN) python -m bench.matching.bench_match

bench-ceiling: python-deps
	$(RUN) python -m infra.local.ceiling $(ARGS)

bench-platform: python-deps
	$(RUN) python -m bench.platform.bench_platform --leases $${BENCH_LEASES:-1000} $(ARGS)

bench-documents: deps
	$(RUN) python -m bench.documents.bench_documents

deploy: python-deps
	$(UV) export --frozen --no-dev --no-hashes --extra pdf --no-emit-project > requirements.txt
	sam build && sam deploy --guided

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .aws-sam requirements.txt
