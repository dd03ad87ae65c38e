//! A fixed random linear map `R^d -> R^D` with Gaussian statistics, stored in `O(D)` memory: the
//! Fastfood transform (Le, Sarlós & Smola 2013), as used for random-subspace training by Li et
//! al. (2018, "Measuring the intrinsic dimension of objective landscapes").
//!
//! A dense `D x d` Gaussian basis for the 614,656 weights of a 784-784 layer and a few hundred
//! basis vectors would take gigabytes and make every step memory-bound. Fastfood instead stacks
//! `ceil(D / L)` blocks, `L` the power of two at least `d`, each
//!
//! ```text
//! M_b = (sigma / sqrt(L)) · H G_b Π_b H B_b
//! ```
//!
//! with `H` the `L x L` Walsh-Hadamard matrix, `B_b` random signs, `Π_b` a random permutation and
//! `G_b` Gaussian scales: every entry of `M x` is then distributed like `rᵀ x` for a Gaussian `r`
//! with entries `N(0, sigma²)`. Applying it (or its transpose, for gradients) costs
//! `O(D log L)`. On the CPU it runs as a custom Candle operation; on other devices the same
//! matrix is materialised once and multiplied densely, so both give the same basis.

use std::ops::Range;
use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor, bail};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, StandardNormal};

/// The parameters of a Fastfood transform.
#[derive(Debug, Clone)]
pub struct Fastfood {
    d: usize,
    out: usize,
    l: usize,
    blocks: usize,
    signs: Vec<f32>,
    perm: Vec<u32>,
    gauss: Vec<f32>,
    scale: f32,
}

/// In-place unnormalised Walsh-Hadamard transform of a power-of-two-long slice.
///
/// The first three butterfly stages run together on registers, eight values at a time (the
/// strided loop below handles them poorly: its runs of 1, 2 or 4 values are too short for 8-wide
/// vectors); the later stages are plain loops over contiguous halves, which the compiler
/// vectorises.
#[inline(always)]
pub fn fwht(v: &mut [f32]) {
    let n = v.len();
    let mut h = 1;
    if n >= 8 {
        for c in v.chunks_exact_mut(8) {
            let a = [
                c[0] + c[1],
                c[0] - c[1],
                c[2] + c[3],
                c[2] - c[3],
                c[4] + c[5],
                c[4] - c[5],
                c[6] + c[7],
                c[6] - c[7],
            ];
            let b = [
                a[0] + a[2],
                a[1] + a[3],
                a[0] - a[2],
                a[1] - a[3],
                a[4] + a[6],
                a[5] + a[7],
                a[4] - a[6],
                a[5] - a[7],
            ];
            c[0] = b[0] + b[4];
            c[1] = b[1] + b[5];
            c[2] = b[2] + b[6];
            c[3] = b[3] + b[7];
            c[4] = b[0] - b[4];
            c[5] = b[1] - b[5];
            c[6] = b[2] - b[6];
            c[7] = b[3] - b[7];
        }
        h = 8;
    }
    while h < n {
        for chunk in v.chunks_exact_mut(2 * h) {
            let (a, b) = chunk.split_at_mut(h);
            for (x, y) in a.iter_mut().zip(b.iter_mut()) {
                let (p, q) = (*x, *y);
                *x = p + q;
                *y = p - q;
            }
        }
        h *= 2;
    }
}

/// The threads Candle's own CPU kernels use: `RAYON_NUM_THREADS` where set (the CLI sets it, and
/// divides the cores among the runs of `reproduce --jobs`), else Candle's default (the physical
/// cores). Using Candle's count keeps a run's Fastfood work to its share of the cores.
fn cores() -> usize {
    candle_core::utils::get_num_threads().max(1)
}

/// Splits `0..blocks` into at most `parts` contiguous ranges of (nearly) equal length.
fn split(blocks: usize, parts: usize) -> Vec<Range<usize>> {
    let per = blocks.div_ceil(parts.max(1)).max(1);
    (0..blocks).step_by(per).map(|s| s..(s + per).min(blocks)).collect()
}

/// Splits `0..blocks` into one contiguous range per thread of [`cores`].
fn block_ranges(blocks: usize) -> Vec<Range<usize>> {
    split(blocks, cores())
}

/// Ranges of blocks whose contributions to `Mᵀ g` are summed apart and then added in order. The
/// split is fixed, not one range per core, so the transpose (the random basis's gradient) gives
/// the same bits on every machine whatever its core count; two keeps it parallel on small ones.
const TRANSPOSE_SPLIT: usize = 2;

impl Fastfood {
    /// A transform from `d` to `out` dimensions whose entries behave like `N(0, sigma²)`.
    pub fn new(d: usize, out: usize, sigma: f64, rng: &mut impl Rng) -> Self {
        let l = d.max(1).next_power_of_two();
        let blocks = out.div_ceil(l);
        let n = blocks * l;
        let signs = (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect();
        let mut perm = Vec::with_capacity(n);
        for _ in 0..blocks {
            let mut p: Vec<u32> = (0..l as u32).collect();
            p.shuffle(rng);
            perm.extend(p);
        }
        let gauss = (0..n).map(|_| StandardNormal.sample(rng)).collect();
        Self { d, out, l, blocks, signs, perm, gauss, scale: (sigma / (l as f64).sqrt()) as f32 }
    }

    /// Input dimension `d`.
    pub fn input_dim(&self) -> usize {
        self.d
    }

    /// Output dimension `D`.
    pub fn output_dim(&self) -> usize {
        self.out
    }

    /// A 64-bit FNV-1a hash of everything that defines the transform (sizes, signs, permutations,
    /// Gaussian scales and the overall scale, bit for bit): equal fingerprints mean the same `M`.
    /// A genome file records it, so a version that draws the basis differently is caught on load.
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for n in [self.d, self.out, self.l, self.blocks] {
            eat(&(n as u64).to_le_bytes());
        }
        self.signs
            .iter()
            .chain(&self.gauss)
            .chain([&self.scale])
            .for_each(|v| eat(&v.to_bits().to_le_bytes()));
        self.perm.iter().for_each(|p| eat(&p.to_le_bytes()));
        h
    }

    /// Numbers stored to define the transform.
    pub fn stored(&self) -> usize {
        self.signs.len() + self.perm.len() + self.gauss.len()
    }

    /// `M x` for `x` of length `d`; returns `D` values. Blocks are spread over the cores.
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        self.apply_onto(x, None)
    }

    /// `base + M x` (or `M x` without a base), in one pass: each block adds its slice of `base`
    /// while its values are still in cache. `base` must hold `D` values.
    fn apply_onto(&self, x: &[f32], base: Option<&[f32]>) -> Vec<f32> {
        let l = self.l;
        let mut y = vec![0f32; self.blocks * l];
        let ranges = block_ranges(self.blocks);
        std::thread::scope(|s| {
            let mut rest = y.as_mut_slice();
            for r in ranges {
                let (mine, tail) = rest.split_at_mut(r.len() * l);
                rest = tail;
                let base = base.map(|b| &b[(r.start * l).min(b.len())..(r.end * l).min(b.len())]);
                s.spawn(move || self.apply_blocks(x, r, mine, base));
            }
        });
        y.truncate(self.out);
        y
    }

    /// Runs [`Fastfood::blocks_fwd`] compiled for AVX2 where the CPU has it (the default build
    /// targets baseline x86-64, whose SSE2 halves the width of the vectorised butterflies). Only
    /// additions, subtractions and multiplications are involved and Rust does not fuse them, so
    /// both paths give bit-identical results.
    fn apply_blocks(&self, x: &[f32], blocks: Range<usize>, out: &mut [f32], base: Option<&[f32]>) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.blocks_fwd_avx2(x, blocks, out, base) };
        }
        self.blocks_fwd(x, blocks, out, base)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn blocks_fwd_avx2(&self, x: &[f32], blocks: Range<usize>, out: &mut [f32], base: Option<&[f32]>) {
        self.blocks_fwd(x, blocks, out, base)
    }

    /// Blocks `blocks` of `M x` into `out` (`l` values per block), plus `base` (the same
    /// entries of the base vector; shorter than `out` for the last, partial block) if given.
    #[inline(always)]
    fn blocks_fwd(&self, x: &[f32], blocks: Range<usize>, out: &mut [f32], base: Option<&[f32]>) {
        let l = self.l;
        let mut v = vec![0f32; l];
        let mut base_blocks = base.map(|b| b.chunks(l));
        for (b, u) in blocks.zip(out.chunks_exact_mut(l)) {
            let r = b * l..(b + 1) * l;
            v.fill(0.0);
            for ((vi, &xi), &s) in v.iter_mut().zip(&x[..self.d]).zip(&self.signs[r.clone()]) {
                *vi = xi * s;
            }
            fwht(&mut v);
            for ((uj, &p), &g) in u.iter_mut().zip(&self.perm[r.clone()]).zip(&self.gauss[r.clone()]) {
                *uj = v[p as usize] * g;
            }
            fwht(u);
            // Scale, and add this block's slice of the base (shorter for a last, partial block;
            // empty without a base).
            let base: &[f32] = base_blocks.as_mut().and_then(Iterator::next).unwrap_or(&[]);
            let (head, tail) = u.split_at_mut(base.len());
            for (uj, &bj) in head.iter_mut().zip(base) {
                *uj = *uj * self.scale + bj;
            }
            for uj in tail {
                *uj *= self.scale;
            }
        }
    }

    /// `Mᵀ g` for `g` of length `D`; returns `d` values. The blocks' contributions are summed over
    /// a fixed number of ranges (two; on their own threads where there are cores to spare), so
    /// the result does not depend on the machine.
    pub fn apply_t(&self, g: &[f32]) -> Vec<f32> {
        let ranges = split(self.blocks, TRANSPOSE_SPLIT);
        let partial: Vec<Vec<f32>> = if cores() > 1 && ranges.len() > 1 {
            std::thread::scope(|s| {
                let handles: Vec<_> =
                    ranges.into_iter().map(|r| s.spawn(move || self.apply_t_blocks(g, r))).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        } else {
            ranges.into_iter().map(|r| self.apply_t_blocks(g, r)).collect()
        };
        let mut x = vec![0f32; self.d];
        for p in partial {
            for (xi, pi) in x.iter_mut().zip(p) {
                *xi += pi;
            }
        }
        x
    }

    /// [`Fastfood::blocks_t`], compiled for AVX2 where the CPU has it (see
    /// [`Fastfood::apply_blocks`]).
    fn apply_t_blocks(&self, g: &[f32], blocks: Range<usize>) -> Vec<f32> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.blocks_t_avx2(g, blocks) };
        }
        self.blocks_t(g, blocks)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn blocks_t_avx2(&self, g: &[f32], blocks: Range<usize>) -> Vec<f32> {
        self.blocks_t(g, blocks)
    }

    #[inline(always)]
    fn blocks_t(&self, g: &[f32], blocks: Range<usize>) -> Vec<f32> {
        let l = self.l;
        let mut x = vec![0f32; self.d];
        let mut u = vec![0f32; l];
        let mut v = vec![0f32; l];
        for b in blocks {
            let start = b * l;
            let r = start..start + l;
            u.fill(0.0);
            let end = (start + l).min(self.out);
            u[..end - start].copy_from_slice(&g[start..end]);
            fwht(&mut u);
            v.fill(0.0);
            for ((&uj, &p), &gj) in u.iter().zip(&self.perm[r.clone()]).zip(&self.gauss[r.clone()]) {
                v[p as usize] += uj * gj;
            }
            fwht(&mut v);
            for ((xi, &vi), &s) in x.iter_mut().zip(&v).zip(&self.signs[r]) {
                *xi += vi * s * self.scale;
            }
        }
        x
    }

    /// The transform as a dense row-major `D x d` matrix.
    pub fn dense(&self) -> Vec<f32> {
        let mut m = vec![0f32; self.out * self.d];
        let mut e = vec![0f32; self.d];
        for c in 0..self.d {
            e.fill(0.0);
            e[c] = 1.0;
            for (r, y) in self.apply(&e).into_iter().enumerate() {
                m[r * self.d + c] = y;
            }
        }
        m
    }

    /// `M p` for a `(d,)` tensor, differentiable in `p`. On the CPU this runs the transform
    /// directly; elsewhere use [`Fastfood::dense`] and a matrix product.
    pub fn project(self: &Arc<Self>, p: &Tensor) -> candle_core::Result<Tensor> {
        p.apply_op1(FastfoodOp { ff: self.clone(), transpose: false })
    }

    /// `base + M p` for a `(D,)` tensor `base` and a `(d,)` tensor `p`, differentiable in `p`
    /// (not in `base`). The same values as `base + project(p)` without the intermediate `M p` or
    /// its gradient: a random-basis layer's `W0 + R p` in one pass. CPU only, like
    /// [`Fastfood::project`].
    pub fn project_onto(self: &Arc<Self>, base: &Tensor, p: &Tensor) -> candle_core::Result<Tensor> {
        if base.track_op() {
            bail!("fastfood: project_onto gives no gradient to its base; pass a base that is not trained");
        }
        p.apply_op2(base, FastfoodOntoOp { ff: self.clone() })
    }
}

struct FastfoodOp {
    ff: Arc<Fastfood>,
    transpose: bool,
}

impl CustomOp1 for FastfoodOp {
    fn name(&self) -> &'static str {
        if self.transpose { "fastfood-t" } else { "fastfood" }
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let n_in = if self.transpose { self.ff.out } else { self.ff.d };
        let x = cpu_values(s, l, n_in, "the input")?;
        let y = if self.transpose { self.ff.apply_t(x) } else { self.ff.apply(x) };
        let n = y.len();
        Ok((CpuStorage::F32(y), Shape::from(n)))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let g = grad_res.contiguous()?;
        Ok(Some(g.apply_op1_no_bwd(&FastfoodOp { ff: self.ff.clone(), transpose: !self.transpose })?))
    }
}

/// `base + M p`: the first argument is `p`, the second `base`.
struct FastfoodOntoOp {
    ff: Arc<Fastfood>,
}

/// The contiguous f32 values of a CPU tensor, checked to have `n` of them.
fn cpu_values<'a>(s: &'a CpuStorage, l: &Layout, n: usize, what: &str) -> candle_core::Result<&'a [f32]> {
    let v = match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => &v[a..b],
        _ => bail!("fastfood: expected {what} as a contiguous f32 vector"),
    };
    if v.len() != n {
        bail!("fastfood: expected {n} values in {what}, got {}", v.len());
    }
    Ok(v)
}

impl CustomOp2 for FastfoodOntoOp {
    fn name(&self) -> &'static str {
        "fastfood-onto"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let p = cpu_values(s1, l1, self.ff.d, "the coordinates")?;
        let base = cpu_values(s2, l2, self.ff.out, "the base")?;
        let y = self.ff.apply_onto(p, Some(base));
        let n = y.len();
        Ok((CpuStorage::F32(y), Shape::from(n)))
    }

    fn bwd(
        &self,
        _p: &Tensor,
        _base: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad_res.contiguous()?;
        let gp = g.apply_op1_no_bwd(&FastfoodOp { ff: self.ff.clone(), transpose: true })?;
        Ok((Some(gp), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn ff(d: usize, out: usize) -> Fastfood {
        Fastfood::new(d, out, 0.5, &mut ChaCha8Rng::seed_from_u64(1))
    }

    /// The Walsh-Hadamard matrix entry `H[i][j] = (-1)^popcount(i & j)`, applied naively.
    fn fwht_naive(v: &[f32]) -> Vec<f32> {
        (0..v.len())
            .map(|i| {
                v.iter().enumerate().map(|(j, &x)| if (i & j).count_ones() % 2 == 0 { x } else { -x }).sum()
            })
            .collect()
    }

    #[test]
    fn hadamard_matches_the_matrix_at_every_size() {
        for n in [1, 2, 4, 8, 16, 64, 256] {
            let v: Vec<f32> = (0..n).map(|i| ((i * 7 % 11) as f32) - 5.0).collect();
            let mut fast = v.clone();
            fwht(&mut fast);
            assert_eq!(fast, fwht_naive(&v), "n = {n}");
        }
    }

    #[test]
    fn the_portable_and_the_dispatched_kernels_agree_bit_for_bit() {
        let f = ff(37, 1000);
        let x: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let base: Vec<f32> = (0..1000).map(|i| i as f32 * 0.01).collect();
        for base in [None, Some(&base[..])] {
            let (mut a, mut b) = (vec![0f32; f.blocks * f.l], vec![0f32; f.blocks * f.l]);
            f.apply_blocks(&x, 0..f.blocks, &mut a, base);
            f.blocks_fwd(&x, 0..f.blocks, &mut b, base);
            assert_eq!(a, b);
        }
        let g: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.11).cos()).collect();
        assert_eq!(f.apply_t_blocks(&g, 0..f.blocks), f.blocks_t(&g, 0..f.blocks));
    }

    #[test]
    fn hadamard_by_hand() {
        let mut v = [1.0, 2.0, 3.0, 4.0];
        fwht(&mut v);
        assert_eq!(v, [10.0, -2.0, -4.0, 0.0]);
    }

    #[test]
    fn apply_and_transpose_match_the_dense_matrix() {
        let f = ff(5, 21);
        let m = f.dense();
        let x: Vec<f32> = (0..5).map(|i| i as f32 - 2.0).collect();
        let y = f.apply(&x);
        for r in 0..21 {
            let want: f32 = (0..5).map(|c| m[r * 5 + c] * x[c]).sum();
            assert!((y[r] - want).abs() < 1e-4, "row {r}");
        }
        let g: Vec<f32> = (0..21).map(|i| (i as f32).sin()).collect();
        let xt = f.apply_t(&g);
        for c in 0..5 {
            let want: f32 = (0..21).map(|r| m[r * 5 + c] * g[r]).sum();
            assert!((xt[c] - want).abs() < 1e-4, "col {c}");
        }
    }

    #[test]
    fn entries_have_the_requested_spread() {
        let f = ff(64, 64 * 200);
        let m = f.dense();
        let n = m.len() as f64;
        let mean = m.iter().map(|&v| v as f64).sum::<f64>() / n;
        let sd = (m.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 0.01 && (sd - 0.5).abs() < 0.02, "{mean} {sd}");
        assert!(f.stored() < m.len() / 10);
    }

    #[test]
    fn onto_a_base_matches_adding_it_and_passes_the_same_gradient() -> candle_core::Result<()> {
        let f = Arc::new(ff(3, 2500));
        let dev = Device::Cpu;
        let p = Var::from_tensor(&Tensor::new(&[0.5f32, -1.0, 2.0], &dev)?)?;
        let base = Tensor::arange(0f32, 2500., &dev)?.affine(0.001, -1.0)?;
        let w = Tensor::arange(0f32, 2500., &dev)?.sin()?;
        let fused = f.project_onto(&base, p.as_tensor())?;
        let plain = (&base + f.project(p.as_tensor())?)?;
        assert_eq!(fused.to_vec1::<f32>()?, plain.to_vec1::<f32>()?);
        let grad = |y: &Tensor| -> candle_core::Result<Vec<f32>> {
            let g = (y * &w)?.sum_all()?.backward()?;
            g.get(p.as_tensor()).expect("gradient").to_vec1::<f32>()
        };
        assert_eq!(grad(&fused)?, grad(&plain)?);
        assert!(f.project_onto(&base.narrow(0, 0, 10)?, p.as_tensor()).is_err());
        // A trained base would silently get no gradient: refused.
        let trained = Var::from_tensor(&base)?;
        assert!(f.project_onto(trained.as_tensor(), p.as_tensor()).is_err());
        Ok(())
    }

    #[test]
    fn the_transpose_sums_a_fixed_split_in_order() -> candle_core::Result<()> {
        // Whatever the cores, Mᵀ g is the in-order sum of the fixed ranges' partial sums.
        let f = ff(9, 5000);
        let g: Vec<f32> = (0..5000).map(|i| (i as f32 * 0.013).sin()).collect();
        let mut want = vec![0f32; 9];
        for r in split(f.blocks, TRANSPOSE_SPLIT) {
            for (w, p) in want.iter_mut().zip(f.blocks_t(&g, r)) {
                *w += p;
            }
        }
        assert_eq!(f.apply_t(&g), want);
        assert_eq!(split(7, 2), [0..4, 4..7]);
        assert_eq!(split(1, 2).len(), 1);
        Ok(())
    }

    #[test]
    fn gradient_through_the_custom_op_is_the_transpose() -> candle_core::Result<()> {
        let f = Arc::new(ff(3, 10));
        let p = Var::from_tensor(&Tensor::new(&[0.5f32, -1.0, 2.0], &Device::Cpu)?)?;
        let w = Tensor::new(&[1f32, 2., 3., 4., 5., 6., 7., 8., 9., 10.], &Device::Cpu)?;
        let y = f.project(p.as_tensor())?;
        assert_eq!(y.to_vec1::<f32>()?, f.apply(&[0.5, -1.0, 2.0]));
        let loss = (y * &w)?.sum_all()?;
        let grads = loss.backward()?;
        let g = grads.get(p.as_tensor()).expect("gradient").to_vec1::<f32>()?;
        let want = f.apply_t(&w.to_vec1::<f32>()?);
        for (a, b) in g.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5);
        }
        Ok(())
    }
}
