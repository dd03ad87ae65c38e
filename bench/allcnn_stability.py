"""Seed stability of the genomic-bottleneck paper's CIFAR-10 SGD protocol (lr 0.05, momentum 0.9,
batches of 128) on All-CNN-C in PyTorch, with two stabilising options: per-channel input
standardisation (`std`, the training set's mean and standard deviation) and a linear learning-rate
warm-up over the first 160 batches (`warm`), alone, together (`stdwarm`) or neither (`none`).
He (Kaiming-normal) initialisation, zero biases, as innate's All-CNN-C.

    python3 bench/allcnn_stability.py VARIANT SEED EPOCHS [--width 32] [--data-dir ../shared/data]

Prints one JSON line: the variant, seed, training images and the mean training loss per epoch
(ln 10 = 2.3026 is chance: a run that returns there has collapsed).
"""

import argparse
import importlib.util
import json
import os

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("allcnn_torch", os.path.join(here, "allcnn_torch.py"))
allcnn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(allcnn)

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("variant", choices=["none", "std", "warm", "stdwarm"])
ap.add_argument("seed", type=int)
ap.add_argument("epochs", type=int)
ap.add_argument("--width", type=int, default=32)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--data-dir", default=os.environ.get("INNATE_DATA", "../shared/data"))
a = ap.parse_args()
torch.set_num_threads(a.threads)
x, y = allcnn.cifar_train(a.data_dir)
torch.manual_seed(a.seed)
if "std" in a.variant:
    x = (x - x.mean((0, 2, 3), keepdim=True)) / x.std((0, 2, 3), keepdim=True)
net = allcnn.AllCnnC(a.width)
for c in net.convs:
    torch.nn.init.kaiming_normal_(c.weight, nonlinearity="relu")
    torch.nn.init.zeros_(c.bias)
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
warm = 160 if "warm" in a.variant else 0
step, losses = 0, []
for epoch in range(a.epochs):
    perm, total, n = torch.randperm(len(x)), 0.0, 0
    for i in range(0, len(x), 128):
        if warm:
            for g in opt.param_groups:
                g["lr"] = 0.05 * min(1.0, (step + 1) / warm)
        idx = perm[i:i + 128]
        opt.zero_grad()
        loss = F.cross_entropy(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
        total, n, step = total + loss.item(), n + 1, step + 1
    losses.append(round(total / n, 4))
print(json.dumps({"variant": a.variant, "seed": a.seed, "width": a.width, "n": len(x), "losses": losses}), flush=True)
