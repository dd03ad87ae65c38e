"""All-CNN-C in PyTorch, the network `innate train --model allcnn` trains, for side-by-side
timings on the same machine (bench/allcnn_speed.sh).

The network is innate's (crates/encodings/src/allcnn.rs): 3x3 convolutions of W, W, W (stride 2)
maps, then 2W, 2W, 2W (stride 2), 2W (3x3, no padding), 2W (1x1), 10 (1x1), each followed by a
ReLU, 50% dropout after layer 3, global average pooling; padding 1 on layers 1-6. Trained as
the genomic-bottleneck paper's CIFAR-10 p-network: SGD, lr 0.05, momentum 0.9, batches of 128,
cross-entropy, images scaled to [0, 1]. Reads the CIFAR-10 training images from the official
binary batches (the 5,000-image subset's tar.gz, or the full cifar-10-binary.tar.gz).

    python3 bench/allcnn_torch.py --data-dir ../shared/data --width 96 --batches 20 --threads 2

Times --batches batches after a warm-up of 3 and prints one JSON line: the settings, the
parameter count and the seconds per batch.
"""

import argparse
import json
import os
import tarfile
import time

import numpy as np
import torch
import torch.nn.functional as F


def cifar_train(root):
    folder = os.path.join(root, "cifar-10")
    for name in ["cifar-10-binary.tar.gz", "cifar-10-binary-subset.tar.gz"]:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            break
    else:
        raise SystemExit(f"no CIFAR-10 binary archive in {folder}")
    chunks = []
    with tarfile.open(path) as tar:
        for m in tar.getmembers():
            if os.path.basename(m.name).startswith("data_batch"):
                chunks.append(np.frombuffer(tar.extractfile(m).read(), dtype=np.uint8).reshape(-1, 3073))
    raw = np.concatenate(chunks)
    x = torch.tensor(raw[:, 1:], dtype=torch.float32).reshape(-1, 3, 32, 32) / 255.0
    return x, torch.tensor(raw[:, 0].astype(np.int64))


class AllCnnC(torch.nn.Module):
    def __init__(self, width, classes=10):
        super().__init__()
        w = width
        plan = [(3, w, 3, 1, 1), (w, w, 3, 1, 1), (w, w, 3, 2, 1), (w, 2 * w, 3, 1, 1), (2 * w, 2 * w, 3, 1, 1),
                (2 * w, 2 * w, 3, 2, 1), (2 * w, 2 * w, 3, 1, 0), (2 * w, 2 * w, 1, 1, 0), (2 * w, classes, 1, 1, 0)]
        self.convs = torch.nn.ModuleList(torch.nn.Conv2d(i, o, k, stride=s, padding=p) for i, o, k, s, p in plan)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            if i == 2:
                x = F.dropout(x, 0.5, self.training)
        return x.mean((2, 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("INNATE_DATA", "../shared/data"))
    ap.add_argument("--width", type=int, default=96)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, y = cifar_train(a.data_dir)
    x, y = x.to(a.device), y.to(a.device)
    net = AllCnnC(a.width).to(a.device)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    params = sum(p.numel() for p in net.parameters())
    order = torch.randperm(len(x), device=a.device)

    def step(i):
        idx = order[(i * 128) % (len(x) - 128):][:128]
        opt.zero_grad()
        loss = F.cross_entropy(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss

    for i in range(3):
        step(i)
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()
    t = time.perf_counter()
    for i in range(a.batches):
        loss = step(3 + i)
    loss = loss.item()
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t
    print(json.dumps({"impl": "torch", "torch": torch.__version__, "width": a.width, "threads": a.threads,
                      "device": a.device, "batches": a.batches, "params": params,
                      "seconds_per_batch": seconds / a.batches, "last_loss": loss}))


if __name__ == "__main__":
    main()
