//! Gaussian gene fields' expression as one operation: [`gaussian_expression`].
//!
//! ```text
//! X[n, g] = exp(-(|p_n - tanh(m_g)|² / exp(s_g)²))
//! ∂X/∂m_g,j = X · 2 (p_n,j - μ_g,j) / σ_g² · (1 - μ_g,j²),   ∂X/∂s_g = X · 2 |p_n - μ_g|² / σ_g²
//! ```
//!
//! Written as Candle operations it is a broadcast subtraction over `(N, G, 2)`, a square, a sum,
//! a division and an exponential, and its backward pass a dozen more, among them strided sums
//! over the neurons that Candle's CPU backend runs slowly: a third of an ML-S-GEM training step.
//! On the CPU this is one pass forward and one backward; elsewhere the Candle operations (the
//! same values). Both take raw centres `m` `(..., G, 2)` and log-widths `s` `(..., G)`, with
//! `...` empty (one genome) or `K` (a population, [`crate::population`]), and give `(..., N, G)`.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use innate_encodings::fields_op::gaussian_expression;
//! # fn main() -> candle_core::Result<()> {
//! let d = Device::Cpu;
//! let p = Tensor::new(&[[0f32, 0.], [1., 0.]], &d)?; // two neurons
//! let m = Tensor::new(&[[0f32, 0.]], &d)?; // one gene at the origin
//! let s = Tensor::new(&[0f32], &d)?; // width 1
//! let x = gaussian_expression(&p, &m, &s)?.to_vec2::<f32>()?;
//! assert_eq!(x[0][0], 1.0);
//! assert!((x[1][0] - (-1f32).exp()).abs() < 1e-7);
//! # Ok(()) }
//! ```

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};

/// The expression of gene fields with raw centres `raw_centres` `(..., G, 2)` and log-widths
/// `log_widths` `(..., G)` at neuron positions `positions` `(N, 2)`: `(..., N, G)` (see the
/// module docs), differentiable in both.
pub fn gaussian_expression(
    positions: &Tensor,
    raw_centres: &Tensor,
    log_widths: &Tensor,
) -> candle_core::Result<Tensor> {
    let cpu = |t: &Tensor| t.device().is_cpu() && t.dtype() == candle_core::DType::F32;
    if cpu(positions) && cpu(raw_centres) && cpu(log_widths) {
        let p = positions.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let op = Fields { positions: std::sync::Arc::new(p) };
        return raw_centres.contiguous()?.apply_op2(&log_widths.contiguous()?, op);
    }
    // (..., 1, G, 2) against (N, 1, 2).
    let lead = raw_centres.rank() - 2;
    let mu = raw_centres.tanh()?.unsqueeze(lead)?;
    let d2 = positions.unsqueeze(1)?.broadcast_sub(&mu)?.sqr()?.sum(lead + 2)?;
    let s2 = log_widths.exp()?.sqr()?.unsqueeze(lead)?;
    d2.broadcast_div(&s2)?.neg()?.exp()
}

/// [`gaussian_expression`] on the CPU.
#[derive(Clone)]
struct Fields {
    /// Neuron positions, `(N, 2)` row-major.
    positions: std::sync::Arc<Vec<f32>>,
}

impl Fields {
    /// Members `K`, genes `G` and neurons `N` of centres of layout `lm` and widths `ls`.
    fn dims(&self, lm: &Layout, ls: &Layout) -> candle_core::Result<(usize, usize, usize, Vec<usize>)> {
        let dm = lm.dims();
        let r = dm.len();
        if r < 2 || dm[r - 1] != 2 || ls.dims() != &dm[..r - 1] || r > 3 {
            candle_core::bail!("gene fields: centres {:?} and widths {:?} do not fit", dm, ls.dims());
        }
        let g = dm[r - 2];
        let k = if r == 3 { dm[0] } else { 1 };
        let n = self.positions.len() / 2;
        let mut out = dm[..r - 2].to_vec();
        out.extend([n, g]);
        Ok((k, g, n, out))
    }
}

impl CustomOp2 for Fields {
    fn name(&self) -> &'static str {
        "gaussian-fields"
    }

    fn cpu_fwd(
        &self,
        sm: &CpuStorage,
        lm: &Layout,
        ss: &CpuStorage,
        ls: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (k, g, n, shape) = self.dims(lm, ls)?;
        let (m, s) = (crate::cpu_kernels::values(sm, lm)?, crate::cpu_kernels::values(ss, ls)?);
        let p = &self.positions;
        let mut x = vec![0f32; k * n * g];
        for member in 0..k {
            let mu: Vec<(f32, f32)> = (0..g)
                .map(|j| (m[(member * g + j) * 2].tanh(), m[(member * g + j) * 2 + 1].tanh()))
                .collect();
            let s2: Vec<f32> = (0..g).map(|j| s[member * g + j].exp()).map(|w| w * w).collect();
            for i in 0..n {
                let (px, py) = (p[2 * i], p[2 * i + 1]);
                let row = &mut x[(member * n + i) * g..(member * n + i + 1) * g];
                for ((v, &(mx, my)), &s2) in row.iter_mut().zip(&mu).zip(&s2) {
                    let d2 = (px - mx) * (px - mx) + (py - my) * (py - my);
                    *v = (-(d2 / s2)).exp();
                }
            }
        }
        Ok((CpuStorage::F32(x), Shape::from(shape)))
    }

    fn bwd(
        &self,
        raw_centres: &Tensor,
        log_widths: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let m = raw_centres.flatten_all()?.to_vec1::<f32>()?;
        let s = log_widths.flatten_all()?.to_vec1::<f32>()?;
        let x = res.flatten_all()?.to_vec1::<f32>()?;
        let dx = grad.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let (k, g, n) = (
            if raw_centres.rank() == 3 { raw_centres.dim(0)? } else { 1 },
            log_widths.dim(candle_core::D::Minus1)?,
            self.positions.len() / 2,
        );
        let p = &self.positions;
        let mut dm = vec![0f32; k * g * 2];
        let mut ds = vec![0f32; k * g];
        for member in 0..k {
            for j in 0..g {
                let (mx, my) = (m[(member * g + j) * 2].tanh(), m[(member * g + j) * 2 + 1].tanh());
                let w = s[member * g + j].exp();
                let s2 = w * w;
                let (mut ax, mut ay, mut a2) = (0f32, 0f32, 0f32);
                for i in 0..n {
                    let at = (member * n + i) * g + j;
                    let gx = dx[at] * x[at];
                    let (ex, ey) = (p[2 * i] - mx, p[2 * i + 1] - my);
                    ax += gx * ex;
                    ay += gx * ey;
                    a2 += gx * (ex * ex + ey * ey);
                }
                dm[(member * g + j) * 2] = 2.0 * ax / s2 * (1.0 - mx * mx);
                dm[(member * g + j) * 2 + 1] = 2.0 * ay / s2 * (1.0 - my * my);
                ds[member * g + j] = 2.0 * a2 / s2;
            }
        }
        Ok((
            Some(Tensor::from_vec(dm, raw_centres.shape(), raw_centres.device())?),
            Some(Tensor::from_vec(ds, log_widths.shape(), log_widths.device())?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// The Candle operations [`gaussian_expression`] replaces on the CPU.
    fn by_ops(p: &Tensor, m: &Tensor, s: &Tensor) -> candle_core::Result<Tensor> {
        let lead = m.rank() - 2;
        let mu = m.tanh()?.unsqueeze(lead)?;
        let d2 = p.unsqueeze(1)?.broadcast_sub(&mu)?.sqr()?.sum(lead + 2)?;
        let s2 = s.exp()?.sqr()?.unsqueeze(lead)?;
        d2.broadcast_div(&s2)?.neg()?.exp()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn values_and_gradients_are_those_of_the_candle_operations() -> candle_core::Result<()> {
        let d = Device::Cpu;
        let p = Tensor::rand(-1f32, 1.0, (12, 2), &d)?;
        for lead in [vec![], vec![3usize]] {
            let mut ms = lead.clone();
            ms.extend([5, 2]);
            let mut ss = lead.clone();
            ss.push(5);
            let m = Var::from_tensor(&Tensor::rand(-1f32, 1.0, ms, &d)?)?;
            let s = Var::from_tensor(&(Tensor::rand(-1f32, 1.0, ss, &d)? - 1.0)?)?;
            let w = Tensor::randn(0f32, 1.0, (12, 5), &d)?;
            let fused = gaussian_expression(&p, &m, &s)?;
            let ops = by_ops(&p, &m, &s)?;
            assert_eq!(fused.dims(), ops.dims());
            assert!(max_diff(&fused, &ops) < 1e-6);
            let g1 = fused.broadcast_mul(&w)?.sum_all()?.backward()?;
            let g2 = ops.broadcast_mul(&w)?.sum_all()?.backward()?;
            for v in [&m, &s] {
                let (a, b) = (g1.get(v).unwrap(), g2.get(v).unwrap());
                assert!(max_diff(a, b) < 1e-4, "{a} vs {b}");
            }
        }
        Ok(())
    }
}
