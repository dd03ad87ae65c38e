"""ML-S-GEM (784-784-10 MLP, one interaction matrix shared by both layers) in PyTorch, for
side-by-side timings against `innate train --encoding mlsgem` on the same machine or GPU.

It follows innate's implementation (crates/gem/src/gem.rs, crates/encodings/src/expression.rs):
Gaussian gene fields on 28x28 grids over [-1, 1]^2 for the input and hidden neurons (centres
tanh(U(-1, 1)), widths exp(ln 0.3)), a fixed random output expression, fixed random biases
(randn x 0.5), a fixed Kaiming factor per layer, the forward pass through the genes
(x W^T = c ((x X_in) O^T) X_out^T), Adam, batch 64, MNIST scaled to [0, 1]. It measures training
speed, not the papers' protocol (no early stopping), so its accuracy after a few thousand batches is
only a sanity check. Needs torch and numpy.

    python3 bench/mlsgem_torch.py --data-dir ../shared/data --genes 22 --batches 1000 --threads 1
    python3 bench/mlsgem_torch.py --data-dir data --device cuda          # on a GPU machine

It prints one JSON line: seconds per 1,000 batches (after a warm-up of 50 batches), the test
accuracy at the end, and the settings.
"""

import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(root, split, device):
    prefix = "train" if split == "train" else "t10k"
    images = idx(os.path.join(root, "mnist", f"{prefix}-images-idx3-ubyte.gz"))
    labels = idx(os.path.join(root, "mnist", f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.tensor(images.reshape(len(images), -1), dtype=torch.float32, device=device) / 255.0
    return x, torch.tensor(labels, dtype=torch.long, device=device)


class Fields(torch.nn.Module):
    """G Gaussian gene fields on a rows x cols grid over [-1, 1]^2: X[n, g] = exp(-(d / sigma)^2)."""

    def __init__(self, genes, rows=28, cols=28):
        super().__init__()
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, rows), torch.linspace(-1, 1, cols), indexing="ij")
        self.register_buffer("positions", torch.stack([xs.flatten(), ys.flatten()], 1))
        self.mu = torch.nn.Parameter(torch.rand(genes, 2) * 2 - 1)
        self.log_sigma = torch.nn.Parameter(torch.full((genes,), math.log(0.3)))

    def forward(self):
        d2 = ((self.positions[:, None, :] - torch.tanh(self.mu)[None]) ** 2).sum(2)
        return torch.exp(-d2 / torch.exp(self.log_sigma)[None] ** 2)


class MlSGem(torch.nn.Module):
    def __init__(self, genes, hidden_side=28, classes=10):
        super().__init__()
        self.inputs = Fields(genes)
        self.hidden = Fields(genes, hidden_side, hidden_side)
        self.o = torch.nn.Parameter(torch.randn(genes, genes))
        self.register_buffer("x_out", torch.randn(classes, genes))
        n_hidden = hidden_side * hidden_side
        self.register_buffer("b0", torch.randn(n_hidden) * 0.5)
        self.register_buffer("b1", torch.randn(classes) * 0.5)
        with torch.no_grad():
            xs = [self.inputs(), self.hidden(), self.x_out]
            # The spread of a Kaiming-normal matrix of the same shape: sqrt(2 / fan_in).
            self.c = [
                math.sqrt(2.0 / xs[l].shape[0]) / float((xs[l + 1] @ self.o @ xs[l].T).std()) for l in range(2)
            ]

    def forward(self, x):
        x_in, x_hid = self.inputs(), self.hidden()
        h = torch.relu(self.c[0] * ((x @ x_in) @ self.o.T) @ x_hid.T + self.b0)
        return self.c[1] * ((h @ x_hid) @ self.o.T) @ self.x_out.T + self.b1


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--data-dir", default=os.environ.get("INNATE_DATA", "data"))
    a.add_argument("--genes", type=int, default=22)
    a.add_argument("--batches", type=int, default=1000)
    a.add_argument("--batch-size", type=int, default=64)
    a.add_argument("--lr", type=float, default=0.01)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--device", default="cpu")
    a.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    args = a.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    train_x, train_y = mnist(args.data_dir, "train", dev)
    test_x, test_y = mnist(args.data_dir, "test", dev)
    model = MlSGem(args.genes).to(dev)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    learned = sum(p.numel() for p in model.parameters())
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

    warmup = 50
    for _ in range(warmup):
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
        correct = sum(
            int((model(test_x[i : i + 1000]).argmax(1) == test_y[i : i + 1000]).sum())
            for i in range(0, len(test_x), 1000)
        )
    print(
        json.dumps(
            {
                "implementation": f"pytorch {torch.__version__}",
                "encoding": "mlsgem",
                "genes": args.genes,
                "learned_params": learned,
                "device": str(dev),
                "threads": torch.get_num_threads() if dev.type == "cpu" else None,
                "batches": args.batches + warmup,
                "seconds_per_1000_batches": 1000 * seconds / args.batches,
                "test_accuracy": correct / len(test_x),
            }
        )
    )


if __name__ == "__main__":
    main()
