//! What an experiment is: a name, where in the papers it comes from, and either runs of its own
//! ([`Runs`]: configurations per profile, a figure and report lines drawn from their rows) or a
//! computation from other experiments' rows or from code alone ([`Derived`]).

use std::path::Path;

use innate_run::RunConfig;

use crate::profile::Profile;
use crate::rows::Row;

/// One line of the report: a quantity, the paper's value and ours.
#[derive(Debug, Clone)]
pub struct Claim {
    /// What is measured.
    pub quantity: String,
    /// The paper's value, as the paper states it.
    pub paper: String,
    /// Our value (mean ± sd over runs, or a single value).
    pub ours: String,
    /// Number of runs behind our value.
    pub runs: usize,
}

/// A registered experiment.
pub struct Experiment {
    /// Name used with `--only`, and for the results and figure files.
    pub name: &'static str,
    /// What it reproduces.
    pub title: &'static str,
    /// Where in the papers.
    pub source: &'static str,
    /// Caption under the figures in the report.
    pub caption: &'static str,
    /// How its results come about.
    pub kind: Kind,
}

/// How an experiment's results come about.
pub enum Kind {
    /// From runs of its own.
    Runs(Runs),
    /// Computed from other experiments' results or from code alone.
    Derived(Derived),
}

/// Draws `stem.png` / `stem.svg` (and `stem{suffix}.*` for each of [`Runs::figures`]) from an
/// experiment's rows; the second argument is the output folder (run folders are relative to it).
pub type DrawRows = fn(&[Row], &Path, &Path) -> anyhow::Result<()>;

/// Draws `stem.png` / `stem.svg` from a derived experiment's rows.
pub type DrawValues = fn(&[serde_json::Value], &Path) -> anyhow::Result<()>;

/// An experiment with runs of its own.
pub struct Runs {
    /// The runs of a profile: (run id, configuration).
    pub runs: fn(Profile) -> Vec<(String, RunConfig)>,
    /// Draws the figures from the rows.
    pub figure: DrawRows,
    /// Suffixes of the figures drawn besides `stem` itself (usually none).
    pub figures: &'static [&'static str],
    /// The report lines (the second argument is the output folder).
    pub claims: fn(&[Row], &Path) -> Vec<Claim>,
}

/// What a derived experiment's computation may use.
pub struct DerivedEnv<'a> {
    /// The output folder (results/, runs/).
    pub out: &'a Path,
    /// The profile whose results it reads.
    pub profile: Profile,
    /// Where runs read data and compute, for a computation that evaluates or trains genomes.
    pub run: &'a innate_run::RunEnv<'a>,
    /// May it train runs it needs and does not find (true when the experiment itself is asked
    /// for; false when it is recomputed after the experiments it reads)?
    pub train: bool,
}

/// An experiment computed without runs of its own: from code alone, or from the results of other
/// experiments. Its `results/NAME.jsonl` holds rows of its own shape (JSON values).
pub struct Derived {
    /// Computes the rows (from the output folder: other experiments' results and run folders).
    pub compute: fn(&DerivedEnv<'_>) -> anyhow::Result<Vec<serde_json::Value>>,
    /// Draws `stem.png` / `stem.svg` from the rows, if the experiment has a figure.
    pub figure: Option<DrawValues>,
    /// The report lines.
    pub claims: fn(&[serde_json::Value]) -> Vec<Claim>,
}

impl Experiment {
    /// The runs of `profile` (none for a derived experiment).
    pub fn runs(&self, profile: Profile) -> Vec<(String, RunConfig)> {
        match &self.kind {
            Kind::Runs(r) => (r.runs)(profile),
            Kind::Derived(_) => Vec::new(),
        }
    }
}
