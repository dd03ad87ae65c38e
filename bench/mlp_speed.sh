#!/usr/bin/env bash
# The direct MLP's training speed, innate against PyTorch (bench/mlp_torch.py), side by side:
# 784-784-10 and 784-800-10 on MNIST, batches of 64, Adam, on 1 and on 2 threads, runs
# interleaved (innate, PyTorch, next setting, ...) for several rounds, the median reported.
#
#   bench/mlp_speed.sh [ROUNDS [BATCHES]]       # defaults: 3 rounds, 1,000 batches
#
# Needs target/release/innate (cargo build --release), python3 with torch and numpy, and the data
# in $INNATE_DATA or ../shared/data. Appends one JSON line per run to
# bench/results/mlp_speed.jsonl and prints the table the README shows. innate's time counts every
# training batch (its first ones included); PyTorch's leaves out 20 warm-up batches.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
batches=${2:-1000}
data=${INNATE_DATA:-../shared/data}
out=bench/results/mlp_speed.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for round in $(seq "$rounds"); do
  for hidden in 784 800; do
    for threads in 1 2; do
      RAYON_NUM_THREADS=$threads target/release/innate --quiet train --encoding direct --hidden "$hidden" \
        --batches "$batches" --eval-every "$batches" --patience 0 --data-dir "$data" --out "$tmp/run" --overwrite > /dev/null
      python3 - "$tmp/run/metrics.json" "$hidden" "$round" "$threads" "$stamp" >> "$out" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps({"bench": "mlp_speed", "impl": "innate", "model": f"784-{sys.argv[2]}-10", "round": int(sys.argv[3]),
                  "threads": int(sys.argv[4]), "batches": m["batches"], "params": m["genome_params"],
                  "seconds_per_1000_batches": m["seconds_per_1000_batches"], "test_accuracy": m["best_test_accuracy"],
                  "at": sys.argv[5], "innate": m["innate_version"]}))
PY
      python3 bench/mlp_torch.py --data-dir "$data" --hidden "$hidden" --threads "$threads" --batches "$batches" \
        | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r.update(bench='mlp_speed', impl='torch', round=$round, at='$stamp'); print(json.dumps(r))" >> "$out"
      echo "round $round: 784-$hidden-10 on $threads thread(s) done" >&2
    done
  done
done
python3 - "$out" "$stamp" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r.get("at") == sys.argv[2]]
torch = next((r["torch"] for r in rows if r["impl"] == "torch"), "")
print(f"| direct MLP, batch 64 | threads | innate (s / 1,000 batches) | PyTorch {torch} | innate / PyTorch |")
print("| --- | ---: | ---: | ---: | ---: |")
for model in ["784-784-10", "784-800-10"]:
    for t in [1, 2]:
        pick = lambda impl: [r["seconds_per_1000_batches"] for r in rows if r["model"] == model and r["threads"] == t and r["impl"] == impl]
        ours, theirs = pick("innate"), pick("torch")
        if ours and theirs:
            a, b = statistics.median(ours), statistics.median(theirs)
            ratios = [o / p for o, p in zip(ours, theirs)]
            print(f"| {model} | {t} | {a:.2f} | {b:.2f} | {a / b:.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)}) |")
PY
