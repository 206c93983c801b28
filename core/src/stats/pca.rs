//! Principal components of a cohort: where samples sit relative to one another
//! (population structure), for the Audit screen's scatter of samples by label.
//!
//! The matrix is plink's variance-standardised relationship matrix, so the
//! result can be checked against `plink --pca`: with p_j the alt-allele frequency
//! of SNP j's observed calls, z_ij = (x_ij − 2p_j) / √(2p_j(1 − p_j)), a missing
//! call counts as 0 (the mean) and monomorphic SNPs are left out;
//! A = Z Zᵀ / M over the M SNPs used. The components are A's top eigenvectors,
//! found by subspace iteration with Rayleigh-Ritz steps (cheap on the n × n matrix,
//! and exact to the stated tolerance, unlike a fixed number of power steps).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{GenotypeMatrix, MISSING};
use crate::error::{Error, Result};
use crate::job::Job;

/// SNPs standardised and added to the relationship matrix per step (bounds memory
/// to n × this many values and sets the progress granularity).
const SNP_BLOCK: usize = 512;
/// Extra vectors carried by the subspace iteration: they speed up convergence when
/// eigenvalues are close.
const EXTRA_VECTORS: usize = 8;
const MAX_ITERATIONS: usize = 5000;
/// Convergence: every wanted Ritz pair has ‖Av − λv‖ ≤ this × λ₁.
const TOLERANCE: f64 = 1e-9;

/// The top principal components of a cohort.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// `eigenvectors[c][i]`: sample i's coordinate on component c (unit-length
    /// eigenvectors of A, as plink's `.eigenvec`; the sign is arbitrary).
    pub eigenvectors: Vec<Vec<f64>>,
    /// Eigenvalues of A, largest first (plink's `.eigenval`).
    pub eigenvalues: Vec<f64>,
    /// Each eigenvalue's share of A's trace: the variance the component explains.
    pub explained: Vec<f64>,
    /// Polymorphic SNPs used (M).
    pub n_variants_used: usize,
}

/// The top `components` principal components of the standardised genotypes.
pub fn pca(genotypes: &GenotypeMatrix, components: usize, job: Job<'_>) -> Result<Pca> {
    let n = genotypes.n_samples();
    if components == 0 || components >= n {
        return Err(Error::Parameter(format!(
            "PCA of {n} samples can have 1 to {} components; {components} were asked for",
            n.saturating_sub(1)
        )));
    }
    let (relationship, used) = relationship_matrix(genotypes, job)?;
    if used == 0 {
        return Err(Error::Parameter(
            "PCA needs at least one polymorphic SNP; every SNP has a single genotype".into(),
        ));
    }
    let trace: f64 = (0..n).map(|i| relationship[i * n + i]).sum();
    let (eigenvalues, eigenvectors) = top_eigenpairs(&relationship, n, components, job)?;
    Ok(Pca {
        explained: eigenvalues.iter().map(|l| l / trace).collect(),
        eigenvalues,
        eigenvectors,
        n_variants_used: used,
    })
}

/// Standardised value per genotype code (0, 1, 2, missing) of one SNP, or `None`
/// for a monomorphic SNP.
pub(super) fn standardised_codes(genotypes: &GenotypeMatrix, j: usize) -> Option<[f64; 4]> {
    let counts = genotypes.call_counts(j);
    let called = counts.called();
    if called == 0 {
        return None;
    }
    let p = counts.alt_alleles() as f64 / (2 * called) as f64;
    let variance = 2.0 * p * (1.0 - p);
    if variance <= 0.0 {
        return None;
    }
    let sd = variance.sqrt();
    let z = |x: f64| (x - 2.0 * p) / sd;
    Some([z(0.0), z(1.0), z(2.0), 0.0])
}

/// A = Z Zᵀ / M (row-major n × n) and M.
fn relationship_matrix(genotypes: &GenotypeMatrix, job: Job<'_>) -> Result<(Vec<f64>, usize)> {
    let n = genotypes.n_samples();
    let m = genotypes.n_variants();
    let mut a = vec![0.0; n * n];
    let mut used = 0usize;
    let mut block = vec![0.0f64; n * SNP_BLOCK];
    let mut start = 0;
    while start < m {
        job.checkpoint(
            "Principal components: relationship matrix",
            Some(start as f32 / m.max(1) as f32),
        )?;
        let end = (start + SNP_BLOCK).min(m);
        // Sample-major block: row i holds sample i's standardised values.
        let mut width = 0;
        for j in start..end {
            let Some(table) = standardised_codes(genotypes, j) else {
                continue;
            };
            for (i, call) in genotypes.calls(j).enumerate() {
                let code = usize::from(if call == MISSING { 3 } else { call.min(3) });
                block[i * SNP_BLOCK + width] = table[code];
            }
            width += 1;
        }
        used += width;
        let block_ref = &block;
        a.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            let zi = &block_ref[i * SNP_BLOCK..i * SNP_BLOCK + width];
            for (k, cell) in row.iter_mut().enumerate().take(i + 1) {
                let zk = &block_ref[k * SNP_BLOCK..k * SNP_BLOCK + width];
                *cell += zi.iter().zip(zk).map(|(x, y)| x * y).sum::<f64>();
            }
        });
        start = end;
    }
    let scale = 1.0 / used.max(1) as f64;
    for i in 0..n {
        for k in 0..=i {
            let value = a[i * n + k] * scale;
            a[i * n + k] = value;
            a[k * n + i] = value;
        }
    }
    Ok((a, used))
}

/// The `wanted` largest eigenvalues (descending) and unit eigenvectors of the
/// symmetric positive semi-definite `a` (row-major n × n).
pub fn top_eigenpairs(
    a: &[f64],
    n: usize,
    wanted: usize,
    job: Job<'_>,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    if a.len() != n * n || wanted == 0 || wanted > n {
        return Err(Error::Parameter(format!(
            "{wanted} eigenpairs of a {n} × {n} matrix given {} values",
            a.len()
        )));
    }
    let b = (wanted + EXTRA_VECTORS).min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(0x0070_6361);
    let mut basis: Vec<Vec<f64>> = (0..b)
        .map(|_| (0..n).map(|_| rng.random::<f64>() - 0.5).collect())
        .collect();
    orthonormalise(&mut basis)?;
    for iteration in 0..MAX_ITERATIONS {
        if iteration % 50 == 0 {
            job.checkpoint("Principal components: eigenvectors", None)?;
        }
        let product: Vec<Vec<f64>> = basis.iter().map(|v| multiply(a, n, v)).collect();
        // Rayleigh-Ritz: the best approximations within span(basis).
        let projected: Vec<f64> = (0..b * b)
            .map(|idx| dot(&basis[idx / b], &product[idx % b]))
            .collect();
        let (ritz_values, rotation) = jacobi_eigen(&projected, b);
        let mut order: Vec<usize> = (0..b).collect();
        order.sort_by(|&x, &y| ritz_values[y].total_cmp(&ritz_values[x]));
        let rotate = |vectors: &[Vec<f64>], column: usize| -> Vec<f64> {
            let mut out = vec![0.0; n];
            for (r, v) in vectors.iter().enumerate() {
                let weight = rotation[r * b + column];
                for (o, x) in out.iter_mut().zip(v) {
                    *o += weight * x;
                }
            }
            out
        };
        let vectors: Vec<Vec<f64>> = order.iter().map(|&c| rotate(&basis, c)).collect();
        let images: Vec<Vec<f64>> = order.iter().map(|&c| rotate(&product, c)).collect();
        let values: Vec<f64> = order.iter().map(|&c| ritz_values[c]).collect();
        let largest = values
            .first()
            .copied()
            .unwrap_or(0.0)
            .abs()
            .max(f64::MIN_POSITIVE);
        let converged = (0..wanted).all(|c| {
            let residual: f64 = images[c]
                .iter()
                .zip(&vectors[c])
                .map(|(av, v)| (av - values[c] * v).powi(2))
                .sum::<f64>()
                .sqrt();
            residual <= TOLERANCE * largest
        });
        if converged {
            return Ok((
                values.into_iter().take(wanted).collect(),
                vectors.into_iter().take(wanted).collect(),
            ));
        }
        basis = images;
        orthonormalise(&mut basis)?;
    }
    Err(Error::Parameter(format!(
        "the principal components did not converge within {MAX_ITERATIONS} iterations"
    )))
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

fn multiply(a: &[f64], n: usize, v: &[f64]) -> Vec<f64> {
    a.par_chunks(n).map(|row| dot(row, v)).collect()
}

/// Modified Gram-Schmidt, twice for stability.
fn orthonormalise(vectors: &mut [Vec<f64>]) -> Result<()> {
    for _ in 0..2 {
        for i in 0..vectors.len() {
            let (done, rest) = vectors.split_at_mut(i);
            let Some(v) = rest.first_mut() else {
                continue;
            };
            for u in done.iter() {
                let projection = dot(u, v);
                for (x, y) in v.iter_mut().zip(u) {
                    *x -= projection * y;
                }
            }
            let norm = dot(v, v).sqrt();
            if norm.is_nan() || norm <= 1e-300 {
                return Err(Error::Parameter(
                    "the principal components are not defined: the matrix has too few \
                     independent directions"
                        .into(),
                ));
            }
            v.iter_mut().for_each(|x| *x /= norm);
        }
    }
    Ok(())
}

/// Eigenvalues and eigenvectors (columns of the row-major result) of a small
/// symmetric matrix by cyclic Jacobi rotations.
fn jacobi_eigen(matrix: &[f64], b: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    // Symmetrise: the projection is symmetric up to rounding.
    for i in 0..b {
        for k in 0..i {
            let mean = 0.5 * (a[i * b + k] + a[k * b + i]);
            a[i * b + k] = mean;
            a[k * b + i] = mean;
        }
    }
    let mut v = vec![0.0; b * b];
    for i in 0..b {
        v[i * b + i] = 1.0;
    }
    for _ in 0..100 {
        let off: f64 = (0..b)
            .flat_map(|i| (0..b).filter(move |&k| k != i).map(move |k| (i, k)))
            .map(|(i, k)| a[i * b + k].powi(2))
            .sum();
        let diagonal: f64 = (0..b).map(|i| a[i * b + i].powi(2)).sum();
        if off <= 1e-30 * diagonal.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..b {
            for q in p + 1..b {
                let apq = a[p * b + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * b + q] - a[p * b + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..b {
                    let akp = a[k * b + p];
                    let akq = a[k * b + q];
                    a[k * b + p] = c * akp - s * akq;
                    a[k * b + q] = s * akp + c * akq;
                }
                for k in 0..b {
                    let apk = a[p * b + k];
                    let aqk = a[q * b + k];
                    a[p * b + k] = c * apk - s * aqk;
                    a[q * b + k] = s * apk + c * aqk;
                }
                for k in 0..b {
                    let vkp = v[k * b + p];
                    let vkq = v[k * b + q];
                    v[k * b + p] = c * vkp - s * vkq;
                    v[k * b + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..b).map(|i| a[i * b + i]).collect(), v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::data::Variant;
    use crate::job::unattended;

    /// A matrix with known eigenpairs: Q diag(λ) Qᵀ with Q a product of rotations.
    #[test]
    fn explicit_matrix_eigenpairs_are_recovered() {
        let n = 12;
        let lambdas: Vec<f64> = (0..n).map(|i| 10.0 / (1.0 + i as f64)).collect();
        // Q: Householder reflection I - 2 w wᵀ / wᵀw, orthogonal by construction.
        let w: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin() + 0.3).collect();
        let ww = dot(&w, &w);
        let q = |i: usize, k: usize| f64::from(u8::from(i == k)) - 2.0 * w[i] * w[k] / ww;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..n {
                a[i * n + k] = (0..n).map(|c| q(i, c) * lambdas[c] * q(k, c)).sum();
            }
        }
        let (values, vectors) = unattended(|job| top_eigenpairs(&a, n, 3, job)).unwrap();
        for c in 0..3 {
            assert!((values[c] - lambdas[c]).abs() < 1e-8, "{values:?}");
            let expected: Vec<f64> = (0..n).map(|i| q(i, c)).collect();
            assert!((dot(&vectors[c], &expected).abs() - 1.0).abs() < 1e-8);
        }
        // Orthogonality of the returned vectors.
        assert!(dot(&vectors[0], &vectors[1]).abs() < 1e-10);
        assert!(dot(&vectors[1], &vectors[2]).abs() < 1e-10);
    }

    #[test]
    fn two_groups_split_on_the_first_component() {
        // Samples 0-9 carry the alt allele at SNPs 0-19, samples 10-19 do not;
        // SNPs 20-39 vary without structure.
        let samples: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
        let mut m = GenotypeMatrix::new(samples);
        for j in 0..40 {
            let calls: Vec<u8> = (0..20)
                .map(|i| {
                    if j < 20 {
                        if i < 10 {
                            2
                        } else {
                            u8::from((i + j) % 7 == 0)
                        }
                    } else {
                        ((i * 31 + j * 17) % 3) as u8
                    }
                })
                .collect();
            let variant = Variant {
                chrom: "1".into(),
                pos: j as u64 + 1,
                id: format!("v{j}"),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            };
            m.push_variant(variant, &calls);
        }
        let result = unattended(|job| pca(&m, 2, job)).unwrap();
        let pc1 = &result.eigenvectors[0];
        let first = pc1[0].signum();
        assert!(pc1[..10].iter().all(|x| x.signum() == first));
        assert!(pc1[10..].iter().all(|x| x.signum() == -first));
        assert!(result.eigenvalues[0] > result.eigenvalues[1]);
        assert!(result.explained[0] > 0.0 && result.explained[0] < 1.0);
    }

    #[test]
    fn too_many_components_are_refused() {
        let m = GenotypeMatrix::new(vec!["a".into(), "b".into()]);
        assert!(matches!(
            unattended(|job| pca(&m, 2, job)),
            Err(Error::Parameter(_))
        ));
    }
}
