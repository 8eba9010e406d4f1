# Set-up and entry points. `make demo` runs the main job, `make test` the test suite and then the consumer package
# (Examples/consumer, which uses only the public API, so a broken API fails the test command); both install
# OpenBLAS first when it is missing (Debian: libopenblas-dev, found through pkg-config).
#
# `make test` first checks that Package.swift declares exactly the package modules each target imports
# (Scripts/check_dependencies.py, whose own tests run just before it), then builds with warnings as errors: the
# package has no dependencies besides system libraries, so every warning is in its own code. `swift test` gets the
# same flags so that it reuses that build instead of planning a different one. Scripts/doc_examples.py writes every
# Swift example of the README and the DocC articles into Tests/DocumentationExamplesTests, so the build compiles them.
# The test build enables the package's MPI trait (`make deps` installs Open MPI), so the DistributedTests run the
# built rlft under `mpirun --oversubscribe -np 2`; a plain `swift build` needs no MPI.
# `make fuzz` (libFuzzer on the file readers, FUZZ_SECONDS per target) and `make soak` (kill-and-resume of five
# commands) are not part of `make test`.
.PHONY: deps demo test bench fuzz soak

SWIFT_FLAGS = -c release -Xswiftc -warnings-as-errors
# The package's MPI trait (Distributed over Open MPI); the consumer package has no traits of its own.
TRAITS = --traits MPI

deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openblas; then \
		echo "Installing OpenBLAS (libopenblas-dev) and pkg-config..."; \
		apt-get update && apt-get install -y libopenblas-dev pkg-config; \
	fi
	@if ! command -v mpirun >/dev/null 2>&1 || ! pkg-config --exists ompi-c; then \
		echo "Installing Open MPI (libopenmpi-dev, openmpi-bin) for the MPI trait and the data-parallel tests..."; \
		apt-get update && apt-get install -y libopenmpi-dev openmpi-bin; \
	fi

demo: deps
	swift run -c release rlft pipeline --out runs/pipeline

test: deps
	python3 Scripts/test_check_dependencies.py
	python3 Scripts/check_dependencies.py
	python3 Scripts/doc_examples.py
	swift build $(SWIFT_FLAGS) $(TRAITS) --build-tests
	swift test $(SWIFT_FLAGS) $(TRAITS) --skip-build
	swift run $(SWIFT_FLAGS) --package-path Examples/consumer

bench: deps
	swift run -c release rlft-bench

fuzz: deps
	Scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

soak: deps
	swift build -c release --product rlft
	Scripts/kill-resume-soak.sh
