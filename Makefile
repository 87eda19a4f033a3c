# Entry points. Each target installs what is missing (scripts/setup.sh) first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: setup build run test bench format clean

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

bench: build
	bench/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.h' 'src/*.cc' 'tests/*.h' 'tests/*.cc' 'bench/*.cc')

clean:
	rm -rf $(BUILD)
