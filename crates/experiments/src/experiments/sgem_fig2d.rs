//! `sgem-fig2d`: the multi-layer spatial GEM (784-784-10 MLP, one interaction matrix shared by
//! both layers) against the random basis with as many coordinates (developmental priors,
//! Fig. 2d).

use std::path::Path;

use innate_run::RunConfig;

use crate::arms::{Arm, Enc, Model, Stopping, best_within, by_size, spiral_by_size, sweep};
use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::plot::{HLine, LineChart};
use crate::profile::Profile;
use crate::rows::Row;
use crate::scaling::*;

const NEAR_4000: &str = "ML-S-GEM, compression nearest 4000x";

/// The group whose compression (weights / learned parameters) is nearest the text's "4000-fold",
/// unless it is the largest within 0.025% (already reported).
fn near_4000<'a>(groups: &'a [Vec<&'a Row>]) -> Option<&'a Vec<&'a Row>> {
    let fold =
        |g: &Vec<&Row>| g[0].metrics.phenotype_weights as f64 / g[0].metrics.genome_params.max(1) as f64;
    let near = groups.iter().min_by(|a, b| (fold(a) - 4000.0).abs().total_cmp(&(fold(b) - 4000.0).abs()))?;
    let within = best_within(groups, 0.025);
    (within.map(|w| w[0].metrics.genome_params) != Some(near[0].metrics.genome_params)).then_some(near)
}

/// ML-S-GEM genes of Fig. 2d, those also run with the code's stopping rule, and those also run
/// with the code's whole protocol and without early stopping. G = 9 is the largest size within
/// 0.025% of the weights, G = 10 the size nearest the text's "4000-fold compression" (3,890x),
/// G = 22 the largest within 0.1%.
fn fig2d_genes(profile: Profile) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    match profile {
        Profile::Quick => (vec![9, 10, 22], vec![9, 10, 22], vec![9, 10, 22]),
        Profile::Paper => {
            let g = vec![3, 5, 7, 9, 10, 12, 15, 18, 22, 26, 30];
            (g.clone(), g, vec![9, 10, 22])
        }
        Profile::Smoke => (vec![3], vec![], vec![]),
    }
}

/// ML-S-GEM genes of Fig. 2d also trained for the whole budget: the two sizes at the 0.025% /
/// 4000x claim, where runs are still improving when the stopping rules end them.
fn fig2d_full(profile: Profile) -> Vec<usize> {
    match profile {
        Profile::Quick | Profile::Paper => vec![9, 10],
        Profile::Smoke => vec![],
    }
}

/// ML-S-GEM genes of Fig. 2d also run with the gene-field centres starting on a spiral: under the
/// paper's rule, and for the whole budget.
fn fig2d_spiral(profile: Profile) -> (Vec<usize>, Vec<usize>) {
    match profile {
        Profile::Quick => (vec![9, 10], vec![]),
        Profile::Paper => (vec![9, 10], vec![9, 10]),
        Profile::Smoke => (vec![], vec![]),
    }
}

/// `sgem-fig2d`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "sgem-fig2d",
        title: "Multi-layer spatial GEM (784-784-10 MLP) vs random basis",
        source: "developmental priors Fig. 2d and Results \"Spatial priors on neuroevolution\"",
        caption: "Best test accuracy (mean ± sd over seeds) of the ML-S-GEM-encoded 784-784-10 MLP (one interaction \
                  matrix shared by both layers, Gaussian gene fields on the 28x28 input and hidden grids, G(G + 6) \
                  learned parameters) and of the random basis with the same number of coordinates. Dashed: the directly \
                  learned MLP. Purple: ML-S-GEM stopped by the reference code's rule (any gain) instead of the paper's. \
                  Pink: ML-S-GEM whose gene-field centres start evenly spread on a fixed sunflower spiral of radius 0.7 \
                  around the middle of each grid (the same for every seed, and for the input and hidden layers alike, \
                  whose random centres are drawn apart) instead of at random.",
        kind: Kind::Runs(Runs { runs, figure, figures: &[], claims }),
    }
}

fn runs(p: Profile) -> Vec<(String, RunConfig)> {
    let (genes, code, reference) = fig2d_genes(p);
    let ml = Arm::mlp(Enc::Mlsgem, HIDDEN);
    let mut arms = vec![Arm::mlp(Enc::Direct, HIDDEN)];
    arms.extend(genes.iter().map(|&g| ml.genes(g)));
    // The random basis at the same number of learned parameters, G(G + 6).
    arms.extend(genes.iter().map(|&g| Arm::mlp(Enc::Rb, HIDDEN).basis(g * (g + 6))));
    arms.extend(code.iter().map(|&g| ml.genes(g).code_stopping()));
    arms.extend(reference.iter().map(|&g| ml.genes(g).reference_protocol()));
    arms.extend(fig2d_full(p).iter().map(|&g| ml.genes(g).full_budget()));
    let (spiral, spiral_full) = fig2d_spiral(p);
    arms.extend(spiral.iter().map(|&g| ml.genes(g).spiral()));
    arms.extend(spiral_full.iter().map(|&g| ml.genes(g).spiral().full_budget()));
    arms_runs(&arms, p)
}

fn figure(rows: &[Row], _out: &Path, stem: &Path) -> anyhow::Result<()> {
    let mut series = sweeps(rows, Enc::Mlsgem, Model::Mlp, "ML-S-GEM (ours)", 0);
    series.extend(spiral_series(rows, Enc::Mlsgem, Model::Mlp, "ML-S-GEM, centres on a spiral (ours)"));
    series.push(sweep(&by_size(rows, Enc::Rb, Model::Mlp, Stopping::Paper), "random basis (ours)", 3));
    let mut chart = LineChart {
        title: "ML-S-GEM vs random basis, 784-784-10 MLP on MNIST (Fig. 2d)".into(),
        x_label: "learned genome parameters (% of the MLP's 622,496 weights, log scale)".into(),
        y_label: "best test accuracy (%)".into(),
        log_x: true,
        series,
        ..LineChart::default()
    };
    chart.hlines.extend(direct_line(rows, Model::Mlp, "learned MLP 784-784-10", 1));
    chart.hlines.push(HLine { name: "paper: ML-S-GEM above 90% below 0.1%".into(), y: 90.0, color: 5 });
    chart.hlines.push(HLine { name: "paper: above 80% at ~0.025% (~4000x)".into(), y: 80.0, color: 5 });
    chart.save(stem)
}

fn claims(rows: &[Row], _out: &Path) -> Vec<Claim> {
    let (ml, code) = both(rows, Enc::Mlsgem, Model::Mlp);
    let rb = by_size(rows, Enc::Rb, Model::Mlp, Stopping::Paper);
    let (tenth, quarter) = ("above 90% with under 0.1%", "above 80% at ~0.025% (~4000x compression)");
    let mut c = vec![
        claim_for(best_within(&ml, 0.1), "ML-S-GEM, best with at most 0.1% of the weights", tenth),
        claim_for(best_within(&ml, 0.025), "ML-S-GEM, best with at most 0.025%", quarter),
    ];
    c.extend(near_4000(&ml).map(|g| claim_for(Some(g), NEAR_4000, quarter)));
    if !code.is_empty() {
        c.push(claim_for(best_within(&code, 0.1), "ML-S-GEM, at most 0.1%", tenth));
        c.push(claim_for(best_within(&code, 0.025), "ML-S-GEM, at most 0.025%", quarter));
        c.extend(near_4000(&code).map(|g| claim_for(Some(g), NEAR_4000, quarter)));
    }
    let reference = by_size(rows, Enc::Mlsgem, Model::Mlp, Stopping::Reference);
    c.extend(best_within(&reference, 0.1).map(|g| claim_for(Some(g), "ML-S-GEM, at most 0.1%", tenth)));
    c.extend(
        (best_within(&reference, 0.025)).map(|g| claim_for(Some(g), "ML-S-GEM, at most 0.025%", quarter)),
    );
    c.extend(near_4000(&reference).map(|g| claim_for(Some(g), NEAR_4000, quarter)));
    let full = by_size(rows, Enc::Mlsgem, Model::Mlp, Stopping::Full);
    c.extend(best_within(&full, 0.025).map(|g| claim_for(Some(g), "ML-S-GEM, at most 0.025%", quarter)));
    c.extend(near_4000(&full).map(|g| claim_for(Some(g), NEAR_4000, quarter)));
    for rule in [Stopping::Paper, Stopping::Full] {
        let spiral = spiral_by_size(rows, Enc::Mlsgem, Model::Mlp, rule);
        c.extend(
            best_within(&spiral, 0.025).map(|g| claim_for(Some(g), "ML-S-GEM, at most 0.025%", quarter)),
        );
        c.extend(near_4000(&spiral).map(|g| claim_for(Some(g), NEAR_4000, quarter)));
    }
    c.extend(spiral_gains(rows, Enc::Mlsgem, Model::Mlp, "ML-S-GEM"));
    for g in &ml {
        c.push(claim_for(
            closest(&rb, g[0].metrics.genome_params),
            &format!(
                "random basis at the size of ML-S-GEM G = {}",
                g[0].metrics.config.encoding.genes().unwrap_or(0)
            ),
            "comparable to ML-S-GEM",
        ));
    }
    for g in &ml {
        let m = &g[0].metrics;
        c.push(Claim {
            quantity: format!(
                "ML-S-GEM G = {}: compression (weights / learned parameters)",
                m.config.encoding.genes().unwrap_or(0)
            ),
            paper: "~4000x at 0.025%".into(),
            ours: format!("{:.0}x", m.phenotype_weights as f64 / m.genome_params.max(1) as f64),
            runs: g.len(),
        });
    }
    c.extend(direct_claim(rows, Model::Mlp, "learned MLP 784-784-10 (direct)", "not reported (~98%)"));
    let g22 = group_with(&ml, Some(22), None);
    c.extend(speed_claim(g22.or(ml.last()), "ML-S-GEM", "97 s per run on average (a standard MLP: 89 s)"));
    let direct: Vec<&Row> = rows
        .iter()
        .filter(|r| Enc::Direct.of(&r.metrics) && Model::of(&r.metrics) == Some(Model::Mlp))
        .collect();
    c.extend(speed_claim((!direct.is_empty()).then_some(&direct), "learned MLP", "89 s per run on average"));
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arms::seeds;

    #[test]
    fn the_targets_sizes_run_under_every_rule() {
        // The quick ML-S-GEM sizes hold the targets' sizes: the largest within 0.025% and within
        // 0.1%, and the one nearest 4000x compression.
        let pct = |g: usize| 100.0 * (g * (g + 6)) as f64 / 622_496.0;
        for p in [Profile::Quick, Profile::Paper] {
            let (genes, code, reference) = fig2d_genes(p);
            let largest = |limit: f64| genes.iter().copied().filter(|&g| pct(g) <= limit).max().unwrap();
            assert!(pct(largest(0.025) + 1) > 0.025, "{genes:?}");
            assert!(pct(largest(0.1) + 1) > 0.1, "{genes:?}");
            let fold = |g: usize| 622_496.0 / (g * (g + 6)) as f64;
            let near = (1..40)
                .min_by(|&a, &b| (fold(a) - 4000.0).abs().total_cmp(&(fold(b) - 4000.0).abs()))
                .unwrap();
            assert!(genes.contains(&near) && reference.contains(&near), "{near}");
            assert!(code.iter().chain(&reference).all(|g| genes.contains(g)));
            // Both 0.025% / 4000x sizes also train for the whole budget, and those runs never stop
            // early and have ids of their own (arms.rs tests that their metrics are told apart).
            let full = fig2d_full(p);
            assert!(full.contains(&largest(0.025)) && full.contains(&near), "{full:?}");
            let arm = Arm::mlp(Enc::Mlsgem, HIDDEN).genes(near).full_budget();
            let config = arm.config(p, 0);
            let life = config.strategy.lifetime().unwrap();
            assert_eq!((life.patience, life.max_batches), (0, 30_000));
            assert_eq!(arm.id(0), format!("mlsgem-mlp784-g{near}-full-seed0"));
            let ids: Vec<String> = experiment().runs(p).into_iter().map(|(id, _)| id).collect();
            assert!(
                ids.contains(&arm.id(0))
                    && ids.iter().filter(|i| i.contains("-full-") && !i.contains("-spiral")).count()
                        == 2 * seeds(p).count()
            );
        }
    }

    #[test]
    fn the_target_sizes_also_run_with_spiral_centres() {
        for p in [Profile::Quick, Profile::Paper] {
            // ML-S-GEM G = 9 (within 0.025%) and G = 10 (nearest 4000x).
            let ids: Vec<String> = experiment().runs(p).into_iter().map(|(id, _)| id).collect();
            let ml = Arm::mlp(Enc::Mlsgem, HIDDEN).spiral();
            assert!(ids.contains(&ml.genes(9).id(0)) && ids.contains(&ml.genes(10).id(0)), "{ids:?}");
            let spiral_runs = ids.iter().filter(|i| i.contains("-spiral")).count();
            let (paper, full) = fig2d_spiral(p);
            assert_eq!(spiral_runs, (paper.len() + full.len()) * seeds(p).count());
        }
        let config = Arm::mlp(Enc::Mlsgem, HIDDEN).genes(9).spiral().config(Profile::Paper, 3);
        assert_eq!(config.encoding.centres(), Some(innate_encodings::CentreInit::Spiral));
    }
}
