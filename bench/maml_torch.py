#!/usr/bin/env python3
"""First-order MAML with learned per-tensor, per-step inner rates in PyTorch: the speed anchor
for `innate meta` (bench/maml_speed.sh runs both, interleaved).

Written the way a learn2learn user writes MetaSGD / first-order MAML: per task, the network's
tensors are cloned into "fast" weights, adapted by `torch.autograd.grad` on the support set
(first-order: the inner gradients are not differentiated), the query loss is computed with the
fast weights, and the meta-batch's summed loss is backpropagated once into the genome and the
rates. The GEM model develops W_l = X_{l+1} O X_l^T (one O for all layers, output expression
learned, fixed random biases) once per meta-batch, as innate does.

Tasks are drawn from random binary 28x28 images with about Omniglot's share of ink (a fifth of
the pixels): the products, and so the time, do not depend on the pixels, and this machine's
Python has no PNG reader. The accuracy it prints is therefore chance and means nothing.

    python3 bench/maml_torch.py --model direct --meta-batches 50 --threads 2
    python3 bench/maml_torch.py --model gem --genes 50 --meta-batches 50 --threads 2
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def develop_direct(params):
    return params


class Gem(torch.nn.Module):
    def __init__(self, sizes, genes, gen):
        super().__init__()
        self.x = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(n, genes, generator=gen)) for n in sizes]
        )
        self.o = torch.nn.Parameter(torch.randn(genes, genes, generator=gen))
        # Fixed (not learned), but the inner loop adapts them, so autograd must see them.
        self.biases = [(torch.randn(n, generator=gen) * 0.5).requires_grad_() for n in sizes[1:]]
        with torch.no_grad():
            self.scales = [
                (2.0 / sizes[i]) ** 0.5 / self.raw(i).std().item() for i in range(len(sizes) - 1)
            ]

    def raw(self, i):
        return self.x[i + 1] @ self.o @ self.x[i].T

    def develop(self):
        out = []
        for i, b in enumerate(self.biases):
            out += [self.raw(i) * self.scales[i], b]
        return out


def forward(params, x):
    h = x
    n = len(params) // 2
    for i in range(n):
        h = F.linear(h, params[2 * i], params[2 * i + 1])
        if i + 1 < n:
            h = F.relu(h)
    return h


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["direct", "gem"], default="direct")
    p.add_argument("--genes", type=int, default=50)
    p.add_argument("--ways", type=int, default=5)
    p.add_argument("--shots", type=int, default=1)
    p.add_argument("--queries", type=int, default=10)
    p.add_argument("--inner-steps", type=int, default=2)
    p.add_argument("--inner-lr", type=float, default=0.4)
    p.add_argument("--meta-batch", type=int, default=32)
    p.add_argument("--meta-batches", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(a.seed)
    sizes = [784, 784, 784, a.ways]
    if a.model == "direct":
        layers = [torch.nn.Linear(sizes[i], sizes[i + 1]) for i in range(3)]
        direct = [t for l in layers for t in (l.weight, l.bias)]
        genome = direct
        develop = lambda: direct  # noqa: E731
    else:
        gem = Gem(sizes, a.genes, gen)
        genome = list(gem.parameters())
        develop = gem.develop
    n_tensors = len(develop())
    rates = torch.nn.Parameter(torch.full((a.inner_steps, n_tensors), a.inner_lr))
    opt = torch.optim.Adam(genome + [rates], lr=1e-3)
    n_s, n_q = a.ways * a.shots, a.ways * a.queries
    ys = torch.arange(a.ways).repeat_interleave(a.shots)
    yq = torch.arange(a.ways).repeat_interleave(a.queries)

    def task():
        xs = (torch.rand(n_s, 784, generator=gen) < 0.2).float()
        xq = (torch.rand(n_q, 784, generator=gen) < 0.2).float()
        return xs, xq

    times, hits = [], 0.0
    for step in range(a.warmup + a.meta_batches):
        tasks = [task() for _ in range(a.meta_batch)]
        t0 = time.perf_counter()
        opt.zero_grad()
        theta = develop()
        total = 0.0
        for xs, xq in tasks:
            fast = list(theta)
            for s in range(a.inner_steps):
                loss = F.cross_entropy(forward(fast, xs), ys)
                grads = torch.autograd.grad(loss, fast)
                fast = [w - rates[s, i] * g.detach() for i, (w, g) in enumerate(zip(fast, grads))]
            logits = forward(fast, xq)
            total = total + F.cross_entropy(logits, yq) / a.meta_batch
            hits += (logits.argmax(1) == yq).float().mean().item() / a.meta_batch
        total.backward()
        opt.step()
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    per = 1000 * sum(times) / len(times)
    print(json.dumps({
        "bench": "maml_speed", "impl": "torch", "model": a.model, "genes": a.genes if a.model == "gem" else None,
        "threads": a.threads, "meta_batch": a.meta_batch, "meta_batches": a.meta_batches,
        "seconds_per_1000_meta_batches": per, "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
