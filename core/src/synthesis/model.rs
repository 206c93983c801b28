//! The chain graphical model and its Private-PGM estimator (spec §4.1, §4.3).
//!
//! Cliques are (y, s_i, s_{i+1}) for i = 1..d−1 with y the class label (a single
//! class when no label is modelled) and s_i the genotype state of SNP i. The
//! junction tree is the chain itself with separators (y, s_{i+1}), so belief
//! propagation is one forward and one backward sweep in log space.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::job::Job;

/// Shape of the chain: classes C, genotype states K, SNPs d and order o (each
/// clique holds y and o + 1 consecutive SNPs; o = 2 is the second-order chain
/// of spec §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainDomain {
    pub n_classes: usize,
    pub n_states: usize,
    pub n_snps: usize,
    pub order: usize,
}

impl ChainDomain {
    /// A first-order chain: cliques (y, s_i, s_{i+1}).
    pub fn new(n_classes: usize, n_states: usize, n_snps: usize) -> Result<Self> {
        Self::with_order(n_classes, n_states, n_snps, 1)
    }

    /// A chain of order 1 to 3: cliques (y, s_i, ..., s_{i+order}).
    pub fn with_order(
        n_classes: usize,
        n_states: usize,
        n_snps: usize,
        order: usize,
    ) -> Result<Self> {
        if n_classes == 0 || n_classes > 255 {
            return Err(Error::Parameter(format!(
                "the number of label classes must be between 1 and 255, got {n_classes}"
            )));
        }
        if !(2..=4).contains(&n_states) {
            return Err(Error::Parameter(format!(
                "a SNP has 3 genotype states (4 with a missing category), got {n_states}"
            )));
        }
        if !(1..=3).contains(&order) {
            return Err(Error::Parameter(format!(
                "the chain order must be 1, 2 or 3, got {order}"
            )));
        }
        if n_snps < order + 1 {
            return Err(Error::Parameter(format!(
                "a chain of order {order} needs at least {} SNPs, got {n_snps}",
                order + 1
            )));
        }
        Ok(Self {
            n_classes,
            n_states,
            n_snps,
            order,
        })
    }

    /// Number of cliques m = d − order.
    pub fn n_cliques(&self) -> usize {
        self.n_snps - self.order
    }

    /// Cells of one clique table: C·K^(order+1).
    pub fn clique_cells(&self) -> usize {
        self.n_classes * self.n_states.pow(self.order as u32 + 1)
    }

    /// Cells of one separator (y and `order` SNPs): C·K^order.
    pub fn separator_cells(&self) -> usize {
        self.n_classes * self.n_states.pow(self.order as u32)
    }

    /// Flat index of a clique cell: y, then the clique's SNP states in chain
    /// order, the last varying fastest.
    pub fn cell_of(&self, y: usize, states: &[usize]) -> usize {
        states.iter().fold(y, |index, &s| index * self.n_states + s)
    }

    /// First-order shorthand: the cell (y, a, b) with a = s_i, b = s_{i+1}.
    pub fn cell(&self, y: usize, a: usize, b: usize) -> usize {
        self.cell_of(y, &[a, b])
    }

    /// The separator shared with the previous clique (y and the first `order`
    /// SNPs) of a cell.
    fn left_separator(&self, cell: usize) -> usize {
        cell / self.n_states
    }

    /// The separator shared with the next clique (y and the last `order` SNPs).
    fn right_separator(&self, cell: usize) -> usize {
        let width = self.n_states.pow(self.order as u32);
        let per_class = width * self.n_states;
        (cell / per_class) * width + cell % width
    }

    /// Model size in bytes (spec §4.3: Σ cells × 8).
    pub fn model_bytes(&self) -> usize {
        self.n_cliques() * self.clique_cells() * 8
    }
}

/// Options of the mirror-descent estimator.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EstimatorOptions {
    pub max_iterations: usize,
    /// Stop when an accepted step lowers the loss by less than this fraction.
    pub relative_tolerance: f64,
}

impl Default for EstimatorOptions {
    fn default() -> Self {
        Self {
            max_iterations: 1000,
            relative_tolerance: 1e-9,
        }
    }
}

/// What the estimator did, for the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EstimatorReport {
    pub iterations: usize,
    pub initial_loss: f64,
    pub final_loss: f64,
    /// True when the relative tolerance was reached before the iteration cap.
    pub converged: bool,
    /// Estimate of the number of individuals: the mean of the noisy clique sums.
    pub total: f64,
}

/// A fitted chain model: log-potentials θ, one table per clique.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainModel {
    domain: ChainDomain,
    theta: Vec<f64>,
    /// Probabilities of every clique cell (each clique sums to 1).
    marginals: Vec<f64>,
}

impl ChainModel {
    /// A model from log-potentials (one C·K² table per clique, concatenated).
    pub fn from_potentials(domain: ChainDomain, theta: Vec<f64>) -> Result<Self> {
        if theta.len() != domain.n_cliques() * domain.clique_cells() {
            return Err(Error::Mismatch(format!(
                "{} log-potentials given for a chain of {} cliques of {} cells",
                theta.len(),
                domain.n_cliques(),
                domain.clique_cells()
            )));
        }
        let marginals = belief_propagation(&domain, &theta)?;
        Ok(Self {
            domain,
            theta,
            marginals,
        })
    }

    pub fn domain(&self) -> ChainDomain {
        self.domain
    }

    /// Probabilities of every clique cell under the model (clique tables
    /// concatenated, each summing to 1).
    pub fn marginals(&self) -> &[f64] {
        &self.marginals
    }

    /// Private-PGM on the chain: mirror descent on the log-potentials, minimising
    /// L(μ) = Σ_c ‖N·μ_c − y_c‖² / (2σ) over consistent marginals μ (spec §4.3), with
    /// the Armijo rule α ← 1.01α on acceptance, α ← α/2 otherwise, α₀ = 2/N.
    ///
    /// Warm start [derived]: θ is initialised to the chain built from the noisy
    /// tables (clique 1 joint, later cliques conditional on (y, s_i)), counts
    /// clipped below at 10⁻³ so logarithms exist. With consistent, noise-free
    /// tables this start is already the exact solution.
    pub fn fit(
        domain: ChainDomain,
        noisy: &[f64],
        sigma: f64,
        options: EstimatorOptions,
        job: Job<'_>,
    ) -> Result<(Self, EstimatorReport)> {
        let cells = domain.clique_cells();
        let m = domain.n_cliques();
        if noisy.len() != m * cells {
            return Err(Error::Mismatch(format!(
                "{} noisy counts given for a chain of {m} cliques of {cells} cells",
                noisy.len()
            )));
        }
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::Parameter(format!(
                "the noise standard deviation must be positive, got {sigma}"
            )));
        }
        let total = (noisy.iter().sum::<f64>() / m as f64).max(1.0);
        let theta = warm_start(&domain, noisy);
        let mut model = Self::from_potentials(domain, theta)?;
        let loss_of = |model: &Self| -> (f64, Vec<f64>) {
            let mut gradient = vec![0.0; noisy.len()];
            // Partial sums over fixed chunks, added in order: the loss is the same
            // whatever the thread count, so seeded runs stay reproducible.
            let partial: Vec<f64> = gradient
                .par_chunks_mut(CELLS_PER_TASK)
                .zip(
                    model
                        .marginals
                        .par_chunks(CELLS_PER_TASK)
                        .zip(noisy.par_chunks(CELLS_PER_TASK)),
                )
                .map(|(gradient, (marginals, noisy))| {
                    let mut loss = 0.0;
                    for ((g, p), y) in gradient.iter_mut().zip(marginals).zip(noisy) {
                        let diff = total * p - y;
                        loss += diff * diff / (2.0 * sigma);
                        *g = diff / sigma;
                    }
                    loss
                })
                .collect();
            (partial.iter().sum(), gradient)
        };
        let (mut loss, mut gradient) = loss_of(&model);
        let initial_loss = loss;
        let mut alpha = 2.0 / total;
        let mut iterations = 0;
        let mut converged = false;
        let mut shrinks_in_a_row = 0;
        while iterations < options.max_iterations {
            if iterations % 20 == 0 {
                job.checkpoint(
                    "Fitting the synthetic-data model",
                    Some(iterations as f32 / options.max_iterations as f32),
                )?;
            }
            iterations += 1;
            let theta: Vec<f64> = model
                .theta
                .par_iter()
                .zip(&gradient)
                .map(|(t, g)| t - alpha * g)
                .collect();
            let candidate = Self::from_potentials(domain, theta)?;
            let (candidate_loss, candidate_gradient) = loss_of(&candidate);
            // Armijo: L(μ) − L(μ′) ≥ ½·α·∇L·(μ − μ′), μ in counts.
            let directional: f64 = gradient
                .par_chunks(CELLS_PER_TASK)
                .zip(
                    model
                        .marginals
                        .par_chunks(CELLS_PER_TASK)
                        .zip(candidate.marginals.par_chunks(CELLS_PER_TASK)),
                )
                .map(|(gradient, (old, new))| {
                    gradient
                        .iter()
                        .zip(old.iter().zip(new))
                        .map(|(g, (old, new))| g * total * (old - new))
                        .sum::<f64>()
                })
                .collect::<Vec<f64>>()
                .iter()
                .sum();
            if loss - candidate_loss >= 0.5 * alpha * directional {
                let improvement = loss - candidate_loss;
                model = candidate;
                (loss, gradient) = (candidate_loss, candidate_gradient);
                alpha *= 1.01;
                shrinks_in_a_row = 0;
                if improvement <= options.relative_tolerance * loss.max(f64::MIN_POSITIVE) {
                    converged = true;
                    break;
                }
            } else {
                alpha *= 0.5;
                shrinks_in_a_row += 1;
                // No descent even with a step 2⁻⁶⁰ of the last one: at the optimum
                // to machine precision.
                if shrinks_in_a_row > 60 {
                    converged = true;
                    break;
                }
            }
        }
        let report = EstimatorReport {
            iterations,
            initial_loss,
            final_loss: loss,
            converged,
            total,
        };
        Ok((model, report))
    }

    /// P(y), P(first `order` SNPs | y), and per clique P(last SNP | y, the
    /// `order` SNPs before it), as cumulative tables derived from the consistent
    /// marginals. A conditioning event of probability zero is never reached by
    /// forward sampling; its row is uniform only so that the table is well formed.
    pub(crate) fn sampling_tables(&self) -> SamplingTables {
        let d = self.domain;
        let (c, k) = (d.n_classes, d.n_states);
        let width = d.separator_cells() / c;
        let first = &self.marginals[..d.clique_cells()];
        // The first clique summed over its last SNP: P(y, s_1..s_order).
        let prefix: Vec<f64> = first.chunks(k).map(|row| row.iter().sum()).collect();
        let label: Vec<f64> = prefix.chunks(width).map(|row| row.iter().sum()).collect();
        let row_table = |row: &[f64]| {
            if row.iter().sum::<f64>() > 0.0 {
                cumulative(row)
            } else {
                cumulative(&vec![1.0; row.len()])
            }
        };
        let first_states = prefix.chunks(width).flat_map(row_table).collect();
        // Each chunk of K is one (clique, y, preceding states) row over the last SNP.
        let transitions = self.marginals.chunks(k).flat_map(row_table).collect();
        SamplingTables {
            label: cumulative(&label),
            first_states,
            transitions,
        }
    }
}

/// Cumulative, normalised probabilities of `weights` (the last entry is exactly 1).
pub(crate) fn cumulative(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut running = 0.0;
    let mut out: Vec<f64> = weights
        .iter()
        .map(|w| {
            running += w / total;
            running
        })
        .collect();
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    out
}

/// Cumulative tables for forward sampling (see [`ChainModel::sampling_tables`]).
pub(crate) struct SamplingTables {
    pub label: Vec<f64>,
    /// Indexed [y·K^order + states of SNPs 1..order].
    pub first_states: Vec<f64>,
    /// Indexed [clique cell]: rows of K over the clique's last SNP.
    pub transitions: Vec<f64>,
}

fn log_sum_exp(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Divides `values` by their sum; fails if the sum is not positive.
fn normalise(values: &mut [f64]) -> Result<()> {
    let total: f64 = values.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(Error::Parameter(
            "the synthetic-data model degenerated numerically (a message underflowed); \
             try fewer iterations or a larger budget"
                .into(),
        ));
    }
    values.iter_mut().for_each(|v| *v /= total);
    Ok(())
}

/// Cliques per parallel task: enough work to amortise scheduling.
const CLIQUES_PER_TASK: usize = 1024;

/// Cells per parallel task in the loss and step computations.
const CELLS_PER_TASK: usize = 16_384;

/// Clique marginals (probabilities) by one forward and one backward sweep.
///
/// Potentials stay in log space (θ); each clique's exp(θ − max θ) and every
/// message are rescaled to sum to 1, which keeps the sweeps in floating-point
/// range without a logarithm per cell [derived].
fn belief_propagation(domain: &ChainDomain, theta: &[f64]) -> Result<Vec<f64>> {
    let cells = domain.clique_cells();
    let sep = domain.separator_cells();
    let m = domain.n_cliques();
    // Separator indices of every cell, computed once instead of per clique.
    let left: Vec<usize> = (0..cells).map(|c| domain.left_separator(c)).collect();
    let right: Vec<usize> = (0..cells).map(|c| domain.right_separator(c)).collect();
    let mut beliefs: Vec<f64> = theta.to_vec();
    beliefs
        .par_chunks_mut(cells * CLIQUES_PER_TASK)
        .for_each(|group| {
            for clique in group.chunks_mut(cells) {
                let max = clique.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                clique.iter_mut().for_each(|v| *v = (*v - max).exp());
            }
        });
    let potentials = &beliefs;
    // forward[i]: message into clique i from the left, over its left separator.
    let mut forward = vec![1.0; m * sep];
    for i in 0..m.saturating_sub(1) {
        let table = &potentials[i * cells..(i + 1) * cells];
        let (head, tail) = forward.split_at_mut((i + 1) * sep);
        let incoming = &head[i * sep..];
        let outgoing = &mut tail[..sep];
        outgoing.fill(0.0);
        for ((psi, &l), &r) in table.iter().zip(&left).zip(&right) {
            outgoing[r] += psi * incoming[l];
        }
        normalise(outgoing)?;
    }
    // backward[i]: message into clique i from the right, over its right separator.
    let mut backward = vec![1.0; m * sep];
    for i in (1..m).rev() {
        let table = &potentials[i * cells..(i + 1) * cells];
        let (head, tail) = backward.split_at_mut(i * sep);
        let incoming = &tail[..sep];
        let outgoing = &mut head[(i - 1) * sep..i * sep];
        outgoing.fill(0.0);
        for ((psi, &l), &r) in table.iter().zip(&left).zip(&right) {
            outgoing[l] += psi * incoming[r];
        }
        normalise(outgoing)?;
    }
    beliefs
        .par_chunks_mut(cells * CLIQUES_PER_TASK)
        .zip(
            forward
                .par_chunks(sep * CLIQUES_PER_TASK)
                .zip(backward.par_chunks(sep * CLIQUES_PER_TASK)),
        )
        .try_for_each(|(group, (forward, backward))| {
            for (clique, (forward, backward)) in group
                .chunks_mut(cells)
                .zip(forward.chunks(sep).zip(backward.chunks(sep)))
            {
                for ((value, &l), &r) in clique.iter_mut().zip(&left).zip(&right) {
                    *value *= forward[l] * backward[r];
                }
                normalise(clique)?;
            }
            Ok(())
        })?;
    Ok(beliefs)
}

/// Log-potentials of the chain built from the noisy tables: ln P̂(y, s_1, s_2) for
/// the first clique, ln P̂(s_{i+1} | y, s_i) for the others.
fn warm_start(domain: &ChainDomain, noisy: &[f64]) -> Vec<f64> {
    const FLOOR: f64 = 1e-3;
    let k = domain.n_states;
    let cells = domain.clique_cells();
    let mut theta: Vec<f64> = noisy.iter().map(|v| v.max(FLOOR).ln()).collect();
    for (i, clique) in theta.chunks_mut(cells).enumerate() {
        if i == 0 {
            let log_total = log_sum_exp(clique.iter().copied());
            clique.iter_mut().for_each(|v| *v -= log_total);
        } else {
            for row in clique.chunks_mut(k) {
                let log_row = log_sum_exp(row.iter().copied());
                row.iter_mut().for_each(|v| *v -= log_row);
            }
        }
    }
    theta
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;

    /// Deterministic, irregular log-potentials.
    fn potentials(domain: &ChainDomain) -> Vec<f64> {
        (0..domain.n_cliques() * domain.clique_cells())
            .map(|i| ((i * 7919 % 113) as f64 / 37.0).sin() * 2.0)
            .collect()
    }

    /// Clique marginals by summing the unnormalised joint over every assignment.
    fn brute_force(domain: &ChainDomain, theta: &[f64]) -> Vec<f64> {
        let (c, k, d, o) = (
            domain.n_classes,
            domain.n_states,
            domain.n_snps,
            domain.order,
        );
        let cells = domain.clique_cells();
        let mut marginals = vec![0.0; domain.n_cliques() * cells];
        let mut z = 0.0;
        let assignments = c * k.pow(d as u32);
        for code in 0..assignments {
            let y = code % c;
            let mut rest = code / c;
            let states: Vec<usize> = (0..d)
                .map(|_| {
                    let s = rest % k;
                    rest /= k;
                    s
                })
                .collect();
            let cell = |i: usize| i * cells + domain.cell_of(y, &states[i..=i + o]);
            let weight: f64 = (0..domain.n_cliques())
                .map(|i| theta[cell(i)])
                .sum::<f64>()
                .exp();
            z += weight;
            for i in 0..domain.n_cliques() {
                marginals[cell(i)] += weight;
            }
        }
        marginals.iter().map(|w| w / z).collect()
    }

    #[test]
    fn belief_propagation_equals_enumeration() -> Result<()> {
        for (c, k, d, o) in [
            (1, 3, 3, 1),
            (2, 3, 4, 1),
            (3, 4, 4, 1),
            (2, 3, 2, 1),
            (2, 3, 5, 2),
            (1, 4, 4, 2),
            (2, 3, 3, 2),
            (2, 3, 5, 3),
        ] {
            let domain = ChainDomain::with_order(c, k, d, o)?;
            let theta = potentials(&domain);
            let model = ChainModel::from_potentials(domain, theta.clone())?;
            let exact = brute_force(&domain, &theta);
            for (bp, bf) in model.marginals().iter().zip(&exact) {
                assert!(
                    (bp - bf).abs() < 1e-12,
                    "C {c} K {k} d {d} order {o}: {bp} vs {bf}"
                );
            }
        }
        Ok(())
    }

    /// Noise-free but inconsistent-looking input is not needed: from the exact
    /// marginals of a random chain, the estimator recovers them.
    #[test]
    fn fit_recovers_consistent_marginals() -> Result<()> {
        for order in [1, 2] {
            fit_recovers_consistent_marginals_of_order(order)?;
        }
        Ok(())
    }

    fn fit_recovers_consistent_marginals_of_order(order: usize) -> Result<()> {
        let domain = ChainDomain::with_order(2, 3, 6, order)?;
        let truth = ChainModel::from_potentials(domain, potentials(&domain))?;
        let n = 1000.0;
        let counts: Vec<f64> = truth.marginals().iter().map(|p| p * n).collect();
        let options = EstimatorOptions::default();
        let (fitted, report) =
            job::unattended(|job| ChainModel::fit(domain, &counts, 1.0, options, job))?;
        for (f, t) in fitted.marginals().iter().zip(truth.marginals()) {
            assert!((f - t).abs() < 1e-5, "{f} vs {t}");
        }
        assert!((report.total - n).abs() < 1e-9);
        Ok(())
    }

    /// With noisy, mutually inconsistent tables, mirror descent lowers the loss
    /// from the warm start and the result stays a proper distribution.
    #[test]
    fn fit_descends_on_noisy_tables() -> Result<()> {
        let domain = ChainDomain::new(2, 3, 8)?;
        let truth = ChainModel::from_potentials(domain, potentials(&domain))?;
        let noisy: Vec<f64> = truth
            .marginals()
            .iter()
            .enumerate()
            .map(|(i, p)| p * 500.0 + ((i * 31 % 17) as f64 - 8.0) * 3.0)
            .collect();
        let options = EstimatorOptions {
            max_iterations: 300,
            relative_tolerance: 1e-12,
        };
        let (fitted, report) =
            job::unattended(|job| ChainModel::fit(domain, &noisy, 3.0, options, job))?;
        assert!(report.final_loss < report.initial_loss);
        for clique in fitted.marginals().chunks(domain.clique_cells()) {
            assert!((clique.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        Ok(())
    }
}
