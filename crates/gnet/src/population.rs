//! Populations of g-network genomes ([`innate_encodings::population`]): `K` [`GenomicNet`]s of
//! one configuration but their seeds, developed as one.
//!
//! | stacked tensor | shape |
//! | --- | --- |
//! | a g-network layer's weight / bias (`layer{l}.weight_net.{i}.weight`, ...) | `(K, out, in)` / `(K, out)` |
//! | a raw bias (`layer{l}.bias`) | `(K, n_out)` |
//!
//! The label pairs are the configuration's, the same for every member: developing a layer runs
//! every member's g-network on them with one product for the first g-network layer (the pairs
//! times all members' first weights side by side) and one batched product per further layer.
//! Fitting ([`Population::develop_entries`]) gathers each member's own sample of pairs and runs
//! batched products throughout. Member `k`'s slice of every result is its own genome's up to
//! floating-point reassociation; the tests check development, entries and gradients against the
//! members themselves.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use innate_encodings::population::Population;
//! use innate_encodings::Genome;
//! use innate_gnet::{GenomicNet, Preset, mnist_config, population::GnetPopulation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let members = (0..2)
//!     .map(|seed| GenomicNet::new(mnist_config(Preset::Gn5, seed), &Device::Cpu))
//!     .collect::<Result<Vec<_>, _>>()?;
//! let pop = GnetPopulation::new(&members.iter().collect::<Vec<_>>())?;
//! // Each member's own entries of its second weight matrix (10 x 800).
//! let idx = Tensor::new(&[[0u32, 7_999], [42, 3]], &Device::Cpu)?;
//! let w = pop.develop_entries(2, &idx)?;
//! let alone = members[1].develop_entries(2, &idx.get(1)?)?;
//! assert!((w.get(1)? - alone)?.abs()?.max_all()?.to_scalar::<f32>()? < 1e-5);
//! # Ok(()) }
//! ```

use candle_core::{D, Tensor};
use innate_encodings::population::{Population, Stacked, check_same_config};
use innate_encodings::{Dense, Mlp, Result};

use crate::network::{BiasEncoding, GenomicNet, GnetConfig};

/// What a g-network reads: the same rows for every member, or each member's own.
enum Rows<'a> {
    /// `(N, in)`, shared.
    Shared(&'a Tensor),
    /// `(K, n, in)`, member by member.
    Members(Tensor),
}

/// One layer of the p-network: its label pairs and postsynaptic labels (the configuration's).
#[derive(Clone)]
struct Layer {
    n_in: usize,
    pairs: Tensor,
    post: Tensor,
    weight_net: String,
    bias: Bias,
}

#[derive(Clone)]
enum Bias {
    /// A bias g-network's tensor prefix.
    Net(String),
    /// The raw biases' tensor name.
    Raw(String),
}

/// G-network genomes of one configuration (see the module docs).
pub struct GnetPopulation {
    stacked: Stacked,
    config: GnetConfig,
    layers: Vec<Layer>,
    /// G-network layers of the weight networks and of each bias network.
    weight_depth: usize,
    bias_depths: Vec<usize>,
}

impl std::fmt::Debug for GnetPopulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GnetPopulation")
            .field("config", &self.config)
            .field("stacked", &self.stacked)
            .finish()
    }
}

impl GnetPopulation {
    /// `members` (genomes of one configuration but their seeds) as one population; an error
    /// names the first member that differs.
    pub fn new(members: &[&GenomicNet]) -> Result<Self> {
        check_same_config(members, &["seed"])?;
        let stacked = Stacked::new(members)?;
        let first = members[0];
        let config = first.config().clone();
        let layers = first
            .layers()
            .into_iter()
            .enumerate()
            .map(|(l, (n_in, pairs, post))| Layer {
                n_in,
                pairs,
                post,
                weight_net: format!("layer{l}.weight_net"),
                bias: match config.biases[l] {
                    BiasEncoding::Net { .. } => Bias::Net(format!("layer{l}.bias_net")),
                    BiasEncoding::Raw => Bias::Raw(format!("layer{l}.bias")),
                },
            })
            .collect();
        let weight_depth = config.weight_hidden.len() + 1;
        let bias_depths = config
            .biases
            .iter()
            .map(|b| match b {
                BiasEncoding::Net { hidden } => hidden.len() + 1,
                BiasEncoding::Raw => 0,
            })
            .collect();
        Ok(Self { stacked, config, layers, weight_depth, bias_depths })
    }

    /// Every member's g-network `prefix` (of `depth` layers) on `rows`: `(K, N)`.
    fn run(&self, prefix: &str, depth: usize, rows: Rows<'_>) -> candle_core::Result<Tensor> {
        let k = self.stacked.size();
        let mut h: Option<Tensor> = None;
        for i in 0..depth {
            let w = self.stacked.get(&format!("{prefix}.{i}.weight"))?;
            let b = self.stacked.get(&format!("{prefix}.{i}.bias"))?;
            let x = match h.take() {
                Some(prev) => prev.relu()?.matmul(&w.t()?)?,
                None => match &rows {
                    // All members' first layers side by side, one product: (N, K·H) -> (K, N, H).
                    Rows::Shared(x) => {
                        let (_, hid, inputs) = w.dims3()?;
                        let n = x.dim(0)?;
                        x.matmul(&w.reshape((k * hid, inputs))?.t()?)?
                            .reshape((n, k, hid))?
                            .transpose(0, 1)?
                            .contiguous()?
                    }
                    Rows::Members(x) => x.matmul(&w.t()?)?,
                },
            };
            h = Some(x.broadcast_add(&b.unsqueeze(1)?)?);
        }
        h.ok_or_else(|| candle_core::Error::Msg(format!("the g-network {prefix} has no layers")))?
            .squeeze(D::Minus1)
    }

    /// Layer `l`'s biases for every member, `(K, n_out)`, or at each member's entries `idx`
    /// `(K, n)`.
    fn bias(&self, l: usize, idx: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let layer = &self.layers[l];
        match (&layer.bias, idx) {
            (Bias::Net(prefix), None) => self.run(prefix, self.bias_depths[l], Rows::Shared(&layer.post)),
            (Bias::Net(prefix), Some(i)) => {
                self.run(prefix, self.bias_depths[l], Rows::Members(gather_rows(&layer.post, i)?))
            }
            (Bias::Raw(name), None) => self.stacked.get(name),
            (Bias::Raw(name), Some(i)) => self.stacked.get(name)?.gather(&i.contiguous()?, 1),
        }
    }
}

/// Rows `idx` `(K, n)` of `rows` `(N, w)` for each member: `(K, n, w)`.
fn gather_rows(rows: &Tensor, idx: &Tensor) -> candle_core::Result<Tensor> {
    let (k, n) = idx.dims2()?;
    rows.index_select(&idx.flatten_all()?, 0)?.reshape((k, n, rows.dim(1)?))
}

impl Population for GnetPopulation {
    fn encoding(&self) -> &'static str {
        "gnet"
    }

    fn stacked(&self) -> &Stacked {
        &self.stacked
    }

    fn develop(&self) -> candle_core::Result<Mlp> {
        let k = self.stacked.size();
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let n_out = layer.post.dim(0)?;
                let weight = self
                    .run(&layer.weight_net, self.weight_depth, Rows::Shared(&layer.pairs))?
                    .reshape((k, n_out, layer.n_in))?;
                Ok(Dense { weight, bias: Some(self.bias(l, None)?) })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Mlp { layers })
    }

    /// Tensor `2l` is layer `l`'s weight, `2l + 1` its bias, as [`GenomicNet`]'s entries.
    fn develop_entries(&self, param: usize, idx: &Tensor) -> candle_core::Result<Tensor> {
        let l = param / 2;
        let layer = self
            .layers
            .get(l)
            .ok_or_else(|| candle_core::Error::Msg(format!("the p-network has no tensor number {param}")))?;
        if param.is_multiple_of(2) {
            self.run(&layer.weight_net, self.weight_depth, Rows::Members(gather_rows(&layer.pairs, idx)?))
        } else {
            self.bias(l, Some(idx))
        }
    }

    fn retain(&self, keep: &[usize]) -> Result<Box<dyn Population>> {
        Ok(Box::new(Self {
            stacked: self.stacked.retain(keep)?,
            config: self.config.clone(),
            layers: self.layers.clone(),
            weight_depth: self.weight_depth,
            bias_depths: self.bias_depths.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::Preset;
    use candle_core::{DType, Device, Module};
    use innate_encodings::{Genome, MlpSpec, Parameters};

    fn close(a: &Tensor, b: &Tensor, tol: f32) {
        let d = (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(d < tol, "differ by {d}");
    }

    /// A small p-network 16-12-4 labelled as the paper's MNIST network (a bias g-network on the
    /// hidden layer, raw output biases).
    fn small(seed: u64) -> GenomicNet {
        let c = crate::for_mlp("small", &MlpSpec::mlp(16, 12, 4), Some((4, 4)), &[6, 4], seed);
        GenomicNet::new(c, &Device::Cpu).unwrap()
    }

    #[test]
    fn members_develop_and_fit_as_their_own_genomes() -> Result<()> {
        let members: Vec<GenomicNet> = (0..3).map(small).collect();
        let pop = GnetPopulation::new(&members.iter().collect::<Vec<_>>())?;
        let net = pop.develop()?;
        for (k, m) in members.iter().enumerate() {
            for ((_, a), (_, b)) in net.parameters().iter().zip(m.develop()?.parameters()) {
                close(&a.get(k)?, &b, 1e-5);
            }
        }
        // Each member's own entries of every tensor (weights 192 and 48, biases 12 and 4).
        let sizes = [192u32, 12, 48, 4];
        for (p, &n) in sizes.iter().enumerate() {
            let rows: Vec<Vec<u32>> =
                (0..3u32).map(|k| (0..5).map(|j| (j * 7 + k * 3) % n).collect()).collect();
            let idx = Tensor::new(rows, &Device::Cpu)?;
            let got = pop.develop_entries(p, &idx)?;
            for (k, m) in members.iter().enumerate() {
                close(&got.get(k)?, &m.develop_entries(p, &idx.get(k)?)?, 1e-5);
            }
        }
        // The gradient of the members' summed losses is each member's own.
        let x = Tensor::randn(0f32, 1.0, (3, 5, 16), &Device::Cpu)?;
        let loss = net.forward_members(&x)?.sqr()?.sum_all()?;
        let grads = loss.backward()?;
        for (k, m) in members.iter().enumerate() {
            let own = m.develop()?.forward(&x.get(k)?)?.sqr()?.sum_all()?.backward()?;
            let mut names: Vec<_> = m.varmap().data().lock().unwrap().keys().cloned().collect();
            names.sort();
            for name in names {
                let mine = own.get(m.varmap().data().lock().unwrap()[&name].as_tensor()).unwrap().clone();
                let stacked = pop.stacked().varmap().data().lock().unwrap()[&name].as_tensor().clone();
                let theirs = grads.get(&stacked).unwrap().get(k)?;
                let scale = mine.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
                close(&(theirs / scale as f64)?, &(mine / scale as f64)?, 1e-4);
            }
        }
        // Retained members keep their tensors.
        let two = pop.retain(&[2, 0])?;
        close(&two.develop()?.layers[0].weight.get(0)?, &members[2].develop()?.layers[0].weight, 1e-5);
        assert_eq!(two.develop()?.layers[1].bias.as_ref().unwrap().dims(), &[2, 4]);
        assert_eq!(net.layers[1].weight.dtype(), DType::F32);
        Ok(())
    }

    #[test]
    fn members_of_another_shape_are_an_error_naming_the_member() {
        let a = GenomicNet::new(crate::mnist_config(Preset::Gn5, 0), &Device::Cpu).unwrap();
        let b = GenomicNet::new(crate::mnist_config(Preset::Gn20, 1), &Device::Cpu).unwrap();
        let e = GnetPopulation::new(&[&a, &b]).unwrap_err().to_string();
        assert!(e.contains("member 1"), "{e}");
    }
}
