//! Genomes developed outside Rust: [`DEVELOP_PY`], a short Python script (numpy and safetensors
//! only) that develops a genome file's weights from the file and its metadata alone.

/// The Python script that model cards carry (`assets/develop.py`).
pub const DEVELOP_PY: &str = include_str!("../assets/develop.py");

#[cfg(test)]
mod tests {
    use super::DEVELOP_PY;
    use candle_core::{Device, Tensor};
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The fixture genomes of the encodings the script develops.
    const COVERED: &[&str] = &["direct", "gem", "gem-nobias", "sgem", "sgem-intermittent", "mlsgem", "gnet"];

    /// Imports `develop.py` (argv[1]), develops each genome (argv[2], argv[4], ...) and compares
    /// every layer with innate's (argv[3], argv[5], ...): shapes, float32, max |diff| <= 1e-5.
    const COMPARE: &str = r#"
import importlib.util, sys
import numpy as np
from safetensors.numpy import load_file
spec = importlib.util.spec_from_file_location("develop", sys.argv[1])
dev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dev)
ok = True
for genome, innate in zip(sys.argv[2::2], sys.argv[3::2]):
    want, got = load_file(innate), dev.develop(genome)
    name = genome.split("/")[-2]
    if len(got) != sum(k.endswith(".weight") for k in want):
        print(f"{name}: {len(got)} layers, innate develops {len(want)} tensors"); ok = False; continue
    for i, pair in enumerate(got):
        for part, a in zip(("weight", "bias"), pair):
            b = want.get(f"layer{i}.{part}")
            if a is None or b is None or a.shape != b.shape or a.dtype != np.float32:
                same = a is None and b is None
                ok &= same
                if same:
                    print(f"{name} layer{i}.{part}: none, as in innate")
                else:
                    print(f"{name} layer{i}.{part}: script {None if a is None else (a.shape, a.dtype)}, innate {None if b is None else b.shape}")
                continue
            d = float(np.abs(a.astype(np.float64) - b).max()) if b.size else 0.0
            print(f"{name} layer{i}.{part} {b.shape}: max |diff| {d:.2e}")
            ok &= d <= 1e-5
sys.exit(0 if ok else 1)
"#;

    /// Checks that the script refuses what it cannot develop with its message (argv[2]: the rb
    /// fixture, argv[3]: a file to write), and that it decodes quantised tensors (argv[4]: the
    /// direct fixture, rewritten with each bit width).
    const REFUSE_AND_DEQUANTISE: &str = r#"
import importlib.util, json, sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file
spec = importlib.util.spec_from_file_location("develop", sys.argv[1])
dev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dev)
def refused(path, message):
    try:
        dev.develop(path)
    except ValueError as e:
        assert message in str(e), f"{path}: {e}"
        print(f"refused: {e}")
        return
    raise AssertionError(f"{path} was developed")
refused(sys.argv[2], "encoding rb needs innate to develop")
save_file({"w": np.zeros((2, 3), np.float32)}, sys.argv[3])
refused(sys.argv[3], "is not an innate genome file")
with safe_open(sys.argv[4], "np") as f:
    meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
conv = dict(meta, genome=json.dumps(dict(json.loads(meta["genome"]), lenet5={})))
save_file(tensors, sys.argv[3], metadata=conv)
refused(sys.argv[3], "is not supported by this script")
for bits in (16, 8, 4, 2):
    out, want, q = {"strategy.inner_lr": np.ones(1, np.float32)}, {}, {}
    for k, v in tensors.items():
        if bits == 16:
            out[k], q[k] = v.astype(np.float16), {"shape": list(v.shape)}
            want[k] = out[k].astype(np.float32)
            continue
        lo, step = v.min(), (v.max() - v.min()) / np.float32(2**bits - 1)
        codes = np.rint((v.ravel() - lo) / step).astype(np.uint16)
        i = np.arange(codes.size)
        packed = np.zeros((codes.size * bits + 7) // 8, np.uint8)
        np.bitwise_or.at(packed, i * bits // 8, (codes << (i * bits % 8)).astype(np.uint8))
        out[k], q[k] = packed, {"shape": list(v.shape), "offset": float(lo), "step": float(step)}
        want[k] = (lo + step * codes.astype(np.float32)).reshape(v.shape)
    save_file(out, sys.argv[3], metadata=dict(meta, quantisation=json.dumps({"bits": bits, "tensors": q})))
    for i, (w, b) in enumerate(dev.develop(sys.argv[3])):
        assert np.array_equal(w, want[f"layer{i}.weight"]) and np.array_equal(b, want[f"layer{i}.bias"]), bits
        assert bits == 16 or np.abs(w - tensors[f"layer{i}.weight"]).max() <= step, bits
    print(f"{bits}-bit tensors decode")
"#;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fixtures/genomes")
    }

    /// Whether `python3` with numpy and safetensors is here; a message when it is not.
    fn python() -> bool {
        let found = Command::new("python3")
            .args(["-c", "import numpy, safetensors"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!("skipped: python3 with numpy and safetensors not found; pip install numpy safetensors");
        }
        found
    }

    /// Runs `harness` with `develop.py` (written verbatim into `dir`) and `args`; its output.
    fn run(dir: &Path, harness: &str, args: &[PathBuf]) -> String {
        let script = dir.join("develop.py");
        std::fs::write(&script, DEVELOP_PY).unwrap();
        let out = Command::new("python3").arg("-c").arg(harness).arg(&script).args(args).output().unwrap();
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        println!("{text}");
        assert!(out.status.success(), "the Python harness failed:\n{text}");
        text
    }

    #[test]
    fn python_develops_every_covered_fixture_as_innate_does() {
        if !python() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut args = Vec::new();
        // Genome files as `innate push --bits` writes them, too.
        let mut genomes: Vec<(String, PathBuf)> =
            COVERED.iter().map(|n| (n.to_string(), fixtures().join(n).join("genome.safetensors"))).collect();
        for (name, bits) in [("gem", 4), ("mlsgem", 2), ("gnet", 8), ("sgem", 16)] {
            let g = crate::load(&fixtures().join(name).join("genome.safetensors"), &Device::Cpu).unwrap();
            let q = dir.path().join(format!("{name}-q{bits}"));
            std::fs::create_dir_all(&q).unwrap();
            let path = q.join("genome.safetensors");
            std::fs::write(&path, crate::quantise::quantised_file(&g, bits).unwrap()).unwrap();
            genomes.push((format!("{name}-q{bits}"), path));
        }
        for (name, genome) in &genomes {
            let net = crate::load(genome, &Device::Cpu).unwrap().develop().unwrap();
            let mlp = net.as_mlp().expect("an MLP");
            let mut tensors: HashMap<String, Tensor> = HashMap::new();
            for (i, layer) in mlp.layers.iter().enumerate() {
                tensors.insert(format!("layer{i}.weight"), layer.weight.clone());
                if let Some(b) = &layer.bias {
                    tensors.insert(format!("layer{i}.bias"), b.clone());
                }
            }
            let innate = dir.path().join(format!("{name}.innate.safetensors"));
            candle_core::safetensors::save(&tensors, &innate).unwrap();
            args.extend([genome.clone(), innate]);
        }
        let out = run(dir.path(), COMPARE, &args);
        for (name, _) in &genomes {
            assert!(out.contains(&format!("{name} layer0.weight")), "{name} was not compared:\n{out}");
        }
    }

    #[test]
    fn python_refuses_what_it_cannot_develop_and_decodes_quantised_files() {
        if !python() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let args = [
            fixtures().join("rb/genome.safetensors"),
            dir.path().join("other.safetensors"),
            fixtures().join("direct/genome.safetensors"),
        ];
        let out = run(dir.path(), REFUSE_AND_DEQUANTISE, &args);
        assert!(out.contains("2-bit tensors decode"), "{out}");
    }
}
