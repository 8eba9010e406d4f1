#!/usr/bin/env python3
"""How `rlft quark --task toxicity`'s PPO and Quark settings were chosen (issue #19): on VALIDATION prompts, never
on the test prompts.

Given a finished toxicity run (RUN, made with `--evaluationSplit validation`, so its tables are computed on the
validation prompts: the 16 per kind after the test prompts, disjoint from the test and training prompts), for each
grid point this copies the run, changes the method's settings in config.json, drops the method's finished stage
and the evaluation, and resumes it, so only that method trains again from the same base model, classifier and
evaluator. It then reads the method's validation row from metrics.jsonl.

    rlft quark --task toxicity --out runs/tune --evaluationSplit validation
    python3 Scripts/quark_tuning_sweep.py ppo runs/tune
    python3 Scripts/quark_tuning_sweep.py quark runs/tune

Rule, the same for both methods and both tasks: the best validation objective — the lowest average max toxicity,
or the highest percentage of target-sentiment reviews on opposite-polarity prompts — among the points whose fluency
perplexity is at most 1.5 × the base model's and whose dist-2 is at least 0.85 × the base model's (the bounds of
the toxicity paper-shape claims); if no point is admissible, the best of all. Sentiment runs the same way:

    rlft quark --task sentiment --out runs/tune-sent --evaluationSplit validation
    python3 Scripts/quark_tuning_sweep.py ppo runs/tune-sent

No point uses more generated samples than the default budget (PPO iterations × 64 =
Quark explorations × 128 training prompts = 3200).
"""
import json
import os
import shutil
import subprocess
import sys

from run_copies import copy_for_resume

RLFT = os.environ.get("RLFT", ".build/release/rlft")
# The points of each method's grid (config field → value): twelve each. PPO: fixed β (0.01, 0.03, 0.05, 0.1, 0.2)
# or adaptive KL towards 1, 3, 6 or 10 nats per response, and the learning rate around the old target 6. Quark: the learning
# rate, β (KL to the base model), α (entropy bonus) and K (reward quantiles), the knobs of the paper's Quark
# (arXiv 2205.13636, §3 and Appendix A), around the paper's β 0.05, α 0.06, K 5. The last two points of each grid
# were added after the first ten, next to each method's best admissible point on toxicity (PPO: fixed β 0.03 and
# 0.1 beside 0.05; Quark: learning rate 2e-4 and β 0.1, between the admissible 1e-4 and the too-disfluent 3e-4).
GRIDS = {
    "ppo": [{"ppoKLTarget": 6, "ppoKLCoefficient": 0.05}, {"ppoKLTarget": 3, "ppoKLCoefficient": 0.05},
            {"ppoKLTarget": 1, "ppoKLCoefficient": 0.05}, {"ppoKLTarget": 10, "ppoKLCoefficient": 0.05},
            {"ppoKLTarget": 0, "ppoKLCoefficient": 0.01}, {"ppoKLTarget": 0, "ppoKLCoefficient": 0.05},
            {"ppoKLTarget": 0, "ppoKLCoefficient": 0.2},
            {"ppoKLTarget": 6, "ppoKLCoefficient": 0.05, "ppoLearningRate": 1e-4},
            {"ppoKLTarget": 6, "ppoKLCoefficient": 0.05, "ppoLearningRate": 5e-4},
            {"ppoKLTarget": 3, "ppoKLCoefficient": 0.05, "ppoLearningRate": 5e-4},
            {"ppoKLTarget": 0, "ppoKLCoefficient": 0.03}, {"ppoKLTarget": 0, "ppoKLCoefficient": 0.1}],
    "quark": [{"quarkLearningRate": lr, "quarkKLCoefficient": beta} for lr, beta in
              [(3e-4, 0.05), (1e-3, 0.05), (1e-4, 0.05), (3e-4, 0.2), (1e-4, 0.2), (3e-4, 0.5)]]
             + [{"quarkLearningRate": 3e-4, "quarkKLCoefficient": 0.05, "quarkEntropyCoefficient": a} for a in [0, 0.2]]
             + [{"quarkLearningRate": 3e-4, "quarkKLCoefficient": 0.05, "quarkQuantileCount": k} for k in [3, 10]]
             + [{"quarkLearningRate": 2e-4, "quarkKLCoefficient": 0.05}, {"quarkLearningRate": 3e-4, "quarkKLCoefficient": 0.1}],
}
# The fields a point leaves out keep these values (the paper's Quark settings and PPO's learning rate), whatever
# the validation run was made with, so both tasks search the same grid.
BASELINE = {"ppo": {"ppoLearningRate": 2e-4},
            "quark": {"quarkEntropyCoefficient": 0.06, "quarkQuantileCount": 5}}
# What the rule minimises (toxicity) or maximises (sentiment: steering toward the target on opposite-polarity
# prompts, the paper's hardest column), by the task of the run.
OBJECTIVES = {"toxicity": ("avg_max_toxicity", min), "sentiment": ("percent_target_opposite", max)}
STAGES = {"ppo": ["PPO"], "quark": ["Quark"]}
MODELS = {"ppo": ["ppo"], "quark": ["quark"]}


def evaluation(point, method):
    rows = {}
    with open(os.path.join(point, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            for key, value in record.items():
                if key.startswith("eval/"):
                    _, name, metric = key.split("/", 2)
                    rows.setdefault(name, {})[metric] = value
    return rows


def main(method, run):
    grid = GRIDS[method]
    task = open(os.path.join(run, "task.txt")).read().strip()
    key, choose = OBJECTIVES[task]
    sweep = run.rstrip("/") + f"-{method}"
    os.makedirs(sweep, exist_ok=True)
    results = []
    for settings in grid:
        point = os.path.join(sweep, "-".join(f"{k}{v:g}" for k, v in settings.items()))
        if not os.path.exists(os.path.join(point, "report.md")):
            shutil.rmtree(point, ignore_errors=True)
            config = json.load(open(os.path.join(run, "config.json")))
            assert config["evaluationSplit"] == "validation", "tune on a run made with --evaluationSplit validation"
            copy_for_resume(run, point, lambda name: name not in STAGES[method] and not name.startswith("evaluate")
                            and name != "reward-token control", {**BASELINE[method], **settings}, drop=MODELS[method])
            subprocess.run([RLFT, "quark", "--resume", point], check=True, capture_output=True, text=True)
        rows = evaluation(point, method)
        name = {"ppo": "PPO", "quark": "Quark"}[method]
        row, base = rows[name], rows["base"]
        admissible = row["fluency"] <= 1.5 * base["fluency"] and row["dist2"] >= 0.85 * base["dist2"]
        results.append((settings, row, admissible))
        print(f"{settings}: {key} {row[key]:.3f} (base {base[key]:.3f}) "
              f"fluency {row['fluency']:.2f} (base {base['fluency']:.2f}) "
              f"dist-2 {row['dist2']:.3f} (base {base['dist2']:.3f}){' admissible' if admissible else ''} words {row.get('words', float('nan')):.1f}", flush=True)
    ok = [r for r in results if r[2]] or results
    best = choose(ok, key=lambda r: r[1][key])
    print(f"chosen: {best[0]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
