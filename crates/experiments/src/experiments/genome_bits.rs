//! `genome-bits`: how many bits per value the headline genomes need. No anchor reports it (the
//! genomic-bottleneck paper's Eq. 1 counts information, its tables count parameters): for GN5,
//! GN20, GN30 (gnet-fig2c), ML-S-GEM G = 22 and 9 (sgem-fig2d) and S-GEM G = 11 (sgem-fig2c),
//! seed 0 of each, the test accuracy of the network developed from the genome with its learned
//! tensors quantised to 16, 8, 4 and 2 bits per value ([`innate_run::quantise`]), the fewest bits
//! that keep it within 1 point of the 32-bit genome's, and the genome's size there.
//!
//! The genomes are those of the source experiments' run folders; a run folder that is missing is
//! trained again (the same configuration and seed give the same genome on the CPU) when this
//! experiment is asked for, and not when it is only recomputed after others.

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::experiment::{Claim, Derived, DerivedEnv, Experiment, Kind};

/// Accuracy points a quantised genome may lose and still count.
pub const MARGIN_POINTS: f64 = 1.0;

/// The headline genomes: label, source experiment and the run id of seed 0 there.
const GENOMES: [(&str, &str, &str); 6] = [
    ("GN5", "gnet-fig2c", "gn5-seed0"),
    ("GN20", "gnet-fig2c", "gn20-seed0"),
    ("GN30", "gnet-fig2c", "gn30-seed0"),
    ("ML-S-GEM G = 22", "sgem-fig2d", "mlsgem-mlp784-g22-seed0"),
    ("ML-S-GEM G = 9", "sgem-fig2d", "mlsgem-mlp784-g9-seed0"),
    ("S-GEM G = 11", "sgem-fig2c", "sgem-g11-seed0"),
];

/// `genome-bits`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "genome-bits",
        title: "Genome size in bits: the fewest bits per value that keep accuracy within 1 point",
        source: "no anchor (the genomic-bottleneck paper's Eq. 1 is about information); genomes of gnet-fig2c, \
                 sgem-fig2d and sgem-fig2c",
        caption: "Seed 0 of each headline genome, its learned tensors quantised per tensor to 16-bit floats or to \
                  8, 4 and 2 bits (evenly spaced levels between the tensor's extremes); test accuracy of the \
                  network developed from each. Bytes count the learned values (and each tensor's offset and \
                  step below 16 bits), not the file's metadata.",
        kind: Kind::Derived(Derived { compute, figure: None, claims }),
    }
}

fn compute(env: &DerivedEnv<'_>) -> anyhow::Result<Vec<Value>> {
    let registry = crate::registry();
    let mut values = Vec::new();
    for (label, source, id) in GENOMES {
        let Some(e) = registry.iter().find(|e| e.name == source) else { bail!("no experiment {source}") };
        let Some((_, config)) = e.runs(env.profile).into_iter().find(|(i, _)| i == id) else {
            tracing::warn!("genome-bits: {source} has no run {id} in the {} profile", env.profile.name());
            continue;
        };
        let rel = Path::new("runs").join(source).join(env.profile.name()).join(id);
        let dir = env.out.join(&rel);
        let current = innate_run::read_metrics(&dir).ok().is_some_and(|m| config.is_run_of(&m.config));
        if !current {
            if !env.train {
                bail!("{}: no finished run of {source} {id}", dir.display());
            }
            tracing::info!(
                "genome-bits: training {source} {id} (its run folder {} is missing)",
                dir.display()
            );
            innate_run::execute(&config, env.run, &dir, false)?;
        }
        let path = dir.join("genome.safetensors");
        let g = innate_run::load(&path, env.run.device)?;
        let split =
            env.run.cache.get(env.run.root, &config.dataset, innate_datasets::Split::Test, env.run.device)?;
        let levels = innate_run::quantise::check(&g, &split.data)
            .with_context(|| format!("quantising {}", path.display()))?;
        let best = innate_run::quantise::fewest_bits(&levels, MARGIN_POINTS);
        values.push(json!({
            "genome": label,
            "source": source,
            "run": id,
            "dir": rel.to_string_lossy(),
            "profile": env.profile.name(),
            "encoding": g.file.encoding,
            "genome_params": g.genome.params().learned,
            "levels": levels,
            "fewest_bits": best.map(|l| l.bits),
            "bytes_at_fewest": best.map(|l| l.bytes),
            "accuracy_at_fewest": best.and_then(|l| l.accuracy),
        }));
    }
    if values.is_empty() {
        bail!("none of the headline genomes has a run in the {} profile", env.profile.name());
    }
    Ok(values)
}

fn claims(values: &[Value]) -> Vec<Claim> {
    values
        .iter()
        .map(|v| {
            let levels = v["levels"].as_array().cloned().unwrap_or_default();
            let at = |bits: u64| {
                levels
                    .iter()
                    .find(|l| l["bits"].as_u64() == Some(bits))
                    .and_then(|l| l["accuracy"].as_f64())
                    .map_or("?".to_string(), |a| format!("{:.1}", 100.0 * a))
            };
            let bytes32 =
                levels.iter().find(|l| l["bits"] == 32).and_then(|l| l["bytes"].as_u64()).unwrap_or(0);
            Claim {
                quantity: format!(
                    "{} ({} learned values): fewest bits per value within {MARGIN_POINTS} point, bytes there \
                     (accuracy % at 32 / 16 / 8 / 4 / 2 bits)",
                    v["genome"].as_str().unwrap_or("?"),
                    v["genome_params"]
                ),
                paper: "not reported".into(),
                ours: match (v["fewest_bits"].as_u64(), v["bytes_at_fewest"].as_u64()) {
                    (Some(b), Some(n)) => format!(
                        "{b} bits, {n} bytes (of {bytes32} at 32 bits) ({} / {} / {} / {} / {})",
                        at(32),
                        at(16),
                        at(8),
                        at(4),
                        at(2)
                    ),
                    _ => "no accuracy measured".into(),
                },
                runs: 1,
            }
        })
        .collect()
}

/// How many of the headline genomes `profile` has runs for.
#[cfg(test)]
fn covered(profile: crate::profile::Profile) -> usize {
    let registry = crate::registry();
    GENOMES
        .iter()
        .filter(|(_, s, id)| {
            registry.iter().any(|e| e.name == *s && e.runs(profile).iter().any(|(i, _)| i == id))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn the_headline_genomes_are_runs_of_their_experiments() {
        assert_eq!(covered(Profile::Paper), GENOMES.len());
        assert_eq!(covered(Profile::Quick), GENOMES.len());
    }

    #[test]
    fn claims_give_the_fewest_bits_and_the_accuracy_at_each() {
        let v = json!({"genome": "GN5", "genome_params": 613, "fewest_bits": 4, "bytes_at_fewest": 331,
                       "levels": [{"bits": 32, "bytes": 2452, "accuracy": 0.8}, {"bits": 16, "bytes": 1226, "accuracy": 0.8},
                                  {"bits": 8, "bytes": 629, "accuracy": 0.8}, {"bits": 4, "bytes": 331, "accuracy": 0.795},
                                  {"bits": 2, "bytes": 180, "accuracy": 0.3}]});
        let c = claims(&[v]);
        assert_eq!(c[0].ours, "4 bits, 331 bytes (of 2452 at 32 bits) (80.0 / 80.0 / 80.0 / 79.5 / 30.0)");
        assert!(c[0].quantity.starts_with("GN5 (613 learned values)"));
    }
}
