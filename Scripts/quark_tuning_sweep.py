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

Rule, the same for both methods: the lowest validation average max toxicity among the points whose fluency
perplexity is at most 1.5 × the base model's and whose dist-2 is at least 0.85 × the base model's (the bounds of
the paper-shape claims). No point uses more generated samples than the default budget (PPO iterations × 64 =
Quark explorations × 128 training prompts = 3200).
"""
import json
import os
import shutil
import subprocess
import sys

RLFT = os.environ.get("RLFT", ".build/release/rlft")
# The points of each method's grid (config field → value).
GRIDS = {
    "ppo": [{"ppoKLTarget": 0, "ppoKLCoefficient": 0.05}, {"ppoKLTarget": 0, "ppoKLCoefficient": 0.2},
            {"ppoKLTarget": 1, "ppoKLCoefficient": 0.05}, {"ppoKLTarget": 3, "ppoKLCoefficient": 0.05},
            {"ppoKLTarget": 0, "ppoKLCoefficient": 0.01}, {"ppoKLTarget": 6, "ppoKLCoefficient": 0.05},
            {"ppoKLTarget": 3, "ppoKLCoefficient": 0.05, "ppoLearningRate": 5e-4},
            {"ppoKLTarget": 3, "ppoKLCoefficient": 0.05, "ppoIterations": 25}],
    "quark": [{"quarkLearningRate": lr, "quarkKLCoefficient": beta} for lr in [1e-3, 3e-4, 1e-4] for beta in [0.05, 0.2]]
             + [{"quarkLearningRate": 3e-4, "quarkKLCoefficient": 0.02}, {"quarkLearningRate": 3e-4, "quarkKLCoefficient": 0.05, "quarkBatchSize": 128}],
}
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
    sweep = run.rstrip("/") + f"-{method}"
    os.makedirs(sweep, exist_ok=True)
    results = []
    for settings in grid:
        point = os.path.join(sweep, "-".join(f"{k}{v:g}" for k, v in settings.items()))
        if not os.path.exists(os.path.join(point, "report.md")):
            shutil.rmtree(point, ignore_errors=True)
            shutil.copytree(run, point, ignore=shutil.ignore_patterns("samples.jsonl", *MODELS[method]))
            for name in MODELS[method]:
                shutil.rmtree(os.path.join(point, "checkpoints", name), ignore_errors=True)
            config_path = os.path.join(point, "config.json")
            config = json.load(open(config_path))
            assert config["evaluationSplit"] == "validation", "tune on a run made with --evaluationSplit validation"
            config.update(settings)
            json.dump(config, open(config_path, "w"), indent=2, sort_keys=True)
            stages_path = os.path.join(point, "stages.json")
            stages = [s for s in json.load(open(stages_path))
                      if s["name"] not in STAGES[method] and not s["name"].startswith("evaluate") and s["name"] != "reward-token control"]
            json.dump(stages, open(stages_path, "w"), indent=2)
            subprocess.run([RLFT, "quark", "--resume", point], check=True, capture_output=True, text=True)
        rows = evaluation(point, method)
        name = {"ppo": "PPO", "quark": "Quark"}[method]
        row, base = rows[name], rows["base"]
        admissible = row["fluency"] <= 1.5 * base["fluency"] and row["dist2"] >= 0.85 * base["dist2"]
        results.append((settings, row, admissible))
        print(f"{settings}: avg max tox {row['avg_max_toxicity']:.3f} tox prob {row['toxicity_probability']:.3f} "
              f"fluency {row['fluency']:.2f} (base {base['fluency']:.2f}) "
              f"dist-2 {row['dist2']:.3f} (base {base['dist2']:.3f}){' admissible' if admissible else ''} words {row.get('words', float('nan')):.1f}", flush=True)
    ok = [r for r in results if r[2]] or results
    best = min(ok, key=lambda r: r[1]["avg_max_toxicity"])
    print(f"chosen: {best[0]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
