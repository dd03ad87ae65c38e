//! Progress bars for long work, hidden when `quiet` (and by indicatif when standard error is
//! not a terminal), and a log writer that prints above them.

use std::io::Write;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use innate_evolution::{EvalPoint, GenerationPoint, Observer, Progress};

/// The bar most recently shown, which log lines are printed above (see [`LogWriter`]).
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A bar of `len` steps drawn with `template`; hidden when `quiet`.
pub fn bar(len: u64, quiet: bool, template: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(
        Some(len),
        if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() },
    );
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    if !pb.is_hidden()
        && let Ok(mut shown) = SHOWN.lock()
    {
        *shown = Some(pb.clone());
    }
    pb
}

/// Where log lines go: standard error, with the bar on screen (if any) lifted while a line is
/// written, so that lines scroll above the bar instead of through it.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let shown = SHOWN.lock().ok().and_then(|s| s.clone()).filter(|b| !b.is_finished());
        match shown {
            Some(b) => b.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A run's bar: the strategy's steps (batches or generations) and the latest test accuracy.
pub struct RunProgress {
    bar: ProgressBar,
    best: f64,
}

impl RunProgress {
    /// A bar for a strategy's `progress`, labelled `label`.
    pub fn new(label: &str, progress: Progress, quiet: bool) -> Self {
        let template = format!(
            "{{prefix}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {}, eta {{eta}} {{msg}}",
            progress.unit
        );
        let bar = bar(progress.total as u64, quiet, &template);
        bar.set_prefix(label.to_string());
        Self { bar, best: 0.0 }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for RunProgress {
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
