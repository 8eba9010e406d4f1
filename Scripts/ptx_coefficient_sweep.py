#!/usr/bin/env python3
"""How the pipeline's default γ_ptx was chosen (issue #18): by the held-out LM loss and validation data, never gold.

Given a finished `rlft pipeline` run (RUN), for each γ of the grid this copies the run up to its PPO stage, sets
`ptxCoefficient`, and resumes it, so only PPO-ptx trains again from the same SFT and reward models (then the
evaluation runs; read its report only after choosing). Each PPO-ptx model, the run's PPO model and its SFT model
are then scored on VALIDATION prompts, the last 200 of the run's RL prompts (data/prompts.jsonl; PPO trains on
them, the evaluation never sees them), by the run's reward model (`rlft eval --reward-model`). The training
annotators' win-rate against the SFT model's samples there is printed too, but not used: PPO's own gain on it is
within its noise (+0.006 at seed 0, with a standard error near 0.03). Gold and the evaluation prompts are never read.

Rule, InstructGPT's two aims for PPO-ptx (arXiv 2203.02155 §3.5, §4.2) in that order: among the γ whose PPO-ptx
keeps at least 70 % of PPO's reward-model gain over SFT on the validation prompts, the one with the lowest held-out
LM loss (the base model's validation split, which no stage trains on).

    python3 Scripts/ptx_coefficient_sweep.py runs/pipeline            # after `rlft pipeline --out runs/pipeline`

Each point takes about two minutes on two cores.
"""
import json
import os
import shutil
import subprocess
import sys

from pipeline_validation import RLFT, rlft, validation_references
from run_copies import copy_for_resume

GRID = [0.1, 0.3, 1, 3]


def recovered_loss_tax(point):
    """The share of PPO's held-out LM loss tax that PPO-ptx recovers, from the resumed run's paper-shape block
    (PPO and SFT are the same models at every point, so a larger share is a lower PPO-ptx loss)."""
    with open(os.path.join(point, "report.md")) as f:
        for line in f:
            if "PPO-ptx recovers" in line and "held-out LM loss" in line:
                return float(line.split("recovers ")[-1].split(" of it")[0])
    sys.exit(f"no held-out LM loss claim in {point}/report.md")


def validation_scores(model, references, reward_model):
    """(reward-model score, training annotators' win-rate against the SFT samples) on the validation prompts."""
    result = json.loads(rlft("eval", "--model", model, "--prompts", references, "--samples", "1",
                             "--reward-model", reward_model, "--quiet"))
    return result["reward_model"], result["win_rate_training"]["estimate"]


def main(run):
    sweep = run.rstrip("/") + "-ptx-sweep"
    references = validation_references(run, sweep)
    reward_model = os.path.join(run, "models", "reward")
    sft_score, _ = validation_scores(os.path.join(run, "models", "sft"), references, reward_model)
    ppo_score, ppo_win = validation_scores(os.path.join(run, "models", "ppo"), references, reward_model)
    ppo_gain = ppo_score - sft_score
    print(f"SFT: validation reward-model score {sft_score:.3f}; PPO: {ppo_score:.3f} (gain {ppo_gain:+.3f}), "
          f"win-rate against SFT {ppo_win:.3f}", flush=True)
    points = {}
    for gamma in GRID:
        point = os.path.join(sweep, f"gamma{gamma:g}")
        if not os.path.exists(os.path.join(point, "report.md")):
            shutil.rmtree(point, ignore_errors=True)
            stages = [s["name"] for s in json.load(open(os.path.join(run, "stages.json")))]
            kept = stages[:stages.index("PPO") + 1]
            copy_for_resume(run, point, lambda name: name in kept, {"ptxCoefficient": gamma}, drop=("ppo-ptx",))
            subprocess.run([RLFT, "pipeline", "--resume", point], check=True, stdout=subprocess.DEVNULL)
        score, win = validation_scores(os.path.join(point, "models", "ppo-ptx"), references, reward_model)
        gain = score - sft_score
        recovered = recovered_loss_tax(point)
        points[gamma] = (gain, recovered)
        kept = gain / ppo_gain if ppo_gain > 0 else float("nan")
        print(f"γ {gamma:g}: validation reward-model gain {gain:+.3f} ({kept:.2f} of PPO's), win-rate against SFT "
              f"{win:.3f}, "
              f"recovers {recovered:.3f} of PPO's held-out LM loss tax", flush=True)
    eligible = [g for g, (gain, _) in points.items() if ppo_gain > 0 and gain >= 0.7 * ppo_gain]
    if not eligible:
        print("no γ keeps 70 % of PPO's validation reward-model gain; chosen: none")
        return
    best = max(eligible, key=lambda g: points[g][1])
    print(f"chosen γ_ptx {best:g} (lowest held-out LM loss of {', '.join(f'{g:g}' for g in eligible)})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
