//! The encodings a run can use, as data: [`Encoding`] is a tagged enum with one variant per
//! encoding, each holding exactly the settings it reads (`{"kind": "sgem", "genes": 9, ...}`).
//!
//! Each encoding lives in a file of its own in this folder and implements [`EncodingKind`]
//! (`kind.rs`, which the encodings' files depend on and nothing else of this folder): how
//! its settings come from the command line's flags ([`EncodingFlags`]), how it builds a fresh
//! genome for a network ([`EncodingKind::build`]) and how it rebuilds one from a genome file's
//! metadata ([`EncodingKind::rebuild`]). The list at the bottom of this file registers them, one
//! line each; everything else (the enum, the lookup by name, the list of names in messages) is
//! generated from that list.
//!
//! | encoding | settings | file |
//! | --- | --- | --- |
//! | `direct` | biases, the genome file to start from | `direct.rs` |
//! | `gem`, `sgem`, `mlsgem` | genes, learned output expression, biases, (centres) | `gem.rs` |
//! | `rb` | basis vectors, biases | `rb.rs` |
//! | `gnet` | a preset or the g-networks' hidden sizes | `gnet.rs` |
//! | `local` | none (LeNet-5 locally connected) | `local.rs` |
//!
//! ```
//! use innate_run::{Encoding, EncodingFlags};
//!
//! let flags = EncodingFlags { genes: Some(9), ..EncodingFlags::default() };
//! let sgem = Encoding::from_flags("sgem", &flags).unwrap();
//! assert_eq!(sgem.name(), "sgem");
//! assert_eq!(sgem.genes(), Some(9));
//! assert_eq!(serde_json::to_value(&sgem).unwrap()["kind"], "sgem");
//! // A flag the encoding does not read is an error that names it.
//! let e = Encoding::from_flags("gem", &EncodingFlags { basis: Some(10), ..flags }).unwrap_err();
//! assert_eq!(e.to_string(), "--basis applies only to --encoding rb, not to --encoding gem: drop it");
//! ```

pub mod direct;
pub mod gem;
pub mod gnet;
pub mod kind;
pub mod local;
pub mod rb;

use std::path::Path;

use candle_core::Device;
use innate_encodings::CentreInit;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RunError};

pub use direct::DirectSpec;
pub use gem::{GemSpec, Mlsgem, Sgem, Spatial};
pub use gnet::GnetSpec;
pub use kind::{BuildContext, EncodingFlags, EncodingKind, Flag, Members, NetGenome};
pub use local::LocalSpec;
pub use rb::RbSpec;

/// `a`, `a or b`, `a, b or c`.
fn or_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Declares [`Encoding`] from the list of encodings: a variant per settings type with its name
/// in files and on the command line, and the dispatch to [`EncodingKind`].
macro_rules! encodings {
    ($($(#[$doc:meta])* $variant:ident($spec:ty) = $name:literal,)+) => {
        /// A run's encoding and its settings: a tagged enum, `{"kind": "gem", "genes": 9}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum Encoding {
            $($(#[$doc])* #[serde(rename = $name)] $variant($spec),)+
        }

        impl Encoding {
            /// The names of every encoding, in the list's order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// Every encoding's name and [`EncodingKind::SUMMARY`], in the list's order.
            pub const SUMMARIES: &'static [(&'static str, &'static str)] =
                &[$(($name, <$spec as EncodingKind>::SUMMARY)),+];

            /// The encoding's name, as on the command line and in genome files.
            pub fn name(&self) -> &'static str {
                match self { $(Self::$variant(_) => $name,)+ }
            }

            /// The encoding `name` with its settings from `flags`: an error when a flag it does
            /// not read is given (naming the encodings that read it) or one it needs is missing.
            pub fn from_flags(name: &str, flags: &EncodingFlags) -> Result<Self> {
                $(if name == $name {
                    check_flags(name, <$spec as EncodingKind>::READS, flags)?;
                    return Ok(Self::$variant(<$spec>::from_flags(flags)?));
                })+
                Err(unknown(name))
            }

            /// Rebuilds the genome of encoding `name` from its configuration (see
            /// [`EncodingKind::rebuild`]); `None` for a name this version does not know.
            pub fn rebuild(
                name: &str,
                config: &serde_json::Value,
                device: &Device,
            ) -> Option<innate_encodings::Result<NetGenome>> {
                $(if name == $name {
                    return Some(<$spec>::rebuild(config, device));
                })+
                None
            }

            /// Whether encoding `name` trains fastest on one CPU thread.
            pub fn one_thread(name: &str) -> bool {
                $(if name == $name {
                    return <$spec as EncodingKind>::ONE_THREAD;
                })+
                false
            }

            fn reads(name: &str) -> &'static [Flag] {
                $(if name == $name {
                    return <$spec as EncodingKind>::READS;
                })+
                &[]
            }

            /// A fresh genome for the network of `ctx`.
            pub fn build(&self, ctx: BuildContext<'_>) -> Result<NetGenome> {
                match self { $(Self::$variant(s) => s.build(ctx),)+ }
            }

            /// Adam's learning rate when none is given.
            pub fn default_lr(&self) -> f64 {
                match self { $(Self::$variant(s) => s.default_lr(),)+ }
            }

            /// Its size in a run folder's name, such as `-g9`.
            pub fn size_label(&self) -> String {
                match self { $(Self::$variant(s) => s.size_label(),)+ }
            }

            /// A genome file whose developed network this genome starts from, if any.
            pub fn starts_from(&self) -> Option<&Path> {
                match self { $(Self::$variant(s) => s.starts_from(),)+ }
            }

            /// Fresh genomes for `ctxs` as one population ([`EncodingKind::population`]), or
            /// `None` where this encoding's genomes of that network train one at a time.
            pub fn population(&self, ctxs: Vec<BuildContext<'_>>) -> Result<Option<Members>> {
                match self { $(Self::$variant(s) => s.population(ctxs),)+ }
            }
        }
    };
}

/// An error for flags that `name` (reading `reads`) does not read.
fn check_flags(name: &str, reads: &[Flag], flags: &EncodingFlags) -> Result<()> {
    for flag in Flag::ALL {
        if flag.given(flags) && !reads.contains(&flag) {
            let which: Vec<&str> =
                Encoding::NAMES.iter().copied().filter(|n| Encoding::reads(n).contains(&flag)).collect();
            return crate::error::config(format!(
                "{} applies only to --encoding {}, not to --encoding {name}: drop it",
                flag.name(),
                or_list(&which)
            ));
        }
    }
    Ok(())
}

fn unknown(name: &str) -> RunError {
    RunError::Config(format!("encoding {name:?} is not known; known: {}", Encoding::NAMES.join(", ")))
}

encodings! {
    /// Every weight and bias learned directly (the papers' baseline).
    Direct(DirectSpec) = "direct",
    /// GEM: `W = X_out O X_inᵀ` with learned expression matrices.
    Gem(GemSpec) = "gem",
    /// Spatial GEM: expression from learned Gaussian gene fields on a grid of neurons.
    Sgem(Sgem) = "sgem",
    /// Multi-layer S-GEM: S-GEM with one interaction matrix shared by all layers.
    Mlsgem(Mlsgem) = "mlsgem",
    /// Random basis: `W = W0 + R p`.
    Rb(RbSpec) = "rb",
    /// G-networks: small MLPs over neuron labels generate every weight and bias.
    Gnet(GnetSpec) = "gnet",
    /// LeNet-5 locally connected: every kernel its own, learned directly.
    Local(LocalSpec) = "local",
}

impl Encoding {
    /// Whether this is the direct encoding (the genome is the network itself).
    pub fn is_direct(&self) -> bool {
        matches!(self, Encoding::Direct(_))
    }

    /// Genes per neuron, for the GEM family.
    pub fn genes(&self) -> Option<usize> {
        match self {
            Encoding::Gem(g) => Some(g.genes),
            Encoding::Sgem(Sgem(s)) | Encoding::Mlsgem(Mlsgem(s)) => Some(s.genes),
            _ => None,
        }
    }

    /// Basis vectors, for the random basis.
    pub fn basis(&self) -> Option<usize> {
        match self {
            Encoding::Rb(r) => Some(r.basis),
            _ => None,
        }
    }

    /// Where the gene fields' centres start, for the spatial encodings.
    pub fn centres(&self) -> Option<CentreInit> {
        match self {
            Encoding::Sgem(Sgem(s)) | Encoding::Mlsgem(Mlsgem(s)) => Some(s.centres),
            _ => None,
        }
    }

    /// The g-network preset, for g-networks built from one.
    pub fn preset(&self) -> Option<innate_gnet::Preset> {
        match self {
            Encoding::Gnet(g) => g.preset(),
            _ => None,
        }
    }

    /// The directly learned network, starting from random weights.
    pub fn direct() -> Self {
        Encoding::Direct(DirectSpec::default())
    }

    /// The directly learned network, starting from the network the genome file `path` develops.
    pub fn direct_from(path: impl Into<std::path::PathBuf>) -> Self {
        Encoding::Direct(DirectSpec { init_from: Some(path.into()), ..DirectSpec::default() })
    }

    /// The direct encoding of All-CNN-C whose layers `layers` (numbered from 1) start from the
    /// network the genome file at `path` develops, the others from random weights.
    pub fn direct_from_layers(path: impl Into<std::path::PathBuf>, layers: Vec<usize>) -> Self {
        Encoding::Direct(DirectSpec {
            init_from: Some(path.into()),
            init_layers: layers,
            ..DirectSpec::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use innate_encodings::MlpSpec;

    #[test]
    fn flags_are_checked_against_what_each_encoding_reads() {
        let given = |f: EncodingFlags, name: &str| Encoding::from_flags(name, &f).map_err(|e| e.to_string());
        let genes = EncodingFlags { genes: Some(4), ..EncodingFlags::default() };
        assert_eq!(
            given(EncodingFlags { basis: Some(10), ..genes.clone() }, "rb").unwrap_err(),
            "--genes applies only to --encoding gem, sgem or mlsgem, not to --encoding rb: drop it"
        );
        let centres = EncodingFlags { centres: Some(CentreInit::Uniform), ..genes.clone() };
        assert_eq!(
            given(centres, "gem").unwrap_err(),
            "--centre-init applies only to --encoding sgem or mlsgem, not to --encoding gem: drop it"
        );
        assert_eq!(given(genes.clone(), "mlsgem").unwrap().genes(), Some(4));
        assert!(given(EncodingFlags::default(), "sgem").unwrap_err().contains("needs --genes G"));
        assert!(
            given(genes, "nope").unwrap_err().contains("known: direct, gem, sgem, mlsgem, rb, gnet, local")
        );
        assert!(Encoding::one_thread("mlsgem") && !Encoding::one_thread("direct"));
        assert_eq!(or_list(&["a", "b", "c"]), "a, b or c");
    }

    #[test]
    fn every_encoding_builds_a_genome_of_its_name_that_rebuilds_from_its_config() {
        for name in Encoding::NAMES {
            let e = Encoding::from_flags(name, &flags_for(name)).unwrap();
            let ctx = BuildContext {
                arch: if *name == "local" {
                    crate::network::Network::LeNet5.arch([1, 28, 28], 10).unwrap()
                } else {
                    crate::network::Arch::Mlp(MlpSpec::mlp(16, 4, 2))
                },
                image: Some((4, 4)),
                dataset: "test",
                seed: 3,
                start: None,
                device: &Device::Cpu,
            };
            let genome = e.build(ctx).unwrap();
            assert_eq!(genome.encoding(), *name);
            let again = Encoding::rebuild(name, &genome.config().unwrap(), &Device::Cpu).unwrap().unwrap();
            assert_eq!(again.params(), genome.params(), "{name}");
        }
        assert!(Encoding::rebuild("nope", &serde_json::json!({}), &Device::Cpu).is_none());
    }

    /// Flags that every encoding accepts.
    fn flags_for(name: &str) -> EncodingFlags {
        match name {
            "gem" | "sgem" | "mlsgem" => EncodingFlags { genes: Some(3), ..EncodingFlags::default() },
            "rb" => EncodingFlags { basis: Some(10), ..EncodingFlags::default() },
            "gnet" => EncodingFlags { preset: Some(innate_gnet::Preset::Gn5), ..EncodingFlags::default() },
            _ => EncodingFlags::default(),
        }
    }

    #[test]
    fn every_encoding_round_trips_through_json() {
        for name in Encoding::NAMES {
            let e = Encoding::from_flags(name, &flags_for(name)).unwrap();
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["kind"], *name);
            assert_eq!(serde_json::from_value::<Encoding>(json).unwrap(), e);
        }
    }
}
