#!/usr/bin/env python3
"""How the pipeline's defaults for the extra methods were chosen (issue #18): on validation data, never on gold.

Given a finished `rlft pipeline` run (RUN, with `methods` set), for each grid point this copies the run, sets the
offline methods' learning rate (DPO, IPO, KTO, ORPO) and the online methods' iteration count (RLOO, GRPO), drops
the methods' finished stages and resumes it, so only the six methods train again from the same SFT and reward
models. Each method's model is then scored on VALIDATION prompts: the last 200 of the run's RL prompts
(data/prompts.jsonl; the offline methods never see them, and RLOO and GRPO reach at most the first 640 in 40
iterations), against the SFT model's own samples there, by the training annotators (`rlft eval`'s
win_rate_training). Gold and the evaluation prompts are never read. Per class, the grid point with the highest
mean validation win-rate wins.

    python3 Scripts/method_defaults_sweep.py runs/methods            # after `rlft pipeline --out runs/methods --methods '[...]'`

Each grid point takes about 4 minutes on two cores. The resumed runs also write their own report.md (on the
evaluation prompts); read those only after choosing.
"""
import json
import os
import shutil
import subprocess
import sys

from pipeline_validation import RLFT, rlft, validation_references
from run_copies import copy_for_resume

GRID = [(1e-5, 5), (2e-5, 10), (5e-5, 40), (1e-4, 20)]   # (offline learning rate, online iterations)
OFFLINE, ONLINE = ["dpo", "ipo", "kto", "orpo"], ["rloo", "grpo"]


def main(run):
    sweep = run.rstrip("/") + "-sweep"
    references = validation_references(run, sweep)
    scores = {}
    for learning_rate, iterations in GRID:
        point = os.path.join(sweep, f"lr{learning_rate:g}-it{iterations}")
        if not os.path.exists(os.path.join(point, "models", "grpo")):
            shutil.rmtree(point, ignore_errors=True)
            copy_for_resume(run, point, lambda name: name.lower() not in OFFLINE + ONLINE,
                            {"methodLearningRate": learning_rate, "methodIterations": iterations}, drop=OFFLINE + ONLINE)
            subprocess.run([RLFT, "pipeline", "--resume", point], check=True, stdout=subprocess.DEVNULL)
        for method in OFFLINE + ONLINE:
            result = json.loads(rlft("eval", "--model", os.path.join(point, "models", method), "--prompts", references,
                                     "--samples", "1", "--quiet"))
            scores[(learning_rate, iterations, method)] = result["win_rate_training"]["estimate"]
            print(f"lr {learning_rate:g}, iterations {iterations}: {method} validation win-rate vs SFT "
                  f"{scores[(learning_rate, iterations, method)]:.3f}", flush=True)
    for name, methods, index in [("offline learning rate", OFFLINE, 0), ("online iterations", ONLINE, 1)]:
        means = {point[index]: sum(scores[(*point, m)] for m in methods) / len(methods) for point in GRID}
        best = max(means, key=means.get)
        print(f"{name}: " + ", ".join(f"{k:g} → {v:.3f}" for k, v in means.items()) + f"; chosen {best:g}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
