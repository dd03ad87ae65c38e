//! What every training strategy reports: one [`Report`] type, with the points of its learning
//! curve ([`EvalPoint`]) and, for strategies that work in generations, one [`GenerationPoint`]
//! per generation.
//!
//! The report is what a run's `metrics.json` and the experiments' result rows hold (the run layer
//! adds the genome's counts and the run's configuration), so its fields keep the names those files
//! have always had: `best_test_accuracy`, `curve`, `generations`, ...

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// One evaluation on the test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// Training batches done.
    pub batches: usize,
    /// Accuracy on the whole test set (a fraction).
    pub test_accuracy: f64,
    /// Mean training loss over the batches since the previous evaluation (none before training).
    pub train_loss: Option<f64>,
    /// Accuracy on the random test sample that early stopping looked at, when not the whole set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_accuracy: Option<f64>,
    /// Half-width of the 95% interval of `test_accuracy`, when it is a mean over tasks
    /// (meta-learning's held-out tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_ci95: Option<f64>,
    /// Seconds since training started.
    pub seconds: f64,
}

/// What one generation measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationPoint {
    /// Generation number, from 1.
    pub generation: usize,
    /// Test accuracy of the freshly developed p-network, before training.
    pub ab_initio_accuracy: f64,
    /// Test accuracy of the p-network after this generation's training, when measured.
    pub trained_accuracy: Option<f64>,
    /// Mean training loss of the p-network over the generation.
    pub train_loss: f64,
    /// Mean-squared fitting error per phenotype tensor, at the last fitting step.
    pub fit_loss: Vec<f64>,
    /// Seconds since training started.
    pub seconds: f64,
}

/// What a strategy produced: the learning curve, the best and final accuracy, the time it took
/// and the genome it checkpointed (its tensors at the best accuracy).
///
/// Accuracies are those of the network the genome develops, on the whole test set. A strategy
/// whose steps are not batches (intermittent training counts generations) still states its
/// progress in p-network batches, so that every curve has the same x axis.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// Best test accuracy of the network developed from the genome before any learning of its
    /// own: set by strategies that measure it apart from training (intermittent training's
    /// "ab initio" accuracy); the run layer fills it in for genomes trained end to end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ab_initio_test_accuracy: Option<f64>,
    /// Strategies that work in generations: one point per generation (else empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generations: Vec<GenerationPoint>,
    /// Strategies that work in generations: seconds per generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_per_generation: Option<f64>,
    /// Genome parameters this run trained, when some of the genome's learned tensors were frozen
    /// (transfer with frozen genes); none when every learned tensor trained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trained_params: Option<usize>,
    /// Best accuracy on the full test set (a fraction); the papers' reported number.
    pub best_test_accuracy: f64,
    /// Test accuracy at the end of training.
    pub final_test_accuracy: f64,
    /// Batches done when the best accuracy was measured (the checkpoint's age).
    pub best_batches: usize,
    /// Training batches done.
    pub batches: usize,
    /// Whether early stopping ended training.
    pub stopped_early: bool,
    /// Wall-clock seconds of training, evaluations included.
    pub seconds: f64,
    /// Seconds of training steps only.
    pub train_seconds: f64,
    /// Training seconds per 1,000 batches.
    pub seconds_per_1000_batches: f64,
    /// Test accuracy before training and at every evaluation.
    pub curve: Vec<EvalPoint>,
    /// What the strategy checkpointed: copies of the genome's tensors (learned and fixed) at the
    /// best accuracy, by name, as a genome file stores them. Not serialised.
    #[serde(skip)]
    pub best_tensors: Vec<(String, Tensor)>,
}
