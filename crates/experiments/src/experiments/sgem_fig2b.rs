//! `sgem-fig2b`: what the spatial genome learns. The Gaussian gene fields of an S-GEM-encoded
//! SLP at the start and end of training on the 28x28 input grid (Fig. 2b), and the weight images
//! of the SLP under each encoding, one 28x28 image per output class (Figs. 1d and 2c, right).
//!
//! The figures are drawn from the runs' genome files: the trained genome is read back, and the
//! initial one is rebuilt from the seed recorded in the same file. The fields and the developed
//! weights are then saved beside the results (`results/sgem-fig2b-fields.json`,
//! `results/sgem-fig2b-weights.safetensors`), so `--report-only` redraws both figures on a
//! checkout without the run folders.

use std::path::Path;

use anyhow::Context;
use candle_core::{Device, Tensor};
use innate_encodings::checkpoint;

use innate_run::RunConfig;
use innate_run::encoding::gem::Fields;

use crate::arms::{Arm, Enc};
use crate::experiment::{Claim, Experiment, Kind, Runs};
use crate::figures::panels::{FieldMap, Panel, PanelGrid};
use crate::profile::Profile;
use crate::rows::Row;
use crate::stats::mean_sd;

fn arms(profile: Profile) -> Vec<Arm> {
    let (gem, sgem, rb) = match profile {
        Profile::Smoke => (2, 4, 28),
        _ => (9, 10, 130),
    };
    vec![
        Arm::slp(Enc::Direct),
        Arm::slp(Enc::Gem).genes(gem),
        Arm::slp(Enc::Sgem).genes(sgem),
        Arm::slp(Enc::Rb).basis(rb),
    ]
}

fn runs(profile: Profile) -> Vec<(String, RunConfig)> {
    arms(profile).iter().map(|a| (a.id(0), a.config(profile, 0))).collect()
}

fn genome_path(out: &Path, row: &Row) -> std::path::PathBuf {
    out.join(&row.dir).join("genome.safetensors")
}

/// The input layer's fields at the start (rebuilt from the seed) and at the best checkpoint (the
/// genome file `file`).
fn fields(file: &checkpoint::GenomeFile) -> anyhow::Result<(Fields, Fields)> {
    let (start, end, _) = innate_run::encoding::gem::gene_fields(file)?
        .into_iter()
        .next()
        .flatten()
        .context("the S-GEM genome has no gene fields on its input layer")?;
    Ok((start, end))
}

/// `OUT/results/sgem-fig2b-fields.json`: the S-GEM run's fields at start and end, kept beside the
/// results so that the report's field rows do not need the run's genome file (run folders are not
/// committed; a report regenerated without them keeps these numbers).
fn fields_path(out: &Path) -> std::path::PathBuf {
    out.join("results").join("sgem-fig2b-fields.json")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedFields {
    run: String,
    start: Fields,
    end: Fields,
}

fn save_fields(out: &Path, run: &str, start: &Fields, end: &Fields) -> anyhow::Result<()> {
    let saved = SavedFields { run: run.to_string(), start: start.clone(), end: end.clone() };
    let path = fields_path(out);
    checkpoint::write_atomic(&path, serde_json::to_string(&saved)?.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The fields of run `row`, as `figure` saved them.
fn saved_fields(out: &Path, row: &Row) -> anyhow::Result<(Fields, Fields)> {
    let path = fields_path(out);
    let saved: SavedFields = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?,
    )
    .with_context(|| format!("{} is not a saved set of gene fields", path.display()))?;
    anyhow::ensure!(
        saved.run == row.run,
        "{} holds the fields of run {}, not {}",
        path.display(),
        saved.run,
        row.run
    );
    Ok((saved.start, saved.end))
}

/// `OUT/results/sgem-fig2b-weights.safetensors`: each run's developed SLP weights (10 x 784), one
/// tensor per run id, so that the weight images can be redrawn without the run folders.
fn weights_path(out: &Path) -> std::path::PathBuf {
    out.join("results").join("sgem-fig2b-weights.safetensors")
}

fn save_weights(out: &Path, weights: &[(String, Tensor)]) -> anyhow::Result<()> {
    let path = weights_path(out);
    let bytes = safetensors::serialize(weights.iter().map(|(n, t)| (n.as_str(), t)), None)
        .with_context(|| format!("cannot serialise the weights for {}", path.display()))?;
    checkpoint::write_atomic(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// What the figures draw: the S-GEM run's fields at start and end, and each run's developed
/// first-layer weights. From the runs' genome files (each read once) when they are all there, and
/// then saved beside the results; otherwise from those saved copies.
fn figure_data(rows: &[Row], sgem: &Row, out: &Path) -> anyhow::Result<((Fields, Fields), Vec<Tensor>)> {
    if rows.iter().all(|r| genome_path(out, r).exists()) {
        let (mut sgem_fields, mut ws) = (None, Vec::with_capacity(rows.len()));
        for r in rows {
            let path = genome_path(out, r);
            let file = checkpoint::load(&path, &Device::Cpu)?;
            if r.run == sgem.run {
                sgem_fields = Some(fields(&file)?);
            }
            let genome = innate_run::rebuild(&file, &Device::Cpu)?;
            let net = genome.develop()?;
            let mlp = net.as_mlp().context("sgem-fig2b's runs develop single-layer perceptrons")?;
            ws.push((r.run.clone(), mlp.layers[0].weight.to_device(&Device::Cpu)?));
        }
        let (start, end) = sgem_fields.context("the S-GEM run is not among the rows")?;
        save_fields(out, &sgem.run, &start, &end)?;
        save_weights(out, &ws)?;
        return Ok(((start, end), ws.into_iter().map(|(_, w)| w).collect()));
    }
    let path = weights_path(out);
    let missing = rows.iter().map(|r| genome_path(out, r)).find(|p| !p.exists()).unwrap_or_default();
    let saved = candle_core::safetensors::load(&path, &Device::Cpu).with_context(|| {
        format!(
            "neither the run's genome {} nor the saved weights {} can be read; run `innate reproduce --only \
             sgem-fig2b` to train the runs",
            missing.display(),
            path.display()
        )
    })?;
    let weights = rows
        .iter()
        .map(|r| {
            saved.get(&r.run).cloned().with_context(|| {
                format!(
                    "{} has no weights for run {}; rerun `innate reproduce --only sgem-fig2b`",
                    path.display(),
                    r.run
                )
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((saved_fields(out, sgem)?, weights))
}

fn figure(rows: &[Row], out: &Path, stem: &Path) -> anyhow::Result<()> {
    let sgem = rows.iter().find(|r| Enc::Sgem.of(&r.metrics)).context("no S-GEM run among the results")?;
    let ((start, end), weights) = figure_data(rows, sgem, out)?;
    FieldMap {
        title: format!(
            "S-GEM SLP, G = {}: gene fields at the start (green) and at best (red)",
            sgem.metrics.config.encoding.genes().unwrap_or(0)
        ),
        grid: (28, 28),
        start,
        end,
        backdrop: None,
    }
    .save(stem)?;

    let mut grid = PanelGrid {
        title: "Weights of the SLP, one 28x28 image per digit (red +, blue -)".into(),
        rows: vec![],
    };
    for (r, w) in rows.iter().zip(weights) {
        let w = w.to_vec2::<f32>()?;
        let label = match (r.metrics.config.encoding.genes(), r.metrics.config.encoding.basis()) {
            (Some(g), _) => format!("{} G={g}", r.metrics.encoding),
            (_, Some(b)) => format!("{} B={b}", r.metrics.encoding),
            _ => r.metrics.encoding.clone(),
        };
        let label = format!("{label} ({:.1}%)", 100.0 * r.metrics.report.best_test_accuracy);
        let panels = w
            .into_iter()
            .enumerate()
            .map(|(digit, values)| Panel {
                title: digit.to_string(),
                rows: 28,
                cols: 28,
                values,
                scale: None,
            })
            .collect();
        grid.rows.push((label, panels));
    }
    grid.save(&crate::figures::with_suffix(stem, "-weights"))
}

fn claims(rows: &[Row], out: &Path) -> Vec<Claim> {
    let mut c: Vec<Claim> = rows
        .iter()
        .map(|r| Claim {
            quantity: format!(
                "{} SLP{}: best test accuracy (seed 0)",
                r.metrics.encoding,
                match (r.metrics.config.encoding.genes(), r.metrics.config.encoding.basis()) {
                    (Some(g), _) => format!(" G = {g}"),
                    (_, Some(b)) => format!(" B = {b}"),
                    _ => String::new(),
                }
            ),
            paper: "weight images only".into(),
            ours: format!("{:.2}%", 100.0 * r.metrics.report.best_test_accuracy),
            runs: 1,
        })
        .collect();
    if let Some(r) = rows.iter().find(|r| Enc::Sgem.of(&r.metrics))
        && let Ok((start, end)) = saved_fields(out, r)
    {
        let moved: Vec<f64> = start
            .iter()
            .zip(&end)
            .map(|(a, b)| (((a.0.0 - b.0.0).powi(2) + (a.0.1 - b.0.1).powi(2)) as f64).sqrt())
            .collect();
        let radius = |f: &Fields| {
            mean_sd(&f.iter().map(|((x, y), _)| ((x * x + y * y) as f64).sqrt()).collect::<Vec<_>>()).0
        };
        let width = |f: &Fields| mean_sd(&f.iter().map(|(_, w)| *w as f64).collect::<Vec<_>>()).0;
        c.push(Claim {
            quantity: "S-GEM gene fields: mean distance each centre moved (grid spans -1..1)".into(),
            paper: "large early moves, then local fine-tuning".into(),
            ours: format!("{:.2}", mean_sd(&moved).0),
            runs: 1,
        });
        c.push(Claim {
            quantity: "S-GEM gene fields: mean distance of the centres from the grid's centre, start → end"
                .into(),
            paper: "fields tile the space, focusing on the central, information-rich region".into(),
            ours: format!("{:.2} → {:.2}", radius(&start), radius(&end)),
            runs: 1,
        });
        c.push(Claim {
            quantity: "S-GEM gene fields: mean width, start → end".into(),
            paper: "widths change as the fields tile the grid".into(),
            ours: format!("{:.2} → {:.2}", width(&start), width(&end)),
            runs: 1,
        });
    }
    c
}

/// `sgem-fig2b`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "sgem-fig2b",
        title: "Gene fields at the start of training and at its best checkpoint, and the SLP's weight images",
        source: "developmental priors Fig. 2b (gene fields), Fig. 1d and Fig. 2c right (weight images)",
        caption: "Top: the Gaussian gene fields of the S-GEM-encoded SLP on the 28x28 input grid (circle: centre and \
                  width, green at the start of training, red at its best test accuracy; lines join each gene's start \
                  and end). Bottom: the developed weights of the SLP for each class under each encoding (seed 0), \
                  scaled per image.",
        kind: Kind::Runs(Runs { runs, figure, figures: &["-weights"], claims }),
    }
}
