#!/usr/bin/env bash
# Meta-learning speed, innate against PyTorch (bench/maml_torch.py), side by side: first-order
# MAML with learned inner rates, 5-way 1-shot, 10 queries, meta-batches of 32 tasks, 2 inner
# steps, the 784-784-784-5 network learned directly and developed from GEM (50 genes, one O),
# the same thread count, runs interleaved, the median of the rounds reported.
#
#   bench/maml_speed.sh [ROUNDS [META_BATCHES [THREADS]]]     # defaults: 3 rounds, 50, 2 threads
#
# Needs target/release/innate (cargo build --release), python3 with torch, and Omniglot in
# $INNATE_DATA or ../shared/data. Appends one JSON line per run to bench/results/maml_speed.jsonl
# and prints the table the README shows. innate's time counts every meta-batch, drawing its tasks
# included; PyTorch's leaves out 3 warm-up meta-batches and the drawing of its (random) tasks.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
batches=${2:-50}
threads=${3:-2}
data=${INNATE_DATA:-../shared/data}
out=bench/results/maml_speed.jsonl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for round in $(seq "$rounds"); do
  for model in direct gem; do
    case $model in
      direct) enc="--encoding direct" ;;
      gem) enc="--encoding gem --genes 50" ;;
    esac
    # shellcheck disable=SC2086
    RAYON_NUM_THREADS=$threads target/release/innate --quiet meta $enc --meta-batches "$batches" \
      --eval-every "$batches" --eval-batches 1 --eval-tasks 1 --data-dir "$data" --out "$tmp/$model" --overwrite > /dev/null
    python3 - "$tmp/$model/metrics.json" "$model" "$round" "$threads" "$stamp" >> "$out" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps({"bench": "maml_speed", "impl": "innate", "model": sys.argv[2], "round": int(sys.argv[3]),
                  "threads": int(sys.argv[4]), "meta_batches": m["batches"], "params": m["genome_params"],
                  "seconds_per_1000_meta_batches": m["seconds_per_1000_batches"], "at": sys.argv[5],
                  "innate": m["innate_version"]}))
PY
    python3 bench/maml_torch.py --model "$model" --genes 50 --meta-batches "$batches" --threads "$threads" \
      | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r.update(round=$round, at='$stamp'); print(json.dumps(r))" >> "$out"
  done
done
python3 - "$out" "$stamp" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r.get("at") == sys.argv[2]]
print("| model | innate (s / 1,000 meta-batches) | PyTorch | innate / PyTorch |")
print("| --- | ---: | ---: | ---: |")
for model in ["direct", "gem"]:
    inn = {r["round"]: r["seconds_per_1000_meta_batches"] for r in rows if r["model"] == model and r["impl"] == "innate"}
    tor = {r["round"]: r["seconds_per_1000_meta_batches"] for r in rows if r["model"] == model and r["impl"] == "torch"}
    ratios = [inn[k] / tor[k] for k in sorted(inn) if k in tor]
    if not ratios:
        continue
    a, b = statistics.median(inn.values()), statistics.median(tor.values())
    label = "direct" if model == "direct" else "GEM 10x (50 genes, one O)"
    print(f"| {label} | {a:.0f} | {b:.0f} | {a / b:.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)}) |")
PY
