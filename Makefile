# The two set-up commands of README.md: `make run` and `make test`. Both install what is missing
# first (scripts/bootstrap.sh), so they work on a fresh Debian 12 machine.

JOBS ?= $(shell nproc)
CONFIG ?= examples/osprey.toml
FUZZ_SECONDS ?= 30

.PHONY: all bootstrap release debug run test unit bench bench-server bench-security fuzz format clean

all: release

bootstrap:
	@bash scripts/bootstrap.sh

release: bootstrap
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

debug: bootstrap
	cmake --preset debug
	cmake --build --preset debug -j $(JOBS)

# Starts the server on the example config with the embedded SQLite store in ./data.
run: release
	./build/release/src/app/osprey serve --config $(CONFIG)

# Every test: unit, conformance and interop tests under ASan + UBSan, then a short run of each fuzzer.
test: debug
	ctest --test-dir build/debug --output-on-failure -j $(JOBS)
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

unit: debug
	ctest --test-dir build/debug --output-on-failure -j $(JOBS)

# Parser benchmarks side by side with libosip2 and sofia-sip (release build).
bench: release
	python3 bench/bench_table.py build/release/bench/osprey_bench

# Server benchmark: osprey answering OPTIONS vs the recvmmsg/sendmmsg floor, driven by SIPp.
bench-server: release
	python3 bench/options_load.py

# Security benchmarks: ban lookups, rate limiter and digest checks; the banned-source
# drop path; REGISTER with digest authentication against REGISTER without, driven by SIPp.
bench-security: release
	build/release/bench/osprey_security_bench
	python3 bench/banned_flood.py
	python3 bench/ban_flood.py
	python3 bench/register_auth.py

# Long fuzz runs (10 minutes per target).
fuzz: bootstrap
	bash scripts/fuzz.sh 600

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
