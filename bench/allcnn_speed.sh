#!/usr/bin/env bash
# All-CNN-C training speed on the CPU, innate against PyTorch (bench/allcnn_torch.py), side by
# side: the genomic-bottleneck paper's CIFAR-10 p-network (SGD, momentum 0.9, batches of 128,
# dropout after layer 3), the same thread count, runs interleaved for several rounds, the median
# of the rounds reported.
#
#   bench/allcnn_speed.sh [ROUNDS [BATCHES [THREADS [WIDTH]]]]    # defaults: 3 rounds, 10 batches, 2 threads, 96
#
# Needs target/release/innate (cargo build --release), python3 with torch and numpy, and CIFAR-10
# in $INNATE_DATA or ../shared/data. Appends one JSON line per run to bench/results/allcnn_speed.jsonl
# and prints the table the README shows. innate's time counts every training batch (its first
# ones included); PyTorch's leaves out 3 warm-up batches.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
batches=${2:-10}
threads=${3:-2}
width=${4:-96}
data=${INNATE_DATA:-../shared/data}
out=bench/results/allcnn_speed.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for round in $(seq "$rounds"); do
  RAYON_NUM_THREADS=$threads target/release/innate --quiet train --dataset cifar10 --model allcnn --width "$width" \
    --batches "$batches" --eval-every "$batches" --data-dir "$data" --out "$tmp/r" --overwrite > /dev/null 2>&1
  python3 - "$tmp/r/metrics.json" "$round" "$threads" "$width" "$stamp" >> "$out" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps({"bench": "allcnn_speed", "impl": "innate", "round": int(sys.argv[2]), "threads": int(sys.argv[3]),
                  "width": int(sys.argv[4]), "batches": m["batches"], "params": m["genome_params"],
                  "seconds_per_batch": m["seconds_per_1000_batches"] / 1000, "at": sys.argv[5],
                  "innate": m["innate_version"]}))
EOF
  python3 bench/allcnn_torch.py --data-dir "$data" --width "$width" --threads "$threads" --batches "$batches" \
    | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r.update(bench='allcnn_speed', round=$round, at='$stamp'); print(json.dumps(r))" >> "$out"
  echo "round $round done" >&2
done
python3 - "$out" "$stamp" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r.get("at") == sys.argv[2]]
torch = next((r["torch"] for r in rows if r["impl"] == "torch"), "")
ours = [r["seconds_per_batch"] for r in rows if r["impl"] == "innate"]
theirs = [r["seconds_per_batch"] for r in rows if r["impl"] == "torch"]
a, b = statistics.median(ours), statistics.median(theirs)
ratios = [o / t for o, t in zip(ours, theirs)]
print(f"| All-CNN-C (width {rows[0]['width']}, {rows[0]['params']:,} parameters) | innate (s / batch of 128) | PyTorch {torch} | innate / PyTorch |")
print("| --- | ---: | ---: | ---: |")
print(f"| {rows[0]['threads']} threads | {a:.2f} | {b:.2f} | {a / b:.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)}) |")
EOF
