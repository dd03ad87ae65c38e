//! The statistics the report states: mean ± sample standard deviation.

/// Mean and sample standard deviation (`NaN`s for no values, sd 0 for one).
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let sd = if xs.len() > 1 {
        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// `"92.61 ± 0.05%"` for fractions (`"92.61%"` for one value).
pub fn percent(xs: &[f64]) -> String {
    let (m, s) = mean_sd(xs);
    if xs.len() > 1 { format!("{:.2} ± {:.2}%", 100.0 * m, 100.0 * s) } else { format!("{:.2}%", 100.0 * m) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        assert_eq!(mean_sd(&[1.0, 3.0]), (2.0, 2f64.sqrt()));
        assert_eq!(percent(&[0.9]), "90.00%");
        assert_eq!(percent(&[0.9, 0.92]), "91.00 ± 1.41%");
        assert!(mean_sd(&[]).0.is_nan());
    }
}
