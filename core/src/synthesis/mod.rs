//! Differentially private synthetic genotypes at one site (spec `synthesis.md`
//! §2–§4, §6, §7): a public chain structure along the SNP order, clique
//! marginals measured with exact discrete Gaussian noise under zCDP, a
//! Private-PGM fit by mirror descent with exact belief propagation, and forward
//! sampling.
//!
//! - [`zcdp`]: (ε, δ) ↔ ρ conversions and σ per cell.
//! - [`DiscreteGaussian`]: the exact discrete Gaussian sampler (in [`crate::dp::noise`]).
//! - [`model`]: the chain model, belief propagation and the estimator.
//! - [`plan`]: σ, expected errors and the "needed n" before any data are read.
//! - [`measure`]: clique counts and noise; [`sample`]: forward sampling and the
//!   independent-SNP baseline; [`metrics`]: utility metrics; [`simulate`]: test
//!   cohorts.
//!
//! [`synthesize`] runs the whole pipeline and returns a [`Manifest`] that
//! records every measurement.

pub mod measure;
pub mod metrics;
pub mod model;
pub mod plan;
pub mod sample;
pub mod silo;
pub mod simulate;
pub mod zcdp;

use rand::rngs::SysRng;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::data::GenotypeMatrix;
use crate::error::{Error, Result};
use crate::job::Job;

pub use crate::dp::noise::DiscreteGaussian;
pub use measure::MissingPolicy;
pub use model::{ChainDomain, ChainModel, EstimatorOptions, EstimatorReport, Observations};
pub use plan::{NoisePlan, plan};
pub use sample::SyntheticCohort;

/// Which marginals are measured. The structure is public (it follows the SNP
/// order) and costs no budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Structure {
    /// Cliques (y, s_i, s_{i+1}): the label-augmented chain (spec §4.1 default).
    TanChain,
    /// Cliques (y, s_{i−1}, s_i, s_{i+1}): the second-order chain (27·C cells,
    /// treewidth 2), which keeps LD between SNPs two apart directly.
    SecondOrderTanChain,
    /// Cliques (s_i, s_{i+1}); labels are neither used nor produced.
    Chain,
    /// Tables (y, s_i) only: SNPs independent given the label. A baseline.
    Independent,
}

/// Where randomness comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeedPolicy {
    /// Reproducible studies: noise and sampling derive from this seed, which is
    /// recorded. Anyone holding it can remove the noise: never use for a release.
    Study { seed: u64 },
    /// Releases: a fresh seed from the operating system, never stored.
    Release,
}

/// Everything [`synthesize`] needs besides the data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthesisConfig {
    pub epsilon: f64,
    pub delta: f64,
    pub structure: Structure,
    pub missing: MissingPolicy,
    /// Public number of label classes (labels are 0..n_classes); ignored by
    /// [`Structure::Chain`].
    pub n_classes: usize,
    /// Number of synthetic individuals to draw.
    pub n_synthetic: usize,
    pub estimator: EstimatorOptions,
    pub seed: SeedPolicy,
}

/// One measured clique: the variant indices it covers (label implied when the
/// structure has one), the noisy cell counts in (y, s_i, s_{i+1}) order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CliqueMeasurement {
    pub variants: Vec<usize>,
    pub noisy_counts: Vec<i64>,
}

/// What the tables of a [`MeasurementGroup`] count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableKind {
    /// The structure's tables: chain cliques, or (y, s_i) for the baseline.
    #[default]
    Cliques,
    /// One genotype-count table per SNP, without the label (spec §4.2's 1-way
    /// allele counts): they pin down allele frequencies, which a clique table
    /// spreads over many cells.
    Snps,
}

/// A group of marginals measured together with one Gaussian mechanism.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasurementGroup {
    #[serde(default)]
    pub kind: TableKind,
    pub description: String,
    pub cells_per_clique: usize,
    /// Δ₂ = √(number of marginals): one individual adds 1 to one cell of each.
    pub l2_sensitivity: f64,
    /// Per-cell noise standard deviation actually used (σ² rounded up to 1/1024).
    pub sigma: f64,
    /// ρ charged: Δ₂² / (2σ²).
    pub rho: f64,
    /// Expected absolute error per cell, σ·√(2/π).
    pub expected_absolute_error: f64,
    pub cliques: Vec<CliqueMeasurement>,
}

/// SHA-256 of one input file, filled in by the caller that read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputHash {
    pub path: String,
    pub sha256: String,
}

/// The release manifest (spec §6): what was spent, on what, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub epsilon: f64,
    pub delta: f64,
    /// Total zCDP budget from (ε, δ) by `cdp_rho`.
    pub rho: f64,
    pub privacy_unit: String,
    pub neighbour_definition: String,
    pub structure: Structure,
    pub structure_provenance: String,
    pub missing_policy: MissingPolicy,
    pub n_classes: usize,
    pub n_states: usize,
    pub n_variants: usize,
    pub noise_distribution: String,
    pub measurements: Vec<MeasurementGroup>,
    pub seed_policy: SeedPolicy,
    pub rng: String,
    /// `None` for the independent baseline, which needs no iterative fit.
    pub estimator: Option<EstimatorReport>,
    pub n_synthetic: usize,
    pub inputs: Vec<InputHash>,
    /// Present when several sites measured together (spec §5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_silo: Option<silo::CrossSiloRecord>,
}

/// The outcome of [`synthesize`].
#[derive(Clone, Debug)]
pub struct Synthesis {
    pub cohort: SyntheticCohort,
    /// False for [`Structure::Chain`]: its labels are all class 0 and mean nothing.
    pub labels_modelled: bool,
    /// The fitted model (absent for the independent baseline).
    pub model: Option<ChainModel>,
    pub manifest: Manifest,
}

/// Seeds of the two random stages, drawn from one master generator.
pub(crate) fn stage_seeds(policy: SeedPolicy) -> Result<([u8; 32], [u8; 32])> {
    let mut master = match policy {
        SeedPolicy::Study { seed } => ChaCha20Rng::seed_from_u64(seed),
        SeedPolicy::Release => ChaCha20Rng::try_from_rng(&mut SysRng)
            .map_err(|e| Error::io("operating-system random source", std::io::Error::other(e)))?,
    };
    let mut noise = [0u8; 32];
    let mut sampling = [0u8; 32];
    master.fill_bytes(&mut noise);
    master.fill_bytes(&mut sampling);
    Ok((noise, sampling))
}

/// Measures, fits and samples: the whole single-site generator. `labels` holds
/// one class per sample and is required unless the structure is
/// [`Structure::Chain`].
pub fn synthesize(
    matrix: &GenotypeMatrix,
    labels: Option<&[u8]>,
    config: &SynthesisConfig,
    job: Job<'_>,
) -> Result<Synthesis> {
    let rho = zcdp::cdp_rho(config.epsilon, config.delta)?;
    check_n_synthetic(config.n_synthetic)?;
    let tables = count(
        matrix,
        labels,
        config.structure,
        config.missing,
        config.n_classes,
        job,
    )?;
    let (noise_seed, sampling_seed) = stage_seeds(config.seed)?;
    let shape = tables.shape();
    let sigma = zcdp::sigma_for(rho, shape.n_marginals())?;
    let sampler = DiscreteGaussian::new(sigma * sigma)?;
    let noisy = measure::add_noise(&tables.values, tables.cells, &sampler, noise_seed, job)?;
    let measured = Measured {
        noisy,
        sigma: sampler.sigma2().sqrt(),
        rho_charged: shape.n_marginals() as f64 / (2.0 * sampler.sigma2()),
    };
    drop(tables);
    release(
        config,
        rho,
        &shape,
        measured,
        matrix.variants(),
        sampling_seed,
        "exact discrete Gaussian (Canonne, Kamath, Steinke 2020)",
        job,
    )
}

pub(crate) fn check_n_synthetic(n_synthetic: usize) -> Result<()> {
    if n_synthetic == 0 {
        return Err(Error::Parameter(
            "the number of synthetic individuals must be positive".into(),
        ));
    }
    Ok(())
}

/// What the measured tables look like, without their values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TableShape {
    pub domain: ChainDomain,
    pub structure: Structure,
    pub description: &'static str,
    /// Cells of one structure table.
    pub cells: usize,
    pub snps_per_table: usize,
    /// Structure tables, first in the measured values.
    pub n_tables: usize,
    /// Label-free genotype-count tables of K cells, one per SNP, after the
    /// structure tables (none for the independent baseline, whose tables
    /// already are per SNP).
    pub n_snp_tables: usize,
}

impl TableShape {
    /// Tables measured: each person adds 1 to one cell of each, so Δ₂² is this.
    pub fn n_marginals(&self) -> usize {
        self.n_tables + self.n_snp_tables
    }

    /// Where the structure tables end and the SNP tables begin.
    fn split(&self) -> usize {
        self.n_tables * self.cells
    }
}

/// Exact count tables of one cohort, before noise: what a site measures. The
/// noise and the secure sum treat `values` as one vector.
pub(crate) struct CountTables {
    pub shape: TableShape,
    pub cells: usize,
    /// The structure tables, then the SNP tables (see [`TableShape`]).
    pub values: Vec<u64>,
}

impl CountTables {
    pub fn shape(&self) -> TableShape {
        self.shape
    }
}

/// The tables a structure measures, counted exactly: its own tables and, for
/// the chains, one label-free genotype-count table per SNP.
pub(crate) fn count(
    matrix: &GenotypeMatrix,
    labels: Option<&[u8]>,
    structure: Structure,
    missing: MissingPolicy,
    n_classes: usize,
    job: Job<'_>,
) -> Result<CountTables> {
    let (labels, n_classes): (Vec<u8>, usize) = match (structure, labels) {
        (Structure::Chain, _) => (vec![0; matrix.n_samples()], 1),
        (_, Some(labels)) => (labels.to_vec(), n_classes),
        (_, None) => {
            return Err(Error::Parameter(
                "this structure models the phenotype label, but no labels were given".into(),
            ));
        }
    };
    let n_states = missing.n_states();
    let order = match structure {
        Structure::SecondOrderTanChain => 2,
        Structure::TanChain | Structure::Chain | Structure::Independent => 1,
    };
    let domain = ChainDomain::with_order(n_classes, n_states, matrix.n_variants(), order)?;
    let (description, cells, mut values, snps_per_table) = match structure {
        Structure::Independent => (
            "(y, s_i) for every SNP i",
            n_classes * n_states,
            independent_counts(matrix, &labels, &domain, job)?,
            1,
        ),
        Structure::TanChain => (
            "(y, s_i, s_i+1) for i = 1..d-1",
            domain.clique_cells(),
            measure::clique_counts(matrix, &labels, &domain, job)?,
            2,
        ),
        Structure::SecondOrderTanChain => (
            "(y, s_i, s_i+1, s_i+2) for i = 1..d-2",
            domain.clique_cells(),
            measure::clique_counts(matrix, &labels, &domain, job)?,
            3,
        ),
        Structure::Chain => (
            "(s_i, s_i+1) for i = 1..d-1",
            domain.clique_cells(),
            measure::clique_counts(matrix, &labels, &domain, job)?,
            2,
        ),
    };
    let n_tables = values.len() / cells;
    let n_snp_tables = if structure == Structure::Independent {
        0
    } else {
        values.extend(measure::snp_counts(matrix, n_states));
        matrix.n_variants()
    };
    Ok(CountTables {
        shape: TableShape {
            domain,
            structure,
            description,
            cells,
            snps_per_table,
            n_tables,
            n_snp_tables,
        },
        cells,
        values,
    })
}

/// Noisy tables and what their noise cost.
pub(crate) struct Measured {
    /// The structure tables, then the SNP tables, as in [`CountTables`].
    pub noisy: Vec<i64>,
    /// Standard deviation of the noise in each cell.
    pub sigma: f64,
    /// ρ charged for the whole measurement.
    pub rho_charged: f64,
}

/// Everything after the measurement, all post-processing: fit the model to the
/// noisy tables, sample, and write the manifest.
#[allow(clippy::too_many_arguments)]
pub(crate) fn release(
    config: &SynthesisConfig,
    rho: f64,
    shape: &TableShape,
    measured: Measured,
    variants: &[crate::data::Variant],
    sampling_seed: [u8; 32],
    noise_distribution: &str,
    job: Job<'_>,
) -> Result<Synthesis> {
    let domain = shape.domain;
    if measured.noisy.len() != shape.split() + shape.n_snp_tables * domain.n_states {
        return Err(Error::Mismatch(format!(
            "{} noisy counts for {} tables of {} cells and {} SNP tables of {}",
            measured.noisy.len(),
            shape.n_tables,
            shape.cells,
            shape.n_snp_tables,
            domain.n_states
        )));
    }
    let (structure_tables, snp_tables) = measured.noisy.split_at(shape.split());
    let (cohort, model, estimator) = if shape.structure == Structure::Independent {
        let cohort = sample::sample_independent(
            structure_tables,
            domain.n_classes,
            domain.n_states,
            config.n_synthetic,
            variants,
            sampling_seed,
            job,
        )?;
        (cohort, None, None)
    } else {
        let as_float = |values: &[i64]| values.iter().map(|&v| v as f64).collect::<Vec<f64>>();
        let (cliques, snps) = (as_float(structure_tables), as_float(snp_tables));
        let observations = Observations {
            cliques: &cliques,
            snps: &snps,
            sigma: measured.sigma,
        };
        let (model, report) = ChainModel::fit(domain, observations, config.estimator, job)?;
        let cohort = model.sample(config.n_synthetic, variants, sampling_seed, job)?;
        (cohort, Some(model), Some(report))
    };

    // Both groups share σ; each is charged its own n_tables/(2σ²), which add up
    // to the whole measurement's ρ.
    let rho_per_table = measured.rho_charged / shape.n_marginals() as f64;
    let group =
        |kind, description: &str, cells: usize, tables: Vec<CliqueMeasurement>| MeasurementGroup {
            kind,
            description: description.into(),
            cells_per_clique: cells,
            l2_sensitivity: (tables.len() as f64).sqrt(),
            sigma: measured.sigma,
            rho: rho_per_table * tables.len() as f64,
            expected_absolute_error: measured.sigma * (2.0 / std::f64::consts::PI).sqrt(),
            cliques: tables,
        };
    let measured_tables = |values: &[i64], cells: usize, snps: usize| {
        values
            .chunks(cells)
            .enumerate()
            .map(|(i, table)| CliqueMeasurement {
                variants: (i..i + snps).collect(),
                noisy_counts: table.to_vec(),
            })
            .collect::<Vec<_>>()
    };
    let mut measurements = vec![group(
        TableKind::Cliques,
        shape.description,
        shape.cells,
        measured_tables(structure_tables, shape.cells, shape.snps_per_table),
    )];
    if shape.n_snp_tables > 0 {
        measurements.push(group(
            TableKind::Snps,
            "s_i for every SNP i (no label)",
            domain.n_states,
            measured_tables(snp_tables, domain.n_states, 1),
        ));
    }
    let manifest = Manifest {
        epsilon: config.epsilon,
        delta: config.delta,
        rho,
        privacy_unit: "individual".into(),
        neighbour_definition: "add/remove one individual".into(),
        structure: shape.structure,
        structure_provenance: "public: follows the SNP order (chrom, pos); no budget spent".into(),
        missing_policy: config.missing,
        n_classes: domain.n_classes,
        n_states: domain.n_states,
        n_variants: variants.len(),
        noise_distribution: noise_distribution.into(),
        measurements,
        seed_policy: config.seed,
        rng: "ChaCha20: one noise stream per clique-sized run of cells, one sampling stream \
              per 1,024 individuals (controlled rounding)"
            .into(),
        estimator,
        n_synthetic: config.n_synthetic,
        inputs: Vec::new(),
        cross_silo: None,
    };
    Ok(Synthesis {
        cohort,
        labels_modelled: shape.structure != Structure::Chain,
        model,
        manifest,
    })
}

/// Exact (y, s_i) counts per SNP, concatenated C·K tables.
fn independent_counts(
    matrix: &GenotypeMatrix,
    labels: &[u8],
    domain: &ChainDomain,
    job: Job<'_>,
) -> Result<Vec<u64>> {
    // The clique counts of (y, s_i, s_{i+1}) summed over s_{i+1} give (y, s_i)
    // for i < d; the last SNP is summed over s_{i}. Reusing them keeps one
    // validated counting path.
    let pairs = measure::clique_counts(matrix, labels, domain, job)?;
    let (c, k) = (domain.n_classes, domain.n_states);
    let cells = domain.clique_cells();
    let mut out = vec![0u64; domain.n_snps * c * k];
    for (i, table) in pairs.chunks(cells).enumerate() {
        for y in 0..c {
            for a in 0..k {
                for b in 0..k {
                    let count = table[domain.cell(y, a, b)];
                    out[(i * c + y) * k + a] += count;
                    if i + 2 == domain.n_snps {
                        out[((i + 1) * c + y) * k + b] += count;
                    }
                }
            }
        }
    }
    Ok(out)
}
