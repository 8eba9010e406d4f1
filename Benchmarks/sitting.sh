#!/bin/sh
# One benchmark sitting: rlft-bench's model benchmarks and PyTorch's reference figures, 1 and 2 threads, in one go.
# Each measurement runs in its own process so that peak RSS covers only that benchmark.
# Usage (from the repository root, after `swift build -c release --product rlft-bench`):
#   sh Benchmarks/sitting.sh > Benchmarks/sitting.jsonl
set -e
BENCH=.build/release/rlft-bench
PY=${PY:-/work/.venv-torch/bin/python}
TORCH=${TORCH:-/work/shared/bench/torch_bench.py}
echo "{\"uptime\": \"$(uptime)\"}"
for t in 1 2; do
  for c in tiny small gpt2-mini; do
    for b in train forward generate; do $BENCH --threads $t --only $b --config $c; done
  done
  for c in a b c; do
    # nanoGPT-style train/forward, with the process's peak RSS
    OMP_NUM_THREADS=$t $PY Benchmarks/torch_peak.py --threads $t --config $c --impl nano --no-gen | tr '\n' ' '; echo
    # transformers GPT2LMHeadModel, including generate()
    OMP_NUM_THREADS=$t $PY $TORCH --threads $t --config $c --impl hf
  done
done
echo "{\"uptime\": \"$(uptime)\"}"
