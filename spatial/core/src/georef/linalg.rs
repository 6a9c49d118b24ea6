//! The little linear algebra the homography needs: singular values and right singular vectors
//! by one-sided Jacobi rotations (Hestenes), accurate to the last digits for small matrices.

/// The singular values of the matrix with `rows` (largest first), each with its right singular
/// vector.
pub(super) fn svd<const N: usize>(rows: &[[f64; N]]) -> [(f64, [f64; N]); N] {
    let mut a = rows.to_vec();
    let mut v = [[0.0; N]; N];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..64 {
        let mut rotated = false;
        for p in 0..N {
            for q in p + 1..N {
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for row in &a {
                    alpha += row[p] * row[p];
                    beta += row[q] * row[q];
                    gamma += row[p] * row[q];
                }
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                // The rotation that makes columns p and q orthogonal.
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for row in a.iter_mut().chain(v.iter_mut()) {
                    let (x, y) = (row[p], row[q]);
                    row[p] = c * x - s * y;
                    row[q] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut out = [(0.0, [0.0; N]); N];
    for (k, slot) in out.iter_mut().enumerate() {
        let sigma = a.iter().map(|row| row[k] * row[k]).sum::<f64>().sqrt();
        let mut vector = [0.0; N];
        for (i, x) in vector.iter_mut().enumerate() {
            *x = v[i][k];
        }
        *slot = (sigma, vector);
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_values_of_a_known_matrix() {
        // [[3, 2, 2], [2, 3, -2]]: singular values 5 and 3 (and 0), v₁ = (1, 1, 0)/√2.
        let values = svd(&[[3.0, 2.0, 2.0], [2.0, 3.0, -2.0]]);
        assert!((values[0].0 - 5.0).abs() < 1e-12, "{values:?}");
        assert!((values[1].0 - 3.0).abs() < 1e-12, "{values:?}");
        assert!(values[2].0.abs() < 1e-12, "{values:?}");
        let v1 = values[0].1;
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!(
            (v1[0].abs() - h).abs() < 1e-12
                && (v1[1].abs() - h).abs() < 1e-12
                && v1[2].abs() < 1e-12,
            "{v1:?}"
        );
        // The last vector spans the null space: [3, 2, 2]·v = 0.
        let n = values[2].1;
        assert!(
            (3.0 * n[0] + 2.0 * n[1] + 2.0 * n[2]).abs() < 1e-12,
            "{n:?}"
        );
        assert!(((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) - 1.0).abs() < 1e-12);
    }
}
