//! A classical (weight-shared) 2-D convolution on the CPU as one Candle custom op,
//! [`SharedConv`], forward and backward, in the layout a convolution's data already has.
//!
//! For each image the input's patches are laid out as `cols (K, L)` (`K = C_in k²` kernel
//! entries by `L` output positions; each row a shifted copy of input rows, zero in the padding),
//! and
//!
//! ```text
//! y_b = W cols_b + bias          (C_out, L), the (C_out, H_out, W_out) output as it is stored
//! dW  = sum_b dy_b cols_bᵀ       (C_out, K)
//! db  = sum_b sum_l dy_b         (C_out)
//! dx_b = col2im(Wᵀ dy_b)         (C_in, H, W), adding overlapping windows back up
//! ```
//!
//! one small matrix product per image, images in parallel on Candle's CPU threads
//! ([`crate::parallel`]). Against
//! [`crate::conv::Im2Col`] with one product over the whole batch, this skips the `(L B, K)`
//! patch matrix of the whole batch, the transposition of the output to `(B, C_out, H, W)` and
//! back in the backward pass, the broadcast bias and its reduction, and the input gradient when
//! the input is data. Sums over images run in fixed blocks of [`IMAGES_PER_BLOCK`], added in
//! order, so the result does not depend on the thread count.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use innate_encodings::shared_conv::conv2d;
//!
//! # fn main() -> candle_core::Result<()> {
//! let d = Device::Cpu;
//! let x = Tensor::randn(0f32, 1., (2, 3, 8, 8), &d)?;
//! let w = Tensor::randn(0f32, 1., (4, 3, 3, 3), &d)?;
//! let b = Tensor::randn(0f32, 1., 4, &d)?;
//! let y = conv2d(&x, &w, Some(&b), 1, 1)?;
//! let want = x.conv2d(&w, 1, 1, 1, 1)?.broadcast_add(&b.reshape((1, 4, 1, 1))?)?;
//! assert!((y - want)?.abs()?.max_all()?.to_scalar::<f32>()? < 1e-4);
//! # Ok(()) }
//! ```

use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor};

use crate::geometry::ConvGeometry;
use crate::parallel::for_each_chunk_mut;

/// Images whose weight and bias gradients are summed together before the blocks' sums are
/// added, in order.
pub const IMAGES_PER_BLOCK: usize = 8;

/// `x (B, C_in, H, W)` convolved with `weight (C_out, C_in, k, k)`, plus `bias (C_out)`: on the
/// CPU in `f32` one [`SharedConv`], elsewhere Candle's `conv2d`.
pub fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> candle_core::Result<Tensor> {
    let f32_cpu = |t: &Tensor| t.device().is_cpu() && t.dtype() == candle_core::DType::F32;
    if !(f32_cpu(x) && f32_cpu(weight)) {
        let y = x.conv2d(weight, padding, stride, 1, 1)?;
        return match bias {
            Some(b) => y.broadcast_add(&b.reshape((1, b.dim(0)?, 1, 1))?),
            None => Ok(y),
        };
    }
    let (batch, c, h, w) = x.dims4()?;
    let (c_out, c_in, k, k2) = weight.dims4()?;
    if c_in != c || k != k2 {
        candle_core::bail!(
            "conv2d: a (C_out, {c}, k, k) kernel expected for {c} input channels, got {:?}",
            weight.dims()
        );
    }
    let geometry =
        ConvGeometry { in_channels: c, height: h, width: w, kernel: k, stride, padding, out_channels: c_out };
    let bias = match bias {
        Some(b) => b.clone(),
        None => Tensor::zeros(c_out, candle_core::DType::F32, x.device())?,
    };
    x.contiguous()?.apply_op3(&weight.contiguous()?, &bias.contiguous()?, SharedConv { geometry, batch })
}

/// The convolution `(x, weight, bias) -> y` as a custom op (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct SharedConv {
    /// The convolution's shape.
    pub geometry: ConvGeometry,
    /// Images in the batch.
    pub batch: usize,
}

/// The `f32` values of a contiguous CPU tensor.
fn values<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => candle_core::bail!("conv2d: {what} must be contiguous f32 values"),
    }
}

/// With stride 1, the output columns `lo..hi` whose kernel column `kx` reads inside an input
/// row of `w` (the others read padding).
fn inside(kx: usize, p: isize, w: isize, wo: usize) -> (usize, usize) {
    let lo = (p - kx as isize).clamp(0, wo as isize) as usize;
    let hi = (w + p - kx as isize).clamp(lo as isize, wo as isize) as usize;
    (lo, hi)
}

/// `dst.copy_from_slice(src)` for the short runs of a kernel row (5 to 30 values here), eight at a
/// time in registers rather than through a `memcpy` call each.
fn copy_short(dst: &mut [f32], src: &[f32]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let v: [f32; 8] = s.try_into().unwrap_or([0.0; 8]);
        d.copy_from_slice(&v);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// Fills `cols (K, L)` with image `x (C_in, H, W)`'s patches.
fn im2col(g: &ConvGeometry, x: &[f32], cols: &mut [f32]) {
    let (k, s, p) = (g.kernel, g.stride, g.padding as isize);
    let (h, w) = (g.height as isize, g.width as isize);
    let (ho, wo) = (g.out_height(), g.out_width());
    let l = ho * wo;
    for c in 0..g.in_channels {
        for ky in 0..k {
            for kx in 0..k {
                let row = &mut cols[((c * k + ky) * k + kx) * l..][..l];
                for oy in 0..ho {
                    let iy = (oy * s + ky) as isize - p;
                    let out = &mut row[oy * wo..][..wo];
                    if iy < 0 || iy >= h {
                        out.fill(0.0);
                        continue;
                    }
                    let input = &x[(c * g.height + iy as usize) * g.width..][..g.width];
                    if s == 1 {
                        // The columns inside the input, copied as one run.
                        let (lo, hi) = inside(kx, p, w, wo);
                        out[..lo].fill(0.0);
                        out[hi..].fill(0.0);
                        let start = (lo + kx) as isize - p;
                        copy_short(&mut out[lo..hi], &input[start as usize..][..hi - lo]);
                        continue;
                    }
                    for (ox, v) in out.iter_mut().enumerate() {
                        let ix = (ox * s + kx) as isize - p;
                        *v = if ix >= 0 && ix < w { input[ix as usize] } else { 0.0 };
                    }
                }
            }
        }
    }
}

/// Adds `cols (K, L)` back onto image `dx (C_in, H, W)`.
fn col2im(g: &ConvGeometry, cols: &[f32], dx: &mut [f32]) {
    let (k, s, p) = (g.kernel, g.stride, g.padding as isize);
    let (h, w) = (g.height as isize, g.width as isize);
    let (ho, wo) = (g.out_height(), g.out_width());
    let l = ho * wo;
    for c in 0..g.in_channels {
        for ky in 0..k {
            for kx in 0..k {
                let row = &cols[((c * k + ky) * k + kx) * l..][..l];
                for oy in 0..ho {
                    let iy = (oy * s + ky) as isize - p;
                    if iy < 0 || iy >= h {
                        continue;
                    }
                    let input = &mut dx[(c * g.height + iy as usize) * g.width..][..g.width];
                    if s == 1 {
                        let (lo, hi) = inside(kx, p, w, wo);
                        let start = ((lo + kx) as isize - p) as usize;
                        for (d, v) in
                            input[start..][..hi - lo].iter_mut().zip(&row[oy * wo + lo..oy * wo + hi])
                        {
                            *d += v;
                        }
                        continue;
                    }
                    for (ox, v) in row[oy * wo..][..wo].iter().enumerate() {
                        let ix = (ox * s + kx) as isize - p;
                        if ix >= 0 && ix < w {
                            input[ix as usize] += v;
                        }
                    }
                }
            }
        }
    }
}

/// `dst (m, n) = [dst +] a (m, k) b (k, n)`, all row-major unless `a_t` / `b_t` say the operand
/// is stored transposed; one thread.
#[allow(clippy::too_many_arguments)]
fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    add: bool,
    a: &[f32],
    a_t: bool,
    b: &[f32],
    b_t: bool,
) {
    debug_assert!(dst.len() >= m * n && a.len() >= m * k && b.len() >= k * n);
    let (a_cs, a_rs) = if a_t { (m as isize, 1) } else { (1, k as isize) };
    let (b_cs, b_rs) = if b_t { (k as isize, 1) } else { (1, n as isize) };
    // SAFETY: the slices hold the (m, n), (m, k) and (k, n) matrices the strides describe.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            add,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

impl SharedConv {
    fn sizes(&self) -> (usize, usize, usize, usize) {
        let g = &self.geometry;
        (g.in_channels * g.height * g.width, g.patch_len(), g.locations(), g.out_channels)
    }

    /// The input gradient: `col2im(Wᵀ dy_b)` per image.
    fn grad_input(&self, w: &[f32], dy: &[f32]) -> Vec<f32> {
        let (image, kk, l, c_out) = self.sizes();
        let mut dx = vec![0f32; self.batch * image];
        for_each_chunk_mut(
            &mut dx,
            image,
            || vec![0f32; kk * l],
            |cols, b, dx| {
                matmul(kk, l, c_out, cols, false, w, true, &dy[b * c_out * l..][..c_out * l], false);
                col2im(&self.geometry, cols, dx);
            },
        );
        dx
    }

    /// The kernel and bias gradients, summed over blocks of images and then over blocks in order.
    fn grad_params(&self, x: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (image, kk, l, c_out) = self.sizes();
        let mut blocks: Vec<(Vec<f32>, Vec<f32>)> =
            vec![(Vec::new(), Vec::new()); self.batch.div_ceil(IMAGES_PER_BLOCK)];
        for_each_chunk_mut(
            &mut blocks,
            1,
            || vec![0f32; kk * l],
            |cols, block, out| {
                let (mut dw, mut db) = (vec![0f32; c_out * kk], vec![0f32; c_out]);
                let first = block * IMAGES_PER_BLOCK;
                for (i, b) in (first..self.batch.min(first + IMAGES_PER_BLOCK)).enumerate() {
                    let dy = &dy[b * c_out * l..][..c_out * l];
                    im2col(&self.geometry, &x[b * image..][..image], cols);
                    matmul(c_out, kk, l, &mut dw, i > 0, dy, false, cols, true);
                    for (b, row) in db.iter_mut().zip(dy.chunks(l)) {
                        *b += row.iter().sum::<f32>();
                    }
                }
                out[0] = (dw, db);
            },
        );
        let mut it = blocks.into_iter();
        let (mut dw, mut db) = it.next().unwrap_or_else(|| (vec![0f32; c_out * kk], vec![0f32; c_out]));
        for (w, b) in it {
            dw.iter_mut().zip(&w).for_each(|(a, b)| *a += b);
            db.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
        }
        (dw, db)
    }
}

impl CustomOp3 for SharedConv {
    fn name(&self) -> &'static str {
        "shared-conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, w, bias) =
            (values(s1, l1, "the input")?, values(s2, l2, "the kernels")?, values(s3, l3, "the bias")?);
        let (image, kk, l, c_out) = self.sizes();
        let g = &self.geometry;
        let mut y = vec![0f32; self.batch * c_out * l];
        for_each_chunk_mut(
            &mut y,
            c_out * l,
            || vec![0f32; kk * l],
            |cols, b, y| {
                im2col(g, &x[b * image..][..image], cols);
                for (row, b) in y.chunks_mut(l).zip(bias) {
                    row.fill(*b);
                }
                matmul(c_out, l, kk, y, true, w, false, cols, false);
            },
        );
        Ok((CpuStorage::F32(y), Shape::from((self.batch, c_out, g.out_height(), g.out_width()))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let (gs, gl) = grad.storage_and_layout();
        let (xs, xl) = x.storage_and_layout();
        let (ws, wl) = w.storage_and_layout();
        let (candle_core::Storage::Cpu(gs), candle_core::Storage::Cpu(xs), candle_core::Storage::Cpu(ws)) =
            (&*gs, &*xs, &*ws)
        else {
            candle_core::bail!("conv2d: the CPU convolution's backward got tensors off the CPU")
        };
        let (dy, xv, wv) =
            (values(gs, gl, "the gradient")?, values(xs, xl, "the input")?, values(ws, wl, "the kernels")?);
        let dx = x.track_op().then(|| self.grad_input(wv, dy));
        let (dw, db) = self.grad_params(xv, dy);
        let dev = x.device();
        let dx = match dx {
            Some(v) => Some(Tensor::from_vec(v, x.shape(), dev)?),
            None => None,
        };
        let c_out = self.geometry.out_channels;
        Ok((dx, Some(Tensor::from_vec(dw, w.shape(), dev)?), Some(Tensor::from_vec(db, c_out, dev)?)))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    /// Forward and all three gradients equal Candle's conv2d, for padded, strided and
    /// non-square inputs, and the input gradient is skipped for data.
    #[test]
    fn equals_candles_conv2d_forward_and_backward() -> candle_core::Result<()> {
        let d = Device::Cpu;
        for (b, c, h, w, co, k, stride, padding) in
            [(3, 2, 7, 5, 4, 3, 1, 1), (17, 1, 12, 12, 3, 5, 1, 2), (2, 3, 9, 9, 2, 3, 2, 0)]
        {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1., (b, c, h, w), &d)?)?;
            let wt = Var::from_tensor(&Tensor::randn(0f32, 1., (co, c, k, k), &d)?)?;
            let bias = Var::from_tensor(&Tensor::randn(0f32, 1., co, &d)?)?;
            let ours = conv2d(&x, &wt, Some(&bias), stride, padding)?;
            let theirs =
                x.conv2d(&wt, padding, stride, 1, 1)?.broadcast_add(&bias.reshape((1, co, 1, 1))?)?;
            let close = |a: &Tensor, b: &Tensor| -> candle_core::Result<f32> {
                (a - b)?.abs()?.max_all()?.to_scalar::<f32>()
            };
            assert!(close(&ours, &theirs)? < 1e-4, "forward {b} {c} {h} {w}");
            // A loss that weighs every output differently.
            let weights = Tensor::randn(0f32, 1., ours.shape(), &d)?;
            let g1 = (ours * &weights)?.sum_all()?.backward()?;
            let g2 = (theirs * &weights)?.sum_all()?.backward()?;
            for v in [x.as_tensor(), wt.as_tensor(), bias.as_tensor()] {
                let (a, b) = (g1.get(v).unwrap(), g2.get(v).unwrap());
                assert!(close(a, b)? < 1e-3, "gradient of {:?}: {}", v.dims(), close(a, b)?);
            }
        }
        // Data (an untracked input) gets no gradient.
        let x = Tensor::randn(0f32, 1., (2, 1, 6, 6), &d)?;
        let wt = Var::from_tensor(&Tensor::randn(0f32, 1., (2, 1, 3, 3), &d)?)?;
        let g = conv2d(&x, &wt, None, 1, 1)?.sum_all()?.backward()?;
        assert!(g.get(&x).is_none() && g.get(wt.as_tensor()).is_some());
        Ok(())
    }
}
