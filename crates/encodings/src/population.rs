//! Populations: `K` genomes of one encoding and shape trained as one program.
//!
//! A sweep trains many genomes that differ only in their seed (the papers' ten seeds per point).
//! One at a time, a small genome's step is mostly the cost of launching its operations; stacked,
//! the `K` members' tensors gain a leading axis and every operation runs once for all of them
//! (a product becomes one batched product: on CUDA one strided-batched cuBLAS call).
//!
//! [`Stacked`] holds the members' tensors, learned (`(K, ...)` variables in a [`VarMap`], under
//! the members' own names) and fixed, and gives any member's back ([`Stacked::member`]). An
//! encoding that supports populations implements [`Population`]: its development for all members
//! at once, a network whose every tensor has the leading axis (an [`Mlp`] of `(K, out, in)`
//! weights and `(K, out)` biases, run with [`Mlp::forward_members`]), and the forward pass of
//! one training step. Nothing couples the members: each one's slice of every result, and of
//! the gradient of the sum of their losses, is what its own genome would compute, so a member
//! of a population trains as its single run does (a test of each encoding checks this against
//! the members' own [`Genome`]s).
//!
//! Two networks as one: member `k`'s slice of the stacked network's output is its own output.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use innate_encodings::{Dense, Mlp};
//! # fn main() -> candle_core::Result<()> {
//! let d = Device::Cpu;
//! let net = |s: f64| -> candle_core::Result<Mlp> {
//!     Ok(Mlp { layers: vec![Dense { weight: (Tensor::randn(0f32, 1.0, (3, 4), &d)? * s)?, bias: None }] })
//! };
//! let (a, b) = (net(1.0)?, net(2.0)?);
//! let both = Mlp { layers: vec![Dense {
//!     weight: Tensor::stack(&[&a.layers[0].weight, &b.layers[0].weight], 0)?, bias: None }] };
//! let x = Tensor::randn(0f32, 1.0, (2, 5, 4), &d)?; // each member's own batch of 5
//! let y = both.forward_members(&x)?;
//! use candle_core::Module;
//! let diff = (y.get(1)? - b.forward(&x.get(1)?)?)?.abs()?.max_all()?.to_scalar::<f32>()?;
//! assert!(diff < 1e-6);
//! # Ok(()) }
//! ```

use std::collections::HashMap;

use candle_core::{Tensor, Var};
use candle_nn::VarMap;

use crate::error::{GenomeError, Result};
use crate::genome::Genome;
use crate::phenotype::Mlp;

/// The tensors of `K` genomes of one shape, each with a leading axis of `K`.
pub struct Stacked {
    size: usize,
    varmap: VarMap,
    vars: HashMap<String, Var>,
    fixed: HashMap<String, Tensor>,
}

impl std::fmt::Debug for Stacked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stacked").field("size", &self.size).finish_non_exhaustive()
    }
}

/// A genome's tensors by name, sorted (learned ones first, then fixed ones).
/// Tensors by name.
type Named = Vec<(String, Tensor)>;

fn named<G: Genome + ?Sized>(genome: &G) -> Result<(Named, Named)> {
    let mut learned: Vec<(String, Tensor)> = genome
        .varmap()
        .data()
        .lock()
        .map_err(|_| GenomeError::Config("the variable map's lock is poisoned".into()))?
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    learned.sort_by(|a, b| a.0.cmp(&b.0));
    let mut fixed = genome.fixed();
    fixed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((learned, fixed))
}

impl Stacked {
    /// Stacks the tensors of `members` (at least one): every member must have the same tensors,
    /// by name and shape; an error names the first member that differs from the first.
    pub fn new<G: Genome + ?Sized>(members: &[&G]) -> Result<Self> {
        let first = members
            .first()
            .ok_or_else(|| GenomeError::Config("a population needs at least one member".into()))?;
        let (learned0, fixed0) = named(*first)?;
        let mut learned: Vec<Vec<Tensor>> = vec![Vec::with_capacity(members.len()); learned0.len()];
        let mut fixed: Vec<Vec<Tensor>> = vec![Vec::with_capacity(members.len()); fixed0.len()];
        for (k, m) in members.iter().enumerate() {
            let (l, f) = named(*m)?;
            let same = |a: &[(String, Tensor)], b: &[(String, Tensor)]| {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && x.1.dims() == y.1.dims())
            };
            if m.encoding() != first.encoding() || !same(&l, &learned0) || !same(&f, &fixed0) {
                return Err(GenomeError::Config(format!(
                    "population member {k} is a {} genome whose tensors are not those of member 0 (a {} genome): \
                     a population holds genomes of one encoding and shape",
                    m.encoding(),
                    first.encoding()
                )));
            }
            for (i, (_, t)) in l.into_iter().enumerate() {
                learned[i].push(t);
            }
            for (i, (_, t)) in f.into_iter().enumerate() {
                fixed[i].push(t);
            }
        }
        let learned = learned0
            .iter()
            .zip(learned)
            .map(|((name, _), ts)| Ok((name.clone(), Tensor::stack(&ts, 0)?)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let (varmap, vars) = variables(learned)?;
        let fixed = fixed0
            .iter()
            .zip(fixed)
            .map(|((name, _), ts)| Ok((name.clone(), Tensor::stack(&ts, 0)?)))
            .collect::<Result<HashMap<_, _>>>()?;
        Ok(Self { size: members.len(), varmap, vars, fixed })
    }

    /// Members in the population.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The stacked learned tensors, by the members' names: what an optimiser trains.
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// The stacked tensor `name`, learned or fixed, `(K, ...)`.
    pub fn get(&self, name: &str) -> candle_core::Result<Tensor> {
        match (self.vars.get(name), self.fixed.get(name)) {
            (Some(v), _) => Ok(v.as_tensor().clone()),
            (None, Some(t)) => Ok(t.clone()),
            (None, None) => candle_core::bail!("the population has no tensor {name}"),
        }
    }

    /// Member `k`'s tensors, learned and fixed, copied and sorted by name: what
    /// [`crate::checkpoint::current_tensors`] gives for that member's own genome.
    pub fn member(&self, k: usize) -> candle_core::Result<Vec<(String, Tensor)>> {
        if k >= self.size {
            candle_core::bail!("the population has {} members, not {}", self.size, k + 1);
        }
        let one = |t: &Tensor| t.narrow(0, k, 1)?.squeeze(0)?.copy();
        let mut out = self
            .vars
            .iter()
            .map(|(n, v)| Ok((n.clone(), one(v.as_tensor())?)))
            .chain(self.fixed.iter().map(|(n, t)| Ok((n.clone(), one(t)?))))
            .collect::<candle_core::Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The population of the members at `keep` (in that order), with new variables: the others
    /// have finished.
    pub fn retain(&self, keep: &[usize]) -> candle_core::Result<Self> {
        let idx = select_index(keep, self.size, &self.device())?;
        let (varmap, vars) = variables(
            self.vars
                .iter()
                .map(|(name, v)| Ok((name.clone(), v.as_tensor().index_select(&idx, 0)?)))
                .collect::<candle_core::Result<Vec<_>>>()?,
        )?;
        let fixed = self
            .fixed
            .iter()
            .map(|(n, t)| Ok((n.clone(), t.index_select(&idx, 0)?)))
            .collect::<candle_core::Result<HashMap<_, _>>>()?;
        Ok(Self { size: keep.len(), varmap, vars, fixed })
    }

    fn device(&self) -> candle_core::Device {
        self.vars
            .values()
            .next()
            .map(|v| v.device().clone())
            .or_else(|| self.fixed.values().next().map(|t| t.device().clone()))
            .unwrap_or(candle_core::Device::Cpu)
    }
}

/// New variables holding `tensors`, in a variable map and by name.
fn variables(tensors: Vec<(String, Tensor)>) -> candle_core::Result<(VarMap, HashMap<String, Var>)> {
    let varmap = VarMap::new();
    let mut vars = HashMap::new();
    {
        let mut data = varmap
            .data()
            .lock()
            .map_err(|_| candle_core::Error::Msg("the variable map's lock is poisoned".into()))?;
        for (name, t) in tensors {
            let v = Var::from_tensor(&t)?;
            data.insert(name.clone(), v.clone());
            vars.insert(name, v);
        }
    }
    Ok((varmap, vars))
}

/// `keep` as a `u32` index tensor, every entry below `size`.
pub fn select_index(
    keep: &[usize],
    size: usize,
    device: &candle_core::Device,
) -> candle_core::Result<Tensor> {
    if let Some(k) = keep.iter().find(|&&k| k >= size) {
        candle_core::bail!("member {k} of a population of {size}");
    }
    let ids: Vec<u32> = keep.iter().map(|&k| k as u32).collect();
    Tensor::from_vec(ids, keep.len(), device)
}

/// `K` genomes of one encoding and shape trained as one: see the module docs.
pub trait Population {
    /// The members' encoding.
    fn encoding(&self) -> &'static str;

    /// The members' tensors.
    fn stacked(&self) -> &Stacked;

    /// Members in the population.
    fn size(&self) -> usize {
        self.stacked().size()
    }

    /// Every member's developed network at once: weights `(K, out, in)`, biases `(K, out)`;
    /// member `k`'s slice is what its own [`Genome::develop`] gives, computed the same way.
    fn develop(&self) -> candle_core::Result<Mlp>;

    /// Every member's output for its own batch, `x` `(K, B, ...)` -> `(K, B, classes)`, as one
    /// training step computes it (member `k`'s slice is its [`Genome::develop_forward`]).
    fn develop_forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.develop()?.forward_members(x)
    }

    /// Each member's own entries `idx` `(K, n)` (flat indices, `u32`) of its developed tensor
    /// number `param` (in the order of [`crate::Parameters::parameters`]): `(K, n)`, member
    /// `k`'s row what its own [`Genome::develop_entries`] gives for row `k` of `idx`.
    /// Differentiable in the stacked tensors; what fitting a population to given weights uses.
    /// The default develops every member and gathers; encodings that can develop single weights
    /// (g-networks) do less work.
    fn develop_entries(&self, param: usize, idx: &Tensor) -> candle_core::Result<Tensor> {
        use crate::Parameters;
        let p = self.develop()?.parameters();
        let (_, t) = p
            .get(param)
            .ok_or_else(|| candle_core::Error::Msg(format!("the phenotype has no tensor number {param}")))?;
        t.flatten_from(1)?.gather(&idx.contiguous()?, 1)
    }

    /// As [`Genome::forward_through_genome`]: whether [`Population::develop_forward`] costs less
    /// than developing the networks and running them.
    fn forward_through_genome(&self) -> bool {
        false
    }

    /// Whether the developed network's tensors are the learned variables themselves (the direct
    /// encoding), so that a step can use [`Mlp::members_cross_entropy_grads`] instead of autograd.
    fn is_network(&self) -> bool {
        false
    }

    /// The population of the members at `keep`, in that order (the others have finished).
    fn retain(&self, keep: &[usize]) -> Result<Box<dyn Population>>;
}

/// Checks that every genome's configuration equals the first one's once `ignore` (keys of the
/// JSON object: the seed, per-member factors) are left out; an error names the first that
/// differs.
pub fn check_same_config<G: Genome + ?Sized>(members: &[&G], ignore: &[&str]) -> Result<serde_json::Value> {
    let strip = |g: &G| -> Result<serde_json::Value> {
        let mut c = g.config()?;
        if let Some(o) = c.as_object_mut() {
            for k in ignore {
                o.remove(*k);
            }
        }
        Ok(c)
    };
    let first = members
        .first()
        .ok_or_else(|| GenomeError::Config("a population needs at least one member".into()))?;
    let c0 = strip(first)?;
    for (k, m) in members.iter().enumerate().skip(1) {
        let c = strip(m)?;
        if c != c0 || m.encoding() != first.encoding() {
            return Err(GenomeError::Config(format!(
                "population member {k} is a {} genome with settings {c}, but member 0 is a {} genome with \
                 settings {c0}: a population holds genomes that differ only in their seed",
                m.encoding(),
                first.encoding()
            )));
        }
    }
    Ok(c0)
}

/// The members' mean cross-entropies, `(K,)`, for logits `(K, B, C)` and labels `(K, B)`: each is
/// `candle_nn::loss::cross_entropy` of that member's slice, computed the same way.
pub fn members_cross_entropy(logits: &Tensor, labels: &Tensor) -> candle_core::Result<Tensor> {
    let b = logits.dim(1)?;
    candle_nn::ops::log_softmax(logits, candle_core::D::Minus1)?
        .gather(&labels.unsqueeze(candle_core::D::Minus1)?, candle_core::D::Minus1)?
        .squeeze(candle_core::D::Minus1)?
        .sum(candle_core::D::Minus1)?
        .affine(-1.0 / b as f64, 0.0)
}

/// `x` `(K, ...)` with member `k`'s values times `factors[k]`: each member's own
/// `x.affine(factors[k], 0)`, as one operation. On the CPU a custom operation whose backward
/// only scales the gradient (a `broadcast_mul` by a `(K, 1, ...)` tensor would also form the
/// factors' gradient, a full-size product and a strided sum, at every step); elsewhere
/// `broadcast_mul`.
pub fn scale_members(x: &Tensor, factors: &[f32]) -> candle_core::Result<Tensor> {
    let k = x.dim(0)?;
    if factors.len() != k {
        candle_core::bail!("{} factors for {k} members", factors.len());
    }
    if x.device().is_cpu() && x.dtype() == candle_core::DType::F32 {
        x.contiguous()?.apply_op1(MemberScale(factors.to_vec()))
    } else {
        let mut shape = vec![1; x.rank()];
        shape[0] = k;
        x.broadcast_mul(&Tensor::from_vec(factors.to_vec(), shape, x.device())?.to_dtype(x.dtype())?)
    }
}

/// [`scale_members`] on the CPU.
#[derive(Clone)]
struct MemberScale(Vec<f32>);

impl candle_core::CustomOp1 for MemberScale {
    fn name(&self) -> &'static str {
        "scale-members"
    }

    fn cpu_fwd(
        &self,
        s: &candle_core::CpuStorage,
        l: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        let x = crate::cpu_kernels::values(s, l)?;
        let per = x.len() / self.0.len().max(1);
        let y: Vec<f32> =
            x.chunks(per.max(1)).zip(&self.0).flat_map(|(xs, &c)| xs.iter().map(move |&v| v * c)).collect();
        Ok((candle_core::CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1(self.clone())?))
    }
}
