#!/usr/bin/env bash
# LeNet-5 training speed, innate against PyTorch (bench/lenet5_torch.py), side by side: the
# three variants on MNIST, batches of 128, the same thread count, runs interleaved
# (innate, PyTorch, next variant, ...) for several rounds, and the median of the rounds reported.
#
#   bench/lenet5_speed.sh [ROUNDS [BATCHES [THREADS]]]       # defaults: 3 rounds, 300 batches, 2 threads
#
# Needs target/release/innate (cargo build --release), python3 with torch and numpy, and the data
# in $INNATE_DATA or ../shared/data. Appends one JSON line per run to
# bench/results/lenet5_speed.jsonl and prints the table the README shows. innate's time counts
# every training batch (its first ones included); PyTorch's leaves out 20 warm-up batches.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
batches=${2:-300}
threads=${3:-2}
data=${INNATE_DATA:-../shared/data}
out=bench/results/lenet5_speed.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for round in $(seq "$rounds"); do
  for variant in standard local sgem; do
    case $variant in
      standard) enc="--encoding direct" ;;
      local) enc="--encoding local" ;;
      sgem) enc="--encoding sgem --genes 150" ;;
    esac
    # shellcheck disable=SC2086
    RAYON_NUM_THREADS=$threads target/release/innate --quiet train --model lenet5 $enc \
      --batches "$batches" --eval-every "$batches" --data-dir "$data" --out "$tmp/$variant" --overwrite > /dev/null
    python3 - "$tmp/$variant/metrics.json" "$variant" "$round" "$threads" "$stamp" >> "$out" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps({"bench": "lenet5_speed", "impl": "innate", "variant": sys.argv[2], "round": int(sys.argv[3]),
                  "threads": int(sys.argv[4]), "batches": m["batches"], "params": m["genome_params"],
                  "seconds_per_1000_batches": m["seconds_per_1000_batches"], "at": sys.argv[5],
                  "innate": m["innate_version"]}))
EOF
    python3 bench/lenet5_torch.py --data-dir "$data" --variant "$variant" --threads "$threads" --batches "$batches" \
      | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r.update(bench='lenet5_speed', impl='torch', round=$round, at='$stamp'); print(json.dumps(r))" >> "$out"
    echo "round $round: $variant done" >&2
  done
done
python3 - "$out" "$stamp" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r.get("at") == sys.argv[2]]
torch = next((r["torch"] for r in rows if r["impl"] == "torch"), "")
print(f"| LeNet-5 variant | innate (s / 1,000 batches) | PyTorch {torch} | innate / PyTorch |")
print("| --- | ---: | ---: | ---: |")
for v in ["standard", "local", "sgem"]:
    ours = [r["seconds_per_1000_batches"] for r in rows if r["variant"] == v and r["impl"] == "innate"]
    theirs = [r["seconds_per_1000_batches"] for r in rows if r["variant"] == v and r["impl"] == "torch"]
    if ours and theirs:
        a, b = statistics.median(ours), statistics.median(theirs)
        ratios = [o / t for o, t in zip(ours, theirs)]
        print(f"| {v} | {a:.1f} | {b:.1f} | {a / b:.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)}) |")
EOF
