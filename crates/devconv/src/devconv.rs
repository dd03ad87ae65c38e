//! The developmental convolutional layer: no weight is shared between locations; each receptive
//! field's kernel develops from the gene identities of the neurons it connects.
//!
//! For a convolution of shape [`ConvGeometry`] (`L` receptive fields of `K = C_in k²` inputs,
//! `C_out` maps), let `X_r` `(K, G)` be the identities of receptive field `r`'s input neurons (zero
//! for padding) and `Y_r` `(C_out, G)` those of the output neurons at `r` (one per map). With the
//! gene interaction matrix `O` `(G, G)`, the kernel of `r` is
//!
//! ```text
//! W_r = Y_r O X_rᵀ    (C_out, K),   r = 1, ..., L
//! ```
//!
//! computed for all `r` at once: one product `(L C_out, G) x (G, G)` and one batched product
//! `(L, K, G) x (L, G, C_out)`, giving the locally connected layer's `(L, K, C_out)` weights
//! ([`innate_encodings::conv::ConvLayer::Local`]). The identities are gathered as the
//! activations are, each gene a channel-image of the input grid
//! ([`innate_encodings::conv::gather_patches`]), differentiably in the identities (and so in the
//! gene fields that produced them).
//!
//! [`DevConvLayer`] is the layer as a Candle [`Module`]: gene fields for its input and output
//! neurons, `O`, per-map biases, developing its kernels on every call.
//!
//! ```
//! use candle_core::{DType, Device, Module, Tensor};
//! use candle_nn::VarMap;
//! use innate_devconv::devconv::DevConvLayer;
//! use innate_encodings::SeededInit;
//! use innate_encodings::conv::ConvGeometry;
//!
//! # fn main() -> innate_encodings::Result<()> {
//! let g = ConvGeometry { in_channels: 1, height: 28, width: 28, kernel: 5, stride: 1, padding: 2, out_channels: 6 };
//! let vm = VarMap::new();
//! let layer = DevConvLayer::new(g, 16, "conv1", &vm, &mut SeededInit::new(0, &Device::Cpu))?;
//! let y = layer.forward(&Tensor::ones((2, 1, 28, 28), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[2, 6, 28, 28]);
//! // Fields for the input and output neurons (6 per gene each), O, and a bias per map.
//! assert_eq!(layer.params(), 2 * 6 * 16 + 16 * 16 + 6);
//! # Ok(()) }
//! ```

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::VarMap;
use innate_encodings::conv::{ConvGeometry, ConvLayer, gather_patches};
use innate_encodings::init::register;
use innate_encodings::{Result, SeededInit};

use crate::fields::{GeneFields3d, Grid3};

/// Develops the kernels of one developmental convolution from identities (see the module docs).
#[derive(Debug, Clone)]
pub struct DevConv {
    geometry: ConvGeometry,
    /// Patch indices into the zero-padded input grid, `(L K,)` `u32` (used off the CPU).
    patches: Tensor,
}

impl DevConv {
    /// The developing part of a convolution of shape `geometry`.
    pub fn new(geometry: ConvGeometry, device: &Device) -> Result<Self> {
        geometry.validate()?;
        let n = geometry.locations() * geometry.patch_len();
        Ok(Self { geometry, patches: Tensor::from_vec(geometry.patch_indices(), n, device)? })
    }

    /// The convolution's shape.
    pub fn geometry(&self) -> ConvGeometry {
        self.geometry
    }

    /// The input neurons' grid.
    pub fn input_grid(&self) -> Result<Grid3> {
        Grid3::new(self.geometry.in_channels, self.geometry.height, self.geometry.width)
    }

    /// The output neurons' grid.
    pub fn output_grid(&self) -> Result<Grid3> {
        Grid3::new(self.geometry.out_channels, self.geometry.out_height(), self.geometry.out_width())
    }

    /// The kernels `(L, K, C_out)` from the input identities `(C_in H W, G)`, the output
    /// identities `(C_out L, G)` and `O` `(G, G)`.
    pub fn weights(&self, input: &Tensor, output: &Tensor, o: &Tensor) -> candle_core::Result<Tensor> {
        let g = &self.geometry;
        let genes = o.dim(0)?;
        let (l, c_out) = (g.locations(), g.out_channels);
        // X_r: the input grid's identities gathered per receptive field as the activations are,
        // each gene a channel-image of the grid: (G, C_in, H, W) -> (L, G, K) -> (L, K, G).
        let as_images = input.t()?.reshape((genes, g.in_channels, g.height, g.width))?;
        let x = gather_patches(&as_images, g, &self.patches)?.transpose(1, 2)?;
        // Y_r O: (C_out, L, G) -> (L C_out, G) x (G, G) -> (L, G, C_out).
        let y =
            output.reshape((c_out, l, genes))?.transpose(0, 1)?.contiguous()?.reshape((l * c_out, genes))?;
        let yo = y.matmul(o)?.reshape((l, c_out, genes))?.transpose(1, 2)?.contiguous()?;
        // W_rᵀ = X_r (Y_r O)ᵀ: (L, K, C_out).
        x.matmul(&yo)
    }

    /// The locally connected layer with kernels `weights` (`(L, K, C_out)`) and biases
    /// `bias` (`(L, C_out)`), sharing this layer's patch indices.
    pub fn layer(&self, weights: Tensor, bias: Option<Tensor>) -> ConvLayer {
        ConvLayer::Local { geometry: self.geometry, weight: weights, bias, patches: self.patches.clone() }
    }
}

/// The factor that gives kernels `w` (`(L, K, C_out)`, `K` inputs each) the second moment of a
/// Kaiming-normal layer, `sqrt(2 / K) / rms(w)`; 1 for zero kernels. The root mean square, not
/// the standard deviation: developed from positive gene identities, kernels can have a mean far
/// from zero, which a scale by the spread alone would leave to blow the activations up.
pub fn kaiming_scale(w: &Tensor) -> Result<f64> {
    let fan_in = w.dims().get(1).copied().unwrap_or(1);
    let v: Vec<f32> = w.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?;
    let n = v.len().max(1) as f64;
    let rms = (v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / n).sqrt();
    Ok(if rms > 0.0 && rms.is_finite() { (2.0 / fan_in.max(1) as f64).sqrt() / rms } else { 1.0 })
}

/// A developmental convolutional layer as a [`Module`] (see the module docs).
#[derive(Debug, Clone)]
pub struct DevConvLayer {
    conv: DevConv,
    input: GeneFields3d,
    output: GeneFields3d,
    o: Var,
    bias: Var,
    scale: f64,
    genes: usize,
}

impl DevConvLayer {
    /// A layer of shape `geometry` with `genes` genes, its tensors registered in `varmap` under
    /// `{prefix}.*` and drawn from `init`; its kernels start with the spread of a Kaiming-normal
    /// layer.
    pub fn new(
        geometry: ConvGeometry,
        genes: usize,
        prefix: &str,
        varmap: &VarMap,
        init: &mut SeededInit,
    ) -> Result<Self> {
        let conv = DevConv::new(geometry, init.device())?;
        let input = GeneFields3d::new(conv.input_grid()?, genes, &format!("{prefix}.input"), varmap, init)?;
        let output =
            GeneFields3d::new(conv.output_grid()?, genes, &format!("{prefix}.output"), varmap, init)?;
        let o = register(varmap, &format!("{prefix}.o"), init.normal(&[genes, genes], 0.0, 1.0)?)?;
        let bias = register(
            varmap,
            &format!("{prefix}.bias"),
            init.linear_default(&[geometry.out_channels], geometry.patch_len())?,
        )?;
        let raw = conv.weights(&input.expression()?, &output.expression()?, o.as_tensor())?;
        let scale = kaiming_scale(&raw)?;
        Ok(Self { conv, input, output, o, bias, scale, genes })
    }

    /// Learned parameters: two sets of fields, `O` and a bias per map.
    pub fn params(&self) -> usize {
        2 * GeneFields3d::params(self.genes) + self.genes * self.genes + self.conv.geometry.out_channels
    }

    /// The developed kernels `(L, K, C_out)`.
    pub fn kernels(&self) -> candle_core::Result<Tensor> {
        self.conv.weights(&self.input.expression()?, &self.output.expression()?, self.o.as_tensor())?
            * self.scale
    }
}

impl Module for DevConvLayer {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let l = self.conv.geometry.locations();
        let bias = self.bias.as_tensor().unsqueeze(0)?.repeat((l, 1))?;
        self.conv.layer(self.kernels()?, Some(bias)).forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kernel_is_y_o_x_of_its_receptive_field() -> Result<()> {
        let d = Device::Cpu;
        let g = ConvGeometry {
            in_channels: 2,
            height: 4,
            width: 3,
            kernel: 3,
            stride: 1,
            padding: 1,
            out_channels: 2,
        };
        let conv = DevConv::new(g, &d)?;
        let genes = 3;
        let mut init = SeededInit::new(2, &d);
        let x = init.normal(&[2 * 4 * 3, genes], 0.0, 1.0)?;
        let y = init.normal(&[g.outputs(), genes], 0.0, 1.0)?;
        let o = init.normal(&[genes, genes], 0.0, 1.0)?;
        let w = conv.weights(&x, &y, &o)?.to_vec3::<f32>()?;
        let (xv, yv, ov) = (x.to_vec2::<f32>()?, y.to_vec2::<f32>()?, o.to_vec2::<f32>()?);
        // Location r = (oy, ox), patch entry (c, ky, kx) reads input (c, oy + ky - 1, ox + kx - 1).
        for (r, (oy, ox)) in (0..4).flat_map(|a| (0..3).map(move |b| (a, b))).enumerate() {
            for c in 0..2 {
                for ky in 0..3 {
                    for kx in 0..3 {
                        let (iy, ix) = (oy as isize + ky as isize - 1, ox as isize + kx as isize - 1);
                        let j = c * 9 + ky * 3 + kx;
                        for co in 0..2 {
                            let want = if iy < 0 || ix < 0 || iy >= 4 || ix >= 3 {
                                0.0
                            } else {
                                let n = c * 12 + iy as usize * 3 + ix as usize;
                                let yrow = &yv[co * 12 + r];
                                (0..genes)
                                    .map(|a| (0..genes).map(|b| yrow[a] * ov[a][b] * xv[n][b]).sum::<f32>())
                                    .sum::<f32>()
                            };
                            assert!(
                                (w[r][j][co] - want).abs() < 1e-4,
                                "r {r} j {j} co {co}: {} vs {want}",
                                w[r][j][co]
                            );
                        }
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_layer_starts_with_kaiming_second_moment_and_backpropagates_into_every_gene_tensor() -> Result<()> {
        let d = Device::Cpu;
        let g = ConvGeometry {
            in_channels: 3,
            height: 8,
            width: 8,
            kernel: 3,
            stride: 1,
            padding: 0,
            out_channels: 4,
        };
        let vm = VarMap::new();
        let layer = DevConvLayer::new(g, 5, "c", &vm, &mut SeededInit::new(0, &d))?;
        let w = layer.kernels()?;
        assert!((kaiming_scale(&w)? - 1.0).abs() < 1e-3);
        let x = Tensor::randn(0f32, 1.0, (2, 3, 8, 8), &d)?;
        let grads = layer.forward(&x)?.sqr()?.sum_all()?.backward()?;
        let vars = vm.all_vars();
        assert_eq!(vars.len(), 6);
        for v in vars {
            let gv = grads.get(&v).expect("a gradient for every genome tensor");
            assert!(gv.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0);
        }
        assert_eq!(layer.params(), vm.all_vars().iter().map(|v| v.elem_count()).sum::<usize>());
        Ok(())
    }
}
