//! Every strategy, in one list: [`StrategyConfig`], the tagged enum of their settings that a
//! run's configuration holds, and the dispatch of [`Strategy`] to them.

use innate_encodings::Genome;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::intermittent::IntermittentConfig;
use crate::lifetime::LifetimeConfig;
use crate::meta::MetaConfig;
use crate::observer::Observer;
use crate::report::Report;
use crate::resume::TrainState;
use crate::strategy::{Data, Progress, Strategy};

/// Declares [`StrategyConfig`] from the list of strategies: a variant per settings type, its
/// name in files, and the dispatch of [`Strategy`] to it.
macro_rules! strategies {
    ($($(#[$doc:meta])* $variant:ident($config:ty) = $name:literal,)+) => {
        /// The settings of any strategy, as a run's configuration holds them: a tagged enum,
        /// `{"kind": "end-to-end", "batch_size": 64, ...}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum StrategyConfig {
            $($(#[$doc])* #[serde(rename = $name)] $variant($config),)+
        }

        impl StrategyConfig {
            /// The names of every strategy, in the list's order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];
        }

        impl Strategy for StrategyConfig {
            fn name(&self) -> &'static str {
                match self { $(Self::$variant(_) => $name,)+ }
            }
            fn validate(&self) -> Result<()> {
                match self { $(Self::$variant(c) => c.validate(),)+ }
            }
            fn progress(&self, train_images: usize) -> Progress {
                match self { $(Self::$variant(c) => c.progress(train_images),)+ }
            }
            fn with_seed(&self, seed: u64) -> Self {
                match self { $(Self::$variant(c) => Self::$variant(c.with_seed(seed)),)+ }
            }
            fn train<G: Genome + ?Sized>(
                &self,
                genome: &G,
                data: &Data<'_>,
                observer: &mut dyn Observer,
            ) -> Result<Report> {
                match self { $(Self::$variant(c) => c.train(genome, data, observer),)+ }
            }
            fn train_resumable<G: Genome + ?Sized>(
                &self,
                genome: &G,
                data: &Data<'_>,
                observer: &mut dyn Observer,
                resume: Option<TrainState>,
                checkpoint: Option<crate::resume::Keep<'_>>,
            ) -> Result<Report> {
                match self {
                    $(Self::$variant(c) => c.train_resumable(genome, data, observer, resume, checkpoint),)+
                }
            }
        }
    };
}

strategies! {
    /// Per batch: develop, forward, backpropagate into the genome, update ([`crate::lifetime`];
    /// lifetime learning is this strategy applied to a directly encoded network).
    EndToEnd(LifetimeConfig) = "end-to-end",
    /// Per generation: train the developed p-network, fit the genome to it, regenerate
    /// ([`crate::intermittent`]).
    Intermittent(IntermittentConfig) = "intermittent",
    /// Per meta-batch of few-shot tasks: develop once, adapt to each task by a few SGD steps,
    /// update the genome and the inner rates by the first-order meta-gradient ([`crate::meta`]).
    Meta(MetaConfig) = "meta",
}

impl StrategyConfig {
    /// The end-to-end settings, if this is that strategy.
    pub fn lifetime(&self) -> Option<&LifetimeConfig> {
        match self {
            Self::EndToEnd(c) => Some(c),
            _ => None,
        }
    }

    /// The meta-learning settings, if this is that strategy.
    pub fn meta(&self) -> Option<&MetaConfig> {
        match self {
            Self::Meta(c) => Some(c),
            _ => None,
        }
    }

    /// The intermittent settings, if this is that strategy.
    pub fn intermittent(&self) -> Option<&IntermittentConfig> {
        match self {
            Self::Intermittent(c) => Some(c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_tagged_by_the_strategys_name() {
        let e2e = StrategyConfig::EndToEnd(LifetimeConfig::default());
        let json = serde_json::to_value(&e2e).unwrap();
        assert_eq!(json["kind"], "end-to-end");
        assert_eq!(json["max_batches"], 30_000);
        let back: StrategyConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, e2e);
        let int = StrategyConfig::Intermittent(IntermittentConfig::default());
        assert_eq!(serde_json::to_value(&int).unwrap()["kind"], "intermittent");
        assert_eq!(StrategyConfig::NAMES, ["end-to-end", "intermittent", "meta"]);
        assert_eq!(int.progress(0), Progress { total: 500, unit: "generations" });
        assert_eq!(int.with_seed(7).intermittent().map(|c| c.seed), Some(7));
        assert_eq!(e2e.with_seed(7).lifetime().map(|c| c.seed), Some(7));
    }
}
