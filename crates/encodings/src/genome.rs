//! The genome abstraction: a few learned tensors that develop into a network.
//!
//! An encoding implements [`Genome`]: it owns its learned tensors in a [`VarMap`] and says how
//! they develop into a phenotype. It never knows how it is trained: a training strategy only
//! calls [`Genome::develop`] (or [`Genome::develop_forward`], the same computation for one batch),
//! runs the phenotype, and updates the variables of [`Genome::varmap`] (by gradients through
//! `develop`, by fitting, or by selection).

use candle_core::{Module, Tensor};
use candle_nn::VarMap;

use crate::params::ParamCount;
use crate::phenotype::Parameters;

/// A compact description of a network that develops into its weights.
pub trait Genome {
    /// The network a genome develops into.
    type Phenotype: Module + Parameters;

    /// The encoding's short name, as used on the command line (`direct`, `gem`, ...).
    fn encoding(&self) -> &'static str;

    /// The configuration from which a genome of the same shape can be built again (saved in
    /// checkpoints as JSON, next to the tensors). An error when it cannot be written as JSON, so
    /// that a checkpoint never records a configuration it could not read back.
    fn config(&self) -> crate::Result<serde_json::Value>;

    /// The learned tensors, by name.
    fn varmap(&self) -> &VarMap;

    /// Tensors used by development but not learned (fixed random projections and the like), by
    /// name. They are saved in checkpoints but not counted as genome parameters.
    fn fixed(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Exact parameter counts.
    fn params(&self) -> ParamCount;

    /// Develops the phenotype from the current genome tensors. Gradients flow back from the
    /// phenotype's outputs into the genome's variables.
    fn develop(&self) -> candle_core::Result<Self::Phenotype>;

    /// The phenotype's output for a batch `x`, as one training step computes it: develops the
    /// network and runs it, gradients flowing back into the genome. The default is
    /// `develop()?.forward(x)`; encodings whose weights are low-rank products (the GEM family)
    /// override it to skip forming large weight matrices. The result equals the default's up to
    /// floating-point rounding.
    fn develop_forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.develop()?.forward(x)
    }

    /// Whether [`Genome::develop_forward`] costs less than developing the network and running
    /// it (the GEM family's products through the genes, which never form the weights). Strategies
    /// then learn through it and autograd; otherwise, for a network that is an MLP, through the
    /// developed network's hand-worked gradient ([`crate::Mlp::cross_entropy_grads`]) carried
    /// back into the genome. The default: no.
    fn forward_through_genome(&self) -> bool {
        false
    }

    /// [`Genome::develop_forward`] while the phenotype learns: layers that act only in training
    /// (dropout) draw from `rng` ([`Parameters::forward_train`]). The default is
    /// `develop_forward(x)`, right for every phenotype without such layers; an encoding whose
    /// phenotype has them (All-CNN-C) overrides it with `develop()?.forward_train(x, rng)`.
    fn develop_forward_train(&self, x: &Tensor, rng: &mut dyn rand::RngCore) -> candle_core::Result<Tensor> {
        let _ = rng;
        self.develop_forward(x)
    }

    /// The developed values of chosen entries of one phenotype tensor: tensor `param` (in the
    /// order of [`Parameters::parameters`]), flat row-major indices `idx` (`u32`, `(k,)`).
    /// Differentiable in the genome. Strategies that fit a genome to given weights use it; the
    /// default develops everything and gathers, encodings that can develop single weights
    /// (g-networks) do less work.
    fn develop_entries(&self, param: usize, idx: &Tensor) -> candle_core::Result<Tensor> {
        let p = self.develop()?.parameters();
        let (_, t) = p
            .get(param)
            .ok_or_else(|| candle_core::Error::Msg(format!("the phenotype has no tensor number {param}")))?;
        t.flatten_all()?.index_select(idx, 0)
    }
}

/// `config` as the JSON value [`Genome::config`] returns: an error naming what went wrong when
/// it cannot be written as JSON.
pub fn config_json<T: serde::Serialize>(config: &T) -> crate::Result<serde_json::Value> {
    serde_json::to_value(config).map_err(|e| {
        crate::GenomeError::Config(format!("the genome's configuration cannot be written as JSON: {e}"))
    })
}
