#!/usr/bin/env bash
# One call's worth of GPU checks for a session lent a GPU machine (see ../shared/GPU.md): it
# checks that the carried CUDA binary links and opens the GPU, then times the developmental-priors
# runs the issues ask about on the GPU against the same machine's CPU and against
# bench/sgem_torch.py (PyTorch) on the same GPU; populations (`innate train --seeds`, 10 and 50
# members, against the same seeds one at a time and against bench/population_torch.py's
# torch.func.vmap; GN30 g-networks trained intermittently, 10 together and one at a time); and the convolutional models and meta-learning on CUDA (LeNet-5's three
# variants, All-CNN-C, first-order MAML); and writes one JSON line per timing.
#
# Prepare here (the CUDA binary and the data it reads in the ignored folder .gpu/):
#
#     ../shared/tools/cuda-build.sh -p innate-cli
#     mkdir -p .gpu && strip -o .gpu/innate target/cuda/release/innate && gzip -9f .gpu/innate
#     cp -r ../shared/data/mnist ../shared/data/omniglot .gpu/
#     mkdir -p .gpu/cifar-10 && cp ../shared/data/cifar-10/cifar-10-binary-subset.tar.gz .gpu/cifar-10/
#
# then call the device tool's `run` with carry [".gpu"] and the command
#
#     bash bench/gpu_check.sh
#
# It writes $OUT/gpu_check.jsonl (the timings) and $OUT/gpu_check.log (everything printed), and
# exits 1 if any step failed (its JSON line says "failed" and the exit status; 124 is a timeout).
# Environment: BIN (default .gpu/innate), DATA (default .gpu), DEVICE (default cuda; cpu runs the
# same script here to check it), BATCHES (default 2000: batches per timing run), OUT (default
# /tmp/gpu_check), STEP_LIMIT (default 120: seconds per step) and DEADLINE (default 540: no step
# starts unless it would end by then, so the whole script fits one 600-second device call).
set -uo pipefail

BIN=${BIN:-.gpu/innate}
DATA=${DATA:-.gpu}
DEVICE=${DEVICE:-cuda}
BATCHES=${BATCHES:-2000}
OUT=${OUT:-/tmp/gpu_check}
STEP_LIMIT=${STEP_LIMIT:-120}
DEADLINE=${DEADLINE:-540}

die() {
    echo "gpu_check: $*" >&2
    exit 1
}

for v in BATCHES STEP_LIMIT DEADLINE; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number, got '${!v}'"
done
[[ $DEVICE == cpu || $DEVICE == cuda || $DEVICE =~ ^cuda:[0-9]+$ ]] ||
    die "DEVICE must be cpu, cuda or cuda:N, got '$DEVICE'"
mkdir -p "$OUT/runs" || die "cannot create $OUT/runs"
RESULTS=$OUT/gpu_check.jsonl
LOG=$OUT/gpu_check.log
: >"$RESULTS"
exec > >(tee -a "$LOG") 2>&1

if [ -f "$BIN.gz" ]; then
    gunzip -f "$BIN.gz" || die "cannot unpack $BIN.gz"
fi
[ -x "$BIN" ] || chmod +x "$BIN" 2>/dev/null || die "no innate binary at $BIN: build it as the header says"
[ -f "$DATA/mnist/t10k-images-idx3-ubyte.gz" ] || die "no MNIST under $DATA/mnist: copy ../shared/data/mnist there"

if [ "$DEVICE" != cpu ]; then
    # cublas, curand and cudart come from PyTorch's cu13 packages; libcuda from the driver.
    LIB=$(python3 -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13", "lib"))' 2>/dev/null) ||
        die "python3 cannot import the nvidia packages that hold the CUDA libraries"
    export LD_LIBRARY_PATH=$LIB:${LD_LIBRARY_PATH:-}
    if ldd "$BIN" | grep -i "not found"; then
        die "the binary misses the libraries above"
    fi
    nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || die "nvidia-smi failed"
fi
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' || true

# failed IMPL NAME DEVICE STATUS WHY: records a step that did not give a timing.
failed() {
    printf '{"implementation": "%s", "check": "%s", "device": "%s", "failed": true, "status": %s, "why": "%s"}\n' \
        "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
    echo "gpu_check: $1 $2 on $3 failed ($5, status $4)" >&2
}

# time_left WHAT: whether a step of STEP_LIMIT seconds still ends before DEADLINE.
time_left() {
    if ((SECONDS + STEP_LIMIT > DEADLINE)); then
        echo "gpu_check: skipping $1: ${SECONDS} s gone, a step may take ${STEP_LIMIT} s, deadline ${DEADLINE} s" >&2
        failed skipped "$1" - 0 "no time left before the deadline"
        return 1
    fi
}

# innate NAME DEVICE ARGS...: one `innate train` run (`innate meta` when COMMAND=meta); appends
# its timing to $RESULTS.
innate() {
    local name=$1 device=$2 status
    shift 2
    time_left "innate $name on $device" || return 0
    local dir=$OUT/runs/$name-$device
    echo "== innate $name on $device: $*"
    timeout "$STEP_LIMIT" "$BIN" "${COMMAND:-train}" -q --data-dir "$DATA" --device "$device" --out "$dir" --overwrite "$@"
    status=$?
    if ((status != 0)); then
        failed innate "$name" "$device" "$status" "innate train failed or timed out"
        return 0
    fi
    python3 - "$dir/metrics.json" "$name" >>"$RESULTS" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
c = m["config"]
print(json.dumps({
    "implementation": "innate " + m["innate_version"], "check": sys.argv[2], "device": m["device"],
    "encoding": m["encoding"], "model": m["model"], "genes": c["encoding"].get("genes"),
    "learned_params": m["genome_params"], "batches": m["batches"],
    "seconds_per_1000_batches": m["seconds_per_1000_batches"], "seconds": m["seconds"],
    "best_test_accuracy": m["best_test_accuracy"],
}))
EOF
    status=$?
    ((status == 0)) || failed innate "$name" "$device" "$status" "cannot read $dir/metrics.json"
}

# population NAME DEVICE MODE SEEDS ARGS...: `innate train --seeds 0..SEEDS` as one population
# (MODE population) or one run at a time (MODE one-at-a-time); appends the wall time, runs per
# hour and the members' mean seconds per 1,000 batches to $RESULTS.
population() {
    local name=$1 device=$2 mode=$3 seeds=$4 status
    shift 4
    time_left "innate $name ($mode, $seeds) on $device" || return 0
    local dir=$OUT/runs/$name-$mode-$seeds-$device flag=()
    [ "$mode" = one-at-a-time ] && flag=(--one-at-a-time)
    echo "== innate $name, $seeds seeds, $mode, on $device: $*"
    local start=$SECONDS
    timeout "$STEP_LIMIT" "$BIN" train -q --data-dir "$DATA" --device "$device" --out "$dir" --overwrite \
        --seeds "0..$seeds" "${flag[@]}" "$@" >/dev/null
    status=$?
    if ((status != 0)); then
        failed innate "$name-$mode-$seeds" "$device" "$status" "innate train --seeds failed or timed out"
        return 0
    fi
    python3 - "$dir" "$name" "$mode" "$seeds" "$((SECONDS - start))" >>"$RESULTS" <<'EOF'
import json, os, sys
d, name, mode, seeds, wall = sys.argv[1:]
ms = [json.load(open(os.path.join(d, f"seed{s}", "metrics.json"))) for s in range(int(seeds))]
print(json.dumps({
    "implementation": "innate " + ms[0]["innate_version"], "check": name, "mode": mode, "members": len(ms),
    "device": ms[0]["device"], "wall_seconds": int(wall), "runs_per_hour": 3600 * len(ms) / max(int(wall), 1),
    "seconds_per_1000_batches": sum(m["seconds_per_1000_batches"] for m in ms) / len(ms),
    "best_test_accuracy": [m["best_test_accuracy"] for m in ms],
}))
EOF
    status=$?
    ((status == 0)) || failed innate "$name-$mode-$seeds" "$device" "$status" "cannot read the members' metrics.json"
}

# python_step SCRIPT NAME DEVICE ARGS...: one run of the PyTorch script bench/SCRIPT; appends its
# JSON lines to $RESULTS (those it printed before a timeout too).
python_step() {
    local script=$1 name=$2 device=$3 status lines
    shift 3
    time_left "pytorch $script $name on $device" || return 0
    echo "== pytorch $script $name on $device: $*"
    lines=$(timeout "$STEP_LIMIT" python3 "bench/$script" --data-dir "$DATA" --device "$device" "$@")
    status=$?
    if [ -n "$lines" ]; then
        python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line); r["check"] = sys.argv[1]; print(json.dumps(r))' "$name" <<<"$lines" >>"$RESULTS" ||
            failed pytorch "$name" "$device" 1 "bench/$script printed no JSON"
    fi
    if ((status != 0)); then
        failed pytorch "$name" "$device" "$status" "bench/$script failed or timed out"
    fi
}

# torch_run NAME DEVICE ARGS...: bench/sgem_torch.py; vmap NAME DEVICE ARGS...:
# bench/population_torch.py (torch.func.vmap over populations).
torch_run() { python_step sgem_torch.py "$@"; }
vmap() { python_step population_torch.py "$@"; }

speed=(--batches "$BATCHES" --eval-every "$BATCHES" --patience 0)
mlsgem=(--encoding mlsgem --model mlp --hidden 784 --genes 22)
sgem=(--encoding sgem --model slp --genes 11)

# Speed: ML-S-GEM G = 22 (the issue's timing), S-GEM SLP and the direct 784-784-10 MLP, on the GPU
# and on the CPU (one thread for the GEM family, as `innate train` chooses).
innate mlsgem-g22-speed "$DEVICE" "${mlsgem[@]}" "${speed[@]}"
innate sgem-slp-g11-speed "$DEVICE" "${sgem[@]}" "${speed[@]}"
innate direct-mlp784-speed "$DEVICE" --encoding direct --model mlp --hidden 784 "${speed[@]}"
# On a CPU, PyTorch gets one thread as innate's GEM family does.
threads=()
[ "$DEVICE" = cpu ] && threads=(--threads 1)
torch_run mlsgem-g22-speed "$DEVICE" --model mlp --genes 22 --batches "$BATCHES" "${threads[@]}"
torch_run sgem-slp-g11-speed "$DEVICE" --model slp --genes 11 --batches "$BATCHES" "${threads[@]}"
if [ "$DEVICE" != cpu ]; then
    innate mlsgem-g22-speed cpu "${mlsgem[@]}" "${speed[@]}"
    torch_run mlsgem-g22-speed cpu --model mlp --genes 22 --batches "$BATCHES" --threads 1
fi
# The paper's own timing claim: a whole ML-S-GEM run under its protocol (97 s in the paper) and a
# whole 784-784-10 MLP run (89 s), seed 0.
innate mlsgem-g22-paper "$DEVICE" "${mlsgem[@]}"
innate direct-mlp784-paper "$DEVICE" --encoding direct --model mlp --hidden 784
torch_run mlsgem-g22-paper "$DEVICE" --model mlp --genes 22 --protocol paper "${threads[@]}"

# Populations of ML-S-GEM G = 22 and of the direct 784-784-10 MLP (a short budget each, no early
# stopping): 10 and 50 members together against 10 one at a time, and PyTorch's vmap over 1, 10
# and 50 members of the same models.
short=(--batches 500 --eval-every 500 --patience 0)
population mlsgem-g22-pop "$DEVICE" population 10 "${mlsgem[@]}" "${short[@]}"
population mlsgem-g22-pop "$DEVICE" one-at-a-time 10 "${mlsgem[@]}" "${short[@]}"
population mlsgem-g22-pop "$DEVICE" population 50 "${mlsgem[@]}" "${short[@]}"
population direct-mlp784-pop "$DEVICE" population 10 --encoding direct --model mlp --hidden 784 "${short[@]}"
population direct-mlp784-pop "$DEVICE" one-at-a-time 10 --encoding direct --model mlp --hidden 784 "${short[@]}"
# GN30 g-networks trained intermittently (3 of the paper's 500 generations): stacked p-networks
# and every member's g-networks fitted in the same batched products.
gnet=(--encoding gnet --preset gn30 --model mlp --strategy intermittent --generations 3)
population gnet-gn30-pop "$DEVICE" population 10 "${gnet[@]}"
population gnet-gn30-pop "$DEVICE" one-at-a-time 10 "${gnet[@]}"
vmap mlsgem-g22-pop "$DEVICE" --model mlsgem --genes 22 --members 1,10,50 --batches 500 "${threads[@]}"
vmap direct-mlp784-pop "$DEVICE" --model direct --members 1,10,50 --batches 500 "${threads[@]}"

# The convolutional models and meta-learning on the device: LeNet-5's variants on MNIST, All-CNN-C
# (full width) on the CIFAR-10 subset, first-order MAML on Omniglot, a few hundred steps each.
conv=(--batches 200 --eval-every 200 --patience 0)
innate lenet5-standard "$DEVICE" --model lenet5 --encoding direct "${conv[@]}"
innate lenet5-local "$DEVICE" --model lenet5 --encoding local "${conv[@]}"
innate lenet5-sgem "$DEVICE" --model lenet5 --encoding sgem --genes 150 "${conv[@]}"
innate allcnn "$DEVICE" --dataset cifar10 --model allcnn --batches 50 --eval-every 50 --patience 0
COMMAND=meta innate maml-direct "$DEVICE" --encoding direct --meta-batches 200 --eval-every 200 --eval-batches 1 --eval-tasks 1
COMMAND=meta innate maml-gem50 "$DEVICE" --encoding gem --genes 50 --meta-batches 200 --eval-every 200 --eval-batches 1 --eval-tasks 1

echo "== results ($RESULTS), ${SECONDS} s"
cat "$RESULTS"
if grep -q '"failed": true' "$RESULTS"; then
    exit 1
fi
