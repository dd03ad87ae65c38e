"""The direct 784-H-10 MLP in PyTorch (ReLU, biases, nn.Linear's initialisation), trained as innate
trains `--encoding direct --hidden H`: Adam at lr 0.001, cross-entropy, batches of 64 drawn from a
shuffled MNIST training set scaled to [0, 1]. For side-by-side timings (bench/mlp_speed.sh).

Times --batches training batches after 20 warm-up batches and prints one JSON line: the settings,
the parameter count, seconds per 1,000 batches and the test accuracy at the end (a sanity check).

    python3 bench/mlp_torch.py --data-dir ../shared/data --hidden 784 --threads 2 --batches 1000
"""

import argparse
import json
import os
import time

import torch

from sgem_torch import mnist  # the same MNIST loading as the other benchmarks


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--data-dir", default=os.environ.get("INNATE_DATA", "../shared/data"))
    a.add_argument("--hidden", type=int, default=784)
    a.add_argument("--batches", type=int, default=1000)
    a.add_argument("--batch-size", type=int, default=64)
    a.add_argument("--threads", type=int, default=1)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--device", default="cpu")
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    train_x, train_y = mnist(args.data_dir, "train", dev)
    test_x, test_y = mnist(args.data_dir, "test", dev)
    torch.manual_seed(args.seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, args.hidden), torch.nn.ReLU(), torch.nn.Linear(args.hidden, 10)
    ).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    order, at = torch.randperm(len(train_x), generator=gen), 0

    def step():
        nonlocal order, at
        if at + args.batch_size > len(order):
            order, at = torch.randperm(len(train_x), generator=gen), 0
        ids = order[at : at + args.batch_size].to(dev)
        at += args.batch_size
        loss = torch.nn.functional.cross_entropy(model(train_x[ids]), train_y[ids])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(20):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(args.batches):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        acc = float((model(test_x).argmax(1) == test_y).float().mean())
    print(json.dumps({
        "torch": torch.__version__, "model": f"784-{args.hidden}-10", "threads": args.threads,
        "batch_size": args.batch_size, "batches": args.batches, "device": args.device,
        "params": sum(p.numel() for p in model.parameters()),
        "seconds_per_1000_batches": 1000 * seconds / args.batches, "test_accuracy": acc,
    }))


if __name__ == "__main__":
    main()
