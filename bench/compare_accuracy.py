"""Accuracy of innate against bench/sgem_torch.py under the developmental-priors protocol.

Reads the rows of both implementations and prints one Markdown table: best test accuracy (mean,
sd, range over seeds, and how many seeds reach 80%) per implementation, model, number of genes,
where the field centres started (the reference code's random draw, or innate's spiral) and
protocol (the paper's early stopping, or `full`: the same evaluations for all 30,000 batches).

- innate, seeds 0-9: the paper-profile rows `cargo xtask reproduce --profile paper` wrote to
  results/sgem-fig2c.jsonl (S-GEM SLP) and results/sgem-fig2d.jsonl (ML-S-GEM), under the paper's
  rule or without early stopping;
- innate, further seeds, and PyTorch: bench/results/sgem_paper_protocol.jsonl, one JSON line per
  run, written by `python3 bench/sgem_torch.py --protocol paper|full ...` (PyTorch) and copied from
  `innate train --encoding mlsgem --model mlp --hidden 784 --genes G --seed S` runs' metrics.json
  (innate).

    python3 bench/compare_accuracy.py            # from the repository root; needs only Python 3
"""

import json
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_settings(m):
    """(model, genes, centres, end-to-end settings) of an innate metrics row, whichever form its
    configuration has: as data (`network` / `encoding` / `strategy` objects) or the flat form innate
    wrote before (`model`, `genes`, `centres`, `lifetime`). Centres are None for encodings without
    gene fields, "uniform" for spatial runs written before the choice existed."""
    c = m["config"]
    if "network" in c:
        enc = c["encoding"]
        spatial = enc["kind"] in ("sgem", "mlsgem")
        life = c["strategy"] if c["strategy"]["kind"] == "end-to-end" else None
        return c["network"]["kind"], enc.get("genes"), enc.get("centres") if spatial else None, life
    spatial = c["encoding"] in ("sgem", "mlsgem")
    return c["model"], c.get("genes"), c.get("centres", "uniform") if spatial else None, c["lifetime"]


def innate_rows():
    """The paper-profile S-GEM / ML-S-GEM rows stopped by the paper's rule (patience 2, 0.005),
    or trained without early stopping (patience 0)."""
    for name in ("sgem-fig2c", "sgem-fig2d"):
        path = os.path.join(ROOT, "results", f"{name}.jsonl")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                m = row["metrics"]
                model, genes, centres, life = run_settings(m)
                if life is None:
                    continue
                # The paper's protocol as bench/sgem_torch.py --protocol paper runs it: lr 0.01, at
                # most 30,000 batches, the whole test set every 1,000, early stopping after two
                # evaluations without a gain above 0.005 decided on the whole test set.
                # (sgem_torch.py --protocol full is the same without early stopping.)
                common = (
                    life.get("stop_sample", 0) == 0
                    and life["lr"] == 0.01
                    and life["max_batches"] == 30000
                    and life["eval_every"] == 1000
                    and life["batch_size"] == 64
                )
                if not common or row["profile"] != "paper" or m["encoding"] not in ("sgem", "mlsgem"):
                    continue
                if life["patience"] == 2 and life["min_delta"] == 0.005:
                    protocol = "paper"
                elif life["patience"] == 0:
                    protocol = "full"
                else:
                    continue
                # sgem_torch.py starts the field centres as the reference code or on innate's
                # spiral; a run written before the choice existed (no key) started them uniform,
                # which it does not implement.
                if centres not in ("reference", "spiral"):
                    continue
                yield {
                    "implementation": f"innate {m['innate_version']}",
                    "model": model,
                    "genes": genes,
                    "learned_params": m["genome_params"],
                    "seed": m["seed"],
                    "centres": centres,
                    "protocol": protocol,
                    "best_test_accuracy": m["best_test_accuracy"],
                }


def bench_rows():
    path = os.path.join(ROOT, "bench", "results", "sgem_paper_protocol.jsonl")
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: it holds the PyTorch rows (see this script's docstring)")
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            if row.get("protocol") in ("paper", "full"):
                yield row


def main():
    groups = {}
    for row in list(innate_rows()) + list(bench_rows()):
        key = (
            row["model"],
            row["genes"],
            row.get("centres", "reference"),
            row["protocol"],
            row["implementation"].split()[0],
        )
        runs = groups.setdefault(key, {})
        if row["seed"] in runs:
            sys.exit(f"two rows for {key} seed {row['seed']}: each seed must be counted once")
        runs[row["seed"]] = row
    compared = {key[:-1] for key in groups if key[-1] == "pytorch"}
    if not compared:
        sys.exit("no PyTorch rows in bench/results/sgem_paper_protocol.jsonl: run bench/sgem_torch.py --protocol paper")
    print(
        "| model | genes | learned parameters | centres start | protocol | implementation | seeds | best test accuracy "
        "| range | seeds >= 80% |"
    )
    print("| --- | ---: | ---: | --- | --- | --- | ---: | --- | --- | ---: |")
    for model, genes, centres, protocol in sorted(compared):
        for impl in ("innate", "pytorch"):
            runs = groups.get((model, genes, centres, protocol, impl))
            if not runs:
                continue
            acc = [100 * r["best_test_accuracy"] for r in runs.values()]
            sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
            seeds = sorted(runs)
            name = "S-GEM SLP 784-10" if model == "slp" else "ML-S-GEM 784-784-10"
            print(
                f"| {name} | {genes} | {next(iter(runs.values()))['learned_params']} | {centres} | {protocol} | {impl} | "
                f"{len(acc)} ({seeds[0]}-{seeds[-1]}) | {statistics.mean(acc):.2f} ± {sd:.2f}% | "
                f"{min(acc):.2f}-{max(acc):.2f}% | {sum(a >= 80 for a in acc)} |"
            )


if __name__ == "__main__":
    main()
