"""LeNet-5 in PyTorch in the three variants innate trains (standard, locally connected, S-GEM),
for side-by-side timings and accuracies against `innate train --model lenet5` on the same machine.

The networks are innate's (crates/devconv/src/lenet5.rs): conv 5x5 (6 maps, padding 2 on 28x28
MNIST, none on 32x32 CIFAR-10), ReLU, 2x2 average pooling, conv 5x5 (16 maps), ReLU, pooling,
linear 120, ReLU, 84, ReLU, 10; Adam, cross-entropy, batches of 128, images scaled to [0, 1].

- `standard`: torch.nn.Conv2d and Linear (61,706 parameters on MNIST).
- `local`: no weight sharing: a kernel and a bias per output neuron, written as a PyTorch user
  would, `F.unfold` of the input and one `einsum` with the per-location kernels (423,038).
- `sgem`: the locally connected network developed every batch from S-GEM genomes (28,796 learned
  parameters with 150 convolution genes and 30 linear genes): 3-D Gaussian gene fields over
  (depth, rows, columns) in [-1, 1]^3 for the image, both convolutions' maps and the pooled
  features (centres tanh(U(-1, 1)), widths exp(ln 0.3) per axis); 2-D fields for the hidden
  linear layers; a learned output expression; one O shared by the two convolutions and one per
  linear layer. Receptive field r's kernel is W_r = Y_r O X_rᵀ, X_r the input identities
  gathered by `F.unfold` as the activations are (zero for padding), the second convolution's
  input identities the first's maps pooled as the activations are (dual average pooling). Each
  developed layer is scaled once, at the start, to a response of spread 1 on 16 random images,
  as innate does.

`--protocol speed` (the default) times --batches batches after a warm-up of 20 and reports the
test accuracy at the end, a sanity check only. `--protocol paper` trains --epochs epochs (200,
the paper's), evaluating the whole test set after each, and reports the best accuracy and the
seconds per epoch. Needs torch and numpy.

    python3 bench/lenet5_torch.py --data-dir ../shared/data --variant standard --threads 2
    python3 bench/lenet5_torch.py --data-dir ../shared/data --variant sgem --protocol paper --epochs 2
    python3 bench/lenet5_torch.py --data-dir data --variant local --device cuda      # on a GPU

It prints one JSON line: the settings, the learned parameter count and, for speed, seconds per
1,000 batches and the final test accuracy; for paper, the curve, the best accuracy and seconds per
epoch.
"""

import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


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
    x = torch.tensor(images, dtype=torch.float32, device=device).reshape(len(images), 1, 28, 28) / 255.0
    return x, torch.tensor(labels, dtype=torch.long, device=device)


def cifar_subset(root, split, device):
    """The official binary CIFAR-10 batches (the 5,000-image subset in ../shared/data)."""
    folder = os.path.join(root, "cifar-10", "cifar-10-batches-bin")
    names = sorted(n for n in os.listdir(folder) if n.startswith("data_batch" if split == "train" else "test_batch"))
    raw = np.concatenate([np.fromfile(os.path.join(folder, n), dtype=np.uint8).reshape(-1, 3073) for n in names])
    x = torch.tensor(raw[:, 1:], dtype=torch.float32, device=device).reshape(-1, 3, 32, 32) / 255.0
    return x, torch.tensor(raw[:, 0].astype(np.int64), device=device)


def linspace(n):
    return torch.zeros(1) if n == 1 else torch.linspace(-1, 1, n)


class Fields3d(torch.nn.Module):
    """G Gaussian gene fields over a (C, H, W) grid of neurons: X[n, g] = exp(-sum_a ((p - mu) / sigma)^2)."""

    def __init__(self, genes, c, h, w):
        super().__init__()
        d, y, x = torch.meshgrid(linspace(c), linspace(h), linspace(w), indexing="ij")
        self.register_buffer("positions", torch.stack([d.flatten(), y.flatten(), x.flatten()], 1))
        self.shape = (c, h, w)
        self.mu = torch.nn.Parameter(torch.rand(genes, 3) * 2 - 1)
        self.log_sigma = torch.nn.Parameter(torch.full((genes, 3), math.log(0.3)))

    def forward(self):
        z = (self.positions[:, None, :] - torch.tanh(self.mu)[None]) / torch.exp(self.log_sigma)[None]
        return torch.exp(-(z**2).sum(2))


class Fields2d(torch.nn.Module):
    """G isotropic Gaussian gene fields on the most square rows x cols grid of n neurons."""

    def __init__(self, genes, n):
        super().__init__()
        rows = int(math.isqrt(n))
        while rows > 1 and n % rows:
            rows -= 1
        ys, xs = torch.meshgrid(linspace(rows), linspace(n // rows), indexing="ij")
        self.register_buffer("positions", torch.stack([xs.flatten(), ys.flatten()], 1))
        self.mu = torch.nn.Parameter(torch.rand(genes, 2) * 2 - 1)
        self.log_sigma = torch.nn.Parameter(torch.full((genes,), math.log(0.3)))

    def forward(self):
        d2 = ((self.positions[:, None, :] - torch.tanh(self.mu)[None]) ** 2).sum(2)
        return torch.exp(-d2 / torch.exp(self.log_sigma)[None] ** 2)


def local(x, w, b, k, padding):
    """A locally connected layer: x (B, C, H, W), kernels w (L, C k², C_out), biases b (L, C_out)."""
    n, _, h, wd = x.shape
    patches = F.unfold(x, k, padding=padding)  # (B, C k², L)
    ho, wo = h + 2 * padding - k + 1, wd + 2 * padding - k + 1
    y = torch.einsum("bkl,lkc->bcl", patches, w) + b.t()[None]
    return y.reshape(n, w.shape[2], ho, wo)


class Geometry:
    def __init__(self, channels, size):
        self.channels, self.size = channels, size
        self.pad1 = 2 if size == 28 else 0
        self.s1 = size + 2 * self.pad1 - 4  # conv1's output side (28 or 28)
        self.s2 = self.s1 // 2 - 4  # conv2's (10)
        self.flat = 16 * (self.s2 // 2) ** 2  # 400


class Standard(torch.nn.Module):
    def __init__(self, g, classes=10):
        super().__init__()
        self.g = g
        self.conv1 = torch.nn.Conv2d(g.channels, 6, 5, padding=g.pad1)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc = torch.nn.ModuleList([torch.nn.Linear(g.flat, 120), torch.nn.Linear(120, 84), torch.nn.Linear(84, classes)])

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
        x = F.relu(self.fc[0](x))
        return self.fc[2](F.relu(self.fc[1](x)))


class Local(torch.nn.Module):
    def __init__(self, g, classes=10):
        super().__init__()
        self.g = g
        shapes = [(g.s1 * g.s1, g.channels * 25, 6), (g.s2 * g.s2, 6 * 25, 16)]
        self.w = torch.nn.ParameterList()
        self.b = torch.nn.ParameterList()
        for l, k, c in shapes:
            bound = 1 / math.sqrt(k)
            self.w.append(torch.nn.Parameter(torch.empty(l, k, c).uniform_(-bound, bound)))
            self.b.append(torch.nn.Parameter(torch.empty(l, c).uniform_(-bound, bound)))
        self.fc = torch.nn.ModuleList([torch.nn.Linear(g.flat, 120), torch.nn.Linear(120, 84), torch.nn.Linear(84, classes)])

    def forward(self, x):
        x = F.avg_pool2d(F.relu(local(x, self.w[0], self.b[0], 5, self.g.pad1)), 2)
        x = F.avg_pool2d(F.relu(local(x, self.w[1], self.b[1], 5, 0)), 2).flatten(1)
        x = F.relu(self.fc[0](x))
        return self.fc[2](F.relu(self.fc[1](x)))


class Sgem(torch.nn.Module):
    def __init__(self, g, conv_genes, linear_genes, classes=10):
        super().__init__()
        self.g = g
        gc, gl = conv_genes, linear_genes
        self.input = Fields3d(gc, g.channels, g.size, g.size)
        self.maps1 = Fields3d(gc, 6, g.s1, g.s1)
        self.maps2 = Fields3d(gc, 16, g.s2, g.s2)
        self.o = torch.nn.Parameter(torch.randn(gc, gc))
        self.features = Fields3d(gl, 16, g.s2 // 2, g.s2 // 2)
        self.hidden = torch.nn.ModuleList([Fields2d(gl, 120), Fields2d(gl, 84)])
        self.output = torch.nn.Parameter(torch.randn(classes, gl))
        self.linear_o = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(gl, gl)) for _ in range(3)])
        fans = [g.channels * 25, 6 * 25, g.flat, 120, 84]
        outs = [6, 16, 120, 84, classes]
        self.biases = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.empty(o).uniform_(-1 / math.sqrt(f), 1 / math.sqrt(f))) for o, f in zip(outs, fans)]
        )
        self.scales = [1.0] * 5
        with torch.no_grad():
            self.layers(torch.rand(16, g.channels, g.size, g.size), probe=True)

    def conv_weights(self, x_images, y, k, padding, c_out):
        """W (L, K, C_out) from the input identities as images (G, C_in, H, W) and the output's (C_out L, G)."""
        xr = F.unfold(x_images, k, padding=padding).permute(2, 1, 0)  # (L, K, G)
        yr = y.reshape(c_out, -1, y.shape[1])  # (C_out, L, G)
        yo = torch.einsum("cla,ab->lcb", yr, self.o)
        return torch.einsum("lkb,lcb->lkc", xr, yo)

    def develop(self):
        g = self.g
        gc = self.o.shape[0]
        x_in = self.input().t().reshape(gc, g.channels, g.size, g.size)
        m1 = self.maps1()
        w1 = self.conv_weights(x_in, m1, 5, g.pad1, 6)
        pooled = F.avg_pool2d(m1.t().reshape(gc, 6, g.s1, g.s1), 2)  # dual pooling of the identities
        w2 = self.conv_weights(pooled, self.maps2(), 5, 0, 16)
        ids = [self.features(), self.hidden[0](), self.hidden[1](), self.output]
        lin = [ids[i + 1] @ self.linear_o[i] @ ids[i].t() for i in range(3)]
        return [w1, w2] + lin

    def layers(self, x, probe=False):
        """The pre-activations of each layer (probe: each fed the scaled layer before it)."""
        w = self.develop()
        out = []
        for i, pad in enumerate([self.g.pad1, 0]):
            l = w[i].shape[0]
            y = local(x, w[i] * self.scales[i], self.biases[i][None].expand(l, -1) * (0 if probe else 1), 5, pad)
            if probe:
                self.scales[i] = 1.0 / float(y.std())
                y = y * self.scales[i]
            out.append(y)
            x = F.avg_pool2d(F.relu(y), 2)
        x = x.flatten(1)
        for i in range(3):
            y = x @ (w[2 + i] * self.scales[2 + i]).t() + (0 if probe else self.biases[2 + i])
            if probe:
                self.scales[2 + i] = 1.0 / float(y.std())
                y = y * self.scales[2 + i]
            out.append(y)
            x = F.relu(y)
        return out

    def forward(self, x):
        return self.layers(x)[-1]


def build(args, g, classes):
    if args.variant == "standard":
        return Standard(g, classes)
    if args.variant == "local":
        return Local(g, classes)
    return Sgem(g, args.genes, args.linear_genes, classes)


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--data-dir", default=os.environ.get("INNATE_DATA", "data"))
    a.add_argument("--dataset", choices=["mnist", "cifar-10"], default="mnist")
    a.add_argument("--variant", choices=["standard", "local", "sgem"], default="standard")
    a.add_argument("--genes", type=int, default=150, help="sgem: genes per convolution (150 MNIST, 229 CIFAR-10)")
    a.add_argument("--linear-genes", type=int, default=30)
    a.add_argument("--protocol", choices=["speed", "paper"], default="speed")
    a.add_argument("--batches", type=int, default=200, help="speed: batches timed")
    a.add_argument("--epochs", type=int, default=200, help="paper: epochs")
    a.add_argument("--batch-size", type=int, default=128)
    a.add_argument("--lr", type=float, default=1e-3)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--device", default="cpu")
    a.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    args = a.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    load = mnist if args.dataset == "mnist" else cifar_subset
    (xtr, ytr), (xte, yte) = load(args.data_dir, "train", dev), load(args.data_dir, "test", dev)
    g = Geometry(xtr.shape[1], xtr.shape[2])
    model = build(args, g, 10).to(dev)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    gen = torch.Generator(device="cpu").manual_seed(args.seed)

    def batches():
        while True:
            order = torch.randperm(len(xtr), generator=gen).to(dev)
            for i in range(0, len(order), args.batch_size):
                yield order[i : i + args.batch_size]

    def step(ids):
        loss = F.cross_entropy(model(xtr[ids]), ytr[ids])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def accuracy():
        with torch.no_grad():
            hits = sum((model(xte[i : i + 1000]).argmax(1) == yte[i : i + 1000]).sum().item() for i in range(0, len(xte), 1000))
        return hits / len(xte)

    row = {
        "bench": "lenet5_torch",
        "variant": args.variant,
        "dataset": args.dataset,
        "protocol": args.protocol,
        "params": params,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
        "device": args.device,
        "torch": torch.__version__,
        "seed": args.seed,
    }
    it = batches()
    if args.protocol == "speed":
        for _ in range(20):
            step(next(it))
        sync()
        t0 = time.perf_counter()
        for _ in range(args.batches):
            step(next(it))
        sync()
        seconds = time.perf_counter() - t0
        row.update(batches=args.batches, seconds_per_1000_batches=1000 * seconds / args.batches, test_accuracy=accuracy())
    else:
        per_epoch = math.ceil(len(xtr) / args.batch_size)
        curve, train_seconds = [accuracy()], 0.0
        for _ in range(args.epochs):
            sync()
            t0 = time.perf_counter()
            for _ in range(per_epoch):
                step(next(it))
            sync()
            train_seconds += time.perf_counter() - t0
            curve.append(accuracy())
        row.update(epochs=args.epochs, curve=curve, best_test_accuracy=max(curve), seconds_per_epoch=train_seconds / args.epochs)
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
