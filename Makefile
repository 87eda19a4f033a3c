# Entry points. Each target installs what is missing (scripts/setup.sh) first.
BUILD ?= build
JOBS ?= $(shell nproc)

FUZZ_SECONDS ?= 60

.PHONY: setup build run test test-sanitize fuzz bench bench-latency format clean

setup:
	scripts/setup.sh

build: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: build
	mkdir -p data
	$(BUILD)/sluice run

test: build
	BUILD=$(BUILD) JOBS=$(JOBS) scripts/test.sh

# ASan + UBSan build (build-asan): unit tests, fuzz regressions, SQLite end-to-end suites.
test-sanitize: setup
	JOBS=$(JOBS) scripts/test-sanitize.sh

# libFuzzer targets (clang, build-fuzz), FUZZ_SECONDS each.
fuzz: setup
	JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_SECONDS)

# Every sink's benchmark and one table of them all, bench/out/results.md (about an hour).
bench: build
	bench/all.sh

# Rename-to-visible latency of a running sluice, SQLite and PostgreSQL (about 6 minutes).
bench-latency: build
	bench/latency.sh

format:
	clang-format -i $$(git ls-files 'src/*.h' 'src/*.cc' 'tests/*.h' 'tests/*.cc' 'bench/*.cc' 'fuzz/*.h' 'fuzz/*.cc')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
