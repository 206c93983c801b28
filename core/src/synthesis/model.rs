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
    /// 500 iterations: from the projected start (see [`ChainModel::fit`]) they
    /// reach a lower loss and a lower allele-frequency error than 1,000 did from
    /// the earlier conditional-chain start, in half the time
    /// (`benchmarks/synthesis_speed.md`).
    fn default() -> Self {
        Self {
            max_iterations: 500,
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
    /// Estimate of the number of individuals: the noisy table sums, each weighted
    /// by the inverse of its noise variance.
    pub total: f64,
}

/// The noisy tables the estimator fits. Every cell carries noise of the same
/// standard deviation (they are measured by one Gaussian mechanism).
#[derive(Clone, Copy, Debug)]
pub struct Observations<'a> {
    /// One C·K^(order+1) table per clique, concatenated.
    pub cliques: &'a [f64],
    /// One label-free K-cell table per SNP, concatenated; empty when none were
    /// measured.
    pub snps: &'a [f64],
    /// Per-cell noise standard deviation.
    pub sigma: f64,
}

impl<'a> Observations<'a> {
    /// Clique tables alone.
    pub fn cliques(cliques: &'a [f64], sigma: f64) -> Self {
        Self {
            cliques,
            snps: &[],
            sigma,
        }
    }

    /// The minimum-variance unbiased estimate of N: table sums weighted by the
    /// inverse of their noise variance (cells·σ²).
    fn total(&self, domain: &ChainDomain) -> f64 {
        let weighted = |values: &[f64], cells: usize| {
            let tables = values.len() / cells;
            (
                values.iter().sum::<f64>() / cells as f64,
                tables as f64 / cells as f64,
            )
        };
        let (clique_sum, clique_weight) = weighted(self.cliques, domain.clique_cells());
        let (snp_sum, snp_weight) = weighted(self.snps, domain.n_states);
        ((clique_sum + snp_sum) / (clique_weight + snp_weight)).max(1.0)
    }
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
    /// L(μ) = Σ_t ‖N·μ_t − y_t‖² / (2σ) over consistent marginals μ (spec §4.3), the
    /// sum over the clique tables and the SNP tables (a SNP's marginal is read off
    /// the first clique that holds it), with
    /// the Armijo rule α ← 1.01α on acceptance, α ← α/2 otherwise, α₀ = 2/N.
    ///
    /// Warm start [derived]: θ is initialised to the chain whose clique marginals
    /// are the noisy tables projected to be consistent (see [`projected_start`]).
    /// With consistent, noise-free tables this start is already the exact solution.
    pub fn fit(
        domain: ChainDomain,
        observations: Observations<'_>,
        options: EstimatorOptions,
        job: Job<'_>,
    ) -> Result<(Self, EstimatorReport)> {
        let cells = domain.clique_cells();
        let m = domain.n_cliques();
        let Observations {
            cliques: noisy,
            snps,
            sigma,
        } = observations;
        if noisy.len() != m * cells {
            return Err(Error::Mismatch(format!(
                "{} noisy counts given for a chain of {m} cliques of {cells} cells",
                noisy.len()
            )));
        }
        if !snps.is_empty() && snps.len() != domain.n_snps * domain.n_states {
            return Err(Error::Mismatch(format!(
                "{} noisy SNP counts given for {} SNPs of {} states",
                snps.len(),
                domain.n_snps,
                domain.n_states
            )));
        }
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::Parameter(format!(
                "the noise standard deviation must be positive, got {sigma}"
            )));
        }
        job.checkpoint("Fitting the synthetic-data model", Some(0.0))?;
        let total = observations.total(&domain);
        let loss_scale = Scale { total, sigma };
        let index = CellIndex::new(&domain);
        let mut messages = Messages::new(&domain);
        // The current point (θ, μ, ∇L) and the candidate's buffers, swapped on
        // acceptance: no allocation inside the loop.
        let mut theta = projected_start(&domain, observations, total);
        let mut marginals = vec![0.0; theta.len()];
        let mut gradient = vec![0.0; theta.len()];
        let mut next_theta = theta.clone();
        let mut next_marginals = vec![0.0; theta.len()];
        let mut next_gradient = vec![0.0; theta.len()];
        exponentiate(&domain, &theta, &mut marginals);
        messages.sweep(&domain, &index, &marginals)?;
        let (mut loss, _) = score(
            &domain,
            &index,
            &messages,
            Candidate {
                marginals: &mut marginals,
                gradient: &mut gradient,
            },
            Current {
                marginals: &next_marginals,
                gradient: &next_gradient,
            },
            observations,
            loss_scale,
        )?;
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
            step_and_exponentiate(
                &domain,
                (&theta, &gradient, alpha),
                &mut next_theta,
                &mut next_marginals,
            );
            // A step so long that a message underflows (the candidate has no
            // well-defined marginals; `normalise`, the only failure of `sweep` and
            // `score`) is rejected like one that does not descend.
            let scored = messages
                .sweep(&domain, &index, &next_marginals)
                .and_then(|()| {
                    score(
                        &domain,
                        &index,
                        &messages,
                        Candidate {
                            marginals: &mut next_marginals,
                            gradient: &mut next_gradient,
                        },
                        Current {
                            marginals: &marginals,
                            gradient: &gradient,
                        },
                        observations,
                        loss_scale,
                    )
                });
            // Armijo: L(μ) − L(μ′) ≥ ½·α·∇L·(μ − μ′), μ in counts.
            let descends = match scored {
                Ok((candidate_loss, directional)) => {
                    (loss - candidate_loss >= 0.5 * alpha * directional).then_some(candidate_loss)
                }
                Err(Error::Parameter(_)) => None,
                Err(other) => return Err(other),
            };
            if let Some(candidate_loss) = descends {
                let improvement = loss - candidate_loss;
                std::mem::swap(&mut theta, &mut next_theta);
                std::mem::swap(&mut marginals, &mut next_marginals);
                std::mem::swap(&mut gradient, &mut next_gradient);
                loss = candidate_loss;
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
        let model = Self {
            domain,
            theta,
            marginals,
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

/// Cliques per parallel task: enough work to amortise scheduling. Every
/// parallel sum is taken over these fixed groups and added in order, so results
/// do not depend on the number of threads.
const CLIQUES_PER_TASK: usize = 1024;

/// Separator indices and SNP states of every cell of a clique (the same for
/// every clique).
struct CellIndex {
    left: Vec<usize>,
    right: Vec<usize>,
    /// states[p][cell]: the state of the clique's SNP at position p (0..=order).
    states: Vec<Vec<usize>>,
}

impl CellIndex {
    fn new(domain: &ChainDomain) -> Self {
        let cells = domain.clique_cells();
        let k = domain.n_states;
        Self {
            left: (0..cells).map(|c| domain.left_separator(c)).collect(),
            right: (0..cells).map(|c| domain.right_separator(c)).collect(),
            states: (0..=domain.order)
                .map(|p| {
                    let stride = k.pow((domain.order - p) as u32);
                    (0..cells).map(|c| (c / stride) % k).collect()
                })
                .collect(),
        }
    }
}

/// Belief-propagation messages, one separator table per clique.
struct Messages {
    /// forward[i]: message into clique i from the left, over its left separator.
    forward: Vec<f64>,
    /// backward[i]: message into clique i from the right, over its right separator.
    backward: Vec<f64>,
}

impl Messages {
    fn new(domain: &ChainDomain) -> Self {
        let size = domain.n_cliques() * domain.separator_cells();
        Self {
            forward: vec![1.0; size],
            backward: vec![1.0; size],
        }
    }

    /// Both sweeps from the clique potentials exp(θ): they are independent, so
    /// they run side by side. Each message is rescaled to sum to 1, which keeps
    /// the sweeps in floating-point range without a logarithm per cell [derived].
    fn sweep(&mut self, domain: &ChainDomain, index: &CellIndex, potentials: &[f64]) -> Result<()> {
        let cells = domain.clique_cells();
        let sep = domain.separator_cells();
        let m = domain.n_cliques();
        let (forward, backward) = (&mut self.forward, &mut self.backward);
        let (forward_result, backward_result) = rayon::join(
            || -> Result<()> {
                for i in 0..m.saturating_sub(1) {
                    let table = &potentials[i * cells..(i + 1) * cells];
                    let (head, tail) = forward.split_at_mut((i + 1) * sep);
                    let incoming = &head[i * sep..];
                    let outgoing = &mut tail[..sep];
                    outgoing.fill(0.0);
                    for ((psi, &l), &r) in table.iter().zip(&index.left).zip(&index.right) {
                        outgoing[r] += psi * incoming[l];
                    }
                    normalise(outgoing)?;
                }
                Ok(())
            },
            || -> Result<()> {
                for i in (1..m).rev() {
                    let table = &potentials[i * cells..(i + 1) * cells];
                    let (head, tail) = backward.split_at_mut(i * sep);
                    let incoming = &tail[..sep];
                    let outgoing = &mut head[(i - 1) * sep..i * sep];
                    outgoing.fill(0.0);
                    for ((psi, &l), &r) in table.iter().zip(&index.left).zip(&index.right) {
                        outgoing[l] += psi * incoming[r];
                    }
                    normalise(outgoing)?;
                }
                Ok(())
            },
        );
        forward_result.and(backward_result)
    }
}

/// One clique's marginal from its potentials and the two messages, in place.
fn clique_belief(
    clique: &mut [f64],
    forward: &[f64],
    backward: &[f64],
    index: &CellIndex,
) -> Result<()> {
    for ((value, &l), &r) in clique.iter_mut().zip(&index.left).zip(&index.right) {
        *value *= forward[l] * backward[r];
    }
    normalise(clique)
}

/// exp(v − max) of one clique's values into `out`: the largest potential is 1,
/// so no clique overflows or underflows as a whole.
fn exp_shifted(values: impl Iterator<Item = f64> + Clone, out: &mut [f64]) {
    let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
    for (o, v) in out.iter_mut().zip(values) {
        *o = (v - max).exp();
    }
}

/// Clique potentials exp(θ − max θ) per clique.
fn exponentiate(domain: &ChainDomain, theta: &[f64], potentials: &mut [f64]) {
    let cells = domain.clique_cells();
    potentials
        .par_chunks_mut(cells * CLIQUES_PER_TASK)
        .zip(theta.par_chunks(cells * CLIQUES_PER_TASK))
        .for_each(|(out, theta)| {
            for (out, theta) in out.chunks_mut(cells).zip(theta.chunks(cells)) {
                exp_shifted(theta.iter().copied(), out);
            }
        });
}

/// The mirror-descent step θ′ = θ − α·∇L and its potentials, in one pass.
fn step_and_exponentiate(
    domain: &ChainDomain,
    (theta, gradient, alpha): (&[f64], &[f64], f64),
    next_theta: &mut [f64],
    potentials: &mut [f64],
) {
    let group = domain.clique_cells() * CLIQUES_PER_TASK;
    let cells = domain.clique_cells();
    next_theta
        .par_chunks_mut(group)
        .zip(potentials.par_chunks_mut(group))
        .zip(theta.par_chunks(group).zip(gradient.par_chunks(group)))
        .for_each(|((next, out), (theta, gradient))| {
            for (t, (th, g)) in next.iter_mut().zip(theta.iter().zip(gradient)) {
                *t = th - alpha * g;
            }
            for (next, out) in next.chunks(cells).zip(out.chunks_mut(cells)) {
                exp_shifted(next.iter().copied(), out);
            }
        });
}

/// Constants of the loss: the estimated N and the noise σ.
#[derive(Clone, Copy)]
struct Scale {
    total: f64,
    sigma: f64,
}

/// The point being scored: its potentials (turned into marginals in place) and
/// the buffer that receives its gradient.
struct Candidate<'a> {
    marginals: &'a mut [f64],
    gradient: &'a mut [f64],
}

/// The accepted point the candidate is compared with.
struct Current<'a> {
    marginals: &'a [f64],
    gradient: &'a [f64],
}

/// Finishes belief propagation for `candidate` (its potentials become clique
/// marginals) and, in the same pass, its loss Σ (N·μ − y)² / (2σ), its gradient
/// (N·μ − y)/σ per clique cell (a SNP table's residual added to every cell of
/// the clique it is read from with that SNP's state) and the Armijo term
/// Σ ∇L(current)·N·(μ_current − μ_candidate).
fn score(
    domain: &ChainDomain,
    index: &CellIndex,
    messages: &Messages,
    candidate: Candidate<'_>,
    current: Current<'_>,
    observations: Observations<'_>,
    Scale { total, sigma }: Scale,
) -> Result<(f64, f64)> {
    let cells = domain.clique_cells();
    let sep = domain.separator_cells();
    let group = cells * CLIQUES_PER_TASK;
    let noisy = observations.cliques;
    let partial: Vec<(f64, f64)> = candidate
        .marginals
        .par_chunks_mut(group)
        .zip(candidate.gradient.par_chunks_mut(group))
        .zip(noisy.par_chunks(group))
        .zip(
            current
                .marginals
                .par_chunks(group)
                .zip(current.gradient.par_chunks(group)),
        )
        .zip(
            messages
                .forward
                .par_chunks(sep * CLIQUES_PER_TASK)
                .zip(messages.backward.par_chunks(sep * CLIQUES_PER_TASK)),
        )
        .enumerate()
        .map(
            |(
                task,
                ((((marginals, gradient), noisy), (old, old_gradient)), (forward, backward)),
            )| {
                for ((clique, forward), backward) in marginals
                    .chunks_mut(cells)
                    .zip(forward.chunks(sep))
                    .zip(backward.chunks(sep))
                {
                    clique_belief(clique, forward, backward, index)?;
                }
                let (mut loss, mut directional) = (0.0, 0.0);
                for ((g, p), ((y, old), old_g)) in gradient
                    .iter_mut()
                    .zip(marginals.iter())
                    .zip(noisy.iter().zip(old).zip(old_gradient))
                {
                    let diff = total * p - y;
                    loss += diff * diff / (2.0 * sigma);
                    *g = diff / sigma;
                    directional += old_g * total * (old - p);
                }
                if !observations.snps.is_empty() {
                    loss += snp_terms(
                        domain,
                        index,
                        task * CLIQUES_PER_TASK,
                        (marginals, gradient),
                        observations,
                        total,
                    );
                }
                Ok((loss, directional))
            },
        )
        .collect::<Result<_>>()?;
    Ok(partial
        .iter()
        .fold((0.0, 0.0), |(l, d), (pl, pd)| (l + pl, d + pd)))
}

/// The SNP tables' part of [`score`] for the cliques from `first` on: their
/// loss, with their residuals added to `gradient`. SNP j is read off clique j,
/// and the last clique also gives the SNPs after its first.
fn snp_terms(
    domain: &ChainDomain,
    index: &CellIndex,
    first: usize,
    (marginals, gradient): (&[f64], &mut [f64]),
    observations: Observations<'_>,
    total: f64,
) -> f64 {
    let (cells, k, sigma) = (domain.clique_cells(), domain.n_states, observations.sigma);
    let last = domain.n_cliques() - 1;
    let mut loss = 0.0;
    for (i, (clique, gradient)) in marginals
        .chunks(cells)
        .zip(gradient.chunks_mut(cells))
        .enumerate()
        .map(|(offset, tables)| (first + offset, tables))
    {
        let positions = if i == last { domain.order } else { 0 };
        for (position, states) in index.states.iter().enumerate().take(positions + 1) {
            let snp = i + position;
            let measured = &observations.snps[snp * k..(snp + 1) * k];
            let mut marginal = [0.0; 4];
            for (&p, &s) in clique.iter().zip(states) {
                marginal[s] += p;
            }
            let mut residual = [0.0; 4];
            for ((r, &mu), &y) in residual.iter_mut().zip(&marginal).zip(measured) {
                let diff = total * mu - y;
                loss += diff * diff / (2.0 * sigma);
                *r = diff / sigma;
            }
            for (g, &s) in gradient.iter_mut().zip(states) {
                *g += residual[s];
            }
        }
    }
    loss
}

/// Clique marginals (probabilities) by one forward and one backward sweep.
fn belief_propagation(domain: &ChainDomain, theta: &[f64]) -> Result<Vec<f64>> {
    let cells = domain.clique_cells();
    let sep = domain.separator_cells();
    let index = CellIndex::new(domain);
    let mut messages = Messages::new(domain);
    let mut beliefs = vec![0.0; theta.len()];
    exponentiate(domain, theta, &mut beliefs);
    messages.sweep(domain, &index, &beliefs)?;
    beliefs
        .par_chunks_mut(cells * CLIQUES_PER_TASK)
        .zip(
            messages
                .forward
                .par_chunks(sep * CLIQUES_PER_TASK)
                .zip(messages.backward.par_chunks(sep * CLIQUES_PER_TASK)),
        )
        .try_for_each(|(group, (forward, backward))| {
            for ((clique, forward), backward) in group
                .chunks_mut(cells)
                .zip(forward.chunks(sep))
                .zip(backward.chunks(sep))
            {
                clique_belief(clique, forward, backward, &index)?;
            }
            Ok::<(), Error>(())
        })?;
    Ok(beliefs)
}

/// Noisy counts below this are raised to it so that every table is positive.
const FLOOR: f64 = 1e-3;

/// The closest point to `values` (Euclidean) with no negative entry and sum
/// `total`: every entry lowered by one threshold τ and clipped at zero. It is
/// the per-table minimiser of the estimator's loss, so the start does not carry
/// the upward bias of clipping the noise alone.
fn project_onto_simplex(values: &mut [f64], total: f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut running = 0.0;
    let mut threshold = 0.0;
    for (i, v) in sorted.iter().enumerate() {
        running += v;
        let candidate = (running - total) / (i + 1) as f64;
        if v - candidate > 0.0 {
            threshold = candidate;
        }
    }
    values
        .iter_mut()
        .for_each(|v| *v = (*v - threshold).max(0.0));
}

/// Rounds of iterative proportional fitting per separator in
/// [`pool_with_snp_tables`].
const POOL_ROUNDS: usize = 20;

/// Moves separator `j`'s SNP margins to each SNP's allele-state distribution
/// pooled from the separator (read off `cliques` clique tables) and the SNP's
/// own table, weighted by the inverse of their noise variance per state
/// (cells/K cells of each clique against one cell of the SNP table), keeping
/// P(y), by iterative proportional fitting [derived]. Without it the start
/// ignores the SNP tables and mirror descent needs thousands of steps to take
/// them in.
fn pool_with_snp_tables(
    domain: &ChainDomain,
    j: usize,
    cliques: usize,
    snps: &[f64],
    label: &[f64],
    separator: &mut [f64],
) {
    let (c, k, order) = (domain.n_classes, domain.n_states, domain.order);
    let width = separator.len() / c;
    let clique_weight = (cliques * k) as f64 / domain.clique_cells() as f64;
    let state_at =
        |cell: usize, position: usize| cell % width / k.pow((order - 1 - position) as u32) % k;
    let margin = |table: &[f64], position: usize| {
        let mut out = [0.0; 4];
        for (cell, &p) in table.iter().enumerate() {
            out[state_at(cell, position)] += p;
        }
        out
    };
    let targets: Vec<[f64; 4]> = (0..order)
        .map(|position| {
            let from_cliques = margin(separator, position);
            let snp = &snps[(j + position) * k..(j + position + 1) * k];
            let mut target = [0.0; 4];
            for ((t, &a), &b) in target.iter_mut().zip(&from_cliques).zip(snp) {
                *t = (clique_weight * a + b) / (clique_weight + 1.0);
            }
            target
        })
        .collect();
    for _ in 0..POOL_ROUNDS {
        for (position, target) in targets.iter().enumerate() {
            let now = margin(separator, position);
            for (cell, v) in separator.iter_mut().enumerate() {
                let s = state_at(cell, position);
                if now[s] > 0.0 {
                    *v *= target[s] / now[s];
                }
            }
        }
        for (block, &p) in separator.chunks_mut(width).zip(label) {
            let sum: f64 = block.iter().sum();
            if sum > 0.0 {
                block.iter_mut().for_each(|v| *v *= p / sum);
            }
        }
    }
}

/// Rounds of iterative proportional fitting per clique in [`projected_start`].
const START_ROUNDS: usize = 50;

/// Log-potentials of a chain whose clique marginals are the noisy tables made
/// consistent [derived]: each table is projected onto the simplex of tables
/// summing to N (see [`project_onto_simplex`]), raised to at least [`FLOOR`] and
/// normalised; P(y) is the mean over all tables; each separator is the mean of
/// the two tables that share it, its SNP margins pooled with the SNP tables
/// (see [`pool_with_snp_tables`]), rescaled to that P(y); each table is then
/// fitted to its two separators by iterative proportional fitting. θ is
/// ln P(clique) for the first clique and ln P(last SNP | left separator) for the
/// others, so belief propagation returns the fitted tables wherever they agree.
///
/// Starting from marginals already near the measurements, rather than chaining
/// the noisy conditionals (whose errors accumulate along the chain), leaves
/// mirror descent only the local corrections to make.
fn projected_start(domain: &ChainDomain, observations: Observations<'_>, total: f64) -> Vec<f64> {
    let cells = domain.clique_cells();
    let sep = domain.separator_cells();
    let (c, k) = (domain.n_classes, domain.n_states);
    let m = domain.n_cliques();
    let index = CellIndex::new(domain);
    let to_distributions = |values: &[f64], width: usize| {
        let mut tables = values.to_vec();
        tables.par_chunks_mut(width).for_each(|table| {
            project_onto_simplex(table, total);
            table.iter_mut().for_each(|v| *v = v.max(FLOOR));
            let sum: f64 = table.iter().sum();
            table.iter_mut().for_each(|v| *v /= sum);
        });
        tables
    };
    let mut tables = to_distributions(observations.cliques, cells);
    let snps = to_distributions(observations.snps, k);
    let margin = |table: &[f64], side: &[usize]| {
        let mut out = vec![0.0; sep];
        for (&p, &s) in table.iter().zip(side) {
            out[s] += p;
        }
        out
    };
    let mut label = vec![0.0; c];
    for table in tables.chunks(cells) {
        for (y, block) in table.chunks(cells / c).enumerate() {
            label[y] += block.iter().sum::<f64>() / m as f64;
        }
    }
    // separators[j]: the separator left of clique j (j = m: right of the last).
    let separators: Vec<Vec<f64>> = (0..=m)
        .into_par_iter()
        .map(|j| {
            let from_left = j
                .checked_sub(1)
                .map(|i| margin(&tables[i * cells..(i + 1) * cells], &index.right));
            let from_right =
                (j < m).then(|| margin(&tables[j * cells..(j + 1) * cells], &index.left));
            let mut estimate = match (from_left, from_right) {
                (Some(a), Some(b)) => a.iter().zip(&b).map(|(a, b)| (a + b) / 2.0).collect(),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => vec![1.0 / sep as f64; sep],
            };
            let cliques = usize::from(j > 0) + usize::from(j < m);
            if !snps.is_empty() {
                pool_with_snp_tables(domain, j, cliques, &snps, &label, &mut estimate);
            }
            for (block, &p) in estimate.chunks_mut(sep / c).zip(&label) {
                let sum: f64 = block.iter().sum();
                block.iter_mut().for_each(|v| *v *= p / sum);
            }
            estimate
        })
        .collect();
    tables
        .par_chunks_mut(cells)
        .zip(separators.par_windows(2))
        .enumerate()
        .for_each(|(i, (table, targets))| {
            let mut scale = vec![0.0; sep];
            for _ in 0..START_ROUNDS {
                let mut worst: f64 = 0.0;
                for (side, target) in [(&index.left, &targets[0]), (&index.right, &targets[1])] {
                    let current = margin(table, side);
                    for ((s, t), now) in scale.iter_mut().zip(target).zip(&current) {
                        worst = worst.max((t - now).abs());
                        *s = t / now;
                    }
                    for (v, &k) in table.iter_mut().zip(side) {
                        *v *= scale[k];
                    }
                }
                if worst < 1e-12 {
                    break;
                }
            }
            let left = margin(table, &index.left);
            for (v, &l) in table.iter_mut().zip(&index.left) {
                *v = if i == 0 { v.ln() } else { (*v / left[l]).ln() };
            }
        });
    tables
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
        let (fitted, report) = job::unattended(|job| {
            ChainModel::fit(domain, Observations::cliques(&counts, 1.0), options, job)
        })?;
        for (f, t) in fitted.marginals().iter().zip(truth.marginals()) {
            assert!((f - t).abs() < 1e-5, "{f} vs {t}");
        }
        assert!((report.total - n).abs() < 1e-9);
        Ok(())
    }

    /// The start alone (no iteration) is exact for consistent, noise-free tables:
    /// the projection changes nothing that is already consistent.
    #[test]
    fn projected_start_is_exact_for_consistent_tables() -> Result<()> {
        for order in [1, 2] {
            let domain = ChainDomain::with_order(2, 3, 7, order)?;
            let truth = ChainModel::from_potentials(domain, potentials(&domain))?;
            let counts: Vec<f64> = truth.marginals().iter().map(|p| p * 800.0).collect();
            let options = EstimatorOptions {
                max_iterations: 0,
                relative_tolerance: 0.0,
            };
            let snps: Vec<f64> = snp_marginals(&truth).iter().map(|p| p * 800.0).collect();
            let with_snps = Observations {
                cliques: &counts,
                snps: &snps,
                sigma: 1.0,
            };
            for observations in [Observations::cliques(&counts, 1.0), with_snps] {
                let (start, _) =
                    job::unattended(|job| ChainModel::fit(domain, observations, options, job))?;
                for (s, t) in start.marginals().iter().zip(truth.marginals()) {
                    assert!((s - t).abs() < 1e-9, "order {order}: {s} vs {t}");
                }
            }
        }
        Ok(())
    }

    /// The simplex projection against its defining conditions: no negative
    /// entry, the requested sum, and one threshold τ with v − τ kept where
    /// positive and v ≤ τ wherever the entry was cleared.
    #[test]
    fn simplex_projection_keeps_the_sum_and_one_threshold() {
        for (values, total) in [
            (vec![5.0, -3.0, 2.0, 0.5, -10.0, 7.0], 10.0),
            (vec![1.0, 1.0, 1.0], 6.0),
            (vec![-4.0, -1.0, -2.0], 3.0),
            (vec![100.0, 0.0, 0.0, 0.0], 1.0),
        ] {
            let mut projected = values.clone();
            project_onto_simplex(&mut projected, total);
            assert!(projected.iter().all(|&p| p >= 0.0));
            assert!((projected.iter().sum::<f64>() - total).abs() < 1e-9);
            let kept: Vec<f64> = values
                .iter()
                .zip(&projected)
                .filter(|&(_, &p)| p > 0.0)
                .map(|(v, p)| v - p)
                .collect();
            let threshold = kept[0];
            assert!(
                kept.iter().all(|t| (t - threshold).abs() < 1e-9),
                "{kept:?}"
            );
            for (v, p) in values.iter().zip(&projected) {
                if *p == 0.0 {
                    assert!(*v <= threshold + 1e-9, "{v} cleared above τ {threshold}");
                }
            }
        }
    }

    /// The in-place loop (swapped buffers, fused scoring) against the plain
    /// definitions: the fitted marginals are belief propagation on the fitted
    /// θ, and the reported loss is Σ (N·μ − y)² / (2σ) recomputed from them.
    #[test]
    fn fused_fit_agrees_with_the_plain_definitions() -> Result<()> {
        let domain = ChainDomain::new(2, 3, 2_100)?;
        let truth = ChainModel::from_potentials(domain, potentials(&domain))?;
        let sigma = 12.0;
        let noisy: Vec<f64> = truth
            .marginals()
            .iter()
            .enumerate()
            .map(|(i, p)| p * 300.0 + ((i * 7919 % 41) as f64 - 20.0) * 0.6)
            .collect();
        let options = EstimatorOptions {
            max_iterations: 40,
            relative_tolerance: 0.0,
        };
        let (fitted, report) = job::unattended(|job| {
            ChainModel::fit(domain, Observations::cliques(&noisy, sigma), options, job)
        })?;
        let replayed = ChainModel::from_potentials(domain, fitted.theta.clone())?;
        for (a, b) in fitted.marginals().iter().zip(replayed.marginals()) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        let loss: f64 = fitted
            .marginals()
            .iter()
            .zip(&noisy)
            .map(|(p, y)| (report.total * p - y).powi(2) / (2.0 * sigma))
            .sum();
        assert!(
            (loss - report.final_loss).abs() <= 1e-9 * loss,
            "{loss} vs {}",
            report.final_loss
        );
        assert!(report.final_loss < report.initial_loss);
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
        let (fitted, report) = job::unattended(|job| {
            ChainModel::fit(domain, Observations::cliques(&noisy, 3.0), options, job)
        })?;
        assert!(report.final_loss < report.initial_loss);
        for clique in fitted.marginals().chunks(domain.clique_cells()) {
            assert!((clique.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        Ok(())
    }

    /// Each SNP's marginal from the model, read by enumerating the cells of the
    /// clique that holds it through `cell_of` (not through [`CellIndex`]).
    fn snp_marginals(model: &ChainModel) -> Vec<f64> {
        let d = model.domain();
        let (c, k, cells) = (d.n_classes, d.n_states, d.clique_cells());
        let mut out = vec![0.0; d.n_snps * k];
        for snp in 0..d.n_snps {
            let clique = snp.min(d.n_cliques() - 1);
            let position = snp - clique;
            let table = &model.marginals()[clique * cells..(clique + 1) * cells];
            for y in 0..c {
                for code in 0..k.pow(d.order as u32 + 1) {
                    let states: Vec<usize> = (0..=d.order)
                        .map(|p| code / k.pow((d.order - p) as u32) % k)
                        .collect();
                    out[snp * k + states[position]] += table[d.cell_of(y, &states)];
                }
            }
        }
        out
    }

    /// Noisy tables of a known chain: N·μ plus exact discrete Gaussian noise.
    fn noisy_tables(truth: &ChainModel, n: f64, sigma: f64) -> Result<(Vec<f64>, Vec<f64>)> {
        use rand::SeedableRng;
        let sampler = crate::dp::noise::DiscreteGaussian::new(sigma * sigma)?;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(17);
        let mut noisy = |p: &f64| -> Result<f64> { Ok(p * n + sampler.sample(&mut rng)? as f64) };
        let cliques = truth
            .marginals()
            .iter()
            .map(&mut noisy)
            .collect::<Result<_>>()?;
        let snps = snp_marginals(truth)
            .iter()
            .map(&mut noisy)
            .collect::<Result<_>>()?;
        Ok((cliques, snps))
    }

    /// With SNP tables the reported loss is the plain Σ (N·μ − y)² / (2σ) over
    /// clique and SNP tables, recomputed from the fitted marginals, and the fit
    /// descends (orders 1 and 2, where the last clique holds several SNPs).
    #[test]
    fn fit_with_snp_tables_agrees_with_the_plain_loss() -> Result<()> {
        for order in [1, 2] {
            let domain = ChainDomain::with_order(2, 3, 9, order)?;
            let truth = ChainModel::from_potentials(domain, potentials(&domain))?;
            let sigma = 6.0;
            let (cliques, snps) = noisy_tables(&truth, 400.0, sigma)?;
            let observations = Observations {
                cliques: &cliques,
                snps: &snps,
                sigma,
            };
            let options = EstimatorOptions {
                max_iterations: 60,
                relative_tolerance: 0.0,
            };
            let (fitted, report) =
                job::unattended(|job| ChainModel::fit(domain, observations, options, job))?;
            let term = |(p, y): (&f64, &f64)| (report.total * p - y).powi(2) / (2.0 * sigma);
            let loss: f64 = fitted
                .marginals()
                .iter()
                .zip(&cliques)
                .map(term)
                .sum::<f64>()
                + snp_marginals(&fitted)
                    .iter()
                    .zip(&snps)
                    .map(term)
                    .sum::<f64>();
            assert!(
                (loss - report.final_loss).abs() <= 1e-9 * loss,
                "order {order}: {loss} vs {}",
                report.final_loss
            );
            assert!(report.final_loss < report.initial_loss, "order {order}");
            // The total weights each table sum by 1/cells.
            let sums = |values: &[f64], cells: usize| -> (f64, f64) {
                let tables = values
                    .chunks(cells)
                    .map(|t| t.iter().sum::<f64>() / cells as f64);
                (tables.sum(), (values.len() / cells) as f64 / cells as f64)
            };
            let (a, wa) = sums(&cliques, domain.clique_cells());
            let (b, wb) = sums(&snps, 3);
            assert!((report.total - (a + b) / (wa + wb)).abs() < 1e-9);
        }
        Ok(())
    }

    /// The point of the SNP tables: for the same noise per cell, allele
    /// frequencies of the fitted model are closer to the truth with them than
    /// with the cliques alone (the pooled variance is about a quarter, so the
    /// mean absolute error about half, over 300 SNPs).
    #[test]
    fn snp_tables_sharpen_allele_frequencies() -> Result<()> {
        let domain = ChainDomain::new(2, 3, 300)?;
        let truth = ChainModel::from_potentials(domain, potentials(&domain))?;
        let (n, sigma) = (2_000.0, 20.0);
        let (cliques, snps) = noisy_tables(&truth, n, sigma)?;
        let frequency_error = |model: &ChainModel| -> f64 {
            let frequencies = |m: &[f64]| -> Vec<f64> {
                m.chunks(3).map(|t| (t[1] + 2.0 * t[2]) / 2.0).collect()
            };
            let (fitted, real) = (
                frequencies(&snp_marginals(model)),
                frequencies(&snp_marginals(&truth)),
            );
            fitted
                .iter()
                .zip(&real)
                .map(|(f, r)| (f - r).abs())
                .sum::<f64>()
                / real.len() as f64
        };
        let options = EstimatorOptions::default();
        let (without, _) = job::unattended(|job| {
            ChainModel::fit(domain, Observations::cliques(&cliques, sigma), options, job)
        })?;
        let with = Observations {
            cliques: &cliques,
            snps: &snps,
            sigma,
        };
        let (with, _) = job::unattended(|job| ChainModel::fit(domain, with, options, job))?;
        let (before, after) = (frequency_error(&without), frequency_error(&with));
        assert!(
            after < 0.75 * before,
            "MAE {after} with SNP tables, {before} without"
        );
        Ok(())
    }
}
