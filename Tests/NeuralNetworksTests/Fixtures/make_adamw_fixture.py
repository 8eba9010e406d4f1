# Writes optimizer_reference.json: parameters, per-step gradients and the parameters after each of 5 steps of
# torch.optim.AdamW, Adam and SGD (momentum, dampening, Nesterov), with weight decay on the matrix only (via
# param groups) unless a run says otherwise. OptimizerTests replays the gradients through our optimizers.
# Needs `pip install torch`. Run from this directory:  python3 make_adamw_fixture.py
import json
import platform

import torch

STEPS = 5


def initial_parameters():
    # Fixed O(1) values, away from zero, so a relative tolerance is meaningful.
    weight = torch.tensor([[0.5, -1.2, 0.8, 1.5], [-0.3, 0.9, -1.1, 0.4], [1.3, -0.6, 0.2, -0.9]], dtype=torch.float32)
    bias = torch.tensor([0.1, -0.2, 0.3, -0.4], dtype=torch.float32)
    gain = torch.tensor([1.0, 0.75, 1.25], dtype=torch.float32)
    return {"weight": weight, "bias": bias, "gain": gain}


def gradients():
    g = torch.Generator().manual_seed(1234)
    steps = []
    for step in range(STEPS):
        grads = {name: torch.randn(p.shape, generator=g, dtype=torch.float32) * (1 + step)
                 for name, p in initial_parameters().items()}
        if step == 2:
            grads["gain"] = None  # a parameter without a gradient is skipped, and its step count does not advance
        steps.append(grads)
    return steps


RUNS = [
    {"name": "adamw", "optimizer": "AdamW", "lr": 1e-2, "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.1,
     "decay": ["weight"]},
    {"name": "adamw_decay_all", "optimizer": "AdamW", "lr": 1e-2, "betas": [0.9, 0.95], "eps": 1e-8,
     "weight_decay": 0.1, "decay": ["weight", "bias", "gain"]},
    {"name": "adam", "optimizer": "Adam", "lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.05,
     "decay": ["weight"]},
    {"name": "sgd_momentum", "optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": False,
     "weight_decay": 0.01, "decay": ["weight"]},
    {"name": "sgd_nesterov", "optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": True,
     "weight_decay": 0.01, "decay": ["weight"]},
]


def make_optimizer(run, params):
    decayed = [params[n] for n in params if n in run["decay"]]
    others = [params[n] for n in params if n not in run["decay"]]
    groups = [{"params": decayed, "weight_decay": run["weight_decay"]}, {"params": others, "weight_decay": 0.0}]
    if run["optimizer"] == "AdamW":
        return torch.optim.AdamW(groups, lr=run["lr"], betas=tuple(run["betas"]), eps=run["eps"], foreach=False)
    if run["optimizer"] == "Adam":
        return torch.optim.Adam(groups, lr=run["lr"], betas=tuple(run["betas"]), eps=run["eps"], foreach=False)
    return torch.optim.SGD(groups, lr=run["lr"], momentum=run["momentum"], dampening=run["dampening"],
                           nesterov=run["nesterov"], foreach=False)


def values(t):
    return [float(x) for x in t.reshape(-1).tolist()]


def main():
    grads = gradients()
    fixture = {
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
        "parameters": [{"name": n, "shape": list(p.shape), "initial": values(p)} for n, p in initial_parameters().items()],
        "gradients": [{n: (None if g is None else values(g)) for n, g in step.items()} for step in grads],
        "runs": [],
    }
    for run in RUNS:
        params = {n: torch.nn.Parameter(p.clone()) for n, p in initial_parameters().items()}
        optimizer = make_optimizer(run, params)
        after = []
        for step in grads:
            for n, p in params.items():
                p.grad = None if step[n] is None else step[n].clone()
            optimizer.step()
            after.append({n: values(p.detach()) for n, p in params.items()})
        fixture["runs"].append({**run, "steps": after})
    with open("optimizer_reference.json", "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
