# Set-up and entry points. `make demo` runs the main job, `make test` the test suite and then the consumer package
# (Examples/consumer, which uses only the public API, so a broken API fails the test command); both install
# OpenBLAS first when it is missing (Debian: libopenblas-dev, found through pkg-config).
.PHONY: deps demo test bench

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
