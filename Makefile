# Switchboard's everyday commands. `make help` lists them.

GO ?= go
PKGS ?= ./...

.PHONY: help run test test-short lint contract fuzz bench bench-go build eval screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run Switchboard on the embedded SQLite database in ./switchboard-data
	$(GO) run ./cmd/switchboard serve

build: ## build the switchboard binary into ./switchboard
	$(GO) build -o switchboard ./cmd/switchboard

test: ## run every test with the race detector, on SQLite and PostgreSQL
	$(GO) test -race -count=1 $(PKGS)

test-short: ## run the tests without the race detector
	$(GO) test -count=1 $(PKGS)

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

contract: ## check api/openapi.json with redocly lint and clients generated from it (TypeScript, Go)
	.ci/contract

# go test -fuzz sometimes ends a run that found nothing with "context
# deadline exceeded" when its time is up while a worker is still busy; a
# run that found a failing input always says "Failing input written", and
# only such a run (or any other error) fails the target.
FUZZTIME ?= 10s
fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$target"; \
	    if ! out=$$($(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1); then \
	      echo "$$out"; \
	      if echo "$$out" | grep -q 'Failing input written' || ! echo "$$out" | grep -q 'context deadline exceeded'; then exit 1; fi; \
	      echo "(the fuzzer's deadline, not a failure: no failing input was found)"; \
	    else echo "$$out" | tail -1; fi; \
	  done; \
	done

bench-go: ## run the Go benchmarks (store operations on SQLite and PostgreSQL)
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

bench: ## run the load scenarios of bench/ against a real server
	bench/run.sh

eval: ## train the builtin engine's classifier on Banking77 and report accuracy, out-of-scope recall, training time, memory, latency
	$(GO) run ./bot/builtin/cmd/eval $(EVALFLAGS)

# The pictures of the README: builds the binary, starts it on a temporary
# SQLite database with demo data (fake Telegram, webhook receivers and help
# desk on loopback), and saves PNGs of the dashboard's pages from headless
# Chromium (Debian's chromium package). Pages that do not answer 200 yet are
# listed and skipped.
SCREENSHOTS ?= docs/screenshots
screenshots: ## save PNGs of the dashboard's pages with demo data into SCREENSHOTS (default docs/screenshots); needs chromium
	$(GO) run ./internal/screenshots -out $(SCREENSHOTS)
