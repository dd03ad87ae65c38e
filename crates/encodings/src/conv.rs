//! Convolutional phenotypes: networks of convolutions (weights shared across locations or not),
//! average pooling and linear layers.
//!
//! [`ConvGeometry`] (in `geometry.rs`) is one convolution's shape: an input of `C_in x H x W`,
//! square `k x k` kernels, a stride and zero padding, `C_out` output maps of `H_out x W_out`, so
//! `L = H_out W_out` receptive fields (locations) of `K = C_in k²` inputs each.
//!
//! A [`ConvNet`] runs its [`ConvLayer`]s in order:
//!
//! - [`ConvLayer::Conv`]: the classical convolution, one `(C_out, C_in, k, k)` kernel shared by
//!   every location (on the CPU [`crate::shared_conv`], elsewhere Candle's `conv2d`);
//! - [`ConvLayer::Local`]: a locally connected layer, a kernel of its own for every location:
//!   weights `(L, K, C_out)`, biases `(L, C_out)` (one per output neuron). The input's patches are
//!   gathered once per batch into `(L, B, K)` with one `index_select` (whose backward adds the
//!   gradients of overlapping windows back up) and multiplied by the weights in one batched matrix
//!   product: no loop over locations;
//! - [`ConvLayer::AvgPool`], [`ConvLayer::Relu`], [`ConvLayer::Flatten`] and
//!   [`ConvLayer::Dense`] (a [`Dense`] layer on the flattened activations).
//!
//! ```
//! use candle_core::{DType, Device, Module, Tensor};
//! use innate_encodings::conv::{ConvGeometry, ConvLayer, ConvNet};
//!
//! # fn main() -> innate_encodings::Result<()> {
//! let d = Device::Cpu;
//! // A 3x3 kernel of ones over a 1x4x4 image, without padding: 2x2 locations.
//! let g = ConvGeometry { in_channels: 1, height: 4, width: 4, kernel: 3, stride: 1, padding: 0, out_channels: 1 };
//! assert_eq!((g.out_height(), g.locations(), g.patch_len()), (2, 4, 9));
//! let shared = ConvLayer::Conv { weight: Tensor::ones((1, 1, 3, 3), DType::F32, &d)?, bias: None, stride: 1, padding: 0 };
//! // The same kernel at every location, unshared: (L, K, C_out).
//! let local = ConvLayer::local(g, Tensor::ones((4, 9, 1), DType::F32, &d)?, None, &d)?;
//! let x = Tensor::arange(0f32, 16.0, &d)?.reshape((1, 1, 4, 4))?;
//! let a = ConvNet { input: [1, 4, 4], layers: vec![shared] }.forward(&x)?;
//! let b = ConvNet { input: [1, 4, 4], layers: vec![local] }.forward(&x)?;
//! assert_eq!(a.flatten_all()?.to_vec1::<f32>()?, [45.0, 54.0, 81.0, 90.0]);
//! assert_eq!(a.flatten_all()?.to_vec1::<f32>()?, b.flatten_all()?.to_vec1::<f32>()?);
//! # Ok(()) }
//! ```

use candle_core::{Device, Module, Tensor};

use crate::error::Result;
use crate::parallel::for_each_chunk_mut;
use crate::phenotype::{Dense, Parameters};

pub use crate::geometry::ConvGeometry;

/// One layer of a [`ConvNet`].
#[derive(Debug, Clone)]
pub enum ConvLayer {
    /// A classical convolution: `weight` `(C_out, C_in, k, k)` shared by every location, `bias`
    /// `(C_out,)`.
    Conv {
        /// The kernels.
        weight: Tensor,
        /// One bias per output channel.
        bias: Option<Tensor>,
        /// Stride.
        stride: usize,
        /// Zero padding.
        padding: usize,
    },
    /// A locally connected layer: a kernel of its own per location.
    Local {
        /// The convolution's shape.
        geometry: ConvGeometry,
        /// `(L, K, C_out)`: location `l`'s kernel maps its `K` inputs to `C_out` outputs.
        weight: Tensor,
        /// `(L, C_out)`: one bias per output neuron.
        bias: Option<Tensor>,
        /// [`ConvGeometry::patch_indices`] on the weights' device, `(L K,)` `u32`.
        patches: Tensor,
    },
    /// Average pooling over `size x size` windows with stride `size`.
    AvgPool {
        /// The window's side.
        size: usize,
    },
    /// The mean of each map over its `H x W` locations: `(B, C, H, W)` to `(B, C)` (All-CNN-C's
    /// global average pooling, after which the maps are the class scores).
    GlobalAvgPool,
    /// Dropout while the network learns ([`Parameters::forward_train`]): each value is zeroed
    /// with probability `p` and the rest scaled by `1 / (1 - p)`; the identity otherwise.
    Dropout {
        /// The probability of dropping a value.
        p: f32,
    },
    /// Rectified linear units.
    Relu,
    /// Flattens `(B, C, H, W)` to `(B, C H W)`.
    Flatten,
    /// A linear layer.
    Dense(Dense),
}

impl ConvLayer {
    /// A locally connected layer, its patch indices built on `device`.
    pub fn local(
        geometry: ConvGeometry,
        weight: Tensor,
        bias: Option<Tensor>,
        device: &Device,
    ) -> Result<Self> {
        geometry.validate()?;
        let idx = geometry.patch_indices();
        let patches = Tensor::from_vec(idx, geometry.locations() * geometry.patch_len(), device)?;
        Ok(ConvLayer::Local { geometry, weight, bias, patches })
    }

    /// The layer's learned tensors, in order: weight, then bias.
    fn tensors(&self) -> Vec<&Tensor> {
        match self {
            ConvLayer::Conv { weight, bias, .. } | ConvLayer::Local { weight, bias, .. } => {
                std::iter::once(weight).chain(bias).collect()
            }
            ConvLayer::Dense(d) => std::iter::once(&d.weight).chain(&d.bias).collect(),
            _ => Vec::new(),
        }
    }
}

/// The patches of `x` `(B, C_in, H, W)` for `geometry`, as `(L, B, K)`: on the CPU one pass of
/// [`Im2Col`] (and its backward one pass adding the gradients of overlapping windows back up);
/// elsewhere a zero padding and an `index_select` with `patches` ([`ConvGeometry::patch_indices`]).
pub fn gather_patches(x: &Tensor, geometry: &ConvGeometry, patches: &Tensor) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == candle_core::DType::F32 {
        return x.contiguous()?.apply_op1(Im2Col { geometry: *geometry, batch: x.dim(0)? });
    }
    gather_by_index(x, geometry, patches)
}

/// [`gather_patches`] by zero padding and `index_select` (any device).
pub fn gather_by_index(x: &Tensor, geometry: &ConvGeometry, patches: &Tensor) -> candle_core::Result<Tensor> {
    let b = x.dim(0)?;
    let p = geometry.padding;
    let padded = if p > 0 { x.pad_with_zeros(2, p, p)?.pad_with_zeros(3, p, p)? } else { x.clone() };
    let flat = padded.flatten_from(1)?; // (B, C (H + 2p) (W + 2p))
    let (l, k) = (geometry.locations(), geometry.patch_len());
    flat.index_select(patches, 1)?.reshape((b, l, k))?.transpose(0, 1)?.contiguous()
}

/// The patches of a `(B, C_in, H, W)` input as `(L, B, K)`, zero where a window reaches into the
/// padding: a CPU custom op whose backward ([`Col2Im`]) adds each window's gradient back onto the
/// inputs it read.
#[derive(Debug, Clone, Copy)]
pub struct Im2Col {
    /// The convolution's shape.
    pub geometry: ConvGeometry,
    /// Examples in the batch.
    pub batch: usize,
}

/// The backward of [`Im2Col`]: `(L, B, K)` gradients summed onto a `(B, C_in, H, W)` input.
#[derive(Debug, Clone, Copy)]
pub struct Col2Im {
    /// The convolution's shape.
    pub geometry: ConvGeometry,
    /// Examples in the batch.
    pub batch: usize,
}

/// Calls `f(patches offset, input offset, n)` for every run of `n` patch entries that read `n`
/// consecutive inputs (one kernel row inside the input; entries in the padding are skipped and
/// stay zero), with offsets into the `(L, B, K)` patches and the `(B, C_in, H, W)` input.
fn for_each_run(
    g: &ConvGeometry,
    batch: usize,
    locations: std::ops::Range<usize>,
    images: std::ops::Range<usize>,
    mut f: impl FnMut(usize, usize, usize),
) {
    let (k, p, s) = (g.kernel, g.padding as isize, g.stride);
    let (h, w) = (g.height as isize, g.width as isize);
    let wo = g.out_width();
    let kk = g.patch_len();
    let image = g.in_channels * g.height * g.width;
    for l in locations {
        let (oy, ox) = (l / wo, l % wo);
        let x0 = (ox * s) as isize - p;
        // The kernel columns inside the input.
        let lo = (-x0).clamp(0, k as isize) as usize;
        let hi = (w - x0).clamp(0, k as isize) as usize;
        if lo >= hi {
            continue;
        }
        for b in images.clone() {
            let (out, inp) = ((l * batch + b) * kk, b * image);
            for c in 0..g.in_channels {
                for ky in 0..k {
                    let y = (oy * s + ky) as isize - p;
                    if y < 0 || y >= h {
                        continue;
                    }
                    let src = inp + (c * g.height + y as usize) * g.width + (x0 + lo as isize) as usize;
                    f(out + (c * k + ky) * k + lo, src, hi - lo);
                }
            }
        }
    }
}

fn contiguous_f32<'a>(
    s: &'a candle_core::CpuStorage,
    l: &candle_core::Layout,
    n: usize,
) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (candle_core::CpuStorage::F32(v), Some((a, b))) if b - a == n => Ok(&v[a..b]),
        _ => candle_core::bail!("im2col: expected {n} contiguous f32 values"),
    }
}

impl candle_core::CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "im2col"
    }

    fn cpu_fwd(
        &self,
        s: &candle_core::CpuStorage,
        l: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        let g = &self.geometry;
        let x = contiguous_f32(s, l, self.batch * g.in_channels * g.height * g.width)?;
        let (batch, kk) = (self.batch, g.patch_len());
        let mut out = vec![0f32; g.locations() * batch * kk];
        // Locations in parallel: each writes its own (B, K) block.
        for_each_chunk_mut(
            &mut out,
            batch * kk,
            || (),
            |_, l, block| {
                let at = l * batch * kk;
                for_each_run(g, batch, l..l + 1, 0..batch, |o, i, n| {
                    block[o - at..][..n].copy_from_slice(&x[i..i + n]);
                });
            },
        );
        let shape = candle_core::Shape::from((g.locations(), self.batch, g.patch_len()));
        Ok((candle_core::CpuStorage::F32(out), shape))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let col2im = Col2Im { geometry: self.geometry, batch: self.batch };
        Ok(Some(grad_res.contiguous()?.apply_op1(col2im)?))
    }
}

impl candle_core::CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "col2im"
    }

    fn cpu_fwd(
        &self,
        s: &candle_core::CpuStorage,
        l: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        let g = &self.geometry;
        let cols = contiguous_f32(s, l, g.locations() * self.batch * g.patch_len())?;
        let image = g.in_channels * g.height * g.width;
        let mut out = vec![0f32; self.batch * image];
        // Images in parallel: each sums its own windows, in the same order as one thread would.
        for_each_chunk_mut(
            &mut out,
            image,
            || (),
            |_, b, img| {
                for_each_run(g, self.batch, 0..g.locations(), b..b + 1, |o, i, n| {
                    for (dst, src) in img[i - b * image..][..n].iter_mut().zip(&cols[o..o + n]) {
                        *dst += src;
                    }
                });
            },
        );
        let shape = candle_core::Shape::from((self.batch, g.in_channels, g.height, g.width));
        Ok((candle_core::CpuStorage::F32(out), shape))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let im2col = Im2Col { geometry: self.geometry, batch: self.batch };
        Ok(Some(grad_res.contiguous()?.apply_op1(im2col)?))
    }
}

impl Module for ConvLayer {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            ConvLayer::Conv { weight, bias, stride, padding } => {
                crate::shared_conv::conv2d(x, weight, bias.as_ref(), *stride, *padding)
            }
            ConvLayer::Local { geometry: g, weight, bias, patches } => {
                let b = x.dim(0)?;
                let cols = gather_patches(x, g, patches)?; // (L, B, K)
                let mut y = cols.matmul(weight)?; // (L, B, C_out)
                if let Some(bias) = bias {
                    y = y.broadcast_add(&bias.unsqueeze(1)?)?;
                }
                // (L, B, C_out) -> (B, C_out, H_out, W_out)
                y.permute((1, 2, 0))?.reshape((b, g.out_channels, g.out_height(), g.out_width()))
            }
            ConvLayer::AvgPool { size } => crate::cpu_kernels::avg_pool2d(x, *size),
            ConvLayer::GlobalAvgPool => x.flatten_from(2)?.mean(2),
            ConvLayer::Dropout { .. } => Ok(x.clone()),
            ConvLayer::Relu => crate::cpu_kernels::relu(x),
            ConvLayer::Flatten => x.flatten_from(1),
            ConvLayer::Dense(d) => d.forward(x),
        }
    }
}

/// A developed convolutional network: its layers, run in order.
#[derive(Debug, Clone)]
pub struct ConvNet {
    /// The input's shape, `(channels, height, width)`.
    pub input: [usize; 3],
    /// The layers, input side first.
    pub layers: Vec<ConvLayer>,
}

impl ConvNet {
    /// Classes: the outputs of the last layer with weights (a linear layer, or the convolution
    /// whose maps a global average pooling turns into class scores; 0 without one).
    pub fn classes(&self) -> usize {
        self.layers
            .iter()
            .rev()
            .find_map(|l| match l {
                ConvLayer::Dense(d) => d.weight.dims().first().copied(),
                ConvLayer::Conv { weight, .. } => weight.dims().first().copied(),
                ConvLayer::Local { geometry, .. } => Some(geometry.out_channels),
                _ => None,
            })
            .unwrap_or(0)
    }
}

impl Module for ConvNet {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.layers.iter().try_fold(x.clone(), |h, layer| layer.forward(&h))
    }
}

/// `x` with each value zeroed with probability `p` (drawn from `rng`) and the rest scaled by
/// `1 / (1 - p)`.
pub fn dropout(x: &Tensor, p: f32, rng: &mut dyn rand::RngCore) -> candle_core::Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let keep = 1.0 - p;
    let scale = if keep > 0.0 { 1.0 / keep } else { 0.0 };
    let threshold = (f64::from(keep) * (u32::MAX as f64 + 1.0)) as u64;
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| if u64::from(rng.next_u32()) < threshold { scale } else { 0.0 })
        .collect();
    x.mul(&Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?)
}

impl Parameters for ConvNet {
    /// The layers in order, [`ConvLayer::Dropout`] dropping values.
    fn forward_train(&self, x: &Tensor, rng: &mut dyn rand::RngCore) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.layers {
            h = match layer {
                ConvLayer::Dropout { p } => dropout(&h, *p, rng)?,
                other => other.forward(&h)?,
            };
        }
        Ok(h)
    }

    /// `layer{i}.weight` and, where present, `layer{i}.bias` for every layer with tensors, `i`
    /// counting those layers from 0, input side first.
    fn parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().filter(|l| !l.tensors().is_empty()).enumerate() {
            let t = layer.tensors();
            out.push((format!("layer{i}.weight"), t[0].clone()));
            if let Some(b) = t.get(1) {
                out.push((format!("layer{i}.bias"), (*b).clone()));
            }
        }
        out
    }

    fn with_parameters(&self, tensors: Vec<Tensor>) -> candle_core::Result<Self> {
        let mut it = tensors.into_iter();
        let mut next =
            || it.next().ok_or_else(|| candle_core::Error::Msg("too few tensors for the network".into()));
        let mut layers = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            layers.push(match layer {
                ConvLayer::Conv { bias, stride, padding, .. } => ConvLayer::Conv {
                    weight: next()?,
                    bias: if bias.is_some() { Some(next()?) } else { None },
                    stride: *stride,
                    padding: *padding,
                },
                ConvLayer::Local { geometry, bias, patches, .. } => ConvLayer::Local {
                    geometry: *geometry,
                    weight: next()?,
                    bias: if bias.is_some() { Some(next()?) } else { None },
                    patches: patches.clone(),
                },
                ConvLayer::Dense(d) => ConvLayer::Dense(Dense {
                    weight: next()?,
                    bias: if d.bias.is_some() { Some(next()?) } else { None },
                }),
                other => other.clone(),
            });
        }
        if it.next().is_some() {
            return Err(candle_core::Error::Msg("too many tensors for the network".into()));
        }
        Ok(ConvNet { input: self.input, layers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Var};

    #[test]
    fn a_local_layer_with_tied_kernels_is_the_convolution_and_backpropagates_into_every_window() -> Result<()>
    {
        let d = Device::Cpu;
        // Candle's conv2d backward mishandles strided inputs whose height and width leave different
        // remainders (a 6x5 input gets a 6x6 gradient), so this one is 7x5.
        let g = ConvGeometry {
            in_channels: 2,
            height: 7,
            width: 5,
            kernel: 3,
            stride: 2,
            padding: 1,
            out_channels: 3,
        };
        g.validate()?;
        assert_eq!((g.out_height(), g.out_width(), g.patch_len()), (4, 3, 18));
        let kernel = Tensor::randn(0f32, 1.0, (3, 2, 3, 3), &d)?;
        let bias = Tensor::randn(0f32, 1.0, 3, &d)?;
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (4, 2, 7, 5), &d)?)?;
        let conv =
            ConvLayer::Conv { weight: kernel.clone(), bias: Some(bias.clone()), stride: 2, padding: 1 };
        // The shared kernel as every location's (K, C_out) matrix.
        let w = kernel.reshape((3, 18))?.t()?.unsqueeze(0)?.repeat((12, 1, 1))?;
        let local = ConvLayer::local(g, w, Some(bias.unsqueeze(0)?.repeat((12, 1))?), &d)?;
        let (a, b) = (conv.forward(x.as_tensor())?, local.forward(x.as_tensor())?);
        assert_eq!(a.dims(), b.dims());
        let diff = (&a - &b)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "{diff}");
        // Gradients with respect to the input agree too: overlapping windows add up.
        let ga = a.sqr()?.sum_all()?.backward()?.get(&x).cloned().unwrap();
        let gb = b.sqr()?.sum_all()?.backward()?.get(&x).cloned().unwrap();
        let diff = (&ga - &gb)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-4, "{diff}");
        Ok(())
    }

    #[test]
    fn the_cpu_patch_op_is_the_index_gather_forward_and_backward() -> Result<()> {
        let d = Device::Cpu;
        for g in [
            ConvGeometry {
                in_channels: 3,
                height: 7,
                width: 6,
                kernel: 3,
                stride: 2,
                padding: 1,
                out_channels: 1,
            },
            ConvGeometry {
                in_channels: 1,
                height: 28,
                width: 28,
                kernel: 5,
                stride: 1,
                padding: 2,
                out_channels: 1,
            },
        ] {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, g.in_channels, g.height, g.width), &d)?)?;
            let idx = Tensor::from_vec(g.patch_indices(), g.locations() * g.patch_len(), &d)?;
            let a = gather_patches(x.as_tensor(), &g, &idx)?;
            let b = gather_by_index(x.as_tensor(), &g, &idx)?;
            assert_eq!(a.dims(), b.dims());
            assert_eq!(a.flatten_all()?.to_vec1::<f32>()?, b.flatten_all()?.to_vec1::<f32>()?);
            let weights = Tensor::randn(0f32, 1.0, a.dims(), &d)?;
            let ga = (&a * &weights)?.sum_all()?.backward()?.get(&x).cloned().unwrap();
            let gb = (&b * &weights)?.sum_all()?.backward()?.get(&x).cloned().unwrap();
            let diff = (ga - gb)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-5, "{diff}");
        }
        Ok(())
    }

    #[test]
    fn networks_list_and_replace_their_tensors() -> Result<()> {
        let d = Device::Cpu;
        let g = ConvGeometry {
            in_channels: 1,
            height: 4,
            width: 4,
            kernel: 3,
            stride: 1,
            padding: 0,
            out_channels: 2,
        };
        let net = ConvNet {
            input: [1, 4, 4],
            layers: vec![
                ConvLayer::local(
                    g,
                    Tensor::zeros((4, 9, 2), DType::F32, &d)?,
                    Some(Tensor::zeros((4, 2), DType::F32, &d)?),
                    &d,
                )?,
                ConvLayer::Relu,
                ConvLayer::AvgPool { size: 2 },
                ConvLayer::Flatten,
                ConvLayer::Dense(Dense { weight: Tensor::zeros((3, 2), DType::F32, &d)?, bias: None }),
            ],
        };
        let names: Vec<String> = net.parameters().into_iter().map(|p| p.0).collect();
        assert_eq!(names, ["layer0.weight", "layer0.bias", "layer1.weight"]);
        let ones: Vec<Tensor> =
            net.parameters().iter().map(|(_, t)| t.ones_like()).collect::<candle_core::Result<_>>()?;
        let again = net.with_parameters(ones)?;
        let y = again.forward(&Tensor::ones((5, 1, 4, 4), DType::F32, &d)?)?;
        // Each location sums 9 ones plus a bias of one: 10; pooled, 10; the dense layer adds two: 20.
        assert_eq!(y.to_vec2::<f32>()?[0], [20.0, 20.0, 20.0]);
        assert!(net.with_parameters(vec![]).is_err());
        assert_eq!(net.classes(), 3);
        let bad = ConvGeometry { kernel: 7, ..g };
        assert!(bad.validate().is_err());
        Ok(())
    }
}
