# klpcheck needs only Go. `make run` explores the default model and prints
# the verdict; `make test` runs every test, as CI does. `make fuzz` runs
# every fuzz target of every package for FUZZTIME each.

GO ?= go
FUZZTIME ?= 60s

.PHONY: run test build vet fuzz

run:
	$(GO) run ./cmd/klpcheck explore

test:
	$(GO) vet ./...
	$(GO) test ./...

build:
	$(GO) build -o bin/klpcheck ./cmd/klpcheck

# go test -fuzz takes one package and one target at a time, so the targets
# are listed per package; a new Fuzz function is picked up without an edit.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		list=$$($(GO) test -list '^Fuzz' $$pkg); \
		for target in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
		done; \
	done
