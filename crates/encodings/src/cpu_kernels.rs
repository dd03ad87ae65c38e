//! ReLU and average pooling for convolutional networks on the CPU, each one pass forward and one
//! backward on Candle's CPU threads ([`crate::parallel`]).
//!
//! Candle's generic versions cost several passes and allocations each: its ReLU's backward is a
//! comparison, a conversion and a product, and its average pooling runs on one thread, with a
//! nearest-neighbour upsampling and a scaling for its backward. In LeNet-5 trained on the CPU
//! they took a fifth of each step. Elsewhere (another device or dtype) these fall back to Candle's.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use innate_encodings::cpu_kernels::{avg_pool2d, relu};
//!
//! # fn main() -> candle_core::Result<()> {
//! let x = Tensor::new(&[[[[1f32, -2.], [3., 6.]]]], &Device::Cpu)?;
//! assert_eq!(relu(&x)?.flatten_all()?.to_vec1::<f32>()?, [1., 0., 3., 6.]);
//! assert_eq!(avg_pool2d(&x, 2)?.flatten_all()?.to_vec1::<f32>()?, [2.]);
//! # Ok(()) }
//! ```

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use crate::parallel::for_each_chunk_mut;

/// Elements per parallel task of an element-wise pass.
const CHUNK: usize = 1 << 14;

fn on_cpu(x: &Tensor) -> bool {
    x.device().is_cpu() && x.dtype() == candle_core::DType::F32
}

/// The `f32` values of a contiguous CPU storage.
pub(crate) fn values<'a>(s: &'a CpuStorage, l: &Layout) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => candle_core::bail!("expected contiguous f32 values"),
    }
}

/// The values of a CPU tensor, made contiguous first if need be, passed to `f`.
pub(crate) fn with_values<R>(
    t: &Tensor,
    f: impl FnOnce(&[f32]) -> candle_core::Result<R>,
) -> candle_core::Result<R> {
    let t = t.contiguous()?;
    let (s, l) = t.storage_and_layout();
    match &*s {
        candle_core::Storage::Cpu(s) => f(values(s, l)?),
        _ => candle_core::bail!("expected a CPU tensor"),
    }
}

/// `max(x, 0)`.
pub fn relu(x: &Tensor) -> candle_core::Result<Tensor> {
    if on_cpu(x) { x.contiguous()?.apply_op1(Relu) } else { x.relu() }
}

/// Non-overlapping `size x size` average pooling of `(B, C, H, W)`, as Candle's `avg_pool2d`
/// (rows and columns beyond the last whole window are dropped).
pub fn avg_pool2d(x: &Tensor, size: usize) -> candle_core::Result<Tensor> {
    if on_cpu(x) && size > 0 { x.contiguous()?.apply_op1(AvgPool { size }) } else { x.avg_pool2d(size) }
}

/// ReLU as a custom op whose backward passes the gradient where the output is positive.
#[derive(Debug, Clone, Copy)]
pub struct Relu;

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = values(s, l)?;
        let mut y = vec![0f32; x.len()];
        for_each_chunk_mut(
            &mut y,
            CHUNK,
            || (),
            |_, i, y| {
                for (y, x) in y.iter_mut().zip(&x[i * CHUNK..]) {
                    *y = x.max(0.0);
                }
            },
        );
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let dx = with_values(res, |y| {
            with_values(grad, |g| {
                let mut dx = vec![0f32; g.len()];
                for_each_chunk_mut(
                    &mut dx,
                    CHUNK,
                    || (),
                    |_, i, dx| {
                        for ((d, y), g) in dx.iter_mut().zip(&y[i * CHUNK..]).zip(&g[i * CHUNK..]) {
                            *d = if *y > 0.0 { *g } else { 0.0 };
                        }
                    },
                );
                Ok(dx)
            })
        })?;
        Ok(Some(Tensor::from_vec(dx, res.shape(), res.device())?))
    }
}

/// Average pooling as a custom op whose backward spreads each window's gradient evenly.
#[derive(Debug, Clone, Copy)]
pub struct AvgPool {
    /// The window's side (and stride).
    pub size: usize,
}

impl AvgPool {
    /// `(planes, H, W, H_out, W_out)` of a `(B, C, H, W)` shape.
    fn sizes(&self, dims: &[usize]) -> candle_core::Result<(usize, usize, usize, usize, usize)> {
        let [b, c, h, w] = dims else {
            candle_core::bail!("avg_pool2d: expected (B, C, H, W), got {dims:?}")
        };
        Ok((b * c, *h, *w, h / self.size, w / self.size))
    }
}

impl CustomOp1 for AvgPool {
    fn name(&self) -> &'static str {
        "avg-pool2d"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = values(s, l)?;
        let (planes, h, w, ho, wo) = self.sizes(l.dims())?;
        let k = self.size;
        let scale = 1.0 / (k * k) as f32;
        let mut y = vec![0f32; planes * ho * wo];
        if ho * wo > 0 {
            for_each_chunk_mut(
                &mut y,
                ho * wo,
                || (),
                |_, plane, y| {
                    let x = &x[plane * h * w..][..h * w];
                    for oy in 0..ho {
                        let out = &mut y[oy * wo..][..wo];
                        for ky in 0..k {
                            let row = &x[(oy * k + ky) * w..][..wo * k];
                            for (o, win) in out.iter_mut().zip(row.chunks_exact(k)) {
                                *o += win.iter().sum::<f32>();
                            }
                        }
                        out.iter_mut().for_each(|o| *o *= scale);
                    }
                },
            );
        }
        let d = l.dims();
        Ok((CpuStorage::F32(y), Shape::from((d[0], d[1], ho, wo))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let (planes, h, w, ho, wo) = self.sizes(arg.dims())?;
        let k = self.size;
        let scale = 1.0 / (k * k) as f32;
        let dx = with_values(grad, |g| {
            let mut dx = vec![0f32; planes * h * w];
            if ho * wo > 0 {
                for_each_chunk_mut(
                    &mut dx,
                    h * w,
                    || (),
                    |_, plane, dx| {
                        let g = &g[plane * ho * wo..][..ho * wo];
                        for oy in 0..ho {
                            let grads = &g[oy * wo..][..wo];
                            for ky in 0..k {
                                let row = &mut dx[(oy * k + ky) * w..][..wo * k];
                                for (win, g) in row.chunks_exact_mut(k).zip(grads) {
                                    win.fill(g * scale);
                                }
                            }
                        }
                    },
                );
            }
            Ok(dx)
        })?;
        Ok(Some(Tensor::from_vec(dx, arg.shape(), arg.device())?))
    }
}

/// `Σ t ⊙ g` for a fixed `g` of the same shape, one pass without an intermediate product: its
/// gradient in `t` is `g` (times the incoming scalar). What [`crate::Mlp::surrogate_loss`] adds
/// up on the CPU: as Candle operations a product, a sum, and backward a broadcast and a second
/// product, each a pass over the developed weights.
pub(crate) struct DotFixed(pub(crate) Tensor);

impl candle_core::CustomOp1 for DotFixed {
    fn name(&self) -> &'static str {
        "dot-fixed"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, candle_core::Shape)> {
        let t = values(s, l)?;
        let dot = with_values(&self.0, |g| {
            if g.len() != t.len() {
                candle_core::bail!("dot-fixed: {} values against {}", t.len(), g.len());
            }
            Ok(t.iter().zip(g).map(|(&a, &b)| a * b).sum::<f32>())
        })?;
        Ok((CpuStorage::F32(vec![dot]), candle_core::Shape::from(())))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let g = self.0.reshape(arg.shape())?;
        // A surrogate's terms are summed into the loss: their incoming gradient is 1.
        if grad.to_scalar::<f32>()? == 1.0 { Ok(Some(g)) } else { Ok(Some(g.broadcast_mul(grad)?)) }
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    /// Values and gradients equal Candle's, including inputs whose sides are not multiples of the
    /// window.
    #[test]
    fn equal_candles_relu_and_avg_pool_forward_and_backward() -> candle_core::Result<()> {
        let d = Device::Cpu;
        for dims in [(2, 3, 8, 8), (1, 2, 7, 5), (3, 1, 28, 28)] {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1., dims, &d)?)?;
            // Candle's pooling of the rows and columns inside whole windows (past them, its
            // upsampling backward misplaces the gradient).
            let (h, w) = (dims.2 / 2 * 2, dims.3 / 2 * 2);
            let inside = |t: &Tensor| t.narrow(2, 0, h)?.narrow(3, 0, w);
            let cropped = Var::from_tensor(&inside(&x)?.contiguous()?)?;
            let ours = avg_pool2d(&relu(&x)?, 2)?;
            let theirs = cropped.relu()?.avg_pool2d(2)?;
            let diff = |a: &Tensor, b: &Tensor| -> candle_core::Result<f32> {
                (a - b)?.abs()?.max_all()?.to_scalar::<f32>()
            };
            assert!(diff(&ours, &theirs)? < 1e-6, "{dims:?}");
            let weights = Tensor::randn(0f32, 1., ours.shape(), &d)?;
            let g1 = (ours * &weights)?.sum_all()?.backward()?;
            let g2 = (theirs * &weights)?.sum_all()?.backward()?;
            let (ours, theirs) = (g1.get(&x).unwrap(), g2.get(&cropped).unwrap());
            assert!(diff(&inside(ours)?, theirs)? < 1e-6, "{dims:?}");
            // The dropped rows and columns get no gradient.
            let total = ours.abs()?.sum_all()?.to_scalar::<f32>()?;
            assert!((total - inside(ours)?.abs()?.sum_all()?.to_scalar::<f32>()?).abs() < 1e-5, "{dims:?}");
        }
        Ok(())
    }
}
