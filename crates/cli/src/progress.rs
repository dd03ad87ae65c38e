//! Progress bars for long work, hidden with `--quiet` or when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use innate_evolution::{EvalPoint, GenerationObserver, GenerationPoint, Observer};

/// A bar of `len` steps with a message; hidden when `quiet`.
pub fn bar(len: u64, quiet: bool, template: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(
        Some(len),
        if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() },
    );
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Shows training batches and the latest test accuracy.
pub struct TrainProgress {
    bar: ProgressBar,
    best: f64,
}

impl TrainProgress {
    /// A bar for up to `max_batches` batches, labelled `label`.
    pub fn new(label: &str, max_batches: usize, quiet: bool) -> Self {
        let bar = bar(
            max_batches as u64,
            quiet,
            "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} batches, eta {eta} {msg}",
        );
        bar.set_prefix(label.to_string());
        Self { bar, best: 0.0 }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for TrainProgress {
    fn batch(&mut self, done: usize) {
        self.bar.set_position(done as u64);
    }

    fn eval(&mut self, p: &EvalPoint) {
        self.best = self.best.max(p.test_accuracy);
        self.bar.set_message(format!(
            "test acc {:.2}% (best {:.2}%)",
            100.0 * p.test_accuracy,
            100.0 * self.best
        ));
        tracing::debug!(batches = p.batches, acc = p.test_accuracy, loss = p.train_loss, "evaluation");
    }
}

/// Shows generations of intermittent training and the latest ab initio accuracy.
pub struct GenerationProgress {
    bar: ProgressBar,
    best: f64,
}

impl GenerationProgress {
    /// A bar for `generations` generations, labelled `label`.
    pub fn new(label: &str, generations: usize, quiet: bool) -> Self {
        let bar = bar(
            generations as u64,
            quiet,
            "{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} generations, eta {eta} {msg}",
        );
        bar.set_prefix(label.to_string());
        Self { bar, best: 0.0 }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl GenerationObserver for GenerationProgress {
    fn generation(&mut self, p: &GenerationPoint) {
        self.best = self.best.max(p.ab_initio_accuracy);
        self.bar.set_position(p.generation as u64);
        self.bar.set_message(format!(
            "ab initio {:.2}% (best {:.2}%)",
            100.0 * p.ab_initio_accuracy,
            100.0 * self.best
        ));
        tracing::debug!(
            generation = p.generation,
            ab_initio = p.ab_initio_accuracy,
            loss = p.train_loss,
            "generation"
        );
    }
}
