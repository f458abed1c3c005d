# Thin wrapper: dependencies -> cmake preset -> action.
PRESET ?= default
BUILD_DIR := $(if $(filter debug,$(PRESET)),build-debug,build)
CONFIG ?= config/ferry.toml
JOBS ?= $(shell nproc)

.PHONY: deps configure build run test bench clean format

deps:
	@scripts/deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

run: build
	$(BUILD_DIR)/ferry run --config $(CONFIG)

test: build
	@scripts/test-deps.sh
	ctest --preset $(PRESET) -j $(JOBS)

bench: build
	@bench/run.sh

clean:
	rm -rf build build-debug

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
