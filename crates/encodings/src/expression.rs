//! Gene expression of a layer of neurons: the `X` matrices of the Genetic Connectome Model.
//!
//! Each neuron of a layer expresses `G` genes; the layer's expression is an `(N, G)` matrix `X`.
//! It comes from one of three sources ([`ExpressionSpec`]):
//!
//! - **learned**: `X` itself is a genome tensor (`N·G` parameters, GEM);
//! - **fixed**: `X` is a random matrix drawn once from the seed and never trained (the papers
//!   freeze the 10 output neurons' expression this way); counted as fixed, not learned;
//! - **gaussian**: `X` comes from learned Gaussian gene fields on the layer's [`NeuronGrid`]
//!   (S-GEM): per gene a centre `mu = tanh(m)` (so it stays on the grid) and a width
//!   `sigma = exp(s)` (so it stays positive), and
//!   `X[n, g] = exp(-(|p_n - mu_g| / sigma_g)²)` for the neuron at `p_n`: 3 parameters per
//!   gene, whatever the number of neurons.
//!
//! Initial values follow the reference code: learned and fixed matrices `randn`, field widths
//! 0.3 (`s = ln 0.3`), raw centres uniform in (-1, 1), so the centres `tanh(m)` start within
//! ±0.76 of the grid's middle ([`CentreInit::Reference`]; [`CentreInit::Uniform`] spreads them
//! over the whole grid instead, and [`CentreInit::Spiral`] places them evenly on a fixed spiral
//! over the grid's middle, the same for every seed).

use candle_core::{Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use crate::error::{GenomeError, Result};
use crate::grid::NeuronGrid;
use crate::init::{SeededInit, register};

/// Initial width of every Gaussian gene field.
pub const INITIAL_WIDTH: f64 = 0.3;

/// How the centres of Gaussian gene fields start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CentreInit {
    /// Raw centres `m ~ U(-1, 1)`, so `tanh(m)` lies within ±0.76 of the grid's middle, where
    /// MNIST's ink is (the reference code).
    #[default]
    Reference,
    /// Centres uniform over the whole grid (`m = atanh(u)`, `u ~ U(-1, 1)`); the fields that
    /// start near the edges see blank pixels and learn slowly.
    Uniform,
    /// Centres spread evenly over the disc of radius [`SPIRAL_RADIUS`] around the grid's middle
    /// on a sunflower (Vogel) spiral, gene `i` at radius `R·sqrt((i + ½)/G)` and angle
    /// `i·137.5°`: the same for every seed, so no two fields start on top of each other.
    Spiral,
}

/// Radius of the disc [`CentreInit::Spiral`] spreads the centres over: MNIST's ink lies in the
/// middle 20×20 of its 28×28 pixels, about ±0.7 on the grid.
pub const SPIRAL_RADIUS: f64 = 0.7;

impl CentreInit {
    /// What a configuration written before the choice existed used.
    pub fn legacy() -> Self {
        CentreInit::Uniform
    }
}

/// Where a layer's gene expression comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ExpressionSpec {
    /// An `(N, G)` matrix learned directly.
    Learned,
    /// An `(N, G)` random matrix, never trained.
    Fixed,
    /// Learned Gaussian gene fields on a grid of the layer's neurons.
    Gaussian {
        /// Where the neurons sit.
        grid: NeuronGrid,
        /// How the field centres start.
        #[serde(default = "CentreInit::legacy")]
        centres: CentreInit,
    },
}

/// Learned Gaussian gene fields on a neuron grid.
#[derive(Debug, Clone)]
pub struct GeneFields {
    positions: Tensor,
    raw_centres: Var,
    log_widths: Var,
    grid: NeuronGrid,
}

impl GeneFields {
    /// Builds `genes` fields on `grid` with centres drawn as `centres` says, registering
    /// `{prefix}.mu` `(G, 2)` and `{prefix}.log_sigma` `(G,)` in `varmap`.
    pub fn new(
        grid: NeuronGrid,
        genes: usize,
        centres: CentreInit,
        prefix: &str,
        varmap: &VarMap,
        init: &mut SeededInit,
    ) -> Result<Self> {
        // u ~ U(-1, 1), kept off ±1 so that atanh stays finite.
        let u = init.uniform(&[genes, 2], -0.999, 0.999)?;
        let raw = match centres {
            CentreInit::Reference => u,
            CentreInit::Uniform => atanh(&u)?,
            CentreInit::Spiral => {
                // The draw above still happens, so every other tensor of the genome starts as
                // it would with the other choices.
                let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
                let xy: Vec<f32> = (0..genes)
                    .flat_map(|i| {
                        let r = SPIRAL_RADIUS * ((i as f64 + 0.5) / genes as f64).sqrt();
                        let a = i as f64 * golden;
                        [(r * a.cos()) as f32, (r * a.sin()) as f32]
                    })
                    .collect();
                atanh(&Tensor::from_vec(xy, (genes, 2), init.device())?)?
            }
        };
        let raw_centres = register(varmap, &format!("{prefix}.mu"), raw)?;
        let log_widths = register(
            varmap,
            &format!("{prefix}.log_sigma"),
            Tensor::full(INITIAL_WIDTH.ln() as f32, genes, init.device())?,
        )?;
        Ok(Self { positions: grid.positions(init.device())?, raw_centres, log_widths, grid })
    }

    /// The grid the fields lie on.
    pub fn grid(&self) -> NeuronGrid {
        self.grid
    }

    /// Field centres `tanh(m)`, `(G, 2)` as `(x, y)`.
    pub fn centres(&self) -> candle_core::Result<Tensor> {
        self.raw_centres.as_tensor().tanh()
    }

    /// Field widths `exp(s)`, `(G,)`.
    pub fn widths(&self) -> candle_core::Result<Tensor> {
        self.log_widths.as_tensor().exp()
    }

    /// The expression matrix `X[n, g] = exp(-(|p_n - mu_g| / sigma_g)²)`, `(N, G)`.
    ///
    /// One operation on the CPU ([`crate::fields_op`]).
    pub fn expression(&self) -> candle_core::Result<Tensor> {
        crate::fields_op::gaussian_expression(
            &self.positions,
            self.raw_centres.as_tensor(),
            self.log_widths.as_tensor(),
        )
    }
}

/// `atanh(u) = ½ ln((1 + u)/(1 - u))`, elementwise, for `|u| < 1`.
fn atanh(u: &Tensor) -> candle_core::Result<Tensor> {
    (u.affine(1.0, 1.0)? / u.affine(-1.0, 1.0)?)?.log()? * 0.5
}

/// A layer's gene expression, ready to develop.
#[derive(Debug, Clone)]
pub enum Expression {
    /// A learned matrix.
    Learned(Var),
    /// A fixed matrix.
    Fixed(Tensor),
    /// Gaussian gene fields.
    Gaussian(GeneFields),
}

impl Expression {
    /// Creates the expression of a layer of `neurons` neurons and `genes` genes as `spec` says.
    /// Learned tensors are registered in `varmap` under `prefix`; a fixed matrix is returned
    /// for the caller to keep (and save) under `{prefix}.x`.
    pub fn new(
        spec: ExpressionSpec,
        neurons: usize,
        genes: usize,
        prefix: &str,
        varmap: &VarMap,
        init: &mut SeededInit,
    ) -> Result<Self> {
        if genes == 0 {
            return Err(GenomeError::Config("the number of genes must be at least 1".into()));
        }
        Ok(match spec {
            ExpressionSpec::Learned => Expression::Learned(register(
                varmap,
                &format!("{prefix}.x"),
                init.normal(&[neurons, genes], 0.0, 1.0)?,
            )?),
            ExpressionSpec::Fixed => Expression::Fixed(init.normal(&[neurons, genes], 0.0, 1.0)?),
            ExpressionSpec::Gaussian { grid, centres } => {
                if grid.len() != neurons {
                    return Err(GenomeError::Config(format!(
                        "a {}x{} grid holds {} neurons, but the layer has {neurons}",
                        grid.rows,
                        grid.cols,
                        grid.len()
                    )));
                }
                Expression::Gaussian(GeneFields::new(grid, genes, centres, prefix, varmap, init)?)
            }
        })
    }

    /// The `(N, G)` expression matrix.
    pub fn develop(&self) -> candle_core::Result<Tensor> {
        match self {
            Expression::Learned(v) => Ok(v.as_tensor().clone()),
            Expression::Fixed(t) => Ok(t.clone()),
            Expression::Gaussian(f) => f.expression(),
        }
    }

    /// Learned parameters.
    pub fn learned_params(&self) -> usize {
        match self {
            Expression::Learned(v) => v.elem_count(),
            Expression::Fixed(_) => 0,
            Expression::Gaussian(f) => f.raw_centres.elem_count() + f.log_widths.elem_count(),
        }
    }

    /// Fixed (not learned) parameters.
    pub fn fixed_params(&self) -> usize {
        match self {
            Expression::Fixed(t) => t.elem_count(),
            _ => 0,
        }
    }

    /// The gene fields, for an expression made of them.
    pub fn fields(&self) -> Option<&GeneFields> {
        match self {
            Expression::Gaussian(f) => Some(f),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    #[test]
    fn gaussian_field_values_by_hand() -> Result<()> {
        // A 2x2 grid: neurons at (-1,-1), (1,-1), (-1,1), (1,1). One gene centred at the origin
        // (raw centre 0, tanh 0 = 0) with width 1: every neuron is at distance sqrt(2), so
        // X = exp(-2). A second gene centred at tanh(m) = (0.5, 0) with width 0.5: for the neuron
        // at (1, -1), d² = 0.25 + 1 = 1.25 and X = exp(-1.25 / 0.25) = exp(-5).
        let vm = VarMap::new();
        let mut init = SeededInit::new(0, &Device::Cpu);
        let f = GeneFields::new(NeuronGrid::new(2, 2)?, 2, CentreInit::Reference, "f", &vm, &mut init)?;
        let m = 0.5f32.atanh();
        f.raw_centres.set(&Tensor::new(&[[0f32, 0.], [m, 0.]], &Device::Cpu)?)?;
        f.log_widths.set(&Tensor::new(&[0f32, 0.5f32.ln()], &Device::Cpu)?)?;
        let x = f.expression()?.to_vec2::<f32>()?;
        for row in &x {
            assert!((row[0] - (-2f32).exp()).abs() < 1e-6, "{x:?}");
        }
        assert!((x[1][1] - (-5f32).exp()).abs() < 1e-6, "{x:?}");
        // Neuron (-1, -1): d² = 2.25 + 1 = 3.25, X = exp(-13).
        assert!((x[0][1] - (-13f32).exp()).abs() < 1e-9, "{x:?}");
        Ok(())
    }

    #[test]
    fn counts_and_initial_widths() -> Result<()> {
        let vm = VarMap::new();
        let mut init = SeededInit::new(0, &Device::Cpu);
        let grid = NeuronGrid::for_count(784)?;
        let spec = ExpressionSpec::Gaussian { grid, centres: CentreInit::Reference };
        let g = Expression::new(spec, 784, 7, "in", &vm, &mut init)?;
        assert_eq!((g.learned_params(), g.fixed_params()), (21, 0));
        assert_eq!(g.develop()?.dims(), &[784, 7]);
        let w = g.fields().unwrap().widths()?.to_vec1::<f32>()?;
        assert!(w.iter().all(|&s| (s - 0.3).abs() < 1e-6));
        let l = Expression::new(ExpressionSpec::Learned, 784, 7, "l", &vm, &mut init)?;
        assert_eq!((l.learned_params(), l.fixed_params()), (784 * 7, 0));
        let f = Expression::new(ExpressionSpec::Fixed, 10, 7, "o", &vm, &mut init)?;
        assert_eq!((f.learned_params(), f.fixed_params()), (0, 70));
        assert_eq!(vm.all_vars().iter().map(|v| v.elem_count()).sum::<usize>(), 21 + 784 * 7);
        let bad = Expression::new(spec, 100, 7, "b", &vm, &mut init);
        assert!(bad.is_err());
        assert!(Expression::new(ExpressionSpec::Learned, 4, 0, "z", &vm, &mut init).is_err());
        Ok(())
    }

    #[test]
    fn reference_centres_start_near_the_middle_and_old_configs_read_as_uniform() -> Result<()> {
        let vm = VarMap::new();
        let grid = NeuronGrid::new(28, 28)?;
        let mut init = SeededInit::new(4, &Device::Cpu);
        let near = GeneFields::new(grid, 200, CentreInit::Reference, "a", &vm, &mut init)?;
        let near = near.centres()?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(near <= 1f32.tanh(), "{near}");
        let mut init = SeededInit::new(4, &Device::Cpu);
        let wide = GeneFields::new(grid, 200, CentreInit::Uniform, "b", &vm, &mut init)?;
        let wide = wide.centres()?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(wide > 0.95, "{wide}");
        // A configuration written before the choice existed keeps its (uniform) centres.
        let old: ExpressionSpec = serde_json::from_str(r#"{"kind":"gaussian","grid":{"rows":2,"cols":3}}"#)
            .map_err(|e| GenomeError::Config(e.to_string()))?;
        assert_eq!(
            old,
            ExpressionSpec::Gaussian { grid: NeuronGrid::new(2, 3)?, centres: CentreInit::Uniform }
        );
        Ok(())
    }

    #[test]
    fn spiral_centres_are_seed_free_spread_inside_the_disc_and_leave_the_other_draws_alone() -> Result<()> {
        let grid = NeuronGrid::new(28, 28)?;
        let spiral = |seed| -> Result<(Vec<[f32; 2]>, Tensor)> {
            let vm = VarMap::new();
            let mut init = SeededInit::new(seed, &Device::Cpu);
            let f = GeneFields::new(grid, 9, CentreInit::Spiral, "s", &vm, &mut init)?;
            let c = f.centres()?.to_vec2::<f32>()?.into_iter().map(|v| [v[0], v[1]]).collect();
            Ok((c, init.normal(&[3], 0.0, 1.0)?))
        };
        let (a, next_a) = spiral(1)?;
        let (b, _) = spiral(2)?;
        assert_eq!(a, b, "the spiral does not depend on the seed");
        // Gene 0 sits at radius R sqrt(1/18), angle 0; gene 1 at R sqrt(3/18), angle 137.5°.
        let r0 = SPIRAL_RADIUS * (0.5f64 / 9.0).sqrt();
        assert!((a[0][0] as f64 - r0).abs() < 1e-5 && a[0][1].abs() < 1e-5, "{:?}", a[0]);
        let (r1, t1) = (SPIRAL_RADIUS * (1.5f64 / 9.0).sqrt(), 137.507_764f64.to_radians());
        assert!((a[1][0] as f64 - r1 * t1.cos()).abs() < 1e-5, "{:?}", a[1]);
        assert!((a[1][1] as f64 - r1 * t1.sin()).abs() < 1e-5, "{:?}", a[1]);
        let radius = |p: &[f32; 2]| ((p[0] * p[0] + p[1] * p[1]) as f64).sqrt();
        assert!(a.iter().all(|p| radius(p) < SPIRAL_RADIUS));
        // No two centres closer than a third of the disc's radius: they tile it.
        for (i, p) in a.iter().enumerate() {
            for q in &a[i + 1..] {
                let d = (((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)) as f64).sqrt();
                assert!(d > SPIRAL_RADIUS / 3.0, "{p:?} {q:?}");
            }
        }
        // The random stream after the fields is the one the other choices leave.
        let vm = VarMap::new();
        let mut init = SeededInit::new(1, &Device::Cpu);
        GeneFields::new(grid, 9, CentreInit::Reference, "r", &vm, &mut init)?;
        let next_ref = init.normal(&[3], 0.0, 1.0)?;
        assert_eq!(next_a.to_vec1::<f32>()?, next_ref.to_vec1::<f32>()?);
        Ok(())
    }

    #[test]
    fn gradients_reach_centres_and_widths() -> Result<()> {
        let vm = VarMap::new();
        let mut init = SeededInit::new(1, &Device::Cpu);
        let f = GeneFields::new(NeuronGrid::new(3, 3)?, 2, CentreInit::Uniform, "f", &vm, &mut init)?;
        let target = Tensor::zeros((9, 2), DType::F32, &Device::Cpu)?;
        let loss = f.expression()?.sub(&target)?.sqr()?.sum_all()?;
        let grads = loss.backward()?;
        for v in vm.all_vars() {
            let g = grads.get(v.as_tensor()).expect("gradient");
            assert!(g.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0);
        }
        Ok(())
    }
}
