#!/usr/bin/env bash
# innate's side of bench/allcnn_stability.py: All-CNN-C width 32 on the 4,000 training images of the
# CIFAR-10 subset, 8 epochs of the paper's SGD (lr 0.05, momentum 0.9, batch 128), He init, one
# thread per run, seeds 0-2, with the paper's inputs ("none") or with --standardise --warmup 160
# ("stdwarm"). Appends one JSON line per run to bench/results/allcnn_stability_innate.jsonl: the
# mean training loss per epoch and the test accuracy per evaluation, or where the run stopped.
# Usage: bench/allcnn_stability_innate.sh [DATA_DIR]   (about 12 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-${INNATE_DATA:-../shared/data}}
bin=target/release/innate
[ -x "$bin" ] || cargo build --release -p innate-cli
tmp=$(mktemp -d)
out=bench/results/allcnn_stability_innate.jsonl
run() { # variant seed
  local extra=""
  [ "$1" = stdwarm ] && extra="--standardise --warmup 160"
  # shellcheck disable=SC2086
  RAYON_NUM_THREADS=1 "$bin" --quiet train --dataset cifar10 --model allcnn --width 32 --epochs 8 \
    --train-limit 4000 --seed "$2" $extra --data-dir "$data" --out "$tmp/$1-$2" > "$tmp/$1-$2.log" 2>&1 || true
}
for s in 0 1 2; do run none $s & run stdwarm $s; wait; done
for v in none stdwarm; do for s in 0 1 2; do
  python3 - "$tmp/$v-$s" "$v" "$s" >> "$out" <<'PY'
import json, os, sys
d, v, s = sys.argv[1], sys.argv[2], int(sys.argv[3])
row = {"variant": v, "seed": s, "width": 32, "n": 4000, "runner": "innate"}
if os.path.exists(f"{d}/metrics.json"):
    c = json.load(open(f"{d}/metrics.json"))["curve"]
    row["losses"] = [round(p["train_loss"], 4) for p in c[1:]]
    row["test_accuracy"] = [round(p["test_accuracy"], 4) for p in c]
else:
    row["stopped"] = open(f"{d}.log").read().strip().splitlines()[-1]
print(json.dumps(row))
PY
done; done
rm -rf "$tmp"
