//! The Genetic neuroEvolution Model: weights from gene expression and gene interactions.
//!
//! Every layer of neurons expresses `G` genes (an `(N, G)` expression matrix `X`, see
//! [`innate_encodings::expression`]); a `G x G` interaction matrix `O` says how strongly a
//! presynaptic gene drives a postsynaptic one. The weights from layer `l` to layer `l + 1` are
//!
//! ```text
//! W_l = c_l · X_{l+1} O Xᵀ_l          (outputs x inputs; the paper writes W = Xi O Xoᵀ)
//! ```
//!
//! where `c_l` is a fixed factor chosen when the genome is built so that the initial `W_l` has the
//! spread of a Kaiming-normal matrix (as the reference code does; it is stored in the
//! configuration, so a genome file develops the same weights). Three members of the family:
//!
//! | encoding | expression of non-output layers | output layer | `O` | learned parameters |
//! | --- | --- | --- | --- | --- |
//! | `gem` | learned matrices | fixed random (or learned) | one per layer | `G(Ni + G)` (`G(Ni + No + G)` with the output learned) |
//! | `sgem` | Gaussian gene fields on grids | fixed random | one per layer | `G(G + 3)` for an SLP |
//! | `mlsgem` | Gaussian gene fields on grids | fixed random | one shared by all layers | `G(G + 3L)`, `L` spatial layers |
//!
//! Biases are fixed random (`randn x 0.5`) by default, as in the reference scaling runs; neither
//! they nor the fixed output expression are counted as learned (they are reported as fixed).
//! Hidden neurons use one expression for both their incoming and outgoing weights.
//!
//! ```
//! use candle_core::Device;
//! use innate_encodings::{Genome, MlpSpec};
//! use innate_gem::{GemConfig, GemNet};
//!
//! # fn main() -> Result<(), innate_encodings::GenomeError> {
//! let config = GemConfig::mlsgem(MlpSpec::mlp(784, 784, 10), 22, false, 0)?;
//! let genome = GemNet::new(config, &Device::Cpu)?;
//! assert_eq!(genome.params().learned, 22 * (22 + 3 * 2)); // G(G + 3L), L = 2
//! let net = genome.develop()?;
//! assert_eq!(net.layers[0].weight.dims(), &[784, 784]);
//! # Ok(()) }
//! ```

use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};

use innate_encodings::init::register;
use innate_encodings::{
    BiasMode, Biases, CentreInit, Dense, Expression, ExpressionSpec, GeneFields, Genome, GenomeError, Mlp,
    MlpSpec, NeuronGrid, ParamCount, Result, SeededInit, WeightScale,
};

/// Which member of the GEM family a configuration describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GemKind {
    /// Learned expression matrices.
    Gem,
    /// Gaussian gene fields, one interaction matrix per layer.
    Sgem,
    /// Gaussian gene fields, one interaction matrix shared by all layers.
    Mlsgem,
}

impl GemKind {
    /// The encoding's name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            GemKind::Gem => "gem",
            GemKind::Sgem => "sgem",
            GemKind::Mlsgem => "mlsgem",
        }
    }
}

/// Everything that defines a GEM-family genome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GemConfig {
    /// Which member of the family.
    pub kind: GemKind,
    /// The network it develops.
    pub spec: MlpSpec,
    /// Genes per neuron.
    pub genes: usize,
    /// Expression of each layer of neurons, input first.
    pub expression: Vec<ExpressionSpec>,
    /// One interaction matrix for all layers (else one per layer of weights).
    pub shared_interaction: bool,
    /// The layers' biases.
    pub bias: BiasMode,
    /// Seed of the initial genome and of the fixed tensors.
    pub seed: u64,
    /// Kaiming factors per layer of weights; computed when the genome is first built.
    #[serde(default)]
    pub scales: Option<Vec<f64>>,
    /// The rule the factors are computed by (the element spread, the reference code's, unless
    /// set).
    #[serde(default, skip_serializing_if = "WeightScale::is_default")]
    pub weight_scale: WeightScale,
}

fn bias_of(spec: &MlpSpec) -> BiasMode {
    if spec.bias { BiasMode::FixedRandom } else { BiasMode::None }
}

impl GemConfig {
    /// GEM: learned expression for every layer but the output, whose expression is fixed random
    /// unless `learn_output` (the paper's Fig. 1 does not learn it).
    pub fn gem(spec: MlpSpec, genes: usize, learn_output: bool, seed: u64) -> Self {
        let n = spec.sizes.len();
        let mut expression = vec![ExpressionSpec::Learned; n];
        if !learn_output {
            expression[n - 1] = ExpressionSpec::Fixed;
        }
        Self {
            kind: GemKind::Gem,
            bias: bias_of(&spec),
            spec,
            genes,
            expression,
            shared_interaction: false,
            seed,
            scales: None,
            weight_scale: WeightScale::Spread,
        }
    }

    fn spatial(kind: GemKind, spec: MlpSpec, genes: usize, learn_output: bool, seed: u64) -> Result<Self> {
        let n = spec.sizes.len();
        let mut expression = Vec::with_capacity(n);
        for &size in &spec.sizes[..n - 1] {
            let grid = NeuronGrid::for_count(size)?;
            expression.push(ExpressionSpec::Gaussian { grid, centres: CentreInit::default() });
        }
        expression.push(if learn_output { ExpressionSpec::Learned } else { ExpressionSpec::Fixed });
        Ok(Self {
            kind,
            bias: bias_of(&spec),
            shared_interaction: kind == GemKind::Mlsgem,
            spec,
            genes,
            expression,
            seed,
            scales: None,
            weight_scale: WeightScale::Spread,
        })
    }

    /// S-GEM: Gaussian gene fields on a grid for every layer but the output (fixed random unless
    /// `learn_output`, then a learned matrix), one interaction matrix per layer of weights. Grids
    /// are as square as the layer sizes allow (28x28 for 784).
    pub fn sgem(spec: MlpSpec, genes: usize, learn_output: bool, seed: u64) -> Result<Self> {
        Self::spatial(GemKind::Sgem, spec, genes, learn_output, seed)
    }

    /// ML-S-GEM: S-GEM with one interaction matrix shared by all layers.
    pub fn mlsgem(spec: MlpSpec, genes: usize, learn_output: bool, seed: u64) -> Result<Self> {
        Self::spatial(GemKind::Mlsgem, spec, genes, learn_output, seed)
    }

    /// With the gene fields' centres starting as `centres` says (the reference code's
    /// [`CentreInit::Reference`] by default).
    pub fn with_centres(mut self, centres: CentreInit) -> Self {
        for e in &mut self.expression {
            if let ExpressionSpec::Gaussian { centres: c, .. } = e {
                *c = centres;
            }
        }
        self
    }

    /// Places the input neurons' Gaussian gene fields on `grid` (e.g. the image's rows x columns)
    /// instead of the most square grid of their count. An error when the input layer has no
    /// gene fields or `grid` does not hold exactly one neuron per input.
    pub fn with_input_grid(mut self, grid: NeuronGrid) -> Result<Self> {
        let inputs = self.spec.sizes[0];
        match self.expression.first_mut() {
            Some(ExpressionSpec::Gaussian { grid: g, .. }) if grid.len() == inputs => *g = grid,
            Some(ExpressionSpec::Gaussian { .. }) => {
                return Err(GenomeError::Config(format!(
                    "a {}x{} grid holds {} neurons, but the layer has {inputs} inputs",
                    grid.rows,
                    grid.cols,
                    grid.len()
                )));
            }
            _ => {
                return Err(GenomeError::Config(
                    "the input layer has no Gaussian gene fields to place".into(),
                ));
            }
        }
        Ok(self)
    }
}

/// A GEM-family genome (see the module docs).
pub struct GemNet {
    config: GemConfig,
    varmap: VarMap,
    expression: Vec<Expression>,
    interactions: Vec<Var>,
    biases: Biases,
    pub(crate) scales: Vec<f64>,
}

impl std::fmt::Debug for GemNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GemNet").field("config", &self.config).finish_non_exhaustive()
    }
}

impl GemNet {
    /// Builds the genome, drawing its initial tensors from `config.seed`.
    pub fn new(mut config: GemConfig, device: &Device) -> Result<Self> {
        let spec = MlpSpec::new(config.spec.sizes.clone(), config.spec.bias)?;
        if config.expression.len() != spec.sizes.len() {
            return Err(GenomeError::Config(format!(
                "{} expression specs for {} layers of neurons",
                config.expression.len(),
                spec.sizes.len()
            )));
        }
        if config.genes == 0 {
            return Err(GenomeError::Config("the number of genes must be at least 1".into()));
        }
        // W = X O Xᵀ has rank at most the number of neurons, so genes beyond the widest layer add
        // parameters (and G² memory for O) without adding anything the network can express.
        let widest = spec.sizes.iter().copied().max().unwrap_or(0);
        if config.genes > widest {
            return Err(GenomeError::Config(format!(
                "{} genes for layers of at most {widest} neurons: use at most {widest} genes (more cannot \
                 encode anything new, they only add parameters)",
                config.genes
            )));
        }
        let g = config.genes;
        let varmap = VarMap::new();
        let mut init = SeededInit::new(config.seed, device);
        let expression = spec
            .sizes
            .iter()
            .zip(&config.expression)
            .enumerate()
            .map(|(l, (&n, &e))| Expression::new(e, n, g, &format!("neurons{l}"), &varmap, &mut init))
            .collect::<Result<Vec<_>>>()?;
        let n_o = if config.shared_interaction { 1 } else { spec.layers() };
        let interactions = (0..n_o)
            .map(|i| {
                let name = if config.shared_interaction { "o".to_string() } else { format!("o{i}") };
                register(&varmap, &name, init.normal(&[g, g], 0.0, 1.0)?)
            })
            .collect::<Result<Vec<_>>>()?;
        let shapes: Vec<(usize, usize)> = (0..spec.layers()).map(|i| spec.layer(i)).collect();
        let biases = Biases::new(config.bias, &shapes, &varmap, &mut init)?;
        let mut net = Self {
            config: config.clone(),
            varmap,
            expression,
            interactions,
            biases,
            scales: vec![1.0; spec.layers()],
        };
        let scales = match config.scales.take() {
            Some(s) if s.len() == spec.layers() => s,
            Some(s) => {
                return Err(GenomeError::Config(format!(
                    "{} Kaiming factors for {} layers",
                    s.len(),
                    spec.layers()
                )));
            }
            None => {
                let rule = config.weight_scale;
                net.raw_weights()?.iter().map(|w| rule.factor(w)).collect::<Result<Vec<_>>>()?
            }
        };
        net.config.scales = Some(scales.clone());
        net.scales = scales;
        Ok(net)
    }

    /// Rebuilds a genome from the configuration stored in a checkpoint's metadata.
    pub fn from_config(config: &serde_json::Value, device: &Device) -> Result<Self> {
        let c: GemConfig = serde_json::from_value(config.clone())
            .map_err(|e| GenomeError::Config(format!("not a GEM-family configuration: {e}")))?;
        Self::new(c, device)
    }

    /// The configuration (with the Kaiming factors filled in).
    pub fn config(&self) -> &GemConfig {
        &self.config
    }

    /// The gene fields of neuron layer `l`, if it has them.
    pub fn fields(&self, l: usize) -> Option<&GeneFields> {
        self.expression.get(l).and_then(Expression::fields)
    }

    /// The interaction matrix of layer of weights `l`.
    fn interaction(&self, l: usize) -> &Tensor {
        self.interactions[if self.config.shared_interaction { 0 } else { l }].as_tensor()
    }

    /// Every layer of neurons' expression matrix, input first.
    fn expressions(&self) -> candle_core::Result<Vec<Tensor>> {
        self.expression.iter().map(Expression::develop).collect()
    }

    /// `X_{l+1} O Xᵀ_l` for layer `l`, before the Kaiming factor.
    fn raw_weight(&self, xs: &[Tensor], l: usize) -> candle_core::Result<Tensor> {
        xs[l + 1].matmul(self.interaction(l))?.matmul(&xs[l].t()?)
    }

    /// `X_{l+1} O Xᵀ_l` for every layer, before the Kaiming factor.
    fn raw_weights(&self) -> candle_core::Result<Vec<Tensor>> {
        let xs = self.expressions()?;
        (0..self.config.spec.layers()).map(|l| self.raw_weight(&xs, l)).collect()
    }

    fn fixed_expression(&self) -> Vec<(String, Tensor)> {
        self.expression
            .iter()
            .enumerate()
            .filter_map(|(l, e)| match e {
                Expression::Fixed(t) => Some((format!("fixed.neurons{l}.x"), t.clone())),
                _ => None,
            })
            .collect()
    }
}

/// A GEM-family genome used as a layer of a larger Candle model: the developed network's output
/// for `x` (`(B, ...)`, flattened), computed through the genes ([`Genome::develop_forward`]) and
/// differentiable in the genome's variables ([`Genome::varmap`]).
impl candle_core::Module for GemNet {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.develop_forward(x)
    }
}

impl Genome for GemNet {
    type Phenotype = Mlp;

    fn encoding(&self) -> &'static str {
        self.config.kind.name()
    }

    fn config(&self) -> Result<serde_json::Value> {
        innate_encodings::genome::config_json(&self.config)
    }

    fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    fn fixed(&self) -> Vec<(String, Tensor)> {
        let mut f = self.fixed_expression();
        f.extend(self.biases.fixed_tensors(self.config.bias));
        f
    }

    fn params(&self) -> ParamCount {
        let g = self.config.genes;
        let expr_learned: usize = self.expression.iter().map(Expression::learned_params).sum();
        let expr_fixed: usize = self.expression.iter().map(Expression::fixed_params).sum();
        ParamCount {
            learned: expr_learned + self.interactions.len() * g * g + self.biases.learned,
            fixed: expr_fixed + self.biases.fixed,
            phenotype: self.config.spec.params(),
        }
    }

    fn develop(&self) -> candle_core::Result<Mlp> {
        let raw = self.raw_weights()?;
        Ok(Mlp {
            layers: raw
                .into_iter()
                .zip(&self.scales)
                .zip(&self.biases.layers)
                .map(|((w, &c), b)| Ok(Dense { weight: (w * c)?, bias: b.clone() }))
                .collect::<candle_core::Result<_>>()?,
        })
    }

    fn forward_through_genome(&self) -> bool {
        true
    }

    /// `x Wᵀ = c · ((x X_l) Oᵀ) X_{l+1}ᵀ` layer by layer, in whichever order costs fewer
    /// multiplications: through the `G` genes (never forming the weight matrix) when the layer is
    /// wide, or by forming `W` when the batch times the layer's fan-in is the smaller side (an
    /// SLP's 10 outputs with many genes). For ML-S-GEM's 784-784-10 MLP with 22 genes this skips
    /// the 784 x 784 matrix and its gradient, about 20 times less work per batch.
    fn develop_forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let xs = self.expressions()?;
        let mut h = x.flatten_from(1)?;
        let (layers, g, batch) = (self.config.spec.layers(), self.config.genes, h.dim(0)?);
        for l in 0..layers {
            let (n_in, n_out) = self.config.spec.layer(l);
            let c = self.scales[l];
            h = if through_genes(batch, n_in, n_out, g) {
                h.matmul(&xs[l])?
                    .matmul(&self.interaction(l).t()?)?
                    .matmul(&xs[l + 1].t()?)?
                    .affine(c, 0.0)?
            } else {
                h.matmul(&(self.raw_weight(&xs, l)? * c)?.t()?)?
            };
            if let Some(b) = &self.biases.layers[l] {
                h = h.broadcast_add(b)?;
            }
            if l + 1 < layers {
                h = h.relu()?;
            }
        }
        Ok(h)
    }
}

/// Whether a batch of `batch` inputs through a layer of `n_in` -> `n_out` neurons with `g` genes
/// costs fewer multiplications through the genes (`B·G·(Ni + G + No)`) than by forming the weight
/// matrix first (`No·G·(G + Ni) + B·Ni·No`).
pub(crate) fn through_genes(batch: usize, n_in: usize, n_out: usize, g: usize) -> bool {
    batch * g * (n_in + g + n_out) < n_out * g * (g + n_in) + batch * n_in * n_out
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Module};

    fn build(c: GemConfig) -> GemNet {
        GemNet::new(c, &Device::Cpu).unwrap()
    }

    #[test]
    fn gem_counts() {
        let slp = MlpSpec::slp(784, 10);
        for g in 1..=10 {
            // All learned: P = G(Ni + No + G).
            let all = build(GemConfig::gem(slp.clone(), g, true, 0));
            assert_eq!(all.params().learned, g * (784 + 10 + g));
            // Output expression fixed (Fig. 1): P = G(Ni + G) learned, No·G fixed (+ fixed biases).
            let fixed = build(GemConfig::gem(slp.clone(), g, false, 0));
            assert_eq!(fixed.params().learned, g * (784 + g));
            assert_eq!(fixed.params().fixed, 10 * g + 10);
            assert_eq!(fixed.params().learned + 10 * g, g * (784 + 10 + g));
        }
        // The paper's example: G = 3 encodes the SLP with 2,391 parameters.
        assert_eq!(build(GemConfig::gem(slp, 3, true, 0)).params().learned, 2_391);
    }

    #[test]
    fn sgem_and_mlsgem_counts() {
        for g in [1, 5, 9, 22, 30] {
            let s = build(GemConfig::sgem(MlpSpec::slp(784, 10), g, false, 0).unwrap());
            // Input fields 3G + O G²; the fixed output expression (10G) is not learned. The paper's
            // P = G(G + 6) for this SLP also counts 3G of fields for the output layer, which Fig. 2
            // keeps fixed and not spatial: the reports give sizes by both counts.
            assert_eq!(s.params().learned, g * (g + 3));
            assert_eq!(s.params().fixed, 10 * g + 10);
            let output = s.fixed().into_iter().find(|(n, _)| n == "fixed.neurons1.x").unwrap().1;
            assert_eq!(output.dims(), [10, g]);
            let m = build(GemConfig::mlsgem(MlpSpec::mlp(784, 784, 10), g, false, 0).unwrap());
            assert_eq!(m.params().learned, g * (g + 3 * 2));
            assert_eq!(m.params().phenotype, 622_496 + 794);
        }
        // Two hidden layers: three layers of gene fields, L = 3.
        let deep = MlpSpec::new(vec![784, 100, 64, 10], true).unwrap();
        let m = build(GemConfig::mlsgem(deep, 5, false, 0).unwrap());
        assert_eq!(m.params().learned, 5 * (5 + 3 * 3));
        // Without sharing, each layer has its own O.
        let s = build(GemConfig::sgem(MlpSpec::mlp(784, 784, 10), 4, false, 0).unwrap());
        assert_eq!(s.params().learned, 2 * 16 + 3 * 4 * 2);
    }

    #[test]
    fn developed_weights_have_the_kaiming_spread_and_the_factor_is_kept() -> Result<()> {
        let net = build(GemConfig::mlsgem(MlpSpec::mlp(784, 784, 10), 8, false, 3)?);
        let w = net.develop()?;
        for l in [0, 1] {
            let scale = innate_encodings::kaiming_scale(&w.layers[l].weight)?;
            assert!((scale - 1.0).abs() < 1e-3, "layer {l}: {scale}");
        }
        // Rebuilding from the stored configuration develops the same weights.
        let again = GemNet::from_config(&Genome::config(&net)?, &Device::Cpu)?;
        assert_eq!(again.config().scales, net.config().scales);
        let a = again.develop()?.layers[1].weight.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(a, w.layers[1].weight.flatten_all()?.to_vec1::<f32>()?);
        Ok(())
    }

    #[test]
    fn training_forward_matches_the_developed_network_with_its_gradients() -> Result<()> {
        // Wide layers go through the genes, an SLP with many genes forms W: both match develop().
        assert!(through_genes(64, 784, 784, 22) && !through_genes(64, 784, 10, 26));
        // ML-S-GEM with 26 genes goes through the genes into its hidden layer and forms W after it.
        assert!(through_genes(64, 784, 784, 26) && !through_genes(64, 784, 10, 26));
        let configs = [
            GemConfig::mlsgem(MlpSpec::mlp(784, 784, 10), 6, false, 1)?,
            GemConfig::mlsgem(MlpSpec::mlp(784, 784, 10), 26, false, 4)?,
            GemConfig::sgem(MlpSpec::slp(784, 10), 26, false, 2)?,
            GemConfig { bias: BiasMode::Learned, ..GemConfig::gem(MlpSpec::mlp(40, 30, 5), 3, true, 3) },
        ];
        for c in configs {
            let kind = c.kind;
            let net = build(c);
            let n = net.config().spec.sizes[0];
            let x = SeededInit::new(7, &Device::Cpu).normal(&[64, n], 0.0, 1.0)?;
            let (a, b) = (net.develop()?.forward(&x)?, net.develop_forward(&x)?);
            let diff = (&a - &b)?.abs()?.max_all()?.to_scalar::<f32>()?;
            let size = a.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff <= 1e-4 * size, "{kind:?}: outputs differ by {diff} (largest {size})");
            let (ga, gb) = (a.sqr()?.sum_all()?.backward()?, b.sqr()?.sum_all()?.backward()?);
            for v in net.varmap().all_vars() {
                let (p, q) = (ga.get(v.as_tensor()).unwrap(), gb.get(v.as_tensor()).unwrap());
                let diff = (p - q)?.abs()?.max_all()?.to_scalar::<f32>()?;
                let size = p.abs()?.max_all()?.to_scalar::<f32>()?;
                assert!(diff <= 1e-3 * size, "{kind:?}: gradients differ by {diff} (largest {size})");
            }
        }
        Ok(())
    }

    #[test]
    fn gradients_reach_every_genome_tensor() -> Result<()> {
        let configs = [
            GemConfig::gem(MlpSpec::slp(16, 3), 2, true, 0),
            GemConfig::sgem(MlpSpec::slp(16, 3), 2, false, 0)?,
            GemConfig::mlsgem(MlpSpec::mlp(16, 9, 3), 3, true, 0)?,
            GemConfig { bias: BiasMode::Learned, ..GemConfig::gem(MlpSpec::mlp(16, 9, 3), 2, false, 0) },
            GemConfig { bias: BiasMode::Learned, ..GemConfig::mlsgem(MlpSpec::mlp(16, 9, 3), 3, false, 0)? },
        ];
        for c in configs {
            let kind = c.kind;
            let net = build(c);
            let x = Tensor::ones((2, 16), DType::F32, &Device::Cpu)?;
            let loss = net.develop()?.forward(&x)?.sqr()?.sum_all()?;
            let grads = loss.backward()?;
            for v in net.varmap().all_vars() {
                let g = grads
                    .get(v.as_tensor())
                    .unwrap_or_else(|| panic!("{kind:?}: a genome tensor has no gradient"));
                assert!(g.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0, "{kind:?}");
            }
            let fixed_expr = net.config().expression.iter().filter(|e| **e == ExpressionSpec::Fixed).count();
            let fixed_biases =
                if net.config().bias == BiasMode::FixedRandom { net.config().spec.layers() } else { 0 };
            assert_eq!(net.fixed().len(), fixed_expr + fixed_biases, "{kind:?}");
        }
        Ok(())
    }

    #[test]
    fn input_fields_can_sit_on_the_image_grid() -> Result<()> {
        let c = GemConfig::sgem(MlpSpec::slp(12, 3), 2, false, 0)?;
        let wide = c.clone().with_input_grid(NeuronGrid::new(2, 6)?)?;
        assert!(
            matches!(wide.expression[0], ExpressionSpec::Gaussian { grid, .. } if grid == NeuronGrid::new(2, 6)?)
        );
        assert!(build(wide).develop().is_ok());
        assert!(c.with_input_grid(NeuronGrid::new(3, 5)?).is_err(), "15 positions for 12 inputs");
        let gem = GemConfig::gem(MlpSpec::slp(12, 3), 2, false, 0);
        assert!(gem.with_input_grid(NeuronGrid::new(3, 4)?).is_err(), "GEM has no gene fields");
        Ok(())
    }

    #[test]
    fn more_genes_than_neurons_is_an_error() {
        let slp = MlpSpec::slp(16, 4);
        assert!(GemNet::new(GemConfig::gem(slp.clone(), 16, false, 0), &Device::Cpu).is_ok());
        let e = GemNet::new(GemConfig::gem(slp, 17, false, 0), &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("17 genes") && e.contains("at most 16 genes"), "{e}");
    }

    #[test]
    fn bad_configurations_are_errors() {
        let mut c = GemConfig::gem(MlpSpec::slp(16, 3), 2, true, 0);
        c.expression.pop();
        assert!(GemNet::new(c, &Device::Cpu).is_err());
        let c = GemConfig::gem(MlpSpec::slp(16, 3), 0, true, 0);
        assert!(GemNet::new(c, &Device::Cpu).is_err());
        let mut c = GemConfig::gem(MlpSpec::slp(16, 3), 2, true, 0);
        c.scales = Some(vec![1.0, 2.0]);
        assert!(GemNet::new(c, &Device::Cpu).is_err());
    }
}
