//! The papers' experiments: what `innate reproduce` (and `cargo xtask reproduce`) runs.
//!
//! Each table or figure of the two papers is one [`Experiment`] in its own file under
//! `experiments/`, listed once in [`registry()`]. An experiment either has runs of its own (a list
//! of [`innate_run::RunConfig`]s per [`Profile`], a figure and report lines drawn from their rows)
//! or is derived (computed from other experiments' rows, or from code alone). Running one writes,
//! under the output folder:
//!
//! - `runs/NAME/PROFILE/RUN/`: each run's genome and `metrics.json` (reused when a finished run
//!   with the same configuration exists, unless forced; [`schedule`]);
//! - `results/NAME.jsonl`: one JSON row per run ([`Row`], [`rows`]);
//! - `figures/NAME.png` and `figures/NAME.svg`: drawn from those rows ([`figures`]);
//! - `REPORT.md`: regenerated from every `results/*.jsonl` present ([`report`]).
//!
//! Numbers in figures and the report come only from the rows; the paper's values are quoted from
//! the papers beside them.
//!
//! ```
//! use innate_experiments::{Profile, registry};
//!
//! let all = registry();
//! let fig2d = all.iter().find(|e| e.name == "sgem-fig2d").unwrap();
//! let runs = fig2d.runs(Profile::Paper);
//! assert_eq!(runs.len(), 430); // the paper profile of sgem-fig2d: 43 arms of 10 seeds
//! assert!(runs.iter().any(|(id, _)| id == "mlsgem-mlp784-g22-seed0"));
//! ```

#![warn(missing_docs)]

pub mod arms;
pub mod experiment;
pub mod experiments;
pub mod figures;
pub mod gnet;
pub mod gnet_cifar;
pub mod lenet;
pub mod profile;
pub mod registry;
pub mod report;
pub mod reproduce;
pub mod rows;
pub mod scaling;
pub mod schedule;
pub mod stats;

pub use experiment::{Claim, Derived, DerivedEnv, Experiment, Kind, Runs};
pub use profile::Profile;
pub use registry::registry;
pub use reproduce::{ReproduceOptions, list, run};
pub use rows::Row;
