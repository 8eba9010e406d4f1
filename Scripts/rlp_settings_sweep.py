#!/usr/bin/env python3
"""How `rlft rlp`'s PPO settings and RLP-UML's λ were chosen (issue #19): on validation data, never gold.

Both sweeps start from a finished `rlft rlp` run (RUN) at seeds 0–1 and copy it up to the stages the swept setting
does not change, set the setting in the copy's config.json and resume it (`rlft rlp --resume`), so the SFT model and
the first reward models are shared by every grid point. Only validation figures are printed: the training
annotators' expected win-rate on the validation prompts (RL prompts outside P and outside PPO's training prompts,
4 samples each at the evaluation temperature), and the reward model's accuracy on pairs of PPO samples labelled by
the training annotators. Gold and the evaluation prompts are never read.

    rlft rlp --out runs/rlp-ppo --seeds '[0,1]' --rlp-variants '[]'
    python3 Scripts/rlp_settings_sweep.py ppo runs/rlp-ppo
    python3 Scripts/rlp_settings_sweep.py uml runs/rlp-ppo   # the PPO-only run (or grid point) of the chosen settings

Rules:
- ppo: PPO's settings (shared by PPO and both RLP policies' retraining) are the grid point with the highest mean
  validation win-rate of the PPO row over the seeds.
- uml: λ is the grid point with the highest mean validation accuracy of RLP-UML's retrained reward model.
"""
import json
import os
import shutil
import subprocess
import sys

from run_copies import copy_for_resume

RLFT = os.environ.get("RLFT", ".build/release/rlft")
GRIDS = {
    # (field, value) changes from the base run's config, one grid point each.
    "ppo": [{"ppoIterations": 15}, {"ppoIterations": 60}, {"ppoTemperature": 0.7}, {"klCoefficient": 0.05}],
    "uml": [{"rlpVariants": ["uml"], "multiViewWeight": weight} for weight in (0.0, 0.5, 2.0)],
}
# The stages a grid point keeps (finished in the base run, unchanged by the swept setting).
KEPT = {
    "ppo": ("task", "pretraining", "supervised fine-tuning", "reward model"),
    "uml": ("task", "pretraining", "supervised fine-tuning", "reward model", "PPO"),
}


def kept(name, mode):
    return name in KEPT[mode][:3] or any(name.startswith("seed") and name.split(" ", 1)[1] == stage for stage in KEPT[mode][3:])


def validation(run, mode):
    """Per system: the mean over seeds of the validation win-rate and of the RM validation accuracy (report.md)."""
    rows = {}
    for line in open(os.path.join(run, "report.md")):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 11 and cells[1].isdigit():
            # system, seed, win-rate (training), win-rate (held-out), gold, validation win-rate, RM accuracy (SFT),
            # RM accuracy (policy), RM validation accuracy, kept, synthetic-pair accuracy: only columns 5 and 8 are read.
            rows.setdefault(cells[0], []).append((cells[5], cells[8]))
    def mean(values):
        numbers = [float(v) for v in values if v not in ("—", "nan")]
        return sum(numbers) / len(numbers) if numbers else float("nan")
    return {system: (mean(v for v, _ in pairs), mean(a for _, a in pairs)) for system, pairs in rows.items()}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in GRIDS:
        sys.exit("usage: rlp_settings_sweep.py ppo|uml RUN")
    mode, run = sys.argv[1], sys.argv[2]
    # The ppo grid's base is the run itself; the uml grid adds RLP-UML to the PPO-only run at each λ.
    results = [("base", validation(run, mode))] if mode == "ppo" else []
    for change in GRIDS[mode]:
        point = run.rstrip("/") + "-" + "-".join(f"{k}{v}" for k, v in change.items() if k != "rlpVariants")
        if not os.path.exists(os.path.join(point, "report.md")):
            shutil.rmtree(point, ignore_errors=True)
            copy_for_resume(run, point, lambda name: kept(name, mode), change)
            subprocess.run(["nice", "-n", "10", RLFT, "rlp", "--resume", point], check=True, stdout=subprocess.DEVNULL)
        results.append((json.dumps(change), validation(point, mode)))
    system = "PPO" if mode == "ppo" else "RLP-UML"
    column = 0 if mode == "ppo" else 1
    for name, figures in results:
        print(f"{name}: {system} validation win-rate {figures[system][0]:.3f}, RM validation accuracy {figures[system][1]:.3f}"
              + (f" (SFT validation win-rate {figures['SFT'][0]:.3f})" if "SFT" in figures else ""))
    best = max(results, key=lambda r: r[1][system][column])
    print("chosen:", best[0])


if __name__ == "__main__":
    main()
