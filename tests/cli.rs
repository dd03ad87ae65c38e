//! End-to-end tests of the `innate` binary on the committed fixtures (data/fixtures/, cut from
//! the real datasets by `cargo xtask fixtures`). No network, a few seconds each.
//!
//! Command lines are written as strings and split on white space (temporary paths have none).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fixtures");
    p.to_str().expect("utf-8 path").to_string()
}

fn innate(line: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_innate"))
        .args(line.split_whitespace())
        .env_remove("INNATE_DATA")
        .env("INNATE_LOG", "info")
        .output()
        .expect("the innate binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Runs `innate LINE`, which must succeed; returns its output.
fn ok(line: &str) -> String {
    let o = innate(line);
    assert!(o.status.success(), "innate {line} failed:\n{}", text(&o));
    text(&o)
}

/// Runs `innate LINE`, which must fail with exit code 1 and no panic; returns its output.
fn fails(line: &str) -> String {
    let o = innate(line);
    assert!(!o.status.success(), "innate {line} should fail:\n{}", text(&o));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(!t.contains("panicked"), "{t}");
    t
}

fn dir(tmp: &tempfile::TempDir, name: &str) -> String {
    tmp.path().join(name).to_str().expect("utf-8 temp path").to_string()
}

fn metrics(run: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(PathBuf::from(run).join("metrics.json")).unwrap()).unwrap()
}

#[test]
fn data_info_checks_every_fixture() {
    let out = ok(&format!("data info --data-dir {}", fixtures()));
    for ds in ["== mnist", "== fashion-mnist", "== cifar-10", "== cifar-10-jpeg", "== svhn", "== omniglot"] {
        assert!(out.contains(ds), "{ds} missing from:\n{out}");
    }
    assert!(out.contains("train: 500 images of 1x28x28, 10 classes"), "{out}");
    assert!(out.contains("test : 50 images of 3x32x32"), "{out}");
    assert!(out.contains("background: 8 alphabets, 8 characters, 160 images"), "{out}");
    assert!(out.contains("format checked only"), "{out}");
}

#[test]
fn train_eval_inspect_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, fx) = (dir(&tmp, "run"), fixtures());
    let out = ok(&format!(
        "train --dataset mnist --model mlp --hidden 64 --encoding direct --batches 40 --eval-every 20 \
         --seed 3 --data-dir {fx} --out {run}"
    ));
    assert!(out.contains("best test accuracy"), "{out}");
    let m = metrics(&run);
    let params = 784 * 64 + 64 + 64 * 10 + 10;
    assert_eq!(m["genome_params"], params);
    assert_eq!(m["phenotype_params"], params);
    assert_eq!(m["batches"], 40);
    assert_eq!(m["seed"], 3);
    assert_eq!(m["dataset"], "mnist");
    assert_eq!(m["encoding"], "direct");
    assert_eq!(m["test_images"], 200);
    assert_eq!(m["curve"].as_array().unwrap().len(), 3);
    let best = m["best_test_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&best) && best > 0.3, "{best}");
    for key in ["final_test_accuracy", "seconds", "seconds_per_1000_batches", "compression"] {
        assert!(m[key].is_number(), "{key}");
    }

    let out = ok(&format!("eval {run}/genome.safetensors --data-dir {fx}"));
    assert!(out.contains(&format!("{:.2}%", 100.0 * best)), "{out}");
    assert!(out.contains("identical"), "{out}");

    let out = ok(&format!("inspect {run}/genome.safetensors"));
    assert!(out.contains("encoding      direct"), "{out}");
    assert!(out.contains("compression   1.0x"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&format!("inspect --json {run}/genome.safetensors"))).unwrap();
    assert_eq!(json["params"]["learned"], params);
    assert_eq!(json["tensors"]["layer0.weight"], serde_json::json!([64, 784]));
}

#[test]
fn same_seed_same_run() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let run = |name: &str, seed: u64| -> serde_json::Value {
        let out = dir(&tmp, name);
        ok(&format!(
            "train --model slp --batches 30 --eval-every 10 --seed {seed} --data-dir {fx} --out {out} --quiet --overwrite"
        ));
        let curve = metrics(&out)["curve"].clone();
        let pick = |k: &str| curve.as_array().unwrap().iter().map(|c| c[k].clone()).collect::<Vec<_>>();
        serde_json::json!([pick("test_accuracy"), pick("train_loss")])
    };
    assert_eq!(run("a", 1), run("b", 1));
    assert_ne!(run("a", 1), run("c", 2));
}

#[test]
fn seeds_train_one_population_whose_members_are_their_single_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let curves = |name: &str, extra: &str| -> Vec<serde_json::Value> {
        let out = dir(&tmp, name);
        let o = ok(&format!(
            "train --model mlp --hidden 16 --encoding mlsgem --genes 3 --batches 30 --eval-every 10 --seeds 0..3 \
             {extra} --data-dir {fx} --out {out}"
        ));
        assert!(o.contains("3 of 3 runs finished"), "{o}");
        (0..3)
            .map(|s| {
                let m = metrics(&format!("{out}/seed{s}"));
                assert_eq!(m["seed"], s);
                let c = m["curve"].as_array().unwrap().clone();
                serde_json::json!([
                    m["batches"],
                    c.iter().map(|p| p["test_accuracy"].clone()).collect::<Vec<_>>()
                ])
            })
            .collect()
    };
    let together = curves("pop", "");
    assert_eq!(together, curves("alone", "--one-at-a-time"));
    assert_ne!(together[0], together[1]);
    // G-networks trained intermittently: p-networks and fitting as one population.
    let generations = |name: &str, extra: &str| -> Vec<serde_json::Value> {
        let out = dir(&tmp, name);
        let o = ok(&format!(
            "train --model mlp --hidden 24 --encoding gnet --gnet-hidden 4,3 --strategy intermittent --generations 3 \
             --images-per-generation 100 --seeds 0..2 {extra} --data-dir {fx} --out {out}"
        ));
        assert!(o.contains("2 of 2 runs finished"), "{o}");
        (0..2)
            .map(|s| {
                let g = metrics(&format!("{out}/seed{s}"))["generations"].as_array().unwrap().clone();
                serde_json::json!(g.iter().map(|p| p["ab_initio_accuracy"].clone()).collect::<Vec<_>>())
            })
            .collect()
    };
    let together = generations("gpop", "");
    assert_eq!(together, generations("galone", "--one-at-a-time"));
    // The registry's runs too: the smoke baselines and the g-networks of Fig. 2c (intermittent
    // and lifetime learning) as populations and one at a time.
    let rows = |name: &str, mode: &str| -> Vec<(String, serde_json::Value)> {
        let out = dir(&tmp, name);
        ok(&format!(
            "reproduce --profile smoke --only baselines --only gnet-fig2c --populations {mode} --data-dir {fx} \
             --out {out} --quiet"
        ));
        let read = |e: &str| {
            std::fs::read_to_string(PathBuf::from(&out).join(format!("results/{e}.jsonl"))).unwrap()
        };
        let text = read("baselines") + &read("gnet-fig2c");
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|r| (r["run"].as_str().unwrap().to_string(), r["metrics"]["best_test_accuracy"].clone()))
            .collect()
    };
    assert_eq!(rows("always", "always"), rows("never", "never"));
    let o = innate(&format!("train --model slp --seeds 0..2 --seed 3 --data-dir {fx}"));
    assert!(!o.status.success() && text(&o).contains("cannot be used with '--seed"), "{}", text(&o));
    let e = fails(&format!("train --model slp --seeds 4..2 --data-dir {fx}"));
    assert!(e.contains("--seeds 4..2") && e.contains("0..10"), "{e}");
}

#[test]
fn bad_input_gets_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();

    // A truncated download.
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("mnist")).unwrap();
    for f in std::fs::read_dir(Path::new(&fx).join("mnist")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, root.join("mnist").join(f.file_name().unwrap())).unwrap();
    }
    let images = root.join("mnist/train-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 2]).unwrap();
    let root = root.to_str().unwrap().to_string();
    let r = dir(&tmp, "r");
    let e = fails(&format!("data info mnist --data-dir {root}"));
    assert!(
        e.contains("train-images-idx3-ubyte.gz") && e.contains("cut short") && e.contains("9,912,422"),
        "{e}"
    );
    let e = fails(&format!("train --batches 5 --data-dir {root} --out {r}"));
    assert!(e.contains("cut short") && e.contains("cargo xtask download mnist"), "{e}");

    // Nothing there.
    let e = fails(&format!("data info fashion-mnist --data-dir {}", dir(&tmp, "nowhere")));
    assert!(e.contains("not found") && e.contains("cargo xtask download fashion-mnist"), "{e}");

    // Unknown names and flags.
    let e = fails(&format!("train --dataset imagenet --data-dir {fx}"));
    assert!(e.contains("unknown dataset \"imagenet\""), "{e}");
    let o = innate("train --model transformer");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("slp") && text(&o).contains("mlp"), "{}", text(&o));
    let e = fails(&format!("train --lr=-1 --data-dir {fx} --out {r}"));
    assert!(e.contains("learning rate"), "{e}");
    let e = fails(&format!("train --device tpu --data-dir {fx} --out {r}"));
    assert!(e.contains("expected cpu, cuda"), "{e}");
    let e = fails(&format!("train --encoding gem --genes 2 --centre-init uniform --data-dir {fx} --out {r}"));
    assert!(e.contains("--centre-init") && e.contains("sgem or mlsgem"), "{e}");
    // A flag the encoding would ignore is refused rather than recorded as if it were used.
    let e = fails(&format!("train --encoding rb --basis 10 --genes 4 --data-dir {fx} --out {r}"));
    assert!(e.contains("--genes applies only to --encoding gem, sgem or mlsgem"), "{e}");
    let e = fails(&format!("train --batch-size 0 --data-dir {fx} --out {r}"));
    assert!(e.contains("--batch-size 0"), "{e}");
    let o = innate("train --encoding gem --genes -1");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("invalid value '-1' for '--genes <G>'"), "{}", text(&o));
    let e = fails(&format!("train --model slp --hidden 50 --data-dir {fx} --out {r}"));
    assert!(e.contains("--hidden applies only to --model mlp"), "{e}");
    let o = innate("inspect genome.safetensors --json --draw fig");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot be used with"), "{}", text(&o));
    let e = fails(&format!("train --stop-sample 0 --data-dir {fx} --out {r}"));
    assert!(e.contains("--stop-sample 0"), "{e}");
    // More genes than neurons: refused before anything of size G² is allocated.
    let e = fails(&format!("train --encoding sgem --model slp --genes 100000 --data-dir {fx} --out {r}"));
    assert!(e.contains("100000 genes") && e.contains("at most 784 genes"), "{e}");
    // Gene fields sit on the pixel grid, which a 3-channel image does not have.
    let e = fails(&format!(
        "train --dataset cifar-10 --encoding sgem --genes 2 --model slp --data-dir {fx} --out {r}"
    ));
    assert!(e.contains("single-channel") && e.contains("3072 inputs"), "{e}");
    // A missing genome: the path, what was expected, and no raw OS error.
    let e = fails(&format!("inspect {}", dir(&tmp, "missing.safetensors")));
    assert!(e.contains("missing.safetensors: there is no such file") && e.contains("innate train"), "{e}");
    assert!(!e.contains("os error"), "{e}");

    // A genome evaluated on a dataset of another shape; a dataset whose test classes are new.
    let slp = dir(&tmp, "slp");
    ok(&format!("train --model slp --batches 2 --data-dir {fx} --out {slp} --quiet"));
    let e = fails(&format!("eval {slp}/genome.safetensors --dataset cifar-10 --data-dir {fx}"));
    assert!(e.contains("784 inputs") && e.contains("3x32x32 = 3072"), "{e}");
    let e = fails(&format!("train --dataset omniglot --batches 2 --data-dir {fx} --out {}", dir(&tmp, "o")));
    assert!(e.contains("few-shot"), "{e}");

    // A finished run is not overwritten by accident.
    let e = fails(&format!("train --model slp --batches 2 --data-dir {fx} --out {slp}"));
    assert!(e.contains("--overwrite"), "{e}");
    ok(&format!("train --model slp --batches 2 --data-dir {fx} --out {slp} --overwrite --quiet"));

    // A file that is not a genome.
    let e = fails(&format!("eval {}", images.display()));
    assert!(e.contains("train-images-idx3-ubyte.gz") && e.contains("Expected a genome file"), "{e}");
    let e = fails(&format!("inspect {}", dir(&tmp, "missing.safetensors")));
    assert!(e.contains("missing.safetensors"), "{e}");
}

#[test]
fn reproduce_pipeline_on_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    let (fx, out) = (fixtures(), dir(&tmp, "out"));
    ok(&format!("reproduce --profile smoke --only baselines --data-dir {fx} --out {out} --quiet --jobs 1"));
    let out_path = PathBuf::from(&out);
    let rows = std::fs::read_to_string(out_path.join("results/baselines.jsonl")).unwrap();
    assert_eq!(rows.lines().count(), 4, "{rows}");
    for line in rows.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["experiment"], "baselines");
        assert_eq!(r["profile"], "smoke");
        assert!(r["metrics"]["best_test_accuracy"].is_number());
    }
    let png = std::fs::read(out_path.join("figures/baselines.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(std::fs::read_to_string(out_path.join("figures/baselines.svg")).unwrap().contains("<svg"));
    let report = std::fs::read_to_string(out_path.join("REPORT.md")).unwrap();
    assert!(report.contains("## baselines") && report.contains("93%") && report.contains("98%"), "{report}");
    assert!(report.contains("figures/baselines.png"), "{report}");
    assert!(report.contains("## gem-fig1c") && report.contains("Not run yet"), "{report}");

    // A second run reuses the finished runs; --report-only only redraws.
    let again = ok(&format!("reproduce --profile smoke --only baselines --data-dir {fx} --out {out}"));
    assert!(again.contains("reusing the finished run"), "{again}");
    assert_eq!(std::fs::read_to_string(out_path.join("results/baselines.jsonl")).unwrap(), rows);
    ok(&format!("reproduce --report-only --out {out} --quiet"));
    // Two runs at a time train the same networks: every run's accuracies and curve match.
    let out2 = dir(&tmp, "out2");
    ok(&format!("reproduce --profile smoke --only baselines --data-dir {fx} --out {out2} --quiet --jobs 2"));
    let parallel = std::fs::read_to_string(PathBuf::from(&out2).join("results/baselines.jsonl")).unwrap();
    let key = |rows: &str| -> Vec<(String, String)> {
        rows.lines()
            .map(|l| {
                let r: serde_json::Value = serde_json::from_str(l).unwrap();
                let m = &r["metrics"];
                let curve: Vec<String> = m["curve"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| format!("{} {} {}", p["batches"], p["test_accuracy"], p["train_loss"]))
                    .collect();
                (r["run"].to_string(), format!("{} {curve:?}", m["best_test_accuracy"]))
            })
            .collect()
    };
    assert_eq!(key(&parallel), key(&rows));
    // Without its data an experiment is skipped, saying what is missing; when that leaves nothing
    // to do it is an error.
    let empty = dir(&tmp, "empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = fails(&format!(
        "reproduce --profile smoke --only baselines --data-dir {empty} --out {} --quiet --jobs 2",
        dir(&tmp, "out3")
    ));
    assert!(e.contains("every experiment asked for was skipped") && e.contains("baselines: mnist:"), "{e}");
    assert!(e.contains("t10k-images-idx3-ubyte.gz not found"), "{e}");
    // A run that fails (the training images are missing here) stops the experiment with an error
    // that names it.
    let half = tmp.path().join("half/mnist");
    std::fs::create_dir_all(&half).unwrap();
    for f in std::fs::read_dir(PathBuf::from(&fx).join("mnist")).unwrap() {
        let f = f.unwrap().path();
        if f.file_name().unwrap().to_str().unwrap().starts_with("t10k") {
            std::os::unix::fs::symlink(std::fs::canonicalize(&f).unwrap(), half.join(f.file_name().unwrap()))
                .unwrap();
        }
    }
    let e = fails(&format!(
        "reproduce --profile smoke --only baselines --data-dir {} --out {} --quiet --jobs 2",
        half.parent().unwrap().display(),
        dir(&tmp, "out4")
    ));
    assert!(e.contains("experiment baselines run") && e.contains("train-images"), "{e}");
    let e = fails(&format!("reproduce --only nope --out {out}"));
    assert!(e.contains("no such experiment") && e.contains("baselines"), "{e}");
    assert!(ok("reproduce --list").contains("sgem-fig2d"));
}

#[test]
fn developmental_priors_experiments_on_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    let (fx, out) = (fixtures(), dir(&tmp, "out"));
    ok(&format!(
        "reproduce --profile smoke --only gem-fig1c --only sgem-fig2c --only sgem-fig2d --only sgem-fig2b \
         --data-dir {fx} --out {out} --quiet"
    ));
    let out = PathBuf::from(out);
    for name in ["gem-fig1c", "sgem-fig2c", "sgem-fig2d", "sgem-fig2b", "sgem-fig2b-weights"] {
        let png = std::fs::read(out.join("figures").join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{name}");
    }
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    for needle in [
        "## sgem-fig2c",
        "above 80% with under 2%",
        "S-GEM gene fields: mean width",
        "G(Ni + No + G) = 1592 | 1592 |",
    ] {
        assert!(report.contains(needle), "{needle}: {report}");
    }
    // The field rows and both figures survive without the run folders (they are not committed):
    // the report keeps its rows and `--report-only` redraws the same images from the results.
    let images = |out: &PathBuf| {
        ["sgem-fig2b.png", "sgem-fig2b-weights.png"]
            .map(|f| std::fs::read(out.join("figures").join(f)).unwrap())
    };
    let drawn = images(&out);
    std::fs::remove_dir_all(out.join("runs/sgem-fig2b")).unwrap();
    std::fs::remove_dir_all(out.join("figures")).unwrap();
    ok(&format!("reproduce --report-only --only baselines --out {} --quiet", out.display()));
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("S-GEM gene fields: mean width"), "{report}");
    ok(&format!("reproduce --report-only --only sgem-fig2b --out {} --quiet", out.display()));
    assert!(images(&out) == drawn, "the figures redrawn from the saved results differ");
    std::fs::remove_file(out.join("results/sgem-fig2b-weights.safetensors")).unwrap();
    let e = fails(&format!("reproduce --report-only --only sgem-fig2b --out {} --quiet", out.display()));
    assert!(e.contains("sgem-fig2b-weights.safetensors") && e.contains("genome.safetensors"), "{e}");
    let rows = std::fs::read_to_string(out.join("results/sgem-fig2d.jsonl")).unwrap();
    let encodings: Vec<String> = rows
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["metrics"]["encoding"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(encodings, ["direct", "mlsgem", "rb"]);
}

/// Copies the genome file `from` to `to` with the JSON metadata value `key` changed by `edit`.
fn edit_metadata(from: &str, to: &str, key: &str, edit: impl Fn(&mut serde_json::Value)) {
    let bytes = std::fs::read(from).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let meta = &mut header["__metadata__"][key];
    let mut value: serde_json::Value = serde_json::from_str(meta.as_str().unwrap()).unwrap();
    edit(&mut value);
    *meta = serde_json::Value::String(value.to_string());
    let mut h = header.to_string().into_bytes();
    h.resize(h.len().div_ceil(8) * 8, b' ');
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(&bytes[8 + n..]);
    std::fs::write(to, out).unwrap();
}

#[test]
fn every_encoding_trains_evaluates_and_counts_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    // (encoding arguments, learned genome parameters)
    let cases = [
        ("--encoding gem --model slp --genes 3", 3 * (784 + 3)),
        ("--encoding gem --model slp --genes 3 --learn-output", 3 * (784 + 10 + 3)),
        ("--encoding sgem --model slp --genes 5", 5 * (5 + 3)),
        ("--encoding mlsgem --model mlp --hidden 64 --genes 4", 4 * (4 + 3 * 2)),
        ("--encoding rb --model mlp --hidden 64 --basis 20", 20),
        // G-networks trained end to end (Fig. S.2A): 2 x (20-10-5-1) + 10-5-1 + 10 raw biases.
        ("--encoding gnet --preset gn5", 613),
    ];
    for (i, (enc, learned)) in cases.iter().enumerate() {
        let run = dir(&tmp, &format!("run{i}"));
        ok(&format!("train {enc} --batches 20 --eval-every 10 --data-dir {fx} --out {run} --quiet"));
        let name = enc.split_whitespace().nth(1).unwrap();
        let m = metrics(&run);
        assert_eq!(m["genome_params"], *learned, "{enc}");
        assert_eq!(m["encoding"], name, "{enc}");
        let out = ok(&format!("eval {run}/genome.safetensors --data-dir {fx}"));
        assert!(out.contains("identical"), "{enc}: {out}");
        let out = ok(&format!("inspect {run}/genome.safetensors"));
        assert!(out.contains(&format!("encoding      {name}")) && out.contains("compression"), "{out}");
    }
    // Drawing a genome: the S-GEM SLP's weight images and its input layer's gene fields; the
    // random basis has weights and no fields.
    let stem = dir(&tmp, "drawn.v1");
    let out = ok(&format!("inspect {}/genome.safetensors --draw {stem}", dir(&tmp, "run2")));
    for suffix in ["-weights.png", "-fields-layer0.png", "-fields-layer0.svg"] {
        let path = format!("{stem}{suffix}");
        assert!(out.contains(&path) && std::fs::metadata(&path).unwrap().len() > 1000, "{suffix}: {out}");
    }
    assert!(!Path::new(&format!("{stem}-fields-layer1.png")).exists());
    let stem = dir(&tmp, "drawn-rb");
    let out = ok(&format!("inspect {}/genome.safetensors --draw {stem}", dir(&tmp, "run4")));
    assert!(out.contains("-weights.png") && !out.contains("fields"), "{out}");

    // A genome file whose metadata was edited: the bases the metadata's seed draws no longer have
    // the recorded fingerprint; without a fingerprint (files from before it was recorded), its
    // fixed tensors (W0, fixed biases) are no longer the ones that seed draws; and its recorded
    // counts no longer match.
    let rb = format!("{}/genome.safetensors", dir(&tmp, "run4"));
    let edited = dir(&tmp, "edited.safetensors");
    edit_metadata(&rb, &edited, "genome", |g| g["seed"] = serde_json::json!(99));
    for line in [format!("eval {edited} --data-dir {fx}"), format!("inspect {edited}")] {
        let e = fails(&line);
        assert!(e.contains("edited.safetensors") && e.contains("fingerprint"), "{line}: {e}");
    }
    edit_metadata(&rb, &edited, "genome", |g| {
        g["seed"] = serde_json::json!(99);
        g.as_object_mut().unwrap().remove("basis_fingerprint");
    });
    for line in [format!("eval {edited} --data-dir {fx}"), format!("inspect {edited}")] {
        let e = fails(&line);
        assert!(e.contains("edited.safetensors") && e.contains("\"fixed.layer0.w0\" differs"), "{line}: {e}");
    }
    edit_metadata(&rb, &edited, "params", |p| p["learned"] = serde_json::json!(7));
    let e = fails(&format!("inspect {edited}"));
    assert!(e.contains("records 7 learned") && e.contains("has 20"), "{e}");

    let e = fails(&format!("train --encoding sgem --model slp --data-dir {fx} --out {}", dir(&tmp, "x")));
    assert!(e.contains("needs --genes"), "{e}");
    let e = fails(&format!("train --encoding rb --data-dir {fx} --out {}", dir(&tmp, "y")));
    assert!(e.contains("needs --basis"), "{e}");
    let e = fails(&format!("train --bias fixed --data-dir {fx} --out {}", dir(&tmp, "z")));
    assert!(e.contains("learns its biases"), "{e}");
}

#[test]
fn help_explains_the_commands() {
    let out = ok("--help");
    for word in
        ["train", "eval", "inspect", "push", "pull", "Hugging Face Hub", "data", "reproduce", "INNATE_DATA"]
    {
        assert!(out.contains(word), "{word}: {out}");
    }
    let out = ok("train --help");
    for flag in ["--encoding", "--genes", "--basis", "--hidden", "--batches", "sgem", "mlsgem", "--from"] {
        assert!(out.contains(flag), "{flag}: {out}");
    }
    let out = ok("push --help");
    for flag in ["--repo", "--private", "--revision", "--bits", "--dry-run", "model card"] {
        assert!(out.contains(flag), "{flag}: {out}");
    }
}

#[test]
fn gnet_intermittent_training_and_transfer() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let run = dir(&tmp, "gn5");
    let out = ok(&format!(
        "train --encoding gnet --preset gn5 --strategy intermittent --generations 3 --images-per-generation 100 \
         --data-dir {fx} --out {run} --quiet"
    ));
    assert!(out.contains("ab initio") && out.contains("per generation"), "{out}");
    let m = metrics(&run);
    assert_eq!(m["genome_params"], 613);
    assert_eq!(m["phenotype_params"], 636_010);
    assert_eq!(m["generations"].as_array().unwrap().len(), 3);
    assert!(m["ab_initio_test_accuracy"].as_f64().is_some());
    assert!(m["seconds_per_generation"].as_f64().unwrap() > 0.0);
    // The genome file alone reproduces the recorded ab initio accuracy.
    let out = ok(&format!("eval {run}/genome.safetensors --data-dir {fx}"));
    assert!(out.contains("identical"), "{out}");
    assert!(ok(&format!("inspect {run}/genome.safetensors")).contains("encoding      gnet"));

    let t = dir(&tmp, "transfer");
    let out = ok(&format!(
        "transfer --from {run}/genome.safetensors --dataset fashion-mnist --batches 20 --eval-every 10 \
         --data-dir {fx} --out {t} --quiet"
    ));
    assert!(out.contains("innate") && out.contains("naive"), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(PathBuf::from(&t).join("transfer.json")).unwrap())
            .unwrap();
    assert_eq!(report["innate_curve"].as_array().unwrap().len(), 3);
    assert_eq!(report["naive_curve"].as_array().unwrap().len(), 3);
    // The innate network starts as the genome's network: on the fixture's MNIST test images it
    // has the genome's recorded accuracy.
    let on_mnist = dir(&tmp, "after-birth");
    ok(&format!(
        "transfer --from {run}/genome.safetensors --dataset mnist --batches 10 --eval-every 10 --data-dir {fx} \
         --out {on_mnist} --quiet"
    ));
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(PathBuf::from(&on_mnist).join("transfer.json")).unwrap(),
    )
    .unwrap();
    let best = m["ab_initio_test_accuracy"].as_f64().unwrap();
    assert!((r["innate_start"].as_f64().unwrap() - best).abs() < 1e-9, "{r} vs {best}");

    let e = fails(&format!("train --encoding gnet --data-dir {fx} --out {}", dir(&tmp, "x")));
    assert!(e.contains("--preset"), "{e}");
    let e = fails(&format!("train --strategy intermittent --data-dir {fx} --out {}", dir(&tmp, "y")));
    assert!(e.contains("--encoding gnet"), "{e}");
    let e = fails(&format!("transfer --from {fx}/nope.safetensors --data-dir {fx}"));
    assert!(e.contains("nope.safetensors"), "{e}");
}

/// `innate transfer --learn interaction|expression`: the genome itself goes on learning on
/// Fashion-MNIST with part of it frozen as the MNIST genome left it, beside a random genome of the
/// same seed learning the same tensors.
#[test]
fn transfer_with_frozen_genes_learns_only_o_or_only_the_expression() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let from = format!("{fx}/genomes/mlsgem/genome.safetensors");
    let source = innate_run::load(Path::new(&from), &candle_core::Device::Cpu).unwrap();
    let tensor = |g: &innate_run::LoadedGenome, name: &str| -> Vec<f32> {
        g.genome.varmap().data().lock().unwrap()[name].as_tensor().flatten_all().unwrap().to_vec1().unwrap()
    };
    let mut starts = Vec::new();
    for (learn, trained) in [("interaction", 16), ("expression", source.file.params.learned - 16)] {
        let t = dir(&tmp, learn);
        let out = ok(&format!(
            "transfer --from {from} --learn {learn} --dataset fashion-mnist --batches 20 --eval-every 10 \
             --data-dir {fx} --out {t} --quiet"
        ));
        assert!(out.contains(&format!("{trained} parameters trained on each side")), "{out}");
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(PathBuf::from(&t).join("transfer.json")).unwrap())
                .unwrap();
        assert_eq!((r["learn"].as_str(), r["trained_params"].as_u64()), (Some(learn), Some(trained as u64)));
        starts.push((
            r["innate_curve"][0]["test_accuracy"].as_f64(),
            r["naive_curve"][0]["test_accuracy"].as_f64(),
        ));
        for side in ["innate", "naive"] {
            let m = metrics(&format!("{t}/{side}"));
            assert_eq!(m["config"]["encoding"]["kind"], "mlsgem", "{side}");
            assert_eq!(
                m["report"]["trained_params"].as_u64().or(m["trained_params"].as_u64()),
                Some(trained as u64),
                "{m}"
            );
        }
        // The frozen tensors keep the MNIST genome's values, the free ones moved.
        let after =
            innate_run::load(&PathBuf::from(&t).join("innate/genome.safetensors"), &candle_core::Device::Cpu)
                .unwrap();
        let (frozen, free) = if learn == "interaction" { ("neurons0.mu", "o") } else { ("o", "neurons0.mu") };
        assert_eq!(tensor(&after, frozen), tensor(&source, frozen), "{learn}: {frozen}");
        assert_ne!(tensor(&after, free), tensor(&source, free), "{learn}: {free}");
    }
    // Both innate sides start as the MNIST genome's network, both naive sides as the same random one.
    assert_eq!(starts[0], starts[1]);
    let e = fails(&format!(
        "transfer --from {fx}/genomes/direct/genome.safetensors --learn interaction --data-dir {fx} --out {}",
        dir(&tmp, "x")
    ));
    assert!(e.contains("splits a GEM-family genome") && e.contains("--learn genome"), "{e}");
}

#[test]
fn genomic_bottleneck_experiments_on_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    let (fx, out) = (fixtures(), dir(&tmp, "out"));
    // Derived experiments need gnet-fig2c's results first, and say so.
    let e =
        fails(&format!("reproduce --profile smoke --only gnet-fig2ef --data-dir {fx} --out {out} --quiet"));
    assert!(e.contains("gnet-fig2c"), "{e}");
    let e =
        fails(&format!("reproduce --profile smoke --only gnet-fig2h --data-dir {fx} --out {out} --quiet"));
    assert!(e.contains("--only gnet-fig2c"), "{e}");
    ok(&format!(
        "reproduce --profile smoke --only gnet-table1 --only gnet-fig2c --only gnet-figS2c --only gnet-fig2d \
         --only gnet-fig2ef --only gnet-fig2h --data-dir {fx} --out {out} --quiet --jobs 3"
    ));
    let out = PathBuf::from(out);
    for name in ["gnet-fig2c", "gnet-figS2c", "gnet-fig2d", "gnet-fig2ef", "gnet-fig2h"] {
        let png = std::fs::read(out.join("figures").join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{name}");
    }
    // Table 1: counted from the genomes innate-gnet builds (the paper's numbers sit in other fields).
    let table = std::fs::read_to_string(out.join("results/gnet-table1.jsonl")).unwrap();
    let counts: Vec<(u64, u64)> = table
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["genome_params"].as_u64().unwrap(), v["phenotype_params"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(counts, [(613, 636_010), (1_353, 636_010), (1_973, 636_010)]);
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    for needle in ["| 1973 / 636010 / 322x | 1973 / 636010 / 322x |", "GN30 ab initio", "last 50 generations"]
    {
        assert!(report.contains(needle), "{needle}: {report}");
    }
    // The innate learning runs start from the genomes the same experiment trained (with three
    // runs at a time, each waits for its genome's run to finish).
    let rows = std::fs::read_to_string(out.join("results/gnet-fig2c.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = rows.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let genome = rows.iter().find(|r| r["run"] == "gn30-seed0").unwrap();
    let innate = rows.iter().find(|r| r["run"] == "gn30-innate-seed0").unwrap();
    let from = innate["metrics"]["config"]["encoding"]["init_from"].as_str().unwrap();
    assert!(from.ends_with("runs/gnet-fig2c/smoke/gn30-seed0/genome.safetensors"), "{from}");
    assert_eq!(
        innate["metrics"]["curve"][0]["test_accuracy"], genome["metrics"]["ab_initio_test_accuracy"],
        "the innate network starts at the genome's ab initio accuracy"
    );
    // Survival values come from those curves.
    let ef = std::fs::read_to_string(out.join("results/gnet-fig2ef.jsonl")).unwrap();
    assert_eq!(ef.lines().count(), 4);
    // Genome size in bits: the gnet genomes above are reused (the smoke profile has no S-GEM G = 11
    // or ML-S-GEM G = 22 / 9 runs, and says so); a missing run folder is trained again.
    let o = out.display();
    std::fs::remove_dir_all(out.join("runs/gnet-fig2c/smoke/gn20-seed0")).unwrap();
    let log = ok(&format!("reproduce --profile smoke --only genome-bits --data-dir {fx} --out {o} --jobs 1"));
    assert!(log.contains("has no run mlsgem-mlp784-g22-seed0 in the smoke profile"), "{log}");
    assert!(
        log.contains("training gnet-fig2c gn20-seed0") && !log.contains("training gnet-fig2c gn5"),
        "{log}"
    );
    let bits = std::fs::read_to_string(out.join("results/genome-bits.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = bits.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let levels = r["levels"].as_array().unwrap();
        assert_eq!(levels.iter().map(|l| l["bits"].as_u64().unwrap()).collect::<Vec<_>>(), [32, 16, 8, 4, 2]);
        assert!(levels.iter().all(|l| l["accuracy"].as_f64().is_some()), "{r}");
        assert!(r["fewest_bits"].as_u64().is_some(), "{r}");
    }
    let gn5 = rows.iter().find(|r| r["genome"] == "GN5").unwrap();
    assert_eq!(
        (gn5["genome_params"].as_u64(), gn5["levels"][0]["bytes"].as_u64()),
        (Some(613), Some(4 * 613))
    );
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("GN5 (613 learned values): fewest bits per value"), "{report}");
}

#[test]
fn cifar_genomic_bottleneck_experiments_and_layer_transfer_on_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    let (fx, out) = (fixtures(), dir(&tmp, "out"));
    // SVHN transfer needs fig3cd's genome; on a data root without SVHN it is skipped, saying what
    // is missing, and the rest runs.
    let no_svhn = tmp.path().join("no-svhn");
    std::fs::create_dir_all(&no_svhn).unwrap();
    std::os::unix::fs::symlink(
        std::fs::canonicalize(PathBuf::from(&fx).join("cifar-10")).unwrap(),
        no_svhn.join("cifar-10"),
    )
    .unwrap();
    let log = ok(&format!(
        "reproduce --profile smoke --only gnet-cifar-fig3cd --only gnet-cifar-figS2d --only gnet-cifar-fig3e \
         --only gnet-cifar-fig3g --data-dir {} --out {out} --jobs 2",
        no_svhn.display()
    ));
    assert!(
        log.contains("skipped gnet-cifar-fig3g: svhn:") && log.contains("test_32x32.mat not found"),
        "{log}"
    );
    let outp = PathBuf::from(&out);
    assert!(!outp.join("results/gnet-cifar-fig3g.jsonl").exists());
    // With the generated .mat fixture the SVHN path runs; the stand-in trains its own sources.
    ok(&format!(
        "reproduce --profile smoke --only gnet-cifar-fig3g --only gnet-cifar-fig3g-classes --data-dir {fx} --out {out} \
         --quiet --jobs 2"
    ));
    for name in [
        "gnet-cifar-fig3cd",
        "gnet-cifar-figS2d",
        "gnet-cifar-fig3e",
        "gnet-cifar-fig3g",
        "gnet-cifar-fig3g-classes",
    ] {
        let png = std::fs::read(outp.join("figures").join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{name}");
    }
    let report = std::fs::read_to_string(outp.join("REPORT.md")).unwrap();
    for needle in [
        "GN50 ab initio test accuracy (14958 genome parameters",
        "naive: the network a random genome",
        "L1 from the GN50 genome: epochs to 50%",
        "GN50 innate: test accuracy after 0",
    ] {
        assert!(report.contains(needle), "{needle}: {report}");
    }
    let rows = std::fs::read_to_string(outp.join("results/gnet-cifar-fig3g-classes.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = rows.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let l1 = rows.iter().find(|r| r["run"] == "genome-l1-seed0").unwrap();
    assert_eq!(l1["metrics"]["config"]["classes"], serde_json::json!([5, 6, 7, 8, 9]));
    assert_eq!(l1["metrics"]["config"]["encoding"]["init_layers"], serde_json::json!([1]));
    let source = rows.iter().find(|r| r["run"] == "source-gn50-seed0").unwrap();
    assert!(source["metrics"]["train_images"].as_u64().unwrap() < 100, "classes 0-4 only: {source}");

    // `innate transfer` of chosen layers of an All-CNN-C genome, and --classes.
    let g = outp.join("runs/gnet-cifar-fig3cd/smoke/gn50-seed0/genome.safetensors");
    let t = dir(&tmp, "transfer");
    let line = ok(&format!(
        "transfer --from {} --dataset cifar-10 --classes 5-9 --layers 1-2 --epochs 1 --data-dir {fx} --out {t} --quiet",
        g.display()
    ));
    assert!(line.contains("layers [1, 2] from the genome"), "{line}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(PathBuf::from(&t).join("transfer.json")).unwrap())
            .unwrap();
    assert_eq!(report["layers"], serde_json::json!([1, 2]));
    let innate = metrics(&format!("{t}/innate"));
    assert_eq!(
        innate["config"]["strategy"]["optimizer"],
        serde_json::json!({"kind": "sgd", "momentum": 0.9})
    );
    assert_eq!(innate["config"]["classes"], serde_json::json!([5, 6, 7, 8, 9]));
    assert!(innate["config"]["standardise"]["channels"].is_object(), "{innate}");
    let e = fails(&format!(
        "transfer --from {} --layers 10 --dataset cifar-10 --epochs 1 --data-dir {fx} --out {t}-x",
        g.display()
    ));
    assert!(e.contains("numbered 1 to 9"), "{e}");
    let e = fails(&format!(
        "transfer --from {fx}/genomes/sgem/genome.safetensors --layers 1 --data-dir {fx} --out {t}-y"
    ));
    assert!(e.contains("--layers) is for All-CNN-C"), "{e}");
    let e = fails(&format!(
        "train --dataset cifar10 --model allcnn --width 4 --classes 3-1 --data-dir {fx} --out {t}-z"
    ));
    assert!(e.contains("--classes 3-1: expected"), "{e}");
}

#[test]
fn lenet5_trains_in_every_variant_and_its_genomes_load_evaluate_and_draw() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    // (encoding arguments, learned genome parameters, developed network's parameters)
    let cases = [
        ("--encoding direct", 61_706, 61_706),
        ("--encoding local", 423_038, 423_038),
        ("--encoding sgem --genes 150", 28_796, 423_038),
    ];
    for (i, (enc, learned, phenotype)) in cases.iter().enumerate() {
        let run = dir(&tmp, &format!("lenet{i}"));
        ok(&format!(
            "train --model lenet5 {enc} --batches 4 --batch-size 32 --eval-every 2 --data-dir {fx} --out {run} --quiet"
        ));
        let m = metrics(&run);
        assert_eq!(
            (m["genome_params"].as_u64(), m["phenotype_params"].as_u64()),
            (Some(*learned), Some(*phenotype))
        );
        assert_eq!(m["config"]["network"]["kind"], "lenet5");
        assert_eq!(m["config"]["strategy"]["lr"], 0.001, "LeNet-5 trains at Adam's usual rate");
        let out = ok(&format!("eval {run}/genome.safetensors --data-dir {fx}"));
        assert!(out.contains("identical"), "{enc}: {out}");
        let stem = dir(&tmp, &format!("draw{i}"));
        let out = ok(&format!("inspect {run}/genome.safetensors --draw {stem}"));
        assert!(out.contains("drew") && Path::new(&format!("{stem}-kernels.png")).exists(), "{out}");
        // The S-GEM genome's 3-D gene fields: the image's, both convolutions' maps, the features'.
        for layer in ["conv-input", "conv1-maps", "conv2-maps", "fc-features"] {
            let drawn = Path::new(&format!("{stem}-fields-{layer}.png")).exists();
            assert_eq!(drawn, enc.contains("sgem"), "{enc} {layer}: {out}");
        }
        // A one-channel genome on three-channel images is an error naming both shapes.
        let e = fails(&format!("eval {run}/genome.safetensors --dataset cifar-10 --data-dir {fx}"));
        assert!(e.contains("takes 1x28x28 images, but cifar-10's are 3x32x32"), "{e}");
    }
    // CIFAR-10's three channels go in unpadded: 62,006 parameters for the standard LeNet-5.
    // Trained by epochs: an evaluation after each pass over the training images.
    let run = dir(&tmp, "cifar");
    let out = ok(&format!(
        "train --model lenet5 --dataset cifar-10 --epochs 2 --batch-size 16 --data-dir {fx} --out {run}"
    ));
    let m = metrics(&run);
    assert_eq!(m["genome_params"], 62_006);
    let per_epoch = m["train_images"].as_u64().unwrap().div_ceil(16);
    let evals: Vec<u64> =
        m["curve"].as_array().unwrap().iter().map(|p| p["batches"].as_u64().unwrap()).collect();
    assert_eq!(evals, [0, per_epoch, 2 * per_epoch]);
    assert!(out.contains(&format!("s of training per epoch ({per_epoch} batches of 16)")), "{out}");
    for (line, needle) in [
        ("train --model lenet5 --hidden 100", "--hidden applies only to --model mlp"),
        ("train --model lenet5 --encoding gem --genes 3", "--encoding gem encodes MLPs"),
        ("train --model mlp --encoding local", "--encoding local is LeNet-5's locally connected variant"),
        ("train --model lenet5 --encoding sgem --genes 4 --bias learned", "learns its biases"),
    ] {
        let e = fails(&format!("{line} --batches 2 --data-dir {fx} --out {}", dir(&tmp, "x")));
        assert!(e.contains(needle), "{line}: {e}");
    }
    let e =
        fails(&format!("transfer --from {}/lenet0/genome.safetensors --data-dir {fx}", tmp.path().display()));
    assert!(e.contains("its network is convolutional"), "{e}");
}

/// `innate meta` on the Omniglot fixture: each of the paper's encodings meta-trains with its
/// exact counts, the genome file keeps the learned inner rates, `eval` reproduces the recorded
/// held-out accuracy, and bad task shapes or datasets get clear errors.
#[test]
fn meta_learning_trains_evaluates_and_checks_its_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let schedule = "--meta-batch 2 --meta-batches 4 --eval-every 2 --eval-batches 1 --eval-tasks 3";
    let small = format!("--ways 3 --queries 2 {schedule}");
    // (encoding arguments, learned genome parameters; the network is 784-784-784-3)
    let cases = [
        ("--encoding direct", 784 * 784 * 2 + 784 * 3 + 784 * 2 + 3),
        ("--encoding gem --genes 50", 784 * 50 * 3 + 3 * 50 + 50 * 50),
        ("--encoding sgem --genes 28", 3 * 3 * 28 + 3 * 28 + 28 * 28),
        // Any genome meta-trains: a random basis of 20 vectors learns its 20 coefficients; GN5's
        // g-networks over this network's neuron labels.
        ("--encoding rb --basis 20", 20),
        ("--encoding gnet --preset gn5", 868),
    ];
    for (i, (enc, learned)) in cases.iter().enumerate() {
        let run = dir(&tmp, &format!("meta{i}"));
        let out = ok(&format!("meta {enc} {small} --data-dir {fx} --out {run} --quiet"));
        assert!(out.contains("best held-out accuracy"), "{out}");
        let m = metrics(&run);
        assert_eq!(m["genome_params"].as_u64(), Some(*learned as u64), "{enc}");
        assert_eq!(m["config"]["strategy"]["kind"], "meta");
        assert_eq!(m["curve"].as_array().map(Vec::len), Some(3));
        assert!(m["curve"][1]["test_ci95"].is_number());
        let out = ok(&format!("eval {run}/genome.safetensors --data-dir {fx}"));
        assert!(out.contains("learned inner rates") && out.contains("identical"), "{enc}: {out}");
        let out = ok(&format!("inspect {run}/genome.safetensors --json"));
        assert!(out.contains("strategy.inner_lr"), "{out}");
    }
    // Resume: a run of 4 meta-batches taken on to 6 ends as the run of 6 that never stopped.
    let whole = dir(&tmp, "whole");
    let part = dir(&tmp, "part");
    let six =
        "--ways 3 --queries 2 --meta-batch 2 --meta-batches 6 --eval-every 2 --eval-batches 1 --eval-tasks 3";
    ok(&format!("meta --encoding gem --genes 5 {six} --data-dir {fx} --out {whole} --quiet"));
    ok(&format!("meta --encoding gem --genes 5 {small} --data-dir {fx} --out {part} --quiet"));
    ok(&format!("meta --resume {part} --meta-batches 6 --data-dir {fx} --quiet"));
    let (a, b) = (metrics(&whole), metrics(&part));
    let curve = |m: &serde_json::Value| -> Vec<(u64, f64, Option<f64>)> {
        m["curve"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["batches"].as_u64().unwrap(),
                    p["test_accuracy"].as_f64().unwrap(),
                    p["train_loss"].as_f64(),
                )
            })
            .collect()
    };
    assert_eq!(curve(&a), curve(&b));
    assert_eq!(a["config"], b["config"]);
    let bytes = |d: &str| {
        let f = innate_encodings::checkpoint::load_tensors(
            Path::new(&format!("{d}/checkpoint.safetensors")),
            &candle_core::Device::Cpu,
        )
        .unwrap()
        .0;
        let mut v: Vec<(String, Vec<f32>)> =
            f.into_iter().map(|(k, t)| (k, t.flatten_all().unwrap().to_vec1::<f32>().unwrap())).collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    };
    assert_eq!(bytes(&whole), bytes(&part), "the genome, rates and Adam's moments after 6 meta-batches");
    let err = fails(&format!("meta --resume {} --data-dir {fx}", dir(&tmp, "nothing")));
    assert!(err.contains("no checkpoint to resume from"), "{err}");

    // Snapshots every 2 meta-batches (and at the start), each a genome file eval reads; the
    // norm-scaled S-GEM records its rule.
    let snap = dir(&tmp, "snap");
    ok(&format!(
        "meta --encoding sgem --genes 4 --weight-scale norm --snapshot-every 2 {small} --data-dir {fx} --out {snap} --quiet"
    ));
    let mut kept: Vec<String> = std::fs::read_dir(format!("{snap}/snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        ["meta-batch-000000.safetensors", "meta-batch-000002.safetensors", "meta-batch-000004.safetensors"]
    );
    assert_eq!(metrics(&snap)["config"]["encoding"]["weight_scale"], "norm");
    let out = ok(&format!("eval {snap}/snapshots/meta-batch-000002.safetensors --data-dir {fx}"));
    assert!(out.contains("learned inner rates"), "{out}");

    for (args, says) in [
        ("--ways 3 --shots 15 --queries 10", "--shots 15 plus --queries 10"),
        ("--ways 9 --queries 2", "--ways 9 is more than the 3 classes of the held-out split"),
        ("--ways 3 --queries 2 --inner-steps 0", "--inner-steps must be at least 1"),
        ("--ways 3 --queries 2 --dataset mnist", "meta-learning needs --dataset omniglot"),
        ("--ways 3 --queries 2 --per-layer-o", "--per-layer-o applies only to --encoding gem or sgem"),
        (
            "--ways 3 --queries 2 --weight-scale norm",
            "--weight-scale norm applies only to --encoding gem or sgem",
        ),
        (
            "--ways 3 --queries 2 --encoding gem --genes 3 --snapshot-every 3",
            "must be a multiple of --eval-every 2",
        ),
    ] {
        let err = fails(&format!("meta {schedule} {args} --data-dir {fx} --out {}", dir(&tmp, "bad")));
        assert!(err.contains(says), "{args}: {err}");
    }
}

#[path = "support/mock_hub.rs"]
mod mock_hub;

/// Runs `innate LINE` against the Hub at `endpoint` (HF_ENDPOINT), with `token` (HF_TOKEN) if
/// given, the Hub's folder in `home` (HF_HOME) and the `extra` variables.
fn hub_run(line: &str, endpoint: &str, token: Option<&str>, home: &Path, extra: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_innate"));
    c.args(line.split_whitespace())
        .env("INNATE_LOG", "info")
        .env("HF_HOME", home)
        .env("HF_ENDPOINT", endpoint);
    for k in ["INNATE_DATA", "HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_CACHE", "HF_HUB_OFFLINE"] {
        c.env_remove(k);
    }
    if let Some(t) = token {
        c.env("HF_TOKEN", t);
    }
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().expect("the innate binary runs")
}

fn hub_ok(line: &str, endpoint: &str, token: Option<&str>, home: &Path, extra: &[(&str, &str)]) -> String {
    let o = hub_run(line, endpoint, token, home, extra);
    assert!(o.status.success(), "innate {line} failed:\n{}", text(&o));
    text(&o)
}

fn hub_fails(line: &str, endpoint: &str, token: Option<&str>, home: &Path, extra: &[(&str, &str)]) -> String {
    let o = hub_run(line, endpoint, token, home, extra);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "innate {line} should fail with 1:\n{t}");
    assert!(!t.contains("panicked"), "{t}");
    t
}

#[test]
fn hub_push_pull_and_hf_addresses_round_trip() {
    let hub = mock_hub::MockHub::start();
    let (ep, tok) = (hub.endpoint.as_str(), Some(mock_hub::TOKEN));
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("hf");
    let run = format!("{}/genomes/gnet", fixtures());
    let out = hub_ok(&format!("push {run} --repo alice/gnet-fixture"), ep, tok, &home, &[]);
    assert!(out.contains("pushed") && out.contains("genome.safetensors"), "{out}");

    // What the Hub holds is the run's files, byte for byte, and a card.
    let files = hub.state.lock().unwrap().files("alice/gnet-fixture", "main").unwrap();
    let genome = std::fs::read(format!("{run}/genome.safetensors")).unwrap();
    let metrics_json = std::fs::read(format!("{run}/metrics.json")).unwrap();
    assert_eq!(files["genome.safetensors"], genome);
    assert_eq!(files["metrics.json"], metrics_json);
    // The genome went to large-file storage, the rest inline.
    assert_eq!(hub.state.lock().unwrap().lfs_objects(), 1);

    // Pulled into the standard cache layout: the same bytes.
    let o = hub_run("pull alice/gnet-fixture", ep, tok, &home, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let path = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(
        path.starts_with(home.join("hub").join("models--alice--gnet-fixture").join("snapshots")),
        "{path:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), genome);
    let snapshot = path.parent().unwrap();
    assert_eq!(std::fs::read(snapshot.join("metrics.json")).unwrap(), metrics_json);
    let card = std::fs::read_to_string(snapshot.join("README.md")).unwrap();
    assert_eq!(card.as_bytes(), files["README.md"].as_slice());

    // The card's front matter is YAML the Hub reads; its body carries the Python script verbatim.
    let front = card.strip_prefix("---\n").and_then(|r| r.split_once("\n---\n")).map(|(f, _)| f).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(front).expect("the front matter parses");
    let fm = &docs[0];
    assert_eq!(fm["library_name"].as_str(), Some("innate"));
    let tags: Vec<&str> = fm["tags"].as_vec().unwrap().iter().filter_map(|t| t.as_str()).collect();
    for t in ["innate", "gnet", "genomic-bottleneck", "mnist"] {
        assert!(tags.contains(&t), "{tags:?}");
    }
    assert_eq!(fm["datasets"][0].as_str(), Some("ylecun/mnist"));
    assert_eq!(fm["license"].as_str(), Some("mit"));
    let m = &fm["model-index"][0]["results"][0]["metrics"][0];
    assert_eq!((m["type"].as_str(), m["value"].as_f64()), (Some("accuracy"), Some(0.12)));
    assert!(card.contains(innate_run::python::DEVELOP_PY), "the card must carry develop.py verbatim");
    for s in [
        "innate pull alice/gnet-fixture",
        "innate eval hf://alice/gnet-fixture",
        "| learned genome parameters | 426 |",
        "(genomic bottleneck)",
    ] {
        assert!(card.contains(s), "{s} missing from the card:\n{card}");
    }

    // hf:// wherever a genome is read.
    let data = format!("--data-dir {}", fixtures());
    let out = hub_ok(&format!("eval hf://alice/gnet-fixture {data}"), ep, tok, &home, &[]);
    assert!(out.contains("12.00%") && out.contains("identical"), "{out}");
    let out = hub_ok("inspect hf://alice/gnet-fixture", ep, tok, &home, &[]);
    assert!(out.contains("encoding      gnet") && out.contains("bits"), "{out}");
    let t = dir(&tmp, "transfer");
    let out = hub_ok(
        &format!("transfer --from hf://alice/gnet-fixture --batches 4 --eval-every 2 --out {t} {data}"),
        ep,
        tok,
        &home,
        &[],
    );
    assert!(out.contains("fashion-mnist"), "{out}");
    let direct = format!("{}/genomes/direct", fixtures());
    hub_ok(&format!("--quiet push {direct} --repo alice/direct-fixture"), ep, tok, &home, &[]);
    let r = dir(&tmp, "from-hub");
    hub_ok(
        &format!(
            "--quiet train --dataset mnist --model mlp --hidden 32 --encoding direct --batches 4 --eval-every 2 --seed 1 \
             --from hf://alice/direct-fixture --out {r} {data}"
        ),
        ep,
        tok,
        &home,
        &[],
    );
    let m = metrics(&r);
    assert_eq!(m["config"]["genome_from"], "hf://alice/direct-fixture", "{m}");

    // A quantised genome on a branch, read back by `load`.
    let out =
        hub_ok(&format!("push {run} --repo alice/gnet-fixture --revision q4 --bits 4"), ep, tok, &home, &[]);
    assert!(out.contains("pushed"), "{out}");
    assert_eq!(
        hub.state.lock().unwrap().files("alice/gnet-fixture", "main").unwrap()["genome.safetensors"],
        genome
    );
    let out = hub_ok("inspect hf://alice/gnet-fixture@q4", ep, tok, &home, &[]);
    assert!(out.contains("quantised     4 bits per learned value"), "{out}");
    hub_ok(&format!("eval hf://alice/gnet-fixture@q4 {data}"), ep, tok, &home, &[]);
    let e = hub_fails("pull alice/gnet-fixture@nope", ep, tok, &home, &[]);
    assert!(e.contains("alice/gnet-fixture@nope: the repository has no revision \"nope\""), "{e}");

    // Offline, the cache serves what was pulled, and says what to do for what it lacks.
    let off = [("HF_HUB_OFFLINE", "1")];
    let out = hub_ok("inspect hf://alice/gnet-fixture", "http://127.0.0.1:9", None, &home, &off);
    assert!(out.contains("encoding      gnet"), "{out}");
    let e = hub_fails("pull alice/never-pulled", "http://127.0.0.1:9", None, &home, &off);
    assert!(e.contains("is not in the Hub cache") && e.contains("HF_HUB_OFFLINE"), "{e}");
}

#[test]
fn hub_errors_say_what_to_do_and_a_failed_push_leaves_nothing() {
    let hub = mock_hub::MockHub::start();
    let (ep, tok) = (hub.endpoint.as_str(), Some(mock_hub::TOKEN));
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("hf");
    let run = format!("{}/genomes/gem", fixtures());

    let e = hub_fails(&format!("push {run} --repo alice/x"), ep, None, &home, &[]);
    assert!(e.contains("needs a Hugging Face access token") && e.contains("HF_TOKEN"), "{e}");
    let e = hub_fails(&format!("push {run} --repo alice/x"), ep, Some("hf_wrong"), &home, &[]);
    assert!(e.contains("rejected the access token from HF_TOKEN"), "{e}");
    let e = hub_fails(&format!("push {run} --repo bob/x"), ep, tok, &home, &[]);
    assert!(e.contains("HTTP 403") && e.contains("write access"), "{e}");
    let e = hub_fails("pull alice/nope", ep, tok, &home, &[]);
    assert!(e.contains("alice/nope: there is no such model repository"), "{e}");
    let e = hub_fails("pull alice/nope", ep, None, &home, &[]);
    assert!(e.contains("no such model repository") && e.contains("set HF_TOKEN"), "{e}");
    let e = hub_fails("eval hf://alice/nope", "http://127.0.0.1:9", None, &home, &[]);
    assert!(e.contains("cannot reach the Hub at http://127.0.0.1:9"), "{e}");
    let e = hub_fails("pull alice", ep, None, &home, &[]);
    assert!(e.contains("expected USER/NAME"), "{e}");

    hub.state.lock().unwrap().put("alice/not-innate", &[("genome.safetensors", b"not a safetensors file")]);
    let e = hub_fails("pull alice/not-innate", ep, None, &home, &[]);
    assert!(e.contains("alice/not-innate: its genome.safetensors is not an innate genome"), "{e}");
    hub.state.lock().unwrap().put("alice/no-genome", &[("config.json", b"{}")]);
    let e = hub_fails("inspect hf://alice/no-genome", ep, None, &home, &[]);
    assert!(e.contains("has no file genome.safetensors"), "{e}");
    let e = hub_fails("pull alice/gnet@v9", ep, None, &home, &[]);
    assert!(e.contains("no such model repository"), "{e}");

    // A push that fails at its commit leaves the repository without the files, and nothing local changes.
    let before: Vec<_> = std::fs::read_dir(&run).unwrap().map(|e| e.unwrap().path()).collect();
    let bytes = std::fs::read(format!("{run}/genome.safetensors")).unwrap();
    let e = hub_fails(&format!("push {run} --repo alice/fail-commit"), ep, tok, &home, &[]);
    assert!(e.contains("HTTP 500"), "{e}");
    let files = hub.state.lock().unwrap().files("alice/fail-commit", "main").unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), vec![".gitattributes"], "a half-made commit: {files:?}");
    let after: Vec<_> = std::fs::read_dir(&run).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!((before, bytes), (after, std::fs::read(format!("{run}/genome.safetensors")).unwrap()));

    // Bad local input is caught before anything is sent.
    let e = hub_fails(&format!("push {} --repo alice/x", tmp.path().display()), ep, tok, &home, &[]);
    assert!(e.contains("this folder has no genome.safetensors"), "{e}");
    let o = hub_run(&format!("push {run} --repo alice/x --bits 3"), ep, tok, &home, &[]);
    assert!(text(&o).contains("give 16, 8, 4 or 2"), "{}", text(&o));
    let e = hub_fails(&format!("push {run} --repo alice/x@a --revision b"), ep, tok, &home, &[]);
    assert!(e.contains("give one"), "{e}");
    // A dry run prints the card and sends nothing.
    let n = hub.state.lock().unwrap().log.len();
    let out = hub_ok(&format!("push {run} --repo alice/dry --dry-run"), ep, None, &home, &[]);
    assert!(out.contains("library_name: innate") && out.contains("nothing sent"), "{out}");
    assert_eq!(hub.state.lock().unwrap().log.len(), n);
}

#[test]
fn sgd_with_momentum_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (fx, r) = (fixtures(), dir(&tmp, "sgd"));
    let base =
        format!("train --dataset mnist --model slp --batches 20 --eval-every 10 --data-dir {fx} --quiet");
    ok(&format!("{base} --momentum 0.9 --lr 0.05 --out {r}"));
    let m = metrics(&r);
    assert_eq!(
        m["config"]["strategy"]["optimizer"],
        serde_json::json!({"kind": "sgd", "momentum": 0.9}),
        "{m}"
    );
    let e = fails(&format!("{base} --momentum 1.5 --out {r}-bad"));
    assert!(e.contains("momentum must be in [0, 1)"), "{e}");
    let e = fails(&format!(
        "{base} --momentum 0.9 --encoding gnet --preset gn5 --strategy intermittent --out {r}-i"
    ));
    assert!(e.contains("drop --momentum"), "{e}");
}

#[test]
fn allcnn_trains_directly_with_its_protocol_on_the_cifar_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let (fx, r) = (fixtures(), dir(&tmp, "allcnn"));
    let out = ok(&format!(
        "train --dataset cifar10 --model allcnn --width 4 --epochs 2 --data-dir {fx} --out {r} --quiet"
    ));
    assert!(out.contains("direct 3072-4-4-4-8-8-8-8-8-10"), "{out}");
    let m = metrics(&r);
    let s = &m["config"]["strategy"];
    assert_eq!((s["lr"].as_f64(), s["batch_size"].as_u64()), (Some(0.05), Some(128)), "{m}");
    assert_eq!(s["optimizer"], serde_json::json!({"kind": "sgd", "momentum": 0.9}));
    assert_eq!(m["config"]["network"], serde_json::json!({"kind": "allcnn", "width": 4}));
    assert_eq!(m["genome_params"], 2_618);
    let e = ok(&format!("eval {r}/genome.safetensors --data-dir {fx}"));
    assert!(e.contains("identical"), "{e}");
    // The labelled stabilisers: the run records the channel statistics it measured, and eval
    // applies them.
    let st = dir(&tmp, "standardised");
    ok(&format!(
        "train --dataset cifar10 --model allcnn --width 4 --epochs 2 --standardise --warmup 10 --data-dir {fx} \
         --out {st} --quiet"
    ));
    let c = &metrics(&st)["config"];
    assert_eq!(c["strategy"]["warmup"], 10, "{c}");
    let (mean, std) =
        (c["standardise"]["channels"]["mean"].as_array().unwrap(), &c["standardise"]["channels"]["std"]);
    assert_eq!(mean.len(), 3, "{c}");
    assert!(mean.iter().all(|m| (0.2..0.8).contains(&m.as_f64().unwrap())), "{c}");
    assert!(std.as_array().unwrap().iter().all(|s| (0.05..0.5).contains(&s.as_f64().unwrap())), "{c}");
    assert_ne!(metrics(&st)["curve"], metrics(&r)["curve"]);
    let e = ok(&format!("eval {st}/genome.safetensors --data-dir {fx}"));
    assert!(e.contains("identical"), "{e}");
    let e = fails(&format!(
        "train --dataset cifar10 --model allcnn --encoding gem --genes 3 --data-dir {fx} --out {r}-g"
    ));
    assert!(e.contains("for --model allcnn, --encoding direct or gnet"), "{e}");
    // Table 2's g-networks, end to end and intermittently; the genome file rebuilds them.
    let g = dir(&tmp, "gnet");
    let cifar =
        format!("train --dataset cifar10 --model allcnn --width 4 --encoding gnet --data-dir {fx} --quiet");
    ok(&format!("{cifar} --preset gn10 --epochs 1 --out {g}"));
    assert_eq!(metrics(&g)["genome_params"], 3_798);
    assert!(ok(&format!("eval {g}/genome.safetensors --data-dir {fx}")).contains("identical"));
    let i = dir(&tmp, "gnet-i");
    ok(&format!(
        "{cifar} --preset gn50 --strategy intermittent --generations 2 --images-per-generation 50 --out {i}"
    ));
    assert_eq!(metrics(&i)["genome_params"], 14_958);
    assert!(ok(&format!("inspect {i}/genome.safetensors")).contains("14,958 learned"));
    // --model allcnn trains intermittently on the paper's CIFAR-10 schedule by default.
    let c = dir(&tmp, "gnet-cifar");
    ok(&format!("{cifar} --preset gn10 --strategy intermittent --generations 1 --out {c}"));
    let s = &metrics(&c)["config"]["strategy"];
    assert_eq!((s["epochs_per_generation"].as_u64(), s["lambda"].as_f64()), (Some(10), Some(20.0)), "{s}");
    assert_eq!(
        (s["fit"]["tensors"].as_array().map(Vec::len), s["fit"]["tensors"][0]["epochs"].as_u64()),
        (Some(18), Some(12))
    );
    assert_eq!(metrics(&c)["batches"], 10, "10 epochs of the 100-image fixture in batches of 128");
    let e = fails(&format!("{cifar} --preset gn10 --strategy intermittent --fit-all --out {c}-f"));
    assert!(e.contains("drop --fit-all"), "{e}");
    ok(&format!("{cifar} --preset gn30 --epochs 1 --out {g}-30"));
    assert_eq!(metrics(&format!("{g}-30"))["genome_params"], 9_378);
    let e = fails(&format!("{cifar} --preset gn5 --out {g}-5"));
    assert!(e.contains("for --model allcnn use Table 2's gn10, gn30 or gn50"), "{e}");
    let e = fails(&format!(
        "train --dataset mnist --model mlp --encoding gnet --preset gn50 --data-dir {fx} --out {g}-50"
    ));
    assert!(e.contains("gn10 and gn50 are Table 2's"), "{e}");
    let e = fails(&format!("train --dataset mnist --model mlp --width 8 --data-dir {fx} --out {r}-w"));
    assert!(e.contains("--width is the width of --model allcnn"), "{e}");
    let e = fails(&format!("train --dataset cifar10 --model allcnn --width 0 --data-dir {fx} --out {r}-0"));
    assert!(e.contains("--width 0"), "{e}");
}

/// The tensors of a safetensors file, as bytes (its header, whose metadata records seconds, left
/// out).
fn tensor_bytes(path: &str) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let mut names: Vec<&String> =
        header.as_object().unwrap().keys().filter(|k| *k != "__metadata__").collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let [a, b] = [0, 1].map(|i| header[name]["data_offsets"][i].as_u64().unwrap() as usize);
        out.extend(name.as_bytes());
        out.extend(&bytes[8 + n + a..8 + n + b]);
    }
    out
}

/// A run's curves without their seconds: what must not change when it is resumed.
fn curves(run: &str) -> serde_json::Value {
    let mut m = metrics(run);
    let r = m["report"].take();
    let strip = |v: &serde_json::Value| -> serde_json::Value {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        let mut p = p.clone();
                        p.as_object_mut().unwrap().remove("seconds");
                        p
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    serde_json::json!({
        "curve": strip(&r["curve"]),
        "generations": strip(&r["generations"]),
        "best": r["best_test_accuracy"],
        "batches": r["batches"],
    })
}

#[test]
fn an_interrupted_run_resumes_to_the_same_genome_and_curves() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let runs = [
        // All-CNN-C learned directly, an evaluation (and checkpoint) per epoch, dropout and SGD.
        ("direct", "train --dataset cifar10 --model allcnn --width 4 --epochs 4", 2),
        // Table 2's g-networks trained intermittently: a checkpoint per generation; standardised
        // inputs and an lr warm-up that spans the cut.
        (
            "gnet",
            "train --dataset cifar10 --model allcnn --width 4 --encoding gnet --preset gn10 --strategy \
             intermittent --generations 3 --images-per-generation 100 --standardise --warmup 3",
            1,
        ),
    ];
    for (name, line, after) in runs {
        let whole = dir(&tmp, &format!("{name}-whole"));
        ok(&format!("{line} --data-dir {fx} --out {whole} --quiet"));
        assert!(
            !Path::new(&whole).join("checkpoint.safetensors").exists(),
            "a finished run keeps no checkpoint"
        );
        let cut = dir(&tmp, &format!("{name}-cut"));
        let o = Command::new(env!("CARGO_BIN_EXE_innate"))
            .args(format!("{line} --data-dir {fx} --out {cut} --quiet").split_whitespace())
            .env("INNATE_ABORT_AFTER_CHECKPOINTS", after.to_string())
            .output()
            .unwrap();
        assert!(!o.status.success(), "the run should have been cut off: {}", text(&o));
        assert!(Path::new(&cut).join("checkpoint.safetensors").is_file());
        assert!(!Path::new(&cut).join("genome.safetensors").exists());
        // Starting it again without --resume would lose the checkpoint.
        let e = fails(&format!("{line} --data-dir {fx} --out {cut}"));
        assert!(e.contains("--resume"), "{e}");
        let out = ok(&format!("train --resume {cut} --data-dir {fx} --quiet"));
        assert!(out.contains("wrote"), "{out}");
        assert_eq!(curves(&cut), curves(&whole), "{name}");
        assert_eq!(
            tensor_bytes(&format!("{cut}/genome.safetensors")),
            tensor_bytes(&format!("{whole}/genome.safetensors")),
            "{name}: the resumed run's genome differs"
        );
        let e = fails(&format!("train --resume {cut} --data-dir {fx}"));
        assert!(e.contains("the run has finished"), "{e}");
    }
    let e = fails(&format!("train --resume {} --data-dir {fx}", dir(&tmp, "none")));
    assert!(e.contains("no checkpoint.safetensors") && e.contains("there is no such folder"), "{e}");
    // A run that diverges says where and what is left.
    let d = dir(&tmp, "diverges");
    let e = fails(&format!(
        "train --dataset cifar10 --model allcnn --width 4 --epochs 3 --lr 1e30 --data-dir {fx} --out {d}"
    ));
    assert!(e.contains("stopped") && e.contains("diverged") && e.contains("over batches 2-2"), "{e}");
    assert!(
        e.contains("(it is 1e30)") && e.contains("its last good checkpoint, after 1 batch, is kept"),
        "{e}"
    );
    assert!(
        Path::new(&d).join("checkpoint.safetensors").is_file()
            && !Path::new(&d).join("genome.safetensors").exists()
    );
}
