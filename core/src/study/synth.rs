//! One synthetic release measured end to end (synthesis spec §7, §8): the cohort
//! is split into a training half, which the generator sees, and a holdout half,
//! which it never sees; the synthetic data are then judged for utility against
//! the training half and for privacy by how much better they "know" the
//! training half than the holdout, with the DP ceiling beside every attack.
//!
//! The report names the training samples (so that every figure can be checked
//! from the files): it is an internal document, never part of the release.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::audit::metrics::{
    AttackReport, Interval, REPORTED_FPRS, ReportOptions, auc, clopper_pearson,
};
use crate::audit::shared_data::{
    hamming_scores, likelihood_ratio_scores, nearest_released_records,
};
use crate::data::{GenotypeMatrix, MISSING};
use crate::dp::profile::{PrivacyProfile, RocCeiling, epsilon_grid, profile_ceiling, profile_tpr};
use crate::error::{Error, Result};
use crate::explain::release::seeded_output_notice;
use crate::explain::synthesis::{
    budget_sentence, distance_sentence, dp_bound_sentence, frequency_noise_sentence,
    measurement_group_sentence, pca_overlap_sentence,
};
use crate::job::Job;
use crate::models::{Features, Fit, LogisticRegression, Penalty};
use crate::sharing::allele_frequencies;
use crate::stats::gwas::allelic_tests_split;
use crate::stats::pca_overlap::{PcaOverlap, PcaOverlapSettings, pca_overlap};
use crate::synthesis::{
    EstimatorOptions, Manifest, MissingPolicy, SeedPolicy, Structure, SynthesisConfig,
    SyntheticCohort, plan, synthesize, zcdp,
};
use crate::utility::gwas::{GwasSettings, RatioRetention, TopKAgreement, compare_gwas};
use crate::utility::ld::{LdPreservation, LdSettings, ld_preservation};

/// The cohort a synthesis study starts from: complete genotypes (impute first)
/// and every sample's case/control status (true = case).
#[derive(Clone, Debug)]
pub struct SynthInputs {
    pub real: GenotypeMatrix,
    pub is_case: Vec<bool>,
}

/// What the study varies.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthSettings {
    pub epsilon: f64,
    pub delta: f64,
    /// Chain order: 1 = cliques (y, s_i, s_i+1), 2 = (y, s_i, s_i+1, s_i+2).
    pub order: usize,
    /// Synthetic individuals to draw; `None` draws as many as the training half.
    pub n_synthetic: Option<usize>,
    /// Study seed (reproducible, not for release); `None` takes the generator's
    /// noise from the operating system: a real release.
    pub seed: Option<u64>,
    pub estimator: EstimatorOptions,
    /// SNPs (the strongest in each training set's own GWAS) the
    /// train-on-synthetic/test-on-real classifier uses.
    pub classifier_snps: usize,
    pub bootstrap_resamples: usize,
}

impl SynthSettings {
    /// The defaults for a budget: first-order chain, as many synthetic people
    /// as training ones, 50 classifier SNPs, 1,000 bootstrap resamples.
    pub fn new(epsilon: f64, delta: f64, seed: Option<u64>) -> Self {
        Self {
            epsilon,
            delta,
            order: 1,
            n_synthetic: None,
            seed,
            estimator: EstimatorOptions::default(),
            classifier_snps: 50,
            bootstrap_resamples: 1000,
        }
    }
}

/// Allele-frequency error of the synthetic data against the training half.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrequencyError {
    pub mean_absolute_error: f64,
    pub max_absolute_error: f64,
    pub root_mean_square_error: f64,
    /// What the noise alone predicts for one SNP (spec §4.5 item 3).
    pub predicted_noise_sd: f64,
}

/// The GWAS of the synthetic data (allelic test on its own labels) against the
/// training half's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthGwas {
    pub alpha: f64,
    pub tau: f64,
    /// Training SNPs at p < alpha.
    pub real_hits: usize,
    /// PROVGEN threshold retention: real hits found at p < alpha / tau.
    pub threshold_retention: f64,
    /// SNPs with a defined p-value in both GWAS.
    pub tested: usize,
    /// Of those, the ones at p < alpha / tau in the synthetic GWAS: the
    /// retention that synthetic significance unrelated to the real hits would
    /// give is `synthetic_relaxed_hits / tested`.
    pub synthetic_relaxed_hits: usize,
    pub ratio_retention: RatioRetention,
    /// Hit recovery: the synthetic top-k against the real top-k.
    pub top_k: TopKAgreement,
}

/// Train on synthetic, test on real: a logistic model on the `n_snps` strongest
/// SNPs, tested on the holdout; the same recipe trained on the training half is
/// the yardstick.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSyntheticTestReal {
    pub n_snps: usize,
    pub n_test: usize,
    pub synthetic_trained_accuracy: f64,
    pub synthetic_trained_auc: f64,
    pub real_trained_accuracy: f64,
    pub real_trained_auc: f64,
    /// Share of test people who are cases: the accuracy of always guessing the
    /// majority class is the larger of this and its complement.
    pub test_case_share: f64,
}

/// Summary of one set of distances (0/1/2 allele differences summed over SNPs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistanceSummary {
    pub min: f64,
    pub p05: f64,
    pub median: f64,
    pub mean: f64,
}

/// Distance to closest record (spec §8.1): each synthetic record against the
/// training half and against the holdout.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistanceToClosestRecord {
    pub to_training: DistanceSummary,
    pub to_holdout: DistanceSummary,
    /// Synthetic records strictly closer to training than to holdout, among
    /// those not tied; 0.5 means no sign of copying.
    pub share_closer_to_training: f64,
    /// Clopper-Pearson 95 %.
    pub share_interval: Interval,
    pub ties: usize,
}

/// One membership attack's operating point beside the DP ceiling.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoundedOperatingPoint {
    pub max_fpr: f64,
    pub tpr: f64,
    pub tpr_interval: Interval,
    pub reliable: bool,
    /// The most any attack can reach at this FPR under the release's guarantee.
    pub dp_ceiling: f64,
    /// Upper end of the 95 % interval of the FPR actually achieved.
    pub fpr_upper: f64,
    /// The ceiling at `fpr_upper`: what the TPR interval is checked against.
    pub dp_ceiling_at_fpr_upper: f64,
}

/// One membership attack: training people (members) against holdout people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthAttack {
    pub name: String,
    pub description: String,
    pub n_members: usize,
    pub n_non_members: usize,
    pub auc: f64,
    pub auc_interval: Interval,
    pub tpr_at_1pct_fpr: f64,
    pub tpr_at_1pct_fpr_interval: Interval,
    pub operating_points: Vec<BoundedOperatingPoint>,
    /// Every operating point's TPR interval starts at or below the ceiling at
    /// its FPR's upper bound: an attack above it would mean a bug.
    pub within_dp_bound: bool,
}

/// Everything a synthesis study measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthReport {
    pub genopriv_version: String,
    pub epsilon: f64,
    pub delta: f64,
    pub order: usize,
    pub n_real: usize,
    pub n_training: usize,
    pub n_holdout: usize,
    pub n_synthetic: usize,
    pub n_variants: usize,
    /// The samples the generator saw (the rest are the holdout).
    pub training_samples: Vec<String>,
    pub seed: Option<u64>,
    /// Seed of the split and the bootstraps (recorded even for a release: it
    /// touches no noise).
    pub evaluation_seed: u64,
    pub not_for_release: bool,
    pub allele_frequency: FrequencyError,
    pub ld: LdPreservation,
    /// Synthetic against held-out people on the training half's top principal
    /// components (spec §7). Held-out, not training, people are the real side:
    /// both sides are then projected out of sample (see `stats::pca_overlap`).
    /// `None` (with a notice) when no component could be fitted; absent from
    /// reports written before it existed.
    #[serde(default)]
    pub pca: Option<PcaOverlap>,
    pub gwas: Option<SynthGwas>,
    pub train_synthetic_test_real: Option<TrainSyntheticTestReal>,
    pub distance_to_closest_record: DistanceToClosestRecord,
    pub membership: Vec<SynthAttack>,
    /// The DP ROC ceiling of the ρ actually spent, at the reported FPRs.
    pub dp_ceiling: RocCeiling,
    pub explanation: Vec<String>,
    pub notices: Vec<String>,
    pub input_sha256: Option<String>,
    pub manifest: Manifest,
}

/// Per-SNP allele frequencies of the training half and of the synthetic data:
/// what a frequency scatter draws (kept out of the report, which summarises them).
#[derive(Clone, Debug, PartialEq)]
pub struct SynthFrequencies {
    pub training: Vec<f64>,
    pub synthetic: Vec<f64>,
}

/// The synthetic data and their report.
#[derive(Clone, Debug)]
pub struct SynthOutcome {
    pub synthetic: SyntheticCohort,
    pub report: SynthReport,
    pub frequencies: SynthFrequencies,
}

/// Runs one synthesis and its evaluation.
pub fn run_synth_study(
    inputs: &SynthInputs,
    settings: &SynthSettings,
    job: Job<'_>,
) -> Result<SynthOutcome> {
    let real = &inputs.real;
    check_inputs(inputs, settings)?;
    let evaluation_seed = match settings.seed {
        Some(seed) => seed ^ EVALUATION_STREAM,
        None => super::os_seed()?,
    };
    let (training_rows, holdout_rows) = split(real.n_samples(), evaluation_seed);
    let training = real.select_samples(&training_rows);
    let holdout = real.select_samples(&holdout_rows);
    let training_case: Vec<bool> = training_rows.iter().map(|&i| inputs.is_case[i]).collect();
    let holdout_case: Vec<bool> = holdout_rows.iter().map(|&i| inputs.is_case[i]).collect();
    let labels: Vec<u8> = training_case.iter().map(|&c| u8::from(c)).collect();

    let structure = match settings.order {
        1 => Structure::TanChain,
        _ => Structure::SecondOrderTanChain,
    };
    let config = SynthesisConfig {
        epsilon: settings.epsilon,
        delta: settings.delta,
        structure,
        missing: MissingPolicy::Reject,
        n_classes: 2,
        n_synthetic: settings.n_synthetic.unwrap_or(training.n_samples()),
        estimator: settings.estimator,
        seed: match settings.seed {
            Some(seed) => SeedPolicy::Study { seed },
            None => SeedPolicy::Release,
        },
    };
    let synthesis = synthesize(&training, Some(&labels), &config, job)?;
    let synthetic = synthesis.cohort;
    let manifest = synthesis.manifest;
    let synthetic_case: Vec<bool> = synthetic.labels.iter().map(|&y| y == 1).collect();
    let mut notices = Vec::new();

    job.checkpoint("measuring utility", None)?;
    let noise_plan = plan(
        settings.epsilon,
        settings.delta,
        structure,
        2,
        MissingPolicy::Reject.n_states(),
        real.n_variants(),
    )?;
    let frequencies = SynthFrequencies {
        training: allele_frequencies(&training),
        synthetic: allele_frequencies(&synthetic.matrix),
    };
    let allele_frequency = frequency_error(
        &frequencies,
        noise_plan.allele_frequency_sd(training.n_samples()),
    )?;
    let ld = ld_preservation(&training, &synthetic.matrix, LdSettings::default(), job)?;
    job.checkpoint("comparing principal components", None)?;
    let pca = match pca_overlap(
        &training,
        &holdout,
        &synthetic.matrix,
        PcaOverlapSettings::default(),
        job,
    ) {
        Ok(overlap) => Some(overlap),
        Err(Error::Cancelled) => return Err(Error::Cancelled),
        Err(e) => {
            notices.push(format!(
                "The principal-component comparison could not be run: {e}"
            ));
            None
        }
    };
    let two_classes = synthetic_case.iter().any(|&c| c) && synthetic_case.iter().any(|&c| !c);
    let (gwas, train_synthetic_test_real) = if two_classes {
        let real_p = allelic_p(&training, &training_case, job)?;
        let synthetic_p = allelic_p(&synthetic.matrix, &synthetic_case, job)?;
        let gwas = synth_gwas(&training, &real_p, &synthetic_p)?;
        let tstr = train_synthetic_test_real(
            TrainSet {
                matrix: &synthetic.matrix,
                is_case: &synthetic_case,
                p_values: &synthetic_p,
            },
            TrainSet {
                matrix: &training,
                is_case: &training_case,
                p_values: &real_p,
            },
            &holdout,
            &holdout_case,
            settings.classifier_snps,
        );
        let tstr = match tstr {
            Ok(result) => Some(result),
            Err(e) => {
                notices.push(format!(
                    "The train-on-synthetic/test-on-real check could not be run: {e}"
                ));
                None
            }
        };
        (Some(gwas), tstr)
    } else {
        notices.push(
            "Warning: the synthetic data hold only one case/control class, so their GWAS and \
             classifier cannot be compared with the real data's; the budget is likely too small \
             for this cohort."
                .to_owned(),
        );
        (None, None)
    };

    job.checkpoint("measuring privacy", None)?;
    let rho_spent: f64 = manifest.measurements.iter().map(|m| m.rho).sum();
    let profile = zcdp_profile(settings.epsilon, rho_spent);
    let dp_ceiling = profile_ceiling(&profile, &REPORTED_FPRS)?;
    let report_options = ReportOptions {
        bootstrap_resamples: settings.bootstrap_resamples,
        seed: evaluation_seed,
        delta: settings.delta,
    };
    let distance_to_closest_record =
        distance_to_closest_record(&synthetic.matrix, &training, &holdout, job)?;
    let membership = membership_attacks(
        &training,
        &holdout,
        &synthetic.matrix,
        settings.order,
        &profile,
        report_options,
        job,
    )?;

    let mut explanation = explanation(
        settings,
        &manifest,
        allele_frequency.predicted_noise_sd,
        &distance_to_closest_record,
        &dp_ceiling,
    );
    if let Some(overlap) = &pca {
        explanation.push(pca_overlap_sentence(overlap));
    }
    if let Some(seed) = settings.seed {
        notices.push(seeded_output_notice(seed));
    }
    let report = SynthReport {
        genopriv_version: env!("CARGO_PKG_VERSION").to_owned(),
        epsilon: settings.epsilon,
        delta: settings.delta,
        order: settings.order,
        n_real: real.n_samples(),
        n_training: training.n_samples(),
        n_holdout: holdout.n_samples(),
        n_synthetic: synthetic.matrix.n_samples(),
        n_variants: real.n_variants(),
        training_samples: training.samples().to_vec(),
        seed: settings.seed,
        evaluation_seed,
        not_for_release: settings.seed.is_some(),
        allele_frequency,
        ld,
        pca,
        gwas,
        train_synthetic_test_real,
        distance_to_closest_record,
        membership,
        dp_ceiling,
        explanation,
        notices,
        input_sha256: None,
        manifest,
    };
    Ok(SynthOutcome {
        synthetic,
        report,
        frequencies,
    })
}

/// Mixed into the study seed for the split and bootstraps, so they never share
/// a stream with the generator's noise.
const EVALUATION_STREAM: u64 = 0x5EED_5917_0000_0001;

/// Smallest cohort: 10 people on each side of the split.
const MIN_SAMPLES: usize = 20;

fn check_inputs(inputs: &SynthInputs, settings: &SynthSettings) -> Result<()> {
    let real = &inputs.real;
    zcdp::cdp_rho(settings.epsilon, settings.delta)?;
    if !(1..=2).contains(&settings.order) {
        return Err(Error::Parameter(format!(
            "the chain order must be 1 or 2, got {}",
            settings.order
        )));
    }
    if real.n_samples() < MIN_SAMPLES {
        return Err(Error::Parameter(format!(
            "a synthesis study needs at least {MIN_SAMPLES} people (half train the generator, \
             half are held out), got {}",
            real.n_samples()
        )));
    }
    if inputs.is_case.len() != real.n_samples() {
        return Err(Error::Mismatch(format!(
            "{} case/control labels for {} samples",
            inputs.is_case.len(),
            real.n_samples()
        )));
    }
    if settings.n_synthetic == Some(0) {
        return Err(Error::Parameter(
            "the number of synthetic individuals must be positive".into(),
        ));
    }
    if settings.classifier_snps == 0 || settings.bootstrap_resamples == 0 {
        return Err(Error::Parameter(
            "the classifier needs at least one SNP and the intervals at least one resample".into(),
        ));
    }
    if let Some(j) = (0..real.n_variants()).find(|&j| real.call_counts(j).missing > 0) {
        let variant = real
            .variants()
            .get(j)
            .map_or_else(|| (j + 1).to_string(), |v| v.display_id());
        return Err(Error::Parameter(format!(
            "variant {variant} has {} missing calls: synthesis needs complete genotypes \
             (impute them first)",
            real.call_counts(j).missing
        )));
    }
    Ok(())
}

/// A random half of the rows for training (the odd one out joins it) and the
/// other half as holdout, each in cohort order.
fn split(n: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha20Rng::seed_from_u64(seed));
    let (holdout, training) = order.split_at(n / 2);
    let (mut training, mut holdout) = (training.to_vec(), holdout.to_vec());
    training.sort_unstable();
    holdout.sort_unstable();
    (training, holdout)
}

fn frequency_error(
    frequencies: &SynthFrequencies,
    predicted_noise_sd: f64,
) -> Result<FrequencyError> {
    let (a, b) = (&frequencies.training, &frequencies.synthetic);
    if a.is_empty() || a.len() != b.len() {
        return Err(Error::Mismatch(format!(
            "cannot compare the frequencies of {} real and {} synthetic variants",
            a.len(),
            b.len()
        )));
    }
    let errors: Vec<f64> = a.iter().zip(b).map(|(x, y)| (x - y).abs()).collect();
    let n = errors.len() as f64;
    Ok(FrequencyError {
        mean_absolute_error: errors.iter().sum::<f64>() / n,
        max_absolute_error: errors.iter().copied().fold(0.0, f64::max),
        root_mean_square_error: (errors.iter().map(|e| e * e).sum::<f64>() / n).sqrt(),
        predicted_noise_sd,
    })
}

fn allelic_p(matrix: &GenotypeMatrix, is_case: &[bool], job: Job<'_>) -> Result<Vec<f64>> {
    Ok(allelic_tests_split(matrix, is_case, job)?
        .iter()
        .map(|t| t.chi_square.p_value)
        .collect())
}

fn synth_gwas(training: &GenotypeMatrix, real_p: &[f64], synthetic_p: &[f64]) -> Result<SynthGwas> {
    let settings = GwasSettings {
        test: crate::utility::gwas::AssociationTest::Allelic,
        ..GwasSettings::default()
    };
    let comparison = compare_gwas(training.variants(), real_p, synthetic_p, settings)?;
    let defined: Vec<(f64, f64)> = real_p
        .iter()
        .zip(synthetic_p)
        .map(|(&p, &q)| (p, q))
        .filter(|(p, q)| p.is_finite() && q.is_finite())
        .collect();
    Ok(SynthGwas {
        alpha: settings.alpha,
        tau: settings.tau,
        real_hits: real_p.iter().filter(|&&p| p < settings.alpha).count(),
        threshold_retention: comparison.threshold_retention,
        tested: defined.len(),
        synthetic_relaxed_hits: defined
            .iter()
            .filter(|&&(_, q)| q < settings.alpha / settings.tau)
            .count(),
        ratio_retention: comparison.ratio_retention,
        top_k: comparison.top_k,
    })
}

/// A training set for the classifier: genotypes, labels and the GWAS p-values
/// that pick its SNPs.
struct TrainSet<'a> {
    matrix: &'a GenotypeMatrix,
    is_case: &'a [bool],
    p_values: &'a [f64],
}

fn train_synthetic_test_real(
    synthetic: TrainSet<'_>,
    real: TrainSet<'_>,
    test: &GenotypeMatrix,
    test_case: &[bool],
    n_snps: usize,
) -> Result<TrainSyntheticTestReal> {
    let (synthetic_accuracy, synthetic_auc, used) =
        fit_and_test(&synthetic, test, test_case, n_snps)?;
    let (real_accuracy, real_auc, _) = fit_and_test(&real, test, test_case, n_snps)?;
    Ok(TrainSyntheticTestReal {
        n_snps: used,
        n_test: test.n_samples(),
        synthetic_trained_accuracy: synthetic_accuracy,
        synthetic_trained_auc: synthetic_auc,
        real_trained_accuracy: real_accuracy,
        real_trained_auc: real_auc,
        test_case_share: test_case.iter().filter(|&&c| c).count() as f64
            / test_case.len().max(1) as f64,
    })
}

/// Accuracy and AUC on `test` of an L2 logistic model fitted on `train`'s
/// `n_snps` smallest-p SNPs, and the number of SNPs used.
fn fit_and_test(
    train: &TrainSet<'_>,
    test: &GenotypeMatrix,
    test_case: &[bool],
    n_snps: usize,
) -> Result<(f64, f64, usize)> {
    let snps = crate::utility::gwas::top_hits(train.p_values, n_snps);
    if snps.is_empty() {
        return Err(Error::Parameter(
            "no SNP has a defined association p-value".into(),
        ));
    }
    let x_train = Features::from_genotypes(&train.matrix.select_variants(&snps));
    let x_test = Features::from_genotypes(&test.select_variants(&snps));
    let y: Vec<u8> = train.is_case.iter().map(|&c| u8::from(c)).collect();
    let model = LogisticRegression::new(Penalty::L2(1e-2)).fit(&x_train, &y)?;
    let decisions = model.decisions(&x_test);
    let correct = decisions
        .iter()
        .zip(test_case)
        .filter(|&(&z, &case)| (z > 0.0) == case)
        .count();
    let decisions_where = |wanted: bool| -> Vec<f64> {
        decisions
            .iter()
            .zip(test_case)
            .filter(|&(_, &case)| case == wanted)
            .map(|(&z, _)| z)
            .collect()
    };
    let (cases, controls) = (decisions_where(true), decisions_where(false));
    Ok((
        correct as f64 / test_case.len().max(1) as f64,
        auc(&cases, &controls)?,
        snps.len(),
    ))
}

fn summarise(mut values: Vec<f64>) -> DistanceSummary {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| crate::audit::metrics::quantile_sorted(&values, q);
    DistanceSummary {
        min: values.first().copied().unwrap_or(f64::NAN),
        p05: at(0.05),
        median: at(0.5),
        mean: values.iter().sum::<f64>() / values.len().max(1) as f64,
    }
}

fn distance_to_closest_record(
    synthetic: &GenotypeMatrix,
    training: &GenotypeMatrix,
    holdout: &GenotypeMatrix,
    job: Job<'_>,
) -> Result<DistanceToClosestRecord> {
    let to_training = nearest_released_records(synthetic, training, job)?;
    let to_holdout = nearest_released_records(synthetic, holdout, job)?;
    let (mut closer, mut farther) = (0, 0);
    for (t, h) in to_training.iter().zip(&to_holdout) {
        match t.distance.cmp(&h.distance) {
            std::cmp::Ordering::Less => closer += 1,
            std::cmp::Ordering::Greater => farther += 1,
            std::cmp::Ordering::Equal => {}
        }
    }
    let ties = to_training.len() - closer - farther;
    let untied = closer + farther;
    let (share, interval) = if untied == 0 {
        (
            0.5,
            Interval {
                lower: 0.0,
                upper: 1.0,
            },
        )
    } else {
        (
            closer as f64 / untied as f64,
            clopper_pearson(closer, untied, 0.95)?,
        )
    };
    let distances = |records: &[crate::audit::shared_data::NearestRecord]| {
        summarise(records.iter().map(|r| r.distance as f64).collect())
    };
    Ok(DistanceToClosestRecord {
        to_training: distances(&to_training),
        to_holdout: distances(&to_holdout),
        share_closer_to_training: share,
        share_interval: interval,
        ties,
    })
}

/// The privacy profile of ρ-zCDP: δ(ε′) from `cdp_delta` on the ε′ grid of
/// the headline ε.
fn zcdp_profile(epsilon: f64, rho: f64) -> PrivacyProfile {
    let epsilons = epsilon_grid(epsilon);
    let deltas = epsilons.iter().map(|&e| zcdp::cdp_delta(rho, e)).collect();
    PrivacyProfile {
        epsilons,
        deltas,
        source: format!("zCDP profile, rho = {rho:.6}"),
    }
}

/// The three attacks of spec §8 on training (members) against holdout people.
fn membership_attacks(
    training: &GenotypeMatrix,
    holdout: &GenotypeMatrix,
    synthetic: &GenotypeMatrix,
    order: usize,
    profile: &PrivacyProfile,
    options: ReportOptions,
    job: Job<'_>,
) -> Result<Vec<SynthAttack>> {
    let mut attacks = Vec::new();
    // Nearest synthetic record: a member's own record may have been copied.
    let members = hamming_scores(training, synthetic, job)?;
    let non_members = hamming_scores(holdout, synthetic, job)?;
    attacks.push(bounded(
        "distance to the closest synthetic record",
        "minus the distance from a person to the nearest synthetic record",
        &members,
        &non_members,
        profile,
        options,
    )?);

    // The references of the density-ratio and frequency tests come from the
    // holdout, cross-fitted: each holdout fold is scored against the other
    // fold, and members alternate between the two, so no one is scored against
    // a reference that contains them and every reference has the same size.
    let folds = holdout_folds(holdout.n_samples());
    let fold_matrices = [
        holdout.select_samples(&folds[0]),
        holdout.select_samples(&folds[1]),
    ];
    job.checkpoint("density-ratio attack", None)?;
    let synthetic_model = ChainDensity::fit(synthetic, order);
    let reference_models = [
        ChainDensity::fit(&fold_matrices[0], order),
        ChainDensity::fit(&fold_matrices[1], order),
    ];
    let density = |model: &ChainDensity, matrix: &GenotypeMatrix| -> Vec<f64> {
        let g = synthetic_model.log_likelihoods(matrix);
        let r = model.log_likelihoods(matrix);
        g.iter().zip(&r).map(|(a, b)| a - b).collect()
    };
    let (members, non_members) =
        cross_fitted(training, &fold_matrices, &folds, holdout, |fold, matrix| {
            Ok(density(&reference_models[fold], matrix))
        })?;
    attacks.push(bounded(
        "density ratio under the chain model",
        "log-likelihood under the chain fitted to the synthetic data minus that under the chain \
         fitted to held-out people",
        &members,
        &non_members,
        profile,
        options,
    )?);

    let pool = allele_frequencies(synthetic);
    let references = [
        allele_frequencies(&fold_matrices[0]),
        allele_frequencies(&fold_matrices[1]),
    ];
    let (members, non_members) =
        cross_fitted(training, &fold_matrices, &folds, holdout, |fold, matrix| {
            likelihood_ratio_scores(matrix, &pool, &references[fold], job)
        })?;
    attacks.push(bounded(
        "allele-frequency likelihood ratio",
        "Sankararaman et al.'s likelihood ratio of the synthetic allele frequencies against \
         held-out people's",
        &members,
        &non_members,
        profile,
        options,
    )?);
    Ok(attacks)
}

/// Holdout rows in two alternating folds.
fn holdout_folds(n: usize) -> [Vec<usize>; 2] {
    [(0..n).step_by(2).collect(), (1..n).step_by(2).collect()]
}

/// Scores members (training rows alternate between references fitted on fold 0
/// and fold 1) and non-members (each holdout fold against the other fold's
/// reference). `score(fold, matrix)` scores every row of `matrix` against the
/// reference fitted on `fold`.
fn cross_fitted<F>(
    training: &GenotypeMatrix,
    fold_matrices: &[GenotypeMatrix; 2],
    folds: &[Vec<usize>; 2],
    holdout: &GenotypeMatrix,
    score: F,
) -> Result<(Vec<f64>, Vec<f64>)>
where
    F: Fn(usize, &GenotypeMatrix) -> Result<Vec<f64>>,
{
    let member_folds = holdout_folds(training.n_samples());
    let mut members = vec![0.0; training.n_samples()];
    for (fold, rows) in member_folds.iter().enumerate() {
        let scores = score(fold, &training.select_samples(rows))?;
        for (&row, s) in rows.iter().zip(scores) {
            if let Some(slot) = members.get_mut(row) {
                *slot = s;
            }
        }
    }
    let mut non_members = vec![0.0; holdout.n_samples()];
    for (fold, rows) in folds.iter().enumerate() {
        let scores = score(1 - fold, &fold_matrices[fold])?;
        for (&row, s) in rows.iter().zip(scores) {
            if let Some(slot) = non_members.get_mut(row) {
                *slot = s;
            }
        }
    }
    Ok((members, non_members))
}

fn bounded(
    name: &str,
    description: &str,
    members: &[f64],
    non_members: &[f64],
    profile: &PrivacyProfile,
    options: ReportOptions,
) -> Result<SynthAttack> {
    let report = AttackReport::new(members, non_members, options)?;
    let n_out = report.n_out;
    let operating_points = report
        .operating_points
        .iter()
        .map(|p| {
            // The measured FPR is itself an estimate: the bound is checked at the
            // upper end of its 95 % interval (at most floor(max_fpr · N_out)
            // false positives were allowed).
            let false_positives = ((p.max_fpr * n_out as f64).floor() as usize).min(n_out);
            let fpr_upper = clopper_pearson(false_positives, n_out, 0.95)?.upper;
            Ok(BoundedOperatingPoint {
                max_fpr: p.max_fpr,
                tpr: p.tpr,
                tpr_interval: p.tpr_interval,
                reliable: p.reliable,
                dp_ceiling: profile_tpr(profile, p.max_fpr)?,
                fpr_upper,
                dp_ceiling_at_fpr_upper: profile_tpr(profile, fpr_upper)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let at_1pct = operating_points
        .iter()
        .find(|p| p.max_fpr == 0.01)
        .copied()
        .ok_or_else(|| Error::Mismatch("the attack report has no 1 % FPR point".into()))?;
    Ok(SynthAttack {
        name: name.to_owned(),
        description: description.to_owned(),
        n_members: report.n_in,
        n_non_members: report.n_out,
        auc: report.auc,
        auc_interval: report.auc_interval,
        tpr_at_1pct_fpr: at_1pct.tpr,
        tpr_at_1pct_fpr_interval: at_1pct.tpr_interval,
        within_dp_bound: operating_points
            .iter()
            .all(|p| p.tpr_interval.lower <= p.dp_ceiling_at_fpr_upper),
        operating_points,
    })
}

/// The chain family of the generator (genotypes only: the attacker needs no
/// phenotype), fitted by counting with one pseudo-count per cell:
/// log p(x) = Σ_j log P(s_j | the `order` SNPs before it).
struct ChainDensity {
    order: usize,
    /// Per SNP j: log P(s_j | context) for context lengths min(j, order),
    /// indexed by context·3 + s_j.
    log_conditionals: Vec<Vec<f64>>,
}

impl ChainDensity {
    fn fit(matrix: &GenotypeMatrix, order: usize) -> Self {
        let mut rows = Vec::new();
        let mut contexts = vec![0usize; matrix.n_samples()];
        let mut log_conditionals = Vec::with_capacity(matrix.n_variants());
        for j in 0..matrix.n_variants() {
            let width = 3usize.pow(j.min(order) as u32);
            let mut counts = vec![1.0; width * 3];
            matrix.unpack_into(j, &mut rows);
            for (&g, context) in rows.iter().zip(&mut contexts) {
                let state = usize::from(g.min(2));
                if let Some(c) = counts.get_mut(*context * 3 + state) {
                    *c += 1.0;
                }
            }
            for row in counts.chunks_mut(3) {
                let total: f64 = row.iter().sum();
                row.iter_mut().for_each(|c| *c = (*c / total).ln());
            }
            log_conditionals.push(counts);
            advance(&mut contexts, &rows, order);
        }
        Self {
            order,
            log_conditionals,
        }
    }

    fn log_likelihoods(&self, matrix: &GenotypeMatrix) -> Vec<f64> {
        let mut rows = Vec::new();
        let mut contexts = vec![0usize; matrix.n_samples()];
        let mut total = vec![0.0; matrix.n_samples()];
        for (j, table) in self.log_conditionals.iter().enumerate() {
            matrix.unpack_into(j, &mut rows);
            for ((&g, context), sum) in rows.iter().zip(&contexts).zip(&mut total) {
                if g != MISSING {
                    *sum += table
                        .get(context * 3 + usize::from(g))
                        .copied()
                        .unwrap_or(0.0);
                }
            }
            advance(&mut contexts, &rows, self.order);
        }
        total
    }
}

/// Shifts each row's last-`order`-states context by its call at this SNP.
fn advance(contexts: &mut [usize], calls: &[u8], order: usize) {
    let width = 3usize.pow(order as u32);
    for (context, &g) in contexts.iter_mut().zip(calls) {
        *context = (*context * 3 + usize::from(g.min(2))) % width;
    }
}

fn explanation(
    settings: &SynthSettings,
    manifest: &Manifest,
    predicted_frequency_sd: f64,
    dcr: &DistanceToClosestRecord,
    ceiling: &RocCeiling,
) -> Vec<String> {
    let mut sentences = Vec::new();
    for group in &manifest.measurements {
        sentences.push(measurement_group_sentence(group, settings.order, true));
    }
    let rho_spent = manifest.measurements.iter().map(|m| m.rho).sum();
    sentences.push(budget_sentence(
        settings.epsilon,
        settings.delta,
        manifest.rho,
        rho_spent,
    ));
    sentences.push(frequency_noise_sentence(predicted_frequency_sd));
    sentences.push(distance_sentence(
        dcr.share_closer_to_training,
        dcr.share_interval.lower,
        dcr.share_interval.upper,
    ));
    if let Some(t) = ceiling
        .fpr
        .iter()
        .zip(&ceiling.tpr_max)
        .find(|(f, _)| **f == 0.01)
        .map(|(_, t)| *t)
    {
        sentences.push(dp_bound_sentence(settings.epsilon, settings.delta, t));
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;
    use crate::synthesis::simulate::{SimulationParameters, simulate_cohort};

    /// When the noise swamps the counts, which SNPs are significant in the
    /// synthetic GWAS has nothing to do with the real hits: the threshold
    /// retention then sits at the chance level the report states (the share of
    /// all SNPs significant in the synthetic data), within binomial error.
    /// Independent SNPs, so that hits are independent draws.
    #[test]
    fn swamped_retention_sits_at_the_stated_chance_level() -> Result<()> {
        let (real, labels) = simulate_cohort(&SimulationParameters {
            n_samples: 400,
            n_snps: 3_000,
            copy_probability: 0.0,
            effect: 0.3,
            causal_every: 10,
            seed: 7,
        });
        let inputs = SynthInputs {
            real,
            is_case: labels.iter().map(|&y| y == 1).collect(),
        };
        let mut settings = SynthSettings::new(0.5, 1e-6, Some(3));
        settings.bootstrap_resamples = 20;
        settings.classifier_snps = 10;
        settings.estimator.max_iterations = 50;
        let report = job::unattended(|job| run_synth_study(&inputs, &settings, job))?.report;
        let Some(gwas) = report.gwas else {
            return Err(Error::Mismatch(format!(
                "no GWAS comparison: {:?}",
                report.notices
            )));
        };
        assert!(gwas.real_hits >= 100, "{gwas:?}");
        assert!(gwas.tested > 0 && gwas.tested <= report.n_variants);
        let chance = gwas.synthetic_relaxed_hits as f64 / gwas.tested as f64;
        let sd = (chance * (1.0 - chance) / gwas.real_hits as f64).sqrt();
        assert!(
            (gwas.threshold_retention - chance).abs() < 4.0 * sd,
            "retention {} against chance {chance} (sd {sd})",
            gwas.threshold_retention
        );
        Ok(())
    }
}
