//! Genome files and metrics that innate 0.1.0 wrote before run configurations became data
//! (`data/fixtures/genomes/`, see its README), one run of each kind: direct, gem, sgem, mlsgem,
//! rb, g-networks trained intermittently, and a transfer test; and two more settings (GEM without
//! biases, S-GEM with learned biases trained intermittently, fitting every weight).
//!
//! Each genome file still loads through the library and evaluates to the accuracy recorded in it;
//! each recorded configuration reads as the run it was; and the same command trains the same run
//! again: the same accuracies, counts and curves (losses to within rounding), on the CPU.

use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::Device;
use innate_datasets::{Dataset, Split};
use innate_run::{Metrics, RunConfig};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/fixtures")
}

fn genomes() -> PathBuf {
    fixtures().join("genomes")
}

/// (name, arguments of `innate`) of every fixture run, from `COMMANDS`.
fn commands() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(genomes().join("COMMANDS")).expect("COMMANDS");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, args) = l.split_once(": ").expect("NAME: ARGS");
            let args = args.replace("GENOMES", genomes().to_str().expect("utf-8 path"));
            (name.to_string(), args)
        })
        .collect()
}

fn metrics(path: &Path) -> Metrics {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn old_genome_files_load_and_evaluate_to_their_recorded_accuracy() {
    let device = Device::Cpu;
    let mut seen = Vec::new();
    for (name, _) in commands().into_iter().filter(|(n, _)| n != "transfer") {
        let dir = genomes().join(&name);
        let g = innate_run::load(&dir.join("genome.safetensors"), &device).unwrap();
        assert_eq!(g.file.version, "0.1.0", "{name}");
        let dataset: Dataset = g.dataset().expect("a recorded dataset").parse().unwrap();
        let test = dataset.load(&fixtures(), Split::Test).unwrap();
        let net = g.develop().unwrap();
        innate_run::load::check_fits(&g.file.path, &net, &test, &dataset.to_string()).unwrap();
        let acc = innate_run::load::accuracy(&net, &test.to_device(&device).unwrap()).unwrap();
        assert_eq!(Some(acc), g.recorded_accuracy(), "{name}");
        // The file's run configuration (the old flat form) reads as the run its metrics.json holds.
        let m = metrics(&dir.join("metrics.json"));
        assert_eq!(g.run().as_ref(), Some(&m.config), "{name}");
        assert_eq!(m.report.best_test_accuracy, acc, "{name}");
        seen.push(g.file.encoding.clone());
    }
    assert_eq!(seen, ["direct", "gem", "sgem", "mlsgem", "rb", "gnet", "gem", "sgem"]);
}

/// Asserts that two runs' metrics are the same run: configuration, counts and accuracies
/// exactly, losses and fitting errors to within rounding.
fn same_run(name: &str, old: &Metrics, new: &Metrics) {
    let close = |what: &str, a: f64, b: f64| {
        assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{name}: {what} {a} then, {b} now");
    };
    let mut old_config = old.config.clone();
    if let (innate_run::Encoding::Direct(a), innate_run::Encoding::Direct(b)) =
        (&mut old_config.encoding, &new.config.encoding)
    {
        // The transfer run started from the genome where it was when the fixture was made.
        a.init_from.clone_from(&b.init_from);
    }
    assert_eq!(old_config, new.config, "{name}: configuration");
    let counts = |m: &Metrics| {
        (
            m.dataset.clone(),
            m.encoding.clone(),
            m.sizes.clone(),
            m.seed,
            (m.genome_params, m.genome_fixed_params, m.phenotype_params, m.phenotype_weights),
            (m.train_images, m.test_images),
        )
    };
    assert_eq!(counts(old), counts(new), "{name}: counts");
    assert_eq!(old.compression, new.compression, "{name}");
    let (a, b) = (&old.report, &new.report);
    let outcome = |r: &innate_evolution::Report| {
        (r.best_test_accuracy, r.final_test_accuracy, r.best_batches, r.batches, r.stopped_early)
    };
    assert_eq!(outcome(a), outcome(b), "{name}: accuracies");
    assert_eq!(a.ab_initio_test_accuracy, b.ab_initio_test_accuracy, "{name}");
    assert_eq!(a.curve.len(), b.curve.len(), "{name}: curve");
    for (p, q) in a.curve.iter().zip(&b.curve) {
        assert_eq!(
            (p.batches, p.test_accuracy, p.stop_accuracy),
            (q.batches, q.test_accuracy, q.stop_accuracy)
        );
        assert_eq!(p.train_loss.is_some(), q.train_loss.is_some(), "{name}");
        if let (Some(x), Some(y)) = (p.train_loss, q.train_loss) {
            close("training loss", x, y);
        }
    }
    assert_eq!(a.generations.len(), b.generations.len(), "{name}: generations");
    for (p, q) in a.generations.iter().zip(&b.generations) {
        assert_eq!(
            (p.generation, p.ab_initio_accuracy, p.trained_accuracy),
            (q.generation, q.ab_initio_accuracy, q.trained_accuracy)
        );
        close("p-network loss", p.train_loss, q.train_loss);
        assert_eq!(p.fit_loss.len(), q.fit_loss.len(), "{name}: fitted tensors");
        for (x, y) in p.fit_loss.iter().zip(&q.fit_loss) {
            close("fitting loss", *x, *y);
        }
    }
}

/// Asserts that `new` (a metrics.json) has every top-level key `old` has: scripts that read the
/// old files read the new ones.
fn same_keys(name: &str, old: &Path, new: &Path) {
    let keys = |p: &Path| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v.as_object().expect("an object").keys().cloned().collect()
    };
    let have = keys(new);
    let missing: Vec<String> = keys(old).into_iter().filter(|k| !have.contains(k)).collect();
    assert!(missing.is_empty(), "{name}: metrics.json no longer has {missing:?}");
}

#[test]
fn the_same_commands_train_the_same_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in commands() {
        let out = tmp.path().join(&name);
        let o = Command::new(env!("CARGO_BIN_EXE_innate"))
            .args(args.split_whitespace())
            .arg("--data-dir")
            .arg(fixtures())
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .env_remove("INNATE_DATA")
            .output()
            .expect("the innate binary runs");
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let old = genomes().join(&name);
        if name == "transfer" {
            for side in ["innate", "naive"] {
                let m = |dir: &Path| metrics(&dir.join(side).join("metrics.json"));
                same_run(&format!("transfer {side}"), &m(&old), &m(&out));
                same_keys(side, &old.join(side).join("metrics.json"), &out.join(side).join("metrics.json"));
            }
            let t = |dir: &Path| -> innate_run::TransferReport {
                serde_json::from_str(&std::fs::read_to_string(dir.join("transfer.json")).unwrap()).unwrap()
            };
            let (a, b) = (t(&old), t(&out));
            let acc =
                |c: &[innate_evolution::EvalPoint]| c.iter().map(|p| p.test_accuracy).collect::<Vec<_>>();
            assert_eq!(
                (a.innate_best, a.naive_best, a.innate_start),
                (b.innate_best, b.naive_best, b.innate_start)
            );
            assert_eq!(
                (acc(&a.innate_curve), acc(&a.naive_curve)),
                (acc(&b.innate_curve), acc(&b.naive_curve))
            );
        } else {
            same_run(&name, &metrics(&old.join("metrics.json")), &metrics(&out.join("metrics.json")));
            same_keys(&name, &old.join("metrics.json"), &out.join("metrics.json"));
            // The new genome file records the same run as its metrics.json, in the new form.
            let g = innate_run::load(&out.join("genome.safetensors"), &Device::Cpu).unwrap();
            let run: RunConfig = g.run().expect("a run configuration");
            assert_eq!(g.file.run["encoding"]["kind"], g.file.encoding.as_str());
            assert_eq!(run, metrics(&out.join("metrics.json")).config, "{name}");
        }
    }
}
