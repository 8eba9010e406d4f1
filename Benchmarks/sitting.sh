#!/bin/sh
# One benchmark sitting: every figure Benchmarks/README.md compares with PyTorch, ours and PyTorch's run
# alternately (ROUNDS rounds, default 2) so both see the same machine load. Each measurement is its own process,
# so peak RSS covers only that measurement. Prints JSON lines; summarise with Benchmarks/summarize.py.
#
# Usage (repository root, nothing else running):
#   swift build -c release --product rlft-bench
#   python3 -m pip install torch transformers          # once, or in a venv passed as PYTHON
#   sh Benchmarks/sitting.sh > Benchmarks/sitting-$(date +%F).jsonl
#   python3 Benchmarks/summarize.py Benchmarks/sitting-$(date +%F).jsonl
set -e
BENCH=${BENCH:-.build/release/rlft-bench}
PYTHON=${PYTHON:-python3}
T=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
export OMP_NUM_THREADS=$T
torch() { $PYTHON Benchmarks/pytorch_gpt.py --threads $T "$@"; }

echo "{\"sitting\": \"start\", \"uptime\": \"$(uptime)\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\"}"
$BENCH --threads $T --only sgemm
torch --bench sgemm
for round in $(seq $ROUNDS); do
    for c in tiny small; do
        $BENCH --threads $T --only train --config $c
        torch --bench train --config $c --impl nano
        $BENCH --threads $T --only forward --config $c
        torch --bench forward --config $c --impl nano
        $BENCH --threads $T --only generate --config $c
        torch --bench generate --config $c --impl hf --repeats 6
    done
    $BENCH --threads $T --only ppo --repeats 5
    for c in tiny small; do $PYTHON Benchmarks/pytorch_ppo.py --threads $T --config $c; done
done
echo "{\"sitting\": \"end\", \"uptime\": \"$(uptime)\"}"
