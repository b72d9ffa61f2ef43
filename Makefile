# klpcheck needs only Go. `make run` explores the default model and prints
# the verdict; `make test` runs every test, as CI does; `make bench` prints
# the table of docs/benchmarks.md. `make fuzz` runs every fuzz target of
# every package for FUZZTIME each.

GO ?= go
FUZZTIME ?= 60s

# BENCH_ARGS passes flags to internal/bench, such as
# BENCH_ARGS='-symmetry-bounds 4/3/2,4/4/2 -workers 2'.
BENCH_ARGS ?=

.PHONY: run test build vet fuzz bench gobench

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

# bench runs klpcheck explore once per row, each in its own process, and
# prints a Markdown table. It takes a few minutes on 2 cores.
bench: build
	$(GO) run ./internal/bench -klpcheck bin/klpcheck $(BENCH_ARGS)

# gobench runs the Go benchmarks of the model and the explorer.
gobench:
	$(GO) test -run '^$$' -bench . ./model ./explore
