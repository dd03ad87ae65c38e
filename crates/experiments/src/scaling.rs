//! What the developmental-priors paper's parameter-accuracy curves on MNIST share (the
//! experiments gem-fig1c, sgem-fig2c and sgem-fig2d).
//!
//! Every point is the best test accuracy under the lifetime protocol (Adam, batch 64, up to
//! 30,000 batches, full test set every 1,000, early stopping after two evaluations without a
//! gain above 0.005, the paper's rule), mean ± sd over seeds. The points the targets
//! name are also run with the reference code's rule (stop after two evaluations without any new
//! best), and with the code's whole protocol (that rule decided on 512 random test images per
//! evaluation, reporting the best of those 512-image estimates, as the paper's figures were made),
//! and for the whole 30,000-batch budget without early stopping; all are reported, labelled. The
//! x axis is the genome's *learned* parameters as a percentage of the network's weights (7,840 for
//! the SLP, 622,496 for the 784-784-10 MLP). Fig. 1c learns the output neurons' expression too
//! (the paper's `G(Ni + No + G)`); Figs. 2c and 2d keep it fixed random, as the paper's Fig. 2 runs
//! do, and do not count it (nor the fixed biases).
//!
//! Learning rates: each encoding's default (`Encoding::default_lr`, what `innate train` uses):
//! 0.01 for the encodings (the reference code's scaling runs), 0.001 for directly learned weights.

use innate_run::RunConfig;

use crate::arms::{
    Arm, Enc, Model, REFERENCE_SAMPLE, Stopping, accuracies, by_size, describe, is_spiral, sample_bests,
    spiral_by_size, sweep,
};
use crate::experiment::Claim;
use crate::figures::plot::{HLine, Series};
use crate::profile::Profile;
use crate::rows::Row;
use crate::stats::{mean_sd, percent};

/// Hidden neurons of the developmental-priors MLP (784-784-10).
pub(crate) const HIDDEN: usize = 784;

/// The runs of every arm of `profile`.
pub(crate) fn arms_runs(arms: &[Arm], profile: Profile) -> Vec<(String, RunConfig)> {
    arms.iter().flat_map(|a| a.runs(profile)).collect()
}

/// A dashed line at the directly learned network's mean best accuracy.
pub(crate) fn direct_line(rows: &[Row], model: Model, label: &str, color: usize) -> Option<HLine> {
    let acc: Vec<f64> = rows
        .iter()
        .filter(|r| Enc::Direct.of(&r.metrics) && Model::of(&r.metrics) == Some(model))
        .map(|r| r.metrics.report.best_test_accuracy)
        .collect();
    (!acc.is_empty()).then(|| HLine {
        name: format!("{label} (ours, n = {})", acc.len()),
        y: 100.0 * mean_sd(&acc).0,
        color,
    })
}

/// The groups of an encoding under the paper's rule and under the code's rule.
pub(crate) fn both(rows: &[Row], encoding: Enc, model: Model) -> (Vec<Vec<&Row>>, Vec<Vec<&Row>>) {
    (by_size(rows, encoding, model, Stopping::Paper), by_size(rows, encoding, model, Stopping::Code))
}

/// Sweep series for an encoding under both rules (the second only if it was run).
pub(crate) fn sweeps(rows: &[Row], encoding: Enc, model: Model, name: &str, color: usize) -> Vec<Series> {
    let (paper, code) = both(rows, encoding, model);
    let mut out = vec![sweep(&paper, name, color)];
    if !code.is_empty() {
        out.push(sweep(&code, &format!("{name}, code's stopping rule"), 4));
    }
    out
}

/// The claim of a group, labelled with the stopping rule its runs used. Under the reference
/// code's whole protocol it gives the mean best of the 512-image estimates (what the code reports)
/// and then the whole test set's best for the same runs.
pub(crate) fn claim_for(group: Option<&Vec<&Row>>, quantity: &str, paper: &str) -> Claim {
    match group {
        Some(g) => {
            let rule = Stopping::of(&g[0].metrics);
            // Spiral claims name the paper's rule too, which plain claims leave unsaid.
            let (centres, rule_label) =
                if is_spiral(&g[0].metrics) { (SPIRAL_LABEL, named(rule)) } else { ("", rule.label()) };
            let ours = match rule {
                Stopping::Reference => format!(
                    "{} best of the {REFERENCE_SAMPLE}-image estimates (as the code reports); {} on the whole test set",
                    percent(&sample_bests(g)),
                    percent(&accuracies(g))
                ),
                Stopping::Paper | Stopping::Code | Stopping::Full => percent(&accuracies(g)),
            };
            Claim {
                quantity: format!("{quantity}{centres}{rule_label}: {}", describe(g)),
                paper: paper.into(),
                ours,
                runs: g.len(),
            }
        }
        None => Claim {
            quantity: quantity.into(),
            paper: paper.into(),
            ours: "not run in this profile".into(),
            runs: 0,
        },
    }
}

/// How the report marks a claim whose runs started their gene-field centres on a spiral.
pub(crate) const SPIRAL_LABEL: &str = " [centres on a fixed spiral, r = 0.7]";

/// A rule's label, with the paper's rule named as well.
pub(crate) fn named(rule: Stopping) -> &'static str {
    if rule == Stopping::Paper { " [paper's stopping rule]" } else { rule.label() }
}

/// For each spiral-centred group, its gain over the reference-centred group of the same size and
/// stopping rule, paired by seed (both draw every other tensor alike): mean ± sd of the
/// differences in points, and on how many seeds the spiral run is ahead.
pub(crate) fn spiral_gains(rows: &[Row], encoding: Enc, model: Model, name: &str) -> Vec<Claim> {
    let mut out = Vec::new();
    for rule in [Stopping::Paper, Stopping::Full] {
        let reference = by_size(rows, encoding, model, rule);
        for s in spiral_by_size(rows, encoding, model, rule) {
            let Some(r) = reference.iter().find(|r| r[0].metrics.genome_params == s[0].metrics.genome_params)
            else {
                continue;
            };
            let diffs: Vec<f64> = s
                .iter()
                .filter_map(|a| {
                    let b = r.iter().find(|b| b.metrics.seed == a.metrics.seed)?;
                    Some(100.0 * (a.metrics.report.best_test_accuracy - b.metrics.report.best_test_accuracy))
                })
                .collect();
            if diffs.is_empty() {
                continue;
            }
            let (m, sd) = mean_sd(&diffs);
            let ahead = diffs.iter().filter(|&&d| d > 0.0).count();
            out.push(Claim {
                quantity: format!(
                    "{name}, spiral minus reference centres, paired by seed{}: {}",
                    named(rule),
                    describe(&s)
                ),
                paper: "not in the paper".into(),
                ours: format!("{m:+.2} ± {sd:.2} points; spiral ahead on {ahead} of {} seeds", diffs.len()),
                runs: diffs.len(),
            });
        }
    }
    out
}

/// A series through the spiral-centred groups of an encoding under the paper's rule, if any ran.
pub(crate) fn spiral_series(rows: &[Row], encoding: Enc, model: Model, name: &str) -> Option<Series> {
    let groups = spiral_by_size(rows, encoding, model, Stopping::Paper);
    (!groups.is_empty()).then(|| sweep(&groups, name, SPIRAL_COLOR))
}

/// Palette index of the spiral-centred series.
pub(crate) const SPIRAL_COLOR: usize = 6;

/// The report line of the directly learned network.
pub(crate) fn direct_claim(rows: &[Row], model: Model, quantity: &str, paper: &str) -> Vec<Claim> {
    let acc: Vec<f64> = rows
        .iter()
        .filter(|r| Enc::Direct.of(&r.metrics) && Model::of(&r.metrics) == Some(model))
        .map(|r| r.metrics.report.best_test_accuracy)
        .collect();
    if acc.is_empty() {
        return Vec::new();
    }
    vec![Claim { quantity: quantity.into(), paper: paper.into(), ours: percent(&acc), runs: acc.len() }]
}

/// Seconds per 1,000 batches and per run of a group.
pub(crate) fn speed_claim(group: Option<&Vec<&Row>>, what: &str, paper: &str) -> Option<Claim> {
    let g = group?;
    let s: Vec<f64> = g.iter().map(|r| r.metrics.report.seconds_per_1000_batches).collect();
    let t: Vec<f64> = g.iter().map(|r| r.metrics.report.seconds).collect();
    let ((sm, ssd), (tm, _)) = (mean_sd(&s), mean_sd(&t));
    Some(Claim {
        quantity: format!("{what}: seconds per 1,000 training batches; seconds per run"),
        paper: paper.into(),
        ours: format!("{sm:.2} ± {ssd:.2} s; {tm:.0} s on {}", g[0].metrics.device),
        runs: g.len(),
    })
}

/// The group of a given size (genes or basis vectors).
pub(crate) fn group_with<'a>(
    groups: &'a [Vec<&'a Row>],
    genes: Option<usize>,
    basis: Option<usize>,
) -> Option<&'a Vec<&'a Row>> {
    groups.iter().find(|g| {
        g[0].metrics.config.encoding.genes() == genes && g[0].metrics.config.encoding.basis() == basis
    })
}

/// The group of `groups` whose learned parameter count is closest to `params`.
pub(crate) fn closest<'a>(groups: &'a [Vec<&'a Row>], params: usize) -> Option<&'a Vec<&'a Row>> {
    groups.iter().min_by_key(|g| g[0].metrics.genome_params.abs_diff(params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn experiments_train_at_the_cli_defaults() {
        // The reference code's scaling runs: 0.01 for the encodings, 0.001 for direct weights.
        let lr = |arm: Arm| arm.config(Profile::Paper, 0).strategy.lifetime().map(|l| l.lr);
        assert_eq!(lr(Arm::slp(Enc::Sgem).genes(3)), Some(0.01));
        assert_eq!(lr(Arm::mlp(Enc::Rb, HIDDEN).basis(3)), Some(0.01));
        assert_eq!(lr(Arm::slp(Enc::Direct)), Some(0.001));
    }
}
