"""Many networks trained at once in PyTorch: torch.func.vmap over K members of one model, the
anchor for `innate train --seeds` populations (crates/evolution/src/population.rs).

Each member has its own parameters (torch.func.stack_module_state), its own shuffled batches of
MNIST (batch 64, one shared copy of the data on the device) and its own Adam state (one
torch.optim.Adam over the stacked tensors is K independent Adams: it works element by element).
Models: `mlsgem` (ML-S-GEM 784-784-10, G genes, as bench/sgem_torch.py builds it), `direct`
(the 784-784-10 MLP, nn.Linear's initialisation). It times --batches training steps after 20
warm-up steps, for each K of --members, and prints one JSON line per K: seconds per 1,000
batches for the whole population and per member.

    python3 bench/population_torch.py --data-dir ../shared/data --model mlsgem --members 1,4,10 --threads 1
    python3 bench/population_torch.py --data-dir data --model direct --members 1,10,50 --device cuda
"""

import argparse
import copy
import json
import os
import sys
import time

import torch
from torch.func import functional_call, stack_module_state, vmap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sgem_torch import MlSGem, mnist  # noqa: E402


def direct():
    return torch.nn.Sequential(torch.nn.Linear(784, 784), torch.nn.ReLU(), torch.nn.Linear(784, 10))


def population(model, k, genes, device):
    members = []
    for seed in range(k):
        torch.manual_seed(seed)
        members.append((MlSGem(genes) if model == "mlsgem" else direct()).to(device))
    params, buffers = stack_module_state(members)
    base = copy.deepcopy(members[0]).to("meta")
    return base, params, buffers


def run(args, k, x, y, device):
    base, params, buffers = population(args.model, k, args.genes, device)
    opt = torch.optim.Adam(params.values(), lr=args.lr)
    gens = [torch.Generator(device=device).manual_seed(s) for s in range(k)]

    def loss_of(p, b, xb, yb):
        return torch.nn.functional.cross_entropy(functional_call(base, (p, b), (xb,)), yb)

    step_losses = vmap(loss_of, in_dims=(0, 0, 0, 0))
    n = x.shape[0]

    def step():
        idx = torch.stack([torch.randint(0, n, (args.batch_size,), generator=g, device=device) for g in gens])
        losses = step_losses(params, buffers, x[idx], y[idx])
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()

    for _ in range(20):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.batches):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    per_1000 = 1000 * seconds / args.batches
    return {
        "impl": "torch.func.vmap",
        "torch": torch.__version__,
        "model": args.model,
        "genes": args.genes if args.model == "mlsgem" else None,
        "members": k,
        "device": str(device),
        "threads": torch.get_num_threads() if device.type == "cpu" else None,
        "batches": args.batches,
        "seconds_per_1000_batches": per_1000,
        "seconds_per_1000_member_batches": per_1000 / k,
        "peak_memory_mb": torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None,
    }


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--data-dir", default=os.environ.get("INNATE_DATA", "data"))
    a.add_argument("--model", choices=["mlsgem", "direct"], default="mlsgem")
    a.add_argument("--genes", type=int, default=22)
    a.add_argument("--members", default="1,4,10", help="population sizes, comma-separated")
    a.add_argument("--batches", type=int, default=500)
    a.add_argument("--batch-size", type=int, default=64)
    a.add_argument("--lr", type=float, default=0.01)
    a.add_argument("--device", default="cpu")
    a.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    args = a.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    x, y = mnist(args.data_dir, "train", device)
    for k in [int(m) for m in args.members.split(",")]:
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        print(json.dumps(run(args, k, x, y, device)), flush=True)


if __name__ == "__main__":
    main()
