"""One grid point of a tuning sweep: a copy of a finished run that `rlft … --resume` continues with changed settings.
Shared by the sweeps (`method_defaults_sweep.py`, `ptx_coefficient_sweep.py`, `quark_tuning_sweep.py`,
`rlp_settings_sweep.py`)."""
import json
import os
import shutil


def copy_for_resume(run, point, keep_stage, changes, drop=()):
    """Copies RUN to POINT so that a resume retrains only what the sweep changes.

    The copy leaves out RUN's checkpoints (a dropped stage must start over, not continue the base run's training;
    the kept stages reload their finished models), its samples.jsonl and report.md (the resume writes them, and a
    report is how a sweep knows a point is done), and every file or folder named in DROP at any depth (such as a
    retrained method's model). Only the stages whose name satisfies KEEP_STAGE stay finished in stages.json, and
    CHANGES are written into config.json."""
    top = os.path.normpath(run)
    shutil.copytree(run, point, ignore=lambda folder, names: [
        n for n in names if n in drop or (os.path.normpath(folder) == top and n in ("checkpoints", "samples.jsonl", "report.md"))])
    stages_path = os.path.join(point, "stages.json")
    stages = [s for s in json.load(open(stages_path)) if keep_stage(s["name"])]
    json.dump(stages, open(stages_path, "w"), indent=2)
    config_path = os.path.join(point, "config.json")
    config = json.load(open(config_path))
    config.update(changes)
    json.dump(config, open(config_path, "w"), indent=2, sort_keys=True)
