# Develops an innate genome file (safetensors, "innate-genome/1") into its network's weights, from
# the file alone, with numpy and safetensors: develop(path) -> [(weight [out, in], bias [out] or None)]
# per layer, input first (y = x @ weight.T + bias, ReLU between layers). CLI: python3 develop.py FILE
import json
import sys

import numpy as np
from safetensors import safe_open

f32 = np.float32


def read(path):
    """The file's genome tensors as float32 (quantised ones decoded) and its metadata."""
    with safe_open(path, "np") as f:
        meta = f.metadata() or {}
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    if meta.get("format") != "innate-genome/1":
        raise ValueError(f"{path} is not an innate genome file (its metadata has no format innate-genome/1)")
    quant = json.loads(meta.get("quantisation", '{"tensors": {}}'))
    for name, q in quant["tensors"].items():
        t, bits = tensors[name], quant["bits"]
        if bits != 16:  # packed codes, least significant bits first: value = offset + step * code
            i = np.arange(int(np.prod(q["shape"])))
            codes = (t[i * bits // 8] >> (i * bits % 8)) & ((1 << bits) - 1)
            t = f32(q["offset"]) + f32(q["step"]) * codes.astype(f32)
        tensors[name] = t.astype(f32).reshape(q["shape"])
    # Tensors named strategy.* belong to the training strategy, not to the genome.
    return {k: v.astype(f32) for k, v in tensors.items() if not k.startswith("strategy.")}, meta


def bias(t, l):
    """Layer l's bias: learned (layer{l}.bias), fixed random (fixed.layer{l}.bias) or none."""
    return t.get(f"layer{l}.bias", t.get(f"fixed.layer{l}.bias"))


def direct(t, cfg):
    return [(t[f"layer{l}.weight"], bias(t, l)) for l in range(len(cfg["spec"]["sizes"]) - 1)]


def linspace(n):
    return np.zeros(1, f32) if n == 1 else f32(-1) + f32(2) * np.arange(n, dtype=f32) / f32(n - 1)


def expression(t, l, spec):
    """The (neurons, genes) expression matrix X of neuron layer l."""
    if spec["kind"] == "learned":
        return t[f"neurons{l}.x"]
    if spec["kind"] == "fixed":
        return t[f"fixed.neurons{l}.x"]
    # Gaussian gene fields: neurons on a rows x cols grid over [-1, 1]², row-major, at (x, y).
    y, x = np.meshgrid(linspace(spec["grid"]["rows"]), linspace(spec["grid"]["cols"]), indexing="ij")
    p = np.stack([x.ravel(), y.ravel()], 1)
    mu, sigma = np.tanh(t[f"neurons{l}.mu"]), np.exp(t[f"neurons{l}.log_sigma"])
    d2 = ((p[:, None, :] - mu[None, :, :]) ** 2).sum(2)
    return np.exp(-(d2 / sigma**2))


def gem(t, cfg):
    """GEM, S-GEM and ML-S-GEM: W_l = c_l X_{l+1} O_l X_l^T."""
    if not cfg.get("scales"):
        raise ValueError("the genome has no Kaiming factors (scales); innate draws them from its seed")
    xs = [expression(t, l, e) for l, e in enumerate(cfg["expression"])]
    layers = []
    for l, c in enumerate(cfg["scales"]):
        o = t["o"] if cfg["shared_interaction"] else t[f"o{l}"]
        layers.append(((xs[l + 1] @ o @ xs[l].T) * f32(c), bias(t, l)))
    return layers


def bits(v, b):
    return [(v >> k) & 1 for k in reversed(range(b))]  # b bits of v, most significant first


def label(s, i, n):
    """The bits that label neuron i of a layer of n neurons, by label scheme s."""
    gray = i ^ (i >> 1)
    if s["kind"] == "binary":
        return bits(i + s["offset"], s["bits"])
    if s["kind"] == "gray":
        return bits(gray, s["bits"])
    if s["kind"] == "gray2d":  # Gray code of the column, then of the row, on a rows x cols grid
        col, row = i % s["cols"], i // s["cols"]
        return bits(col ^ (col >> 1), s["bits_x"]) + bits(row ^ (row >> 1), s["bits_y"])
    if s["kind"] == "one-hot":
        return [int(k == i) for k in range(n)]
    raise ValueError(f"label scheme {s['kind']} is not supported by this script")


def labels(s, n):
    m = np.array([label(s, i, n) for i in range(n)], f32)
    top = m.max(0)
    return m / np.where(top > 0, top, 1)  # each column divided by its maximum over the layer


def g_network(t, prefix, x):
    """The g-network {prefix}.{i}.weight / .bias on inputs x: ReLU between layers, one output."""
    i = 0
    while f"{prefix}.{i}.weight" in t:
        x = (np.maximum(x, 0) if i else x) @ t[f"{prefix}.{i}.weight"].T + t[f"{prefix}.{i}.bias"]
        i += 1
    return x[:, 0]


def gnet(t, cfg):
    """g-networks: W[j, i] = g(label_post(j), label_pre(i)); biases from a g-network or raw."""
    sizes = cfg["spec"]["sizes"]
    lab = [labels(s, n) for s, n in zip(cfg["labels"], sizes)]
    layers = []
    for l, (pre, post) in enumerate(zip(lab, lab[1:])):
        pairs = np.concatenate([np.repeat(post, len(pre), 0), np.tile(pre, (len(post), 1))], 1)
        w = g_network(t, f"layer{l}.weight_net", pairs).reshape(len(post), len(pre))
        raw = cfg["biases"][l]["kind"] == "raw"
        layers.append((w, t[f"layer{l}.bias"] if raw else g_network(t, f"layer{l}.bias_net", post)))
    return layers


ENCODINGS = {"direct": direct, "gem": gem, "sgem": gem, "mlsgem": gem, "gnet": gnet}


def develop(path):
    """[(weight [out, in], bias [out] or None)] per layer, input side first, float32."""
    t, meta = read(path)
    enc, cfg = meta["encoding"], json.loads(meta["genome"])
    if enc == "rb":
        raise ValueError("encoding rb needs innate to develop (its Fastfood basis is drawn from innate's seed)")
    if "lenet5" in cfg:
        raise ValueError(f"a convolutional (LeNet-5) {enc} genome is not supported by this script")
    if enc not in ENCODINGS:
        raise ValueError(f"encoding {enc} is not supported by this script")
    return [(w.astype(f32), None if b is None else b.astype(f32)) for w, b in ENCODINGS[enc](t, cfg)]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 develop.py genome.safetensors")
    for i, (w, b) in enumerate(develop(sys.argv[1])):
        print(f"layer{i}: weight {w.shape}, bias {None if b is None else b.shape}")
