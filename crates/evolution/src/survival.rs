//! The genomic-bottleneck paper's survival model (its Eq. 2, Figs. 2E and 2F).
//!
//! An organism alive at time `t` survives to `t + 1` with probability `1 - alpha (1 - c(t))`,
//! where `c(t)` is its rate of correct performance at `t`, so
//!
//! ```text
//! p(t + 1) = p(t) [1 - alpha (1 - c(t))],   p(0) = 1.
//! ```
//!
//! `c(t)` is a measured learning curve: the test accuracy of a network (innate-initialised or
//! tabula rasa) after `t` units of training, interpolated linearly between evaluations.
//! [`population`] then follows the shares of several kinds of organisms over generations when
//! each generation's offspring are drawn in proportion to survival to maturity.
//!
//! ```
//! use innate_evolution::survival::{LearningCurve, population, survival};
//!
//! let innate = LearningCurve::new(vec![(0.0, 0.9), (10.0, 0.98)]).unwrap();
//! let naive = LearningCurve::new(vec![(0.0, 0.1), (10.0, 0.98)]).unwrap();
//! let (a, b) = (survival(&innate, 0.1, 1.0, 10), survival(&naive, 0.1, 1.0, 10));
//! assert!(a[10] > b[10]);
//! let shares = population(&[a[10], b[10]], &[0.01, 0.99], 50);
//! assert!(shares[50][0] > 0.5);
//! ```

use crate::error::{Result, TrainError};

/// Accuracy as a function of training time, from measured points.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningCurve {
    points: Vec<(f64, f64)>,
}

impl LearningCurve {
    /// A curve through `(time, accuracy)` points, sorted by time here. Accuracies are fractions
    /// in `[0, 1]`; times must be finite and distinct.
    pub fn new(mut points: Vec<(f64, f64)>) -> Result<Self> {
        if points.is_empty() {
            return Err(TrainError::Config("a learning curve needs at least one point".into()));
        }
        if let Some(&(t, c)) = points.iter().find(|(t, c)| !t.is_finite() || !(0.0..=1.0).contains(c)) {
            return Err(TrainError::Config(format!(
                "learning-curve point ({t}, {c}): times must be finite and accuracies fractions in [0, 1]"
            )));
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if points.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(TrainError::Config("a learning curve has two points at the same time".into()));
        }
        Ok(Self { points })
    }

    /// The accuracy at time `t`: linear between points, the first or last value outside them.
    pub fn at(&self, t: f64) -> f64 {
        let p = &self.points;
        if t <= p[0].0 {
            return p[0].1;
        }
        let last = p[p.len() - 1];
        if t >= last.0 {
            return last.1;
        }
        let i = p.partition_point(|q| q.0 <= t);
        let ((t0, c0), (t1, c1)) = (p[i - 1], p[i]);
        c0 + (c1 - c0) * (t - t0) / (t1 - t0)
    }

    /// The measured points.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }
}

/// `p(0), p(1), ..., p(steps)` of Eq. 2, one step being `dt` units of the curve's time axis:
/// `p(k + 1) = p(k) [1 - alpha (1 - c(k dt))]`.
pub fn survival(curve: &LearningCurve, alpha: f64, dt: f64, steps: usize) -> Vec<f64> {
    let mut p = Vec::with_capacity(steps + 1);
    let mut alive = 1.0;
    p.push(alive);
    for k in 0..steps {
        alive *= 1.0 - alpha * (1.0 - curve.at(k as f64 * dt));
        p.push(alive);
    }
    p
}

/// Shares of each kind of organism over `generations` generations (row 0: `initial`, which is
/// normalised), when the offspring of a generation are drawn in proportion to each kind's share
/// times its survival to maturity `fitness[i]`:
/// `share_i(n + 1) = share_i(n) fitness_i / sum_j share_j(n) fitness_j`.
pub fn population(fitness: &[f64], initial: &[f64], generations: usize) -> Vec<Vec<f64>> {
    assert_eq!(fitness.len(), initial.len(), "one fitness per kind of organism");
    let normalise = |v: Vec<f64>| {
        let total: f64 = v.iter().sum();
        if total > 0.0 { v.iter().map(|x| x / total).collect() } else { v }
    };
    let mut rows = vec![normalise(initial.to_vec())];
    for n in 0..generations {
        let next = rows[n].iter().zip(fitness).map(|(s, f)| s * f).collect();
        rows.push(normalise(next));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_interpolates_and_clamps() {
        let c = LearningCurve::new(vec![(10.0, 0.9), (0.0, 0.1)]).unwrap();
        assert_eq!(c.at(-1.0), 0.1);
        assert!((c.at(5.0) - 0.5).abs() < 1e-12);
        assert!((c.at(2.5) - 0.3).abs() < 1e-12);
        assert_eq!(c.at(20.0), 0.9);
        assert!(LearningCurve::new(vec![]).is_err());
        assert!(LearningCurve::new(vec![(0.0, 1.5)]).is_err());
        assert!(LearningCurve::new(vec![(1.0, 0.5), (1.0, 0.6)]).is_err());
    }

    #[test]
    fn survival_follows_equation_2() {
        let perfect = LearningCurve::new(vec![(0.0, 1.0)]).unwrap();
        assert!(survival(&perfect, 0.3, 1.0, 20).iter().all(|&p| p == 1.0));
        let hopeless = LearningCurve::new(vec![(0.0, 0.0)]).unwrap();
        let p = survival(&hopeless, 0.3, 1.0, 5);
        assert!((p[5] - 0.7f64.powi(5)).abs() < 1e-12);
        // By hand: c = 0.5 then 0.75 (dt 1 on a curve 0.5 -> 1.0 over 2 units).
        let c = LearningCurve::new(vec![(0.0, 0.5), (2.0, 1.0)]).unwrap();
        let p = survival(&c, 0.2, 1.0, 2);
        assert!((p[1] - 0.9).abs() < 1e-12);
        assert!((p[2] - 0.9 * 0.95).abs() < 1e-12);
    }

    #[test]
    fn fitter_kinds_take_over() {
        let rows = population(&[0.9, 0.5], &[1.0, 99.0], 40);
        assert!((rows[0][0] - 0.01).abs() < 1e-12);
        for r in &rows {
            assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        assert!(rows.windows(2).all(|w| w[1][0] > w[0][0]));
        assert!(rows[40][0] > 0.99);
        // Equal fitness: shares stay.
        let flat = population(&[0.7, 0.7], &[0.3, 0.7], 5);
        assert!((flat[5][0] - 0.3).abs() < 1e-12);
    }
}
