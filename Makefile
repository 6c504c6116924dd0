# bondfloor: `make run` starts the demo warehouse, `make test` runs every test.
# Both set up everything they need on a fresh machine (.venv, packages, browser).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/demo.toml
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench browser fonts axe-core vendor-camera vendor-swagger-ui clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

# The simulated OMS runs beside the server: it feeds the demo day and takes the events.
run: $(INSTALLED) fonts
	$(BIN)/bondfloor --config $(CONFIG) demo
	@mkdir -p var
	@echo "oms-sim (simulated OMS) on http://127.0.0.1:8090/, log in var/oms-sim.log"
	$(BIN)/bondfloor --config $(CONFIG) oms-sim > var/oms-sim.log 2>&1 & sim=$$!; \
	trap 'kill $$sim 2>/dev/null' EXIT INT TERM; \
	$(BIN)/bondfloor --config $(CONFIG) serve

test: $(INSTALLED) browser fonts
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Replicate a serving site with Litestream, kill it, restore into a second directory, serve
# that, and check the ledger and the OMS journal (tests/service/test_restore_drill.py).
.PHONY: restore-drill
restore-drill: $(INSTALLED)
	$(BIN)/python -m pytest tests/service/test_restore_drill.py -q -s -p no:cacheprovider

# End-to-end tests drive Debian's chromium (Playwright's own browser download is not used);
# the HTTPS test makes it trust the site CA with NSS's certutil (libnss3-tools).
browser:
	@{ command -v chromium && command -v certutil; } >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium libnss3-tools; }

# Face sheets are drawn with a CJK font so Chinese prints on any ESC/POS printer.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-cjk fontconfig; }

# The camera scan's decoder for phones without BarcodeDetector: zxing-wasm's reader (an ES
# module and its WebAssembly), vendored from the npm registry at this pinned version.
# `make vendor-camera` fetches it again with npm pack; the wasm must match the module's hash.
ZXING_WASM_VERSION := 3.1.8
ZXING_WASM_DIR := handheld_web/vendor/zxing-wasm-$(ZXING_WASM_VERSION)
ZXING_WASM_FILES := LICENSE package.json dist/es/share.js dist/es/reader/index.js dist/reader/zxing_reader.wasm

vendor-camera:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && npm pack --silent zxing-wasm@$(ZXING_WASM_VERSION) >/dev/null && \
	  tar xzf zxing-wasm-$(ZXING_WASM_VERSION).tgz ) && \
	want=$$(sed -n 's/^var [A-Za-z_$$]* = "\([0-9a-f]\{64\}\)";$$/\1/p' "$$tmp/package/dist/es/reader/index.js") && \
	got=$$(sha256sum "$$tmp/package/dist/reader/zxing_reader.wasm" | cut -d' ' -f1) && \
	{ [ -n "$$want" ] && [ "$$want" = "$$got" ] || { echo "zxing_reader.wasm sha256 $$got, module expects '$$want'"; exit 1; }; } && \
	rm -rf $(ZXING_WASM_DIR) && \
	for f in $(ZXING_WASM_FILES); do install -D -m 644 "$$tmp/package/$$f" "$(ZXING_WASM_DIR)/$$f"; done && \
	echo "vendored zxing-wasm $(ZXING_WASM_VERSION) into $(ZXING_WASM_DIR)"

# axe-core, the accessibility checker the browser tests inject into every page
# (tests/e2e/test_accessibility.py): vendored from npm with its licence, pinned here.
AXE_CORE_VERSION := 4.14.1
AXE_CORE_DIR := tests/e2e/vendor/axe-core-$(AXE_CORE_VERSION)
axe-core:
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	(cd $$tmp && npm pack --silent axe-core@$(AXE_CORE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_CORE_VERSION).tgz) && \
	mkdir -p $(AXE_CORE_DIR) && \
	cp $$tmp/package/axe.min.js $$tmp/package/LICENSE $$tmp/package/LICENSE-3RD-PARTY.txt $(AXE_CORE_DIR)/ && \
	echo "axe-core $(AXE_CORE_VERSION) in $(AXE_CORE_DIR)"

# The interactive API page (/schema/swagger): Swagger UI from the npm registry, vendored with
# its licence at this pinned version and served by the floor server (a site LAN has no CDN).
# `make vendor-swagger-ui` fetches it again with npm pack; change server/api_page/__init__.py's
# SWAGGER_UI_VERSION with it.
SWAGGER_UI_VERSION := 5.36.0
SWAGGER_UI_DIR := server/api_page/static/vendor/swagger-ui-dist-$(SWAGGER_UI_VERSION)
SWAGGER_UI_FILES := LICENSE NOTICE package.json swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css
vendor-swagger-ui:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && \
	  tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz ) && \
	rm -rf $(SWAGGER_UI_DIR) && \
	for f in $(SWAGGER_UI_FILES); do install -D -m 644 "$$tmp/package/$$f" "$(SWAGGER_UI_DIR)/$$f"; done && \
	echo "vendored swagger-ui-dist $(SWAGGER_UI_VERSION) into $(SWAGGER_UI_DIR)"

lint: $(INSTALLED)
	$(BIN)/ruff check server devices tests bench
	$(BIN)/ruff format --check server devices tests bench
	$(BIN)/mypy

.PHONY: layout-previews
layout-previews: $(INSTALLED)
	$(BIN)/python -m devices.layout_previews docs/layouts

bench: $(INSTALLED)
	$(BIN)/python bench/asgi_servers.py
	$(BIN)/python bench/putaway_suggest.py
	$(BIN)/python bench/receiving_http.py
	$(BIN)/python bench/outbound_allocation.py
	$(BIN)/python bench/outbound_waves.py
	$(BIN)/python bench/pick_http.py
	$(BIN)/python bench/facesheet_render.py
	$(BIN)/python bench/print_latency.py
	$(BIN)/python bench/station_scan.py
	$(BIN)/python bench/dock_checkout.py
	$(BIN)/python bench/oms_sync.py
	$(BIN)/python bench/bulk_vs_floor.py
	$(BIN)/python bench/trace.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/billing_month.py
	$(BIN)/python bench/statement_recount_month.py
	$(BIN)/python bench/handheld_bytes.py
	$(BIN)/python bench/https_cost.py
	$(BIN)/python bench/scans_wrk.py
	$(BIN)/python bench/picks_wrk.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
