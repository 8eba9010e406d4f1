# Set-up and entry points. `make demo` runs the main job, `make test` the test suite and then the consumer package
# (Examples/consumer, which uses only the public API, so a broken API fails the test command); both install
# OpenBLAS first when it is missing (Debian: libopenblas-dev, found through pkg-config). `make fuzz` (libFuzzer on the
# file readers, FUZZ_SECONDS per target) and `make soak` (kill-and-resume of five commands) are not part of `make test`.
.PHONY: deps demo test bench fuzz soak

deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openblas; then \
		echo "Installing OpenBLAS (libopenblas-dev) and pkg-config..."; \
		apt-get update && apt-get install -y libopenblas-dev pkg-config; \
	fi

demo: deps
	swift run -c release rlft pipeline --out runs/pipeline

test: deps
	swift build -c release --build-tests
	swift test -c release --skip-build
	swift run -c release --package-path Examples/consumer

bench: deps
	swift run -c release rlft-bench

fuzz: deps
	Scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

soak: deps
	swift build -c release --product rlft
	Scripts/kill-resume-soak.sh
