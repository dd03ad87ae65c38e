//! End-to-end tests of the `innate` binary on the committed fixtures (data/fixtures/, cut from
//! the real datasets by `cargo xtask fixtures`). No network, a few seconds each.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fixtures")
}

fn innate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_innate"))
        .args(args)
        .env_remove("INNATE_DATA")
        .env("INNATE_LOG", "info")
        .output()
        .expect("the innate binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let o = innate(args);
    assert!(o.status.success(), "innate {args:?} failed:\n{}", text(&o));
    text(&o)
}

fn fails(args: &[&str]) -> String {
    let o = innate(args);
    assert!(
        !o.status.success(),
        "innate {args:?} should fail:\n{}",
        text(&o)
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(!t.contains("panicked"), "{t}");
    t
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

#[test]
fn data_info_checks_every_fixture() {
    let fx = fixtures();
    let out = ok(&["data", "info", "--data-dir", p(&fx)]);
    for ds in [
        "== mnist",
        "== fashion-mnist",
        "== cifar-10",
        "== cifar-10-jpeg",
        "== svhn",
        "== omniglot",
    ] {
        assert!(out.contains(ds), "{ds} missing from:\n{out}");
    }
    assert!(
        out.contains("train: 500 images of 1x28x28, 10 classes"),
        "{out}"
    );
    assert!(out.contains("test : 50 images of 3x32x32"), "{out}");
    assert!(
        out.contains("background: 8 alphabets, 8 characters, 160 images"),
        "{out}"
    );
    assert!(out.contains("format checked only"), "{out}");
}

#[test]
fn train_eval_inspect_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let fx = fixtures();
    let out = ok(&[
        "train",
        "--dataset",
        "mnist",
        "--model",
        "mlp",
        "--hidden",
        "64",
        "--encoding",
        "direct",
        "--batches",
        "40",
        "--eval-every",
        "20",
        "--seed",
        "3",
        "--data-dir",
        p(&fx),
        "--out",
        p(&run),
    ]);
    assert!(out.contains("best test accuracy"), "{out}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
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
    for key in [
        "final_test_accuracy",
        "seconds",
        "seconds_per_1000_batches",
        "compression",
    ] {
        assert!(m[key].is_number(), "{key}");
    }

    let out = ok(&[
        "eval",
        p(&run.join("genome.safetensors")),
        "--data-dir",
        p(&fx),
    ]);
    assert!(out.contains(&format!("{:.2}%", 100.0 * best)), "{out}");
    assert!(out.contains("identical"), "{out}");

    let out = ok(&["inspect", p(&run.join("genome.safetensors"))]);
    assert!(out.contains("encoding      direct"), "{out}");
    assert!(out.contains("compression   1.0x"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "inspect",
        "--json",
        p(&run.join("genome.safetensors")),
    ]))
    .unwrap();
    assert_eq!(json["params"]["learned"], params);
    assert_eq!(
        json["tensors"]["layer0.weight"],
        serde_json::json!([64, 784])
    );
}

#[test]
fn same_seed_same_run() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let run = |dir: &str, seed: &str| -> serde_json::Value {
        let out = tmp.path().join(dir);
        ok(&[
            "train",
            "--model",
            "slp",
            "--batches",
            "30",
            "--eval-every",
            "10",
            "--seed",
            seed,
            "--data-dir",
            p(&fx),
            "--out",
            p(&out),
            "--quiet",
            "--overwrite",
        ]);
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap())
                .unwrap();
        serde_json::json!([
            m["curve"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["test_accuracy"].clone())
                .collect::<Vec<_>>(),
            m["curve"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["train_loss"].clone())
                .collect::<Vec<_>>()
        ])
    };
    assert_eq!(run("a", "1"), run("b", "1"));
    assert_ne!(run("a", "1"), run("c", "2"));
}

#[test]
fn bad_input_gets_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();

    // A truncated download.
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("mnist")).unwrap();
    for f in std::fs::read_dir(fx.join("mnist")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, root.join("mnist").join(f.file_name().unwrap())).unwrap();
    }
    let images = root.join("mnist/train-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 2]).unwrap();
    let e = fails(&["data", "info", "mnist", "--data-dir", p(&root)]);
    assert!(
        e.contains("train-images-idx3-ubyte.gz")
            && e.contains("cut short")
            && e.contains("9,912,422"),
        "{e}"
    );
    let e = fails(&[
        "train",
        "--batches",
        "5",
        "--data-dir",
        p(&root),
        "--out",
        p(&tmp.path().join("r")),
    ]);
    assert!(
        e.contains("cut short") && e.contains("cargo xtask download mnist"),
        "{e}"
    );

    // Nothing there.
    let e = fails(&[
        "data",
        "info",
        "fashion-mnist",
        "--data-dir",
        p(&tmp.path().join("nowhere")),
    ]);
    assert!(
        e.contains("not found") && e.contains("cargo xtask download fashion-mnist"),
        "{e}"
    );

    // Unknown names and flags.
    let e = fails(&["train", "--dataset", "imagenet", "--data-dir", p(&fx)]);
    assert!(e.contains("unknown dataset \"imagenet\""), "{e}");
    let o = innate(&["train", "--model", "transformer"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("slp") && text(&o).contains("mlp"),
        "{}",
        text(&o)
    );
    let e = fails(&[
        "train",
        "--lr=-1",
        "--data-dir",
        p(&fx),
        "--out",
        p(&tmp.path().join("r")),
    ]);
    assert!(e.contains("learning rate"), "{e}");
    let e = fails(&[
        "train",
        "--device",
        "tpu",
        "--data-dir",
        p(&fx),
        "--out",
        p(&tmp.path().join("r")),
    ]);
    assert!(e.contains("expected cpu, cuda"), "{e}");

    // A genome evaluated on a dataset of another shape; a dataset whose test classes are new.
    let run = tmp.path().join("slp");
    ok(&[
        "train",
        "--model",
        "slp",
        "--batches",
        "2",
        "--data-dir",
        p(&fx),
        "--out",
        p(&run),
        "--quiet",
    ]);
    let e = fails(&[
        "eval",
        p(&run.join("genome.safetensors")),
        "--dataset",
        "cifar-10",
        "--data-dir",
        p(&fx),
    ]);
    assert!(
        e.contains("784 inputs") && e.contains("3x32x32 = 3072"),
        "{e}"
    );
    let e = fails(&[
        "train",
        "--dataset",
        "omniglot",
        "--batches",
        "2",
        "--data-dir",
        p(&fx),
        "--out",
        p(&tmp.path().join("o")),
    ]);
    assert!(e.contains("few-shot"), "{e}");

    // A finished run is not overwritten by accident.
    let e = fails(&[
        "train",
        "--model",
        "slp",
        "--batches",
        "2",
        "--data-dir",
        p(&fx),
        "--out",
        p(&run),
    ]);
    assert!(e.contains("--overwrite"), "{e}");
    ok(&[
        "train",
        "--model",
        "slp",
        "--batches",
        "2",
        "--data-dir",
        p(&fx),
        "--out",
        p(&run),
        "--overwrite",
        "--quiet",
    ]);

    // A file that is not a genome.
    let e = fails(&["eval", p(&images)]);
    assert!(
        e.contains("train-images-idx3-ubyte.gz") && e.contains("Expected a genome file"),
        "{e}"
    );
    let e = fails(&["inspect", p(&tmp.path().join("missing.safetensors"))]);
    assert!(e.contains("missing.safetensors"), "{e}");
}

#[test]
fn reproduce_pipeline_on_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let out = tmp.path();
    ok(&[
        "reproduce",
        "--profile",
        "smoke",
        "--data-dir",
        p(&fx),
        "--out",
        p(out),
        "--quiet",
    ]);
    let rows = std::fs::read_to_string(out.join("results/baselines.jsonl")).unwrap();
    assert_eq!(rows.lines().count(), 4, "{rows}");
    for line in rows.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["experiment"], "baselines");
        assert_eq!(r["profile"], "smoke");
        assert!(r["metrics"]["best_test_accuracy"].is_number());
    }
    let png = std::fs::read(out.join("figures/baselines.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(
        std::fs::read_to_string(out.join("figures/baselines.svg"))
            .unwrap()
            .contains("<svg")
    );
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(
        report.contains("## baselines") && report.contains("93%") && report.contains("98%"),
        "{report}"
    );
    assert!(report.contains("figures/baselines.png"), "{report}");

    // A second run reuses the finished runs; --report-only only redraws.
    let again = ok(&[
        "reproduce",
        "--profile",
        "smoke",
        "--data-dir",
        p(&fx),
        "--out",
        p(out),
    ]);
    assert!(again.contains("reusing the finished run"), "{again}");
    assert_eq!(
        std::fs::read_to_string(out.join("results/baselines.jsonl")).unwrap(),
        rows
    );
    ok(&["reproduce", "--report-only", "--out", p(out), "--quiet"]);
    let e = fails(&["reproduce", "--only", "nope", "--out", p(out)]);
    assert!(
        e.contains("no such experiment") && e.contains("baselines"),
        "{e}"
    );
    assert!(ok(&["reproduce", "--list"]).contains("baselines"));
}

#[test]
fn help_explains_the_commands() {
    let out = ok(&["--help"]);
    for word in [
        "train",
        "eval",
        "inspect",
        "data",
        "reproduce",
        "INNATE_DATA",
    ] {
        assert!(out.contains(word), "{word}: {out}");
    }
    let out = ok(&["train", "--help"]);
    assert!(
        out.contains("--encoding") && out.contains("--hidden") && out.contains("--batches"),
        "{out}"
    );
}

#[test]
fn every_encoding_trains_evaluates_and_counts_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixtures();
    // (encoding arguments, learned genome parameters)
    let cases: [(&[&str], usize); 5] = [
        (
            &["--encoding", "gem", "--model", "slp", "--genes", "3"],
            3 * (784 + 3),
        ),
        (
            &[
                "--encoding",
                "gem",
                "--model",
                "slp",
                "--genes",
                "3",
                "--learn-output",
            ],
            3 * (784 + 10 + 3),
        ),
        (
            &["--encoding", "sgem", "--model", "slp", "--genes", "5"],
            5 * (5 + 3),
        ),
        (
            &[
                "--encoding",
                "mlsgem",
                "--model",
                "mlp",
                "--hidden",
                "64",
                "--genes",
                "4",
            ],
            4 * (4 + 3 * 2),
        ),
        (
            &[
                "--encoding",
                "rb",
                "--model",
                "mlp",
                "--hidden",
                "64",
                "--basis",
                "20",
            ],
            20,
        ),
    ];
    for (i, (enc, learned)) in cases.iter().enumerate() {
        let run = tmp.path().join(format!("run{i}"));
        let mut args = vec![
            "train",
            "--batches",
            "20",
            "--eval-every",
            "10",
            "--data-dir",
            p(&fx),
            "--out",
            p(&run),
            "--quiet",
        ];
        args.extend_from_slice(enc);
        ok(&args);
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap())
                .unwrap();
        assert_eq!(m["genome_params"], *learned, "{enc:?}");
        assert_eq!(m["encoding"], enc[1], "{enc:?}");
        let out = ok(&[
            "eval",
            p(&run.join("genome.safetensors")),
            "--data-dir",
            p(&fx),
        ]);
        assert!(out.contains("identical"), "{enc:?}: {out}");
        let out = ok(&["inspect", p(&run.join("genome.safetensors"))]);
        assert!(out.contains(&format!("encoding      {}", enc[1])), "{out}");
        assert!(out.contains("compression"), "{out}");
    }
    let e = fails(&[
        "train",
        "--encoding",
        "sgem",
        "--model",
        "slp",
        "--data-dir",
        p(&fx),
        "--out",
        p(&tmp.path().join("x")),
    ]);
    assert!(e.contains("needs --genes"), "{e}");
    let e = fails(&[
        "train",
        "--encoding",
        "rb",
        "--data-dir",
        p(&fx),
        "--out",
        p(&tmp.path().join("y")),
    ]);
    assert!(e.contains("needs --basis"), "{e}");
    let e = fails(&[
        "train",
        "--bias",
        "fixed",
        "--data-dir",
        p(&fx),
        "--out",
        p(&tmp.path().join("z")),
    ]);
    assert!(e.contains("learns its biases"), "{e}");
}
