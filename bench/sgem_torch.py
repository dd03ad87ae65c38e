"""S-GEM and ML-S-GEM in PyTorch, built the way innate builds them, for side-by-side timings and
accuracies against `innate train --encoding sgem|mlsgem` on the same machine or GPU.

It follows innate's implementation (crates/gem/src/gem.rs, crates/encodings/src/expression.rs):
Gaussian gene fields on 28x28 grids over [-1, 1]^2 for the input and hidden neurons (centres
tanh(U(-1, 1)), or with `--centres spiral` on innate's sunflower spiral of radius 0.7; widths
exp(ln 0.3)), a fixed random output expression, fixed random biases
(randn x 0.5), a fixed Kaiming factor per layer, the forward pass through the genes
(x W^T = c ((x X_in) O^T) X_out^T), Adam, batch 64, MNIST scaled to [0, 1]. `--model mlp` is
ML-S-GEM 784-784-10 (one O shared by both layers), `--model slp` the S-GEM 784-10 perceptron.

`--protocol speed` (the default) times --batches batches after a warm-up of 50 and reports the
test accuracy at the end, a sanity check only. `--protocol paper` trains as `innate train` does by
default: the whole test set every 1,000 batches, stop after two evaluations that do not beat the
last accepted accuracy by more than 0.005, at most 30,000 batches, and report the best accuracy.
`--protocol full` evaluates the same way but never stops early (`innate train --patience 0`).
Needs torch and numpy.

    python3 bench/sgem_torch.py --data-dir ../shared/data --genes 22 --batches 1000 --threads 1
    python3 bench/sgem_torch.py --data-dir ../shared/data --model slp --genes 9 --protocol paper --seeds 10 --threads 1
    python3 bench/sgem_torch.py --data-dir data --device cuda          # on a GPU machine

It prints one JSON line per seed: the settings and, for speed, seconds per 1,000 batches and the
final test accuracy; for paper, the best test accuracy, the batch it was reached at, the batches
trained and the seconds taken.
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

    def __init__(self, genes, centres="reference", rows=28, cols=28):
        super().__init__()
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, rows), torch.linspace(-1, 1, cols), indexing="ij")
        self.register_buffer("positions", torch.stack([xs.flatten(), ys.flatten()], 1))
        mu = torch.rand(genes, 2) * 2 - 1
        if centres == "spiral":
            # innate's CentreInit::Spiral: gene i at radius 0.7 sqrt((i + 1/2) / G), angle i times
            # the golden angle; raw centres atanh of that (the draw above still happens).
            i = torch.arange(genes, dtype=torch.float64)
            r = 0.7 * torch.sqrt((i + 0.5) / genes)
            a = i * math.pi * (3 - math.sqrt(5))
            mu = torch.atanh(torch.stack([r * torch.cos(a), r * torch.sin(a)], 1)).float()
        self.mu = torch.nn.Parameter(mu)
        self.log_sigma = torch.nn.Parameter(torch.full((genes,), math.log(0.3)))

    def forward(self):
        d2 = ((self.positions[:, None, :] - torch.tanh(self.mu)[None]) ** 2).sum(2)
        return torch.exp(-d2 / torch.exp(self.log_sigma)[None] ** 2)


def kaiming_factor(x_out, o, x_in):
    """The fixed factor that gives x_out O x_inᵀ the spread of a Kaiming-normal matrix of its shape."""
    return math.sqrt(2.0 / x_in.shape[0]) / float((x_out @ o @ x_in.T).std())


class SGemSlp(torch.nn.Module):
    """S-GEM single-layer perceptron 784-10: Gaussian fields on the input grid, learned O, a fixed
    random output expression and fixed random biases (the paper's Fig. 2c runs)."""

    def __init__(self, genes, centres="reference", classes=10):
        super().__init__()
        self.inputs = Fields(genes, centres)
        self.o = torch.nn.Parameter(torch.randn(genes, genes))
        self.register_buffer("x_out", torch.randn(classes, genes))
        self.register_buffer("b", torch.randn(classes) * 0.5)
        with torch.no_grad():
            self.c = kaiming_factor(self.x_out, self.o, self.inputs())

    def forward(self, x):
        return self.c * ((x @ self.inputs()) @ self.o.T) @ self.x_out.T + self.b


class MlSGem(torch.nn.Module):
    """ML-S-GEM 784-784-10: Gaussian fields on the input and hidden grids, one learned O shared by
    both layers, a fixed random output expression and fixed random biases (the paper's Fig. 2d)."""

    def __init__(self, genes, centres="reference", hidden_side=28, classes=10):
        super().__init__()
        self.inputs = Fields(genes, centres)
        self.hidden = Fields(genes, centres, hidden_side, hidden_side)
        self.o = torch.nn.Parameter(torch.randn(genes, genes))
        self.register_buffer("x_out", torch.randn(classes, genes))
        n_hidden = hidden_side * hidden_side
        self.register_buffer("b0", torch.randn(n_hidden) * 0.5)
        self.register_buffer("b1", torch.randn(classes) * 0.5)
        with torch.no_grad():
            xs = [self.inputs(), self.hidden(), self.x_out]
            # The spread of a Kaiming-normal matrix of the same shape: sqrt(2 / fan_in).
            self.c = [kaiming_factor(xs[l + 1], self.o, xs[l]) for l in range(2)]

    def forward(self, x):
        x_in, x_hid = self.inputs(), self.hidden()
        h = torch.relu(self.c[0] * ((x @ x_in) @ self.o.T) @ x_hid.T + self.b0)
        return self.c[1] * ((h @ x_hid) @ self.o.T) @ self.x_out.T + self.b1


def train_one(args, seed, data, dev):
    """Trains one model from `seed`; returns the JSON record."""
    train_x, train_y, test_x, test_y = data
    torch.manual_seed(seed)
    model = (SGemSlp if args.model == "slp" else MlSGem)(args.genes, args.centres).to(dev)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    learned = sum(p.numel() for p in model.parameters())
    gen = torch.Generator(device="cpu").manual_seed(seed)
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

    def accuracy():
        with torch.no_grad():
            correct = sum(
                int((model(test_x[i : i + 1000]).argmax(1) == test_y[i : i + 1000]).sum())
                for i in range(0, len(test_x), 1000)
            )
        return correct / len(test_x)

    record = {
        "implementation": f"pytorch {torch.__version__}",
        "encoding": "sgem" if args.model == "slp" else "mlsgem",
        "model": args.model,
        "genes": args.genes,
        "learned_params": learned,
        "lr": args.lr,
        "seed": seed,
        "centres": args.centres,
        "device": str(dev),
        "threads": torch.get_num_threads() if dev.type == "cpu" else None,
    }
    if args.protocol in ("paper", "full"):
        # The developmental-priors protocol, as `innate train` runs it: evaluate on the whole test
        # set every --eval-every batches, stop after two evaluations that do not beat the last
        # accepted accuracy by more than 0.005, report the best evaluation.
        best = reference = accuracy()
        best_batches, stale, done = 0, 0, 0
        t = time.perf_counter()
        while done < args.batches:
            step()
            done += 1
            if done % args.eval_every == 0 or done == args.batches:
                acc = accuracy()
                if acc > best:
                    best, best_batches = acc, done
                if acc > reference + 0.005:
                    reference, stale = acc, 0
                else:
                    stale += 1
                if stale >= 2 and args.protocol == "paper":
                    break
        record.update(
            protocol=args.protocol,
            batches=done,
            best_batches=best_batches,
            best_test_accuracy=best,
            seconds=time.perf_counter() - t,
        )
        return record
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
    record.update(
        protocol="speed",
        batches=args.batches + warmup,
        seconds_per_1000_batches=1000 * seconds / args.batches,
        test_accuracy=accuracy(),
    )
    return record


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--data-dir", default=os.environ.get("INNATE_DATA", "data"))
    a.add_argument("--model", choices=["mlp", "slp"], default="mlp", help="mlp: ML-S-GEM 784-784-10; slp: S-GEM 784-10")
    a.add_argument("--genes", type=int, default=22)
    a.add_argument(
        "--protocol",
        choices=["speed", "paper", "full"],
        default="speed",
        help="speed: time --batches batches after a warm-up; paper: the papers' early-stopping protocol; "
        "full: the same evaluations without early stopping",
    )
    a.add_argument(
        "--centres",
        choices=["reference", "spiral"],
        default="reference",
        help="where the field centres start: tanh(U(-1, 1)) as the reference code, or innate's spiral",
    )
    a.add_argument("--batches", type=int, default=None, help="default: 1000 (speed), 30000 (paper, full)")
    a.add_argument("--eval-every", type=int, default=1000)
    a.add_argument("--batch-size", type=int, default=64)
    a.add_argument("--lr", type=float, default=0.01)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--seeds", type=int, default=1, help="train seeds --seed .. --seed + N - 1, one JSON line each")
    a.add_argument("--device", default="cpu")
    a.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    args = a.parse_args()
    if args.batches is None:
        args.batches = 1000 if args.protocol == "speed" else 30000
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    data = (*mnist(args.data_dir, "train", dev), *mnist(args.data_dir, "test", dev))
    for seed in range(args.seed, args.seed + args.seeds):
        print(json.dumps(train_one(args, seed, data, dev)), flush=True)


if __name__ == "__main__":
    main()
