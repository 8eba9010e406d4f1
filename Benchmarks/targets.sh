#!/bin/sh
# The three PERF.md targets, ours and PyTorch's interleaved (two rounds) so that both see the same machine load.
# Usage: sh Benchmarks/targets.sh [THREADS] > Benchmarks/targets.jsonl
BENCH=.build/release/rlft-bench
PY=${PY:-/work/.venv-torch/bin/python}
TORCH=${TORCH:-/work/shared/bench/torch_bench.py}
t=${1:-2}
echo "{\"uptime\": \"$(uptime)\"}"
for round in 1 2; do
  $BENCH --threads $t --only train --config small
  OMP_NUM_THREADS=$t $PY $TORCH --threads $t --config b --impl nano --no-gen
  for c in tiny small; do $BENCH --threads $t --only generate --config $c; done
  for c in a b; do OMP_NUM_THREADS=$t $PY $TORCH --threads $t --config $c --impl hf --steps 3 --warmup 1; done
done
$BENCH --threads $t --only train --config gpt2-mini --repeats 4
OMP_NUM_THREADS=$t $PY Benchmarks/torch_peak.py --threads $t --config c --impl nano --no-gen --steps 3 --warmup 1 | tr '\n' ' '; echo
echo "{\"uptime\": \"$(uptime)\"}"
