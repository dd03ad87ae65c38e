//! A g-network: a small MLP with ReLU that maps neuron labels to one number (a weight or a bias).

use candle_core::{Module, Tensor, Var};
use candle_nn::VarMap;

use innate_encodings::init::register;
use innate_encodings::{GenomeError, Result, SeededInit};

/// A small fully connected network `sizes[0] -> ... -> 1`, ReLU between layers, none at the end,
/// initialised as PyTorch's `nn.Linear` (uniform in `±1/sqrt(fan_in)`).
#[derive(Debug, Clone)]
pub struct GNet {
    layers: Vec<(Var, Var)>,
}

impl GNet {
    /// A g-network with layer sizes `sizes` (input first, output last and 1), its tensors
    /// registered in `varmap` as `{prefix}.{i}.weight` / `{prefix}.{i}.bias`.
    pub fn new(sizes: &[usize], prefix: &str, varmap: &VarMap, init: &mut SeededInit) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) || sizes.last() != Some(&1) {
            return Err(GenomeError::Config(format!(
                "a g-network needs an input, optional hidden layers and one output, got {sizes:?}"
            )));
        }
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (i, w) in sizes.windows(2).enumerate() {
            let (n_in, n_out) = (w[0], w[1]);
            let weight = register(
                varmap,
                &format!("{prefix}.{i}.weight"),
                init.linear_default(&[n_out, n_in], n_in)?,
            )?;
            let bias = register(varmap, &format!("{prefix}.{i}.bias"), init.linear_default(&[n_out], n_in)?)?;
            layers.push((weight, bias));
        }
        Ok(Self { layers })
    }

    /// Number of parameters: `sum(in·out + out)`.
    pub fn params(sizes: &[usize]) -> usize {
        sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |(w, _)| w.dims()[1])
    }

    /// The first layer's weight `(H, inputs)` and bias `(H,)`: a network whose inputs are
    /// concatenations of a few labels can apply it to each label apart and add
    /// ([`GNet::forward_from_first`]).
    pub fn first(&self) -> (&Tensor, &Tensor) {
        let (w, b) = &self.layers[0];
        (w.as_tensor(), b.as_tensor())
    }

    /// `(N,)` values from the first layer's outputs `h` `(N, H)` (before its ReLU): the rest of
    /// the network. `forward_from_first(x Wᵀ + b)` is `forward(x)`.
    pub fn forward_from_first(&self, h: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = h.clone();
        for (w, b) in &self.layers[1..] {
            h = h.relu()?.matmul(&w.as_tensor().t()?)?.broadcast_add(b.as_tensor())?;
        }
        h.squeeze(1)
    }
}

impl Module for GNet {
    /// `(N, inputs)` labels to `(N,)` values.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        let last = self.layers.len() - 1;
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h.matmul(&w.as_tensor().t()?)?.broadcast_add(b.as_tensor())?;
            if i < last {
                h = h.relu()?;
            }
        }
        h.squeeze(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    #[test]
    fn sizes_and_counts_from_the_paper() {
        // Reference notes: (20-30-10-1) has 951 parameters, (20-20-10-1) 641, (20-10-5-1) 271, 10-5-1 61.
        assert_eq!(GNet::params(&[20, 30, 10, 1]), 951);
        assert_eq!(GNet::params(&[20, 20, 10, 1]), 641);
        assert_eq!(GNet::params(&[20, 10, 5, 1]), 271);
        assert_eq!(GNet::params(&[10, 5, 1]), 61);
    }

    #[test]
    fn forward_shape_and_bad_sizes() -> Result<()> {
        let vm = VarMap::new();
        let mut init = SeededInit::new(0, &Device::Cpu);
        let g = GNet::new(&[4, 3, 1], "g", &vm, &mut init)?;
        assert_eq!(g.inputs(), 4);
        let y = g.forward(&Tensor::ones((7, 4), DType::F32, &Device::Cpu)?)?;
        assert_eq!(y.dims(), &[7]);
        assert_eq!(vm.all_vars().iter().map(|v| v.elem_count()).sum::<usize>(), GNet::params(&[4, 3, 1]));
        assert!(GNet::new(&[4, 3, 2], "h", &vm, &mut init).is_err());
        assert!(GNet::new(&[4], "i", &vm, &mut init).is_err());
        Ok(())
    }
}
