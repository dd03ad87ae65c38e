//! `meta-figS7`: within- and between-class distances of the hidden representation over
//! meta-training (developmental priors, Fig. S7), from meta-omniglot's snapshots (see
//! `meta-figS6` for how they are kept).
//!
//! At each snapshot the run measured the last hidden layer (after its ReLU) of the network as
//! developed, before any inner step, on the first held-out tasks of its test set, support and
//! query images together: within = the mean distance between two images of one class, between =
//! the mean distance between two class means ([`innate_run::analysis::class_distances`]).

use std::path::Path;

use serde_json::Value;

use super::meta_figs6::{band, chart, shape, snapshot_values};
use super::meta_omniglot::MODELS;
use crate::experiment::{Claim, Derived, Experiment, Kind};
use crate::figures::plot::save_row;
use crate::profile::Profile;

/// `meta-figS7`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "meta-figS7",
        title: "Within- and between-class distances of the hidden representation over meta-training",
        source: "developmental priors, Fig. S7 and Results (Direct and GEM: both distances rise at the start, then \
                 the within-class distance falls in fine-tuning; S-GEM: both rise later, within falls less, if \
                 at all)",
        caption: "Mean Euclidean distance between the last hidden layer's activations of two images of one class \
                  (left) and between two class means (right), on 8 held-out 5-way tasks (11 images per class), \
                  for the network developed at each snapshot of meta-omniglot's runs: mean over seeds (line), \
                  range over seeds (band). The quick profile covers the first 400 of the paper's 50,000 \
                  meta-batches.",
        kind: Kind::Derived(Derived {
            compute: |env| compute(env.out, env.profile),
            figure: Some(figure),
            claims,
        }),
    }
}

fn compute(out: &Path, profile: Profile) -> anyhow::Result<Vec<Value>> {
    snapshot_values(out, profile)
}

fn figure(values: &[Value], stem: &Path) -> anyhow::Result<()> {
    let within = chart(values, "within", 1.0, "Within-class distance", "mean distance, same class");
    let between = chart(values, "between", 1.0, "Between-class distance", "mean distance of class means");
    save_row(&[within, between], stem)
}

/// What the paper says of a model's distances, by encoding.
fn paper_says(encoding: &str) -> &'static str {
    match encoding {
        "direct" | "gem" => "within and between rise at the start; within then falls in fine-tuning",
        _ => "both rise later; within falls less, if at all",
    }
}

fn claims(values: &[Value]) -> Vec<Claim> {
    let mut out = Vec::new();
    for (i, model) in MODELS.iter().enumerate() {
        let runs: Vec<&Value> =
            values.iter().filter(|v| v["model_index"].as_u64() == Some(i as u64)).collect();
        let Some(first) = runs.first() else { continue };
        let within = band(&runs, "within");
        out.push(Claim {
            quantity: format!(
                "{}: within-class / between-class distance, start / peak / last snapshot ({} meta-batches, {} \
                 profile)",
                model.label,
                within.last().map_or(0.0, |c| c.0),
                first["profile"].as_str().unwrap_or("?")
            ),
            paper: paper_says(model.encoding).into(),
            ours: format!("within {}; between {}", shape(&within, 2), shape(&band(&runs, "between"), 2)),
            runs: runs.len(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::meta_figs6::tests::value;

    #[test]
    fn claims_give_both_distances_shapes() {
        let values = [value(1, 0, &[2.0, 4.0, 3.0])];
        let c = claims(&values);
        assert_eq!(c.len(), 1);
        assert!(
            c[0].ours.starts_with(
                "within 2.00 / 4.00 at meta-batch 50 / 3.00 (+100% to the peak, then -25%); between"
            ),
            "{}",
            c[0].ours
        );
        assert_eq!(c[0].paper, paper_says("gem"));
    }
}
