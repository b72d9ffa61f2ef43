# klpcheck needs only Go. `make run` explores the default model and prints
# the verdict; `make test` runs every test, as CI does.

GO ?= go

.PHONY: run test build vet

run:
	$(GO) run ./cmd/klpcheck explore

test:
	$(GO) vet ./...
	$(GO) test ./...

build:
	$(GO) build -o bin/klpcheck ./cmd/klpcheck
