"""Validation data shared by the pipeline's tuning sweeps (`method_defaults_sweep.py`, `ptx_coefficient_sweep.py`):
the last 200 RL prompts of a finished `rlft pipeline` run, with the SFT model's own samples there as references.
Gold and the evaluation prompts are never read."""
import json
import os
import subprocess

RLFT = os.environ.get("RLFT", ".build/release/rlft")


def rlft(*arguments):
    """Runs `rlft` with `arguments` and returns its standard output."""
    return subprocess.run([RLFT, *arguments], check=True, capture_output=True, text=True).stdout


def validation_references(run, sweep):
    """Writes SWEEP/validation-vs-sft.jsonl, {"prompt", "completion"} records whose completions are the SFT model's
    samples on the last 200 of RUN's RL prompts (data/prompts.jsonl), and returns its path."""
    os.makedirs(sweep, exist_ok=True)
    validation = os.path.join(sweep, "validation.jsonl")
    with open(os.path.join(run, "data", "prompts.jsonl")) as f:
        prompts = f.readlines()[-200:]
    with open(validation, "w") as f:
        f.writelines(prompts)
    rlft("eval", "--model", os.path.join(run, "models", "sft"), "--prompts", validation, "--samples", "1",
         "--out", os.path.join(sweep, "sft"), "--quiet")
    references = os.path.join(sweep, "validation-vs-sft.jsonl")
    with open(os.path.join(sweep, "sft", "samples.jsonl")) as f, open(references, "w") as out:
        for line in f:
            record = json.loads(line)
            out.write(json.dumps({"prompt": record["prompt"], "completion": record["completion"]}) + "\n")
    return references
