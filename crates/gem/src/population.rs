//! Populations of this crate's genomes ([`innate_encodings::population`]): `K` direct, GEM-family
//! or random-basis genomes of one shape, differing in their seed, developed and run as one.
//!
//! | population | stacked tensors | one step |
//! | --- | --- | --- |
//! | [`DirectPopulation`] | the weights and biases, `(K, out, in)` / `(K, out)` | one batched product per layer, the gradient by hand |
//! | [`GemPopulation`] | expression `(K, N, G)` or fields `(K, G, 2)` / `(K, G)`, `O` `(K, G, G)`, biases | batched products through the genes, as [`GemNet`]'s `develop_forward` |
//! | [`RbPopulation`] | coordinates `(K, B)`, `W0` `(K, out, in)`, biases | each member's Fastfood basis, then batched products |
//!
//! Member `k`'s slice of every result is computed exactly as its own genome computes it (the
//! same operations in the same order, per member), so a population trains each member as its
//! single run does; the tests below check outputs and gradients against the members themselves.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use innate_encodings::population::Population;
//! use innate_encodings::{Genome, MlpSpec};
//! use innate_gem::{GemConfig, GemNet, population::GemPopulation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = MlpSpec::mlp(16, 16, 4);
//! let members = (0..3)
//!     .map(|seed| GemNet::new(GemConfig::gem(spec.clone(), 3, false, seed), &Device::Cpu))
//!     .collect::<Result<Vec<_>, _>>()?;
//! let pop = GemPopulation::new(&members.iter().collect::<Vec<_>>())?;
//! let x = Tensor::randn(0f32, 1.0, (3, 8, 16), &Device::Cpu)?; // each member's own batch
//! let y = pop.develop_forward(&x)?;
//! assert_eq!(y.dims(), &[3, 8, 4]);
//! let alone = members[2].develop_forward(&x.get(2)?)?;
//! assert!((y.get(2)? - alone)?.abs()?.max_all()?.to_scalar::<f32>()? < 1e-5);
//! # Ok(()) }
//! ```

use candle_core::Tensor;
#[cfg(test)]
use innate_encodings::population::members_cross_entropy;
use innate_encodings::population::{Population, Stacked, check_same_config, scale_members};
use innate_encodings::{BiasMode, Dense, ExpressionSpec, Genome, Mlp, MlpSpec, Result};

use crate::gem::{GemConfig, GemNet, through_genes};
use crate::random_basis::{Basis, RandomBasis};
use crate::{Direct, RandomBasisConfig};

/// The bias of layer `l`, learned or fixed, `(K, out)`, if the layers have biases.
fn bias(stacked: &Stacked, mode: BiasMode, l: usize) -> candle_core::Result<Option<Tensor>> {
    Ok(match mode {
        BiasMode::None => None,
        BiasMode::Learned => Some(stacked.get(&format!("layer{l}.bias"))?),
        BiasMode::FixedRandom => Some(stacked.get(&format!("fixed.layer{l}.bias"))?),
    })
}

/// Adds the members' biases `(K, out)` to `(K, B, out)` and applies ReLU below the last layer.
fn finish_layer(h: Tensor, b: Option<&Tensor>, hidden: bool) -> candle_core::Result<Tensor> {
    let h = match b {
        Some(b) => h.broadcast_add(&b.unsqueeze(1)?)?,
        None => h,
    };
    if hidden { h.relu() } else { Ok(h) }
}

/// Directly encoded MLPs.
#[derive(Debug)]
pub struct DirectPopulation {
    stacked: Stacked,
    spec: MlpSpec,
}

impl DirectPopulation {
    /// `members` (networks of one shape) as one population.
    pub fn new(members: &[&Direct]) -> Result<Self> {
        check_same_config(members, &["seed"])?;
        Ok(Self { stacked: Stacked::new(members)?, spec: members[0].spec().clone() })
    }
}

impl Population for DirectPopulation {
    fn encoding(&self) -> &'static str {
        "direct"
    }

    fn stacked(&self) -> &Stacked {
        &self.stacked
    }

    fn develop(&self) -> candle_core::Result<Mlp> {
        let layers = (0..self.spec.layers())
            .map(|i| {
                Ok(Dense {
                    weight: self.stacked.get(&format!("layer{i}.weight"))?,
                    bias: if self.spec.bias {
                        Some(self.stacked.get(&format!("layer{i}.bias"))?)
                    } else {
                        None
                    },
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Mlp { layers })
    }

    fn is_network(&self) -> bool {
        true
    }

    fn retain(&self, keep: &[usize]) -> Result<Box<dyn Population>> {
        Ok(Box::new(Self { stacked: self.stacked.retain(keep)?, spec: self.spec.clone() }))
    }
}

/// GEM, S-GEM or ML-S-GEM genomes.
#[derive(Debug)]
pub struct GemPopulation {
    stacked: Stacked,
    config: GemConfig,
    /// Per layer of neurons, the grid positions of gene-field layers, `(N, 2)`.
    positions: Vec<Option<Tensor>>,
    /// Per layer of weights, the members' Kaiming factors.
    scales: Vec<Vec<f32>>,
}

impl GemPopulation {
    /// `members` (genomes of one configuration but their seeds) as one population.
    pub fn new(members: &[&GemNet]) -> Result<Self> {
        check_same_config(members, &["seed", "scales"])?;
        let stacked = Stacked::new(members)?;
        let config = members[0].config().clone();
        let device = members[0].varmap().all_vars().first().map(|v| v.device().clone());
        let device = device.unwrap_or(candle_core::Device::Cpu);
        let positions = config
            .expression
            .iter()
            .map(|e| match e {
                ExpressionSpec::Gaussian { grid, .. } => grid.positions(&device).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<_>>()?;
        let scales =
            (0..config.spec.layers()).map(|l| members.iter().map(|m| m.scales[l] as f32).collect()).collect();
        Ok(Self { stacked, config, positions, scales })
    }

    /// Layer `l`'s expression, `(K, N, G)`, as [`innate_encodings::Expression::develop`].
    fn expression(&self, l: usize) -> candle_core::Result<Tensor> {
        let s = &self.stacked;
        match (&self.config.expression[l], &self.positions[l]) {
            (ExpressionSpec::Learned, _) => s.get(&format!("neurons{l}.x")),
            (ExpressionSpec::Fixed, _) => s.get(&format!("fixed.neurons{l}.x")),
            (ExpressionSpec::Gaussian { .. }, Some(p)) => innate_encodings::fields_op::gaussian_expression(
                p,
                &s.get(&format!("neurons{l}.mu"))?,
                &s.get(&format!("neurons{l}.log_sigma"))?,
            ),
            (ExpressionSpec::Gaussian { .. }, None) => {
                candle_core::bail!("layer {l}'s gene fields have no grid")
            }
        }
    }

    fn interaction(&self, l: usize) -> candle_core::Result<Tensor> {
        self.stacked.get(&if self.config.shared_interaction { "o".to_string() } else { format!("o{l}") })
    }

    fn raw_weight(&self, xs: &[Tensor], l: usize) -> candle_core::Result<Tensor> {
        xs[l + 1].matmul(&self.interaction(l)?)?.matmul(&xs[l].t()?)
    }

    fn expressions(&self) -> candle_core::Result<Vec<Tensor>> {
        (0..self.config.spec.sizes.len()).map(|l| self.expression(l)).collect()
    }
}

impl Population for GemPopulation {
    fn encoding(&self) -> &'static str {
        self.config.kind.name()
    }

    fn stacked(&self) -> &Stacked {
        &self.stacked
    }

    fn develop(&self) -> candle_core::Result<Mlp> {
        let xs = self.expressions()?;
        let layers = (0..self.config.spec.layers())
            .map(|l| {
                Ok(Dense {
                    weight: scale_members(&self.raw_weight(&xs, l)?, &self.scales[l])?,
                    bias: bias(&self.stacked, self.config.bias, l)?,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Mlp { layers })
    }

    fn forward_through_genome(&self) -> bool {
        true
    }

    /// [`GemNet`]'s `develop_forward`, member by member in one pass: through the genes or by
    /// forming the weights, layer by layer as the single genome chooses.
    fn develop_forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let xs = self.expressions()?;
        let mut h = x.flatten_from(2)?;
        let (layers, g, batch) = (self.config.spec.layers(), self.config.genes, h.dim(1)?);
        for l in 0..layers {
            let (n_in, n_out) = self.config.spec.layer(l);
            let c = &self.scales[l];
            h = if through_genes(batch, n_in, n_out, g) {
                let through =
                    h.matmul(&xs[l])?.matmul(&self.interaction(l)?.t()?)?.matmul(&xs[l + 1].t()?)?;
                scale_members(&through, c)?
            } else {
                h.matmul(&scale_members(&self.raw_weight(&xs, l)?, c)?.t()?)?
            };
            h = finish_layer(h, bias(&self.stacked, self.config.bias, l)?.as_ref(), l + 1 < layers)?;
        }
        Ok(h)
    }

    fn retain(&self, keep: &[usize]) -> Result<Box<dyn Population>> {
        Ok(Box::new(Self {
            stacked: self.stacked.retain(keep)?,
            config: self.config.clone(),
            positions: self.positions.clone(),
            scales: self.scales.iter().map(|s| keep.iter().map(|&k| s[k]).collect()).collect(),
        }))
    }
}

/// Random-basis genomes: each member keeps its own fixed basis.
pub struct RbPopulation {
    stacked: Stacked,
    config: RandomBasisConfig,
    /// Per member, per layer, its basis.
    bases: Vec<Vec<Basis>>,
}

impl std::fmt::Debug for RbPopulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RbPopulation").field("config", &self.config).finish_non_exhaustive()
    }
}

impl RbPopulation {
    /// `members` (genomes of one configuration but their seeds) as one population.
    pub fn new(members: &[&RandomBasis]) -> Result<Self> {
        check_same_config(members, &["seed", "basis_fingerprint"])?;
        Ok(Self {
            stacked: Stacked::new(members)?,
            config: members[0].config.clone(),
            bases: members.iter().map(|m| m.bases.clone()).collect(),
        })
    }
}

impl Population for RbPopulation {
    fn encoding(&self) -> &'static str {
        "rb"
    }

    fn stacked(&self) -> &Stacked {
        &self.stacked
    }

    /// Each member's `W0 + R p` through its own basis, stacked.
    fn develop(&self) -> candle_core::Result<Mlp> {
        let p = self.stacked.get("p")?;
        let layers = (0..self.config.spec.layers())
            .map(|l| {
                let w0 = self.stacked.get(&format!("fixed.layer{l}.w0"))?;
                let ws = self
                    .bases
                    .iter()
                    .enumerate()
                    .map(|(k, b)| b[l].weight(&w0.get(k)?, &p.get(k)?))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Ok(Dense { weight: Tensor::stack(&ws, 0)?, bias: bias(&self.stacked, self.config.bias, l)? })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Mlp { layers })
    }

    fn retain(&self, keep: &[usize]) -> Result<Box<dyn Population>> {
        Ok(Box::new(Self {
            stacked: self.stacked.retain(keep)?,
            config: self.config.clone(),
            bases: keep.iter().map(|&k| self.bases[k].clone()).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Module};
    use innate_encodings::{NeuronGrid, Parameters};

    fn close(a: &Tensor, b: &Tensor, tol: f32) {
        let d = (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(d <= tol, "differ by {d}");
    }

    /// Outputs, developed networks and gradients of a population against its members alone.
    fn check<G: Genome<Phenotype = Mlp>>(members: &[G], pop: &dyn Population, n_in: usize, classes: usize) {
        let d = Device::Cpu;
        let k = members.len();
        let x = Tensor::randn(0f32, 1.0, (k, 6, n_in), &d).unwrap();
        let labels =
            Tensor::from_vec((0..k * 6).map(|i| (i % classes) as u32).collect(), (k, 6), &d).unwrap();
        let y = pop.develop_forward(&x).unwrap();
        let net = pop.develop().unwrap();
        let losses = members_cross_entropy(&y, &labels).unwrap();
        let grads = losses.sum_all().unwrap().backward().unwrap();
        for (i, m) in members.iter().enumerate() {
            let xi = x.get(i).unwrap();
            let yi = m.develop_forward(&xi).unwrap();
            close(&y.get(i).unwrap(), &yi, 1e-5);
            close(
                &net.forward_members(&x).unwrap().get(i).unwrap(),
                &m.develop().unwrap().forward(&xi).unwrap(),
                1e-4,
            );
            for ((_, a), (_, b)) in net.parameters().iter().zip(m.develop().unwrap().parameters()) {
                close(&a.get(i).unwrap(), &b, 1e-6);
            }
            let loss = candle_nn::loss::cross_entropy(&yi, &labels.get(i).unwrap()).unwrap();
            close(&losses.get(i).unwrap(), &loss, 1e-6);
            let own = loss.backward().unwrap();
            for (name, v) in m.varmap().data().lock().unwrap().iter() {
                let stacked = pop.stacked().varmap().data().lock().unwrap()[name].clone();
                let g = grads.get(&stacked).unwrap().get(i).unwrap();
                close(&g, own.get(v).unwrap(), 1e-5);
            }
            let mine = pop.stacked().member(i).unwrap();
            let theirs = innate_encodings::checkpoint::current_tensors(m).unwrap();
            assert_eq!(mine.len(), theirs.len());
            for ((n1, a), (n2, b)) in mine.iter().zip(&theirs) {
                assert_eq!(n1, n2);
                close(a, b, 0.0);
            }
        }
        // Keeping members 2 and 0, in that order.
        let kept = pop.retain(&[2, 0]).unwrap();
        let y2 = kept
            .develop_forward(&Tensor::stack(&[x.get(2).unwrap(), x.get(0).unwrap()], 0).unwrap())
            .unwrap();
        close(&y2.get(0).unwrap(), &y.get(2).unwrap(), 0.0);
        close(&y2.get(1).unwrap(), &y.get(0).unwrap(), 0.0);
    }

    #[test]
    fn direct_members_are_their_own_networks() -> Result<()> {
        let m: Vec<Direct> =
            (0..3).map(|s| Direct::new(MlpSpec::mlp(12, 7, 4), s, &Device::Cpu)).collect::<Result<_>>()?;
        let pop = DirectPopulation::new(&m.iter().collect::<Vec<_>>())?;
        assert!(pop.is_network());
        check(&m, &pop, 12, 4);
        Ok(())
    }

    #[test]
    fn gem_family_members_are_their_own_genomes() -> Result<()> {
        let spec = MlpSpec::mlp(16, 16, 4);
        let grid = NeuronGrid::new(4, 4)?;
        let configs: Vec<Box<dyn Fn(u64) -> Result<GemConfig>>> = vec![
            Box::new(|s| Ok(GemConfig::gem(spec.clone(), 3, false, s))),
            Box::new(|s| Ok(GemConfig::gem(spec.clone(), 3, true, s))),
            Box::new(|s| GemConfig::sgem(spec.clone(), 3, false, s)?.with_input_grid(grid)),
            Box::new(|s| GemConfig::mlsgem(spec.clone(), 3, false, s)?.with_input_grid(grid)),
        ];
        for make in configs {
            let m: Vec<GemNet> =
                (0..3).map(|s| GemNet::new(make(s)?, &Device::Cpu)).collect::<Result<_>>()?;
            let pop = GemPopulation::new(&m.iter().collect::<Vec<_>>())?;
            check(&m, &pop, 16, 4);
        }
        Ok(())
    }

    #[test]
    fn random_basis_members_keep_their_bases() -> Result<()> {
        let m: Vec<RandomBasis> = (0..3)
            .map(|s| RandomBasis::new(RandomBasisConfig::new(MlpSpec::mlp(12, 8, 4), 5, s), &Device::Cpu))
            .collect::<Result<_>>()?;
        let pop = RbPopulation::new(&m.iter().collect::<Vec<_>>())?;
        check(&m, &pop, 12, 4);
        Ok(())
    }

    #[test]
    fn mixed_shapes_and_settings_are_errors_naming_the_member() -> Result<()> {
        let d = Device::Cpu;
        let a = GemNet::new(GemConfig::gem(MlpSpec::mlp(16, 16, 4), 3, false, 0), &d)?;
        let b = GemNet::new(GemConfig::gem(MlpSpec::mlp(16, 16, 4), 4, false, 1), &d)?;
        let e = GemPopulation::new(&[&a, &b]).unwrap_err().to_string();
        assert!(e.contains("member 1") && e.contains("differ only in their seed"), "{e}");
        let c = Direct::new(MlpSpec::mlp(16, 8, 4), 0, &d)?;
        let e2 = DirectPopulation::new(&[&c, &Direct::new(MlpSpec::mlp(16, 9, 4), 0, &d)?])
            .unwrap_err()
            .to_string();
        assert!(e2.contains("member 1"), "{e2}");
        Ok(())
    }
}
