//! One shared copy of a cohort, with every figure a steward must see beside it:
//! nominal and realised epsilon, record-level utility, GWAS retention next to the
//! coin-flip control, and where the restoration frequencies came from.
//!
//! [`ShareStudy::prepare`] does the work that does not depend on epsilon once (the
//! panel lined up, its calibration, the original GWAS), so that a sweep runs many
//! releases from one preparation.

use serde::{Deserialize, Serialize};

use crate::audit::shared_data::{SharedDataAuditOptions, SharedDataSummary, audit_shared_data};
use crate::data::{GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::explain::MafSource;
use crate::explain::release::{
    dp_frequency_noise_warning, frequency_budget_sentence, frequency_source_warning,
    seeded_output_notice,
};
use crate::job::Job;
use crate::sharing::{
    AlignedPanel, Calibration, FlipRates, NoiseKey, TargetFrequencies, TargetSource, align_panel,
    allele_frequencies, calibrate, grr_release, impute_missing_hwe, release_xor,
};
use crate::stats::gwas::{
    RetentionSettings, allelic_tests_split, association_tests, association_tests_split,
    snp_retention,
};
use crate::utility::gwas::{GwasSettings, GwasUtility, TopKAgreement, compare_gwas};
use crate::utility::ld::{LdPreservation, LdSettings, ld_preservation};
use crate::utility::{UtilityReport, utility};

/// The association test retention is measured with (`Allelic`, as `plink --assoc`,
/// unless the user picks another).
pub use crate::utility::gwas::AssociationTest as GwasTest;

/// How the shared copy is perturbed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanism {
    /// PROVGEN's column-wise XOR noise calibrated on a public panel, then
    /// frequency restoration.
    Xor,
    /// Per-SNP generalised randomized response over {0, 1, 2} (the correct
    /// baseline), without restoration.
    #[serde(rename = "rr")]
    RandomizedResponse,
    /// Epsilon 0: every bit a coin flip, then restoration. Whatever utility it
    /// keeps comes from the frequencies alone.
    CoinFlip,
}

impl Mechanism {
    /// The name used in reports, CSV files and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Mechanism::Xor => "xor",
            Mechanism::RandomizedResponse => "rr",
            Mechanism::CoinFlip => "coin_flip",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mechanism::Xor => "XOR mechanism (PROVGEN)",
            Mechanism::RandomizedResponse => "Randomized response per SNP",
            Mechanism::CoinFlip => "Coin-flip control (epsilon 0)",
        }
    }
}

/// A privacy budget in the unit the user gave it. The XOR mechanism takes the
/// total per-individual budget over all SNPs; PROVGEN's "effective" epsilon is
/// per SNP (total = per SNP x number of SNPs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    Total(f64),
    PerSnp(f64),
}

impl Budget {
    pub fn total(self, n_variants: usize) -> f64 {
        match self {
            Budget::Total(e) => e,
            Budget::PerSnp(e) => e * n_variants as f64,
        }
    }

    pub fn per_snp(self, n_variants: usize) -> f64 {
        match self {
            Budget::Total(e) => e / n_variants.max(1) as f64,
            Budget::PerSnp(e) => e,
        }
    }

    fn check(self) -> Result<()> {
        let (Budget::Total(e) | Budget::PerSnp(e)) = self;
        if e.is_finite() && e >= 0.0 {
            Ok(())
        } else {
            Err(Error::Parameter(format!(
                "epsilon must be a finite number >= 0, got {e}"
            )))
        }
    }
}

/// Where the restoration targets come from (sharing spec §6 flaw 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetChoice {
    /// A public reference: an allele-frequency table if given, else the panel.
    /// Costs the participants nothing: the default.
    #[default]
    Reference,
    /// The cohort's own frequencies with discrete Laplace noise, `epsilon` added
    /// to the release's budget.
    DifferentiallyPrivate { epsilon: f64 },
    /// The cohort's exact frequencies: a disclosure epsilon does not cover.
    Raw,
}

/// Who the cases are tested against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GwasDesign {
    /// Cases and controls of the cohort, from a phenotype column.
    Phenotype,
    /// The whole cohort as cases against the public panel as controls (PROVGEN).
    PanelAsControls,
}

/// What a sharing study starts from.
#[derive(Clone, Debug)]
pub struct ShareInputs {
    /// The cohort to share.
    pub private: GenotypeMatrix,
    /// A public reference panel's genotypes: calibrates the XOR noise, supplies
    /// target frequencies and, without phenotypes, the GWAS controls.
    pub panel: Option<GenotypeMatrix>,
    /// Public target frequencies matched to the cohort's variants (e.g. by
    /// `AlleleFreqTable::match_variants`); overrides the panel's as targets.
    pub reference_af: Option<Vec<Option<f64>>>,
    /// Case/control status per cohort sample (`None`: unknown, left out of the GWAS).
    pub case_status: Option<Vec<Option<bool>>>,
    pub gwas_test: GwasTest,
    pub retention: RetentionSettings,
}

impl ShareInputs {
    /// A cohort with nothing else: defaults for the GWAS settings.
    pub fn new(private: GenotypeMatrix) -> Self {
        Self {
            private,
            panel: None,
            reference_af: None,
            case_status: None,
            gwas_test: GwasTest::Allelic,
            retention: RetentionSettings::default(),
        }
    }
}

/// The original GWAS that every release is compared with.
#[derive(Clone, Debug)]
struct GwasPlan {
    design: GwasDesign,
    test: GwasTest,
    /// Cohort rows with a known status, in order (all rows for `PanelAsControls`).
    rows: Vec<usize>,
    is_case: Vec<bool>,
    original_p: Vec<f64>,
    n_cases: usize,
    n_controls: usize,
}

/// A prepared sharing study: everything that does not depend on epsilon.
#[derive(Clone, Debug)]
pub struct ShareStudy {
    private: GenotypeMatrix,
    panel: Option<AlignedPanel>,
    calibration: Option<Calibration>,
    reference_af: Option<Vec<f64>>,
    gwas: Option<GwasPlan>,
    retention: RetentionSettings,
}

/// One release's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareSettings {
    pub mechanism: Mechanism,
    pub budget: Budget,
    pub targets: TargetChoice,
}

/// The privacy loss of one release, in both units, nominal and realised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpsilonAccount {
    /// The budget the noise was scaled to, per individual over all SNPs.
    pub nominal_total: f64,
    pub nominal_per_snp: f64,
    /// The guarantee the noise really gives (`None`: unbounded, some flip
    /// probability is 0).
    pub realised_total: Option<f64>,
    pub realised_per_snp_min: f64,
    pub realised_per_snp_median: f64,
    pub realised_per_snp_max: f64,
    /// Share of bit columns flipped with probability within 1e-3 of 1/2 (XOR only).
    pub coin_flip_columns: Option<f64>,
    /// Budget of differentially private restoration targets.
    pub targets: Option<f64>,
    /// What one person risks in all: realised plus targets (`None` when unbounded,
    /// including raw targets).
    pub total_spent: Option<f64>,
}

/// GWAS retention of one release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GwasRetention {
    pub design: GwasDesign,
    pub test: GwasTest,
    pub n_cases: usize,
    pub n_controls: usize,
    pub alpha: f64,
    pub tau: f64,
    /// SNPs with `p < alpha` in the original GWAS.
    pub significant_original: usize,
    pub retention_rate: f64,
    /// The same measured on the epsilon-0 control with the same targets.
    pub coin_flip_retention_rate: f64,
    /// PROVGEN's `ratio` variant: the top 5 % of SNPs against the top 5 % / tau.
    pub ratio_retention_rate: f64,
    /// Precision and recall of the released top 100 hits against the original's.
    pub top_k: TopKAgreement,
    /// Genomic inflation of each GWAS (median 1-df chi-square / 0.455).
    pub lambda_gc_original: Option<f64>,
    pub lambda_gc_released: Option<f64>,
}

/// The JSON report written beside a shared dataset (issue 3's field names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareReport {
    pub genopriv_version: String,
    pub mechanism: Mechanism,
    pub epsilon_nominal: f64,
    pub epsilon_nominal_per_snp: f64,
    pub epsilon_realised: Option<f64>,
    pub epsilon: EpsilonAccount,
    /// `reference_af`, `reference_panel`, `dp` or `raw`; `null` when unused.
    pub target_source: Option<String>,
    pub n_samples: usize,
    pub n_variants: usize,
    pub missing_policy: String,
    pub imputed_calls: u64,
    pub point_error: f64,
    pub sample_error: f64,
    pub mean_error: f64,
    pub variance_error: f64,
    pub allele_frequency_mae: f64,
    /// r² of each SNP with its next 10 within 1 Mb, original against released.
    pub ld: LdPreservation,
    pub retention_rate: Option<f64>,
    pub coin_flip_retention_rate: Option<f64>,
    pub gwas: Option<GwasRetention>,
    /// The stronger of the two membership tests' TPR at 1 % FPR (`null` when no
    /// public reference allows the audit).
    pub membership_tpr_at_1pct_fpr: Option<f64>,
    /// Both membership tests on a same-settings release of a random half of the
    /// cohort against the held-out half (spec §6 flaw 9: aligned split).
    pub membership: Vec<SharedDataSummary>,
    /// The study seed; `null` for a release drawn from the OS CSPRNG.
    pub seed: Option<u64>,
    pub not_for_release: bool,
    pub input_sha256: Option<String>,
    pub reference_sha256: Option<String>,
    /// Plain-language notices (frequency disclosure, seeded output, imputation).
    pub notices: Vec<String>,
}

/// A shared copy and what it was measured to be.
#[derive(Clone, Debug)]
pub struct ShareOutcome {
    pub released: GenotypeMatrix,
    pub report: ShareReport,
    /// Realised epsilon of each SNP (all zeros for the coin-flip control).
    pub realised_per_snp: Vec<f64>,
    /// Counted-allele frequencies of the cohort, the release and the targets.
    pub frequencies: FrequencyComparison,
    /// Original and released GWAS p-values (Manhattan and QQ plots).
    pub gwas_p: Option<GwasComparison>,
    /// The comparison of the two GWAS, with Manhattan and QQ data.
    pub gwas_utility: Option<GwasUtility>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FrequencyComparison {
    pub original: Vec<f64>,
    pub released: Vec<f64>,
    pub targets: Option<Vec<f64>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GwasComparison {
    pub test: GwasTest,
    pub original: Vec<f64>,
    pub released: Vec<f64>,
}

/// A perturbed matrix before it is measured.
struct Perturbed {
    released: GenotypeMatrix,
    /// The cohort with missing calls imputed: what utility compares against.
    complete: GenotypeMatrix,
    nominal_total: f64,
    realised_per_snp: Vec<f64>,
    coin_flip_columns: Option<f64>,
    imputed_calls: u64,
}

/// How missing calls are handled, stated in every report (spec §6 flaw 7).
const MISSING_POLICY: &str = "missing calls are imputed before perturbation by a draw from \
    Hardy-Weinberg proportions at the SNP's target frequency";

impl ShareStudy {
    /// Lines up the panel, calibrates the XOR noise on it and runs the original
    /// GWAS. Calibration is skipped without a panel (then only randomized
    /// response can run).
    pub fn prepare(inputs: ShareInputs, job: Job<'_>) -> Result<Self> {
        let private = inputs.private;
        if private.n_samples() == 0 || private.n_variants() == 0 {
            return Err(Error::Parameter(
                "nothing to share: the cohort has no samples or no variants".into(),
            ));
        }
        let panel = inputs
            .panel
            .map(|p| align_panel(&p, private.variants(), job))
            .transpose()?;
        let calibration = panel
            .as_ref()
            .map(|p| calibrate(&p.matrix, job))
            .transpose()?;
        let reference_af = inputs
            .reference_af
            .map(|af| complete_reference_af(af, private.variants()))
            .transpose()?;
        let gwas = gwas_plan(
            &private,
            panel.as_ref(),
            inputs.case_status.as_deref(),
            inputs.gwas_test,
            job,
        )?;
        Ok(Self {
            private,
            panel,
            calibration,
            reference_af,
            gwas,
            retention: inputs.retention,
        })
    }

    pub fn private(&self) -> &GenotypeMatrix {
        &self.private
    }

    pub fn panel(&self) -> Option<&AlignedPanel> {
        self.panel.as_ref()
    }

    /// Whether a GWAS (and so retention) can be measured.
    pub fn has_gwas(&self) -> bool {
        self.gwas.is_some()
    }

    /// Releases the cohort once with `settings` and measures the result. `key`
    /// decides the randomness: `NoiseKey::from_os()` for a release, a seed for a
    /// study (the report then says it is not for release).
    pub fn run(
        &self,
        settings: &ShareSettings,
        key: &NoiseKey,
        job: Job<'_>,
    ) -> Result<ShareOutcome> {
        settings.budget.check()?;
        let targets = self.targets(&self.private, settings, key)?;
        let perturbed = self.perturb(&self.private, settings, targets.as_ref(), key, job)?;
        job.checkpoint("measuring utility", None)?;
        let util = utility(&perturbed.complete, &perturbed.released)?;
        let ld = ld_preservation(
            &perturbed.complete,
            &perturbed.released,
            LdSettings::default(),
            job,
        )?;
        let gwas = match &self.gwas {
            Some(plan) => {
                let released_p = self.gwas_p(plan, &perturbed.released, job)?;
                let retention = snp_retention(&plan.original_p, &released_p, self.retention)?;
                let control_key = derived_key(key, CONTROL_STREAM)?;
                let control = ShareSettings {
                    mechanism: Mechanism::CoinFlip,
                    ..*settings
                };
                let control_targets = match targets.as_ref() {
                    Some(t) => Some(t.clone()),
                    None => self.targets(&self.private, &control, &control_key)?,
                };
                let coin = self.perturb(
                    &self.private,
                    &control,
                    control_targets.as_ref(),
                    &control_key,
                    job,
                )?;
                let coin_p = self.gwas_p(plan, &coin.released, job)?;
                let coin_retention = snp_retention(&plan.original_p, &coin_p, self.retention)?;
                let comparison = compare_gwas(
                    self.private.variants(),
                    &plan.original_p,
                    &released_p,
                    GwasSettings {
                        test: plan.test,
                        alpha: self.retention.alpha,
                        tau: self.retention.tau,
                        ..GwasSettings::default()
                    },
                )?;
                Some((plan, released_p, retention, coin_retention, comparison))
            }
            None => None,
        };
        let membership = self.membership_audit(settings, key, job)?;
        let mut report =
            self.report(settings, key, &perturbed, targets.as_ref(), util, ld, &gwas)?;
        report.membership_tpr_at_1pct_fpr = membership
            .iter()
            .map(|m| m.tpr_at_1pct_fpr)
            .reduce(f64::max);
        report.membership = membership;
        let frequencies = FrequencyComparison {
            original: allele_frequencies(&self.private),
            released: allele_frequencies(&perturbed.released),
            targets: targets.map(|t| t.values),
        };
        let (gwas_p, gwas_utility) = match gwas {
            Some((plan, released, _, _, comparison)) => (
                Some(GwasComparison {
                    test: plan.test,
                    original: plan.original_p.clone(),
                    released,
                }),
                Some(comparison),
            ),
            None => (None, None),
        };
        Ok(ShareOutcome {
            gwas_p,
            gwas_utility,
            realised_per_snp: perturbed.realised_per_snp,
            released: perturbed.released,
            report,
            frequencies,
        })
    }

    /// Releases a random half of the cohort with the same settings and tests its
    /// members against the held-out half, with both membership tests. Needs public
    /// reference frequencies for the likelihood-ratio test; empty without them.
    fn membership_audit(
        &self,
        settings: &ShareSettings,
        key: &NoiseKey,
        job: Job<'_>,
    ) -> Result<Vec<SharedDataSummary>> {
        let reference = match (&self.reference_af, &self.panel) {
            (Some(af), _) => af,
            (None, Some(panel)) => &panel.frequencies,
            (None, None) => return Ok(Vec::new()),
        };
        let audit_key = derived_key(key, AUDIT_STREAM)?;
        let split_seed = match audit_key.seed() {
            Some(seed) => seed,
            None => super::os_seed()?,
        };
        let audit = audit_shared_data(
            &self.private,
            reference,
            |members, job| {
                let targets = self.targets(members, settings, &audit_key)?;
                Ok(self
                    .perturb(members, settings, targets.as_ref(), &audit_key, job)?
                    .released)
            },
            SharedDataAuditOptions {
                seed: split_seed,
                ..SharedDataAuditOptions::default()
            },
            job,
        )?;
        audit.summaries()
    }

    /// The restoration targets a release needs (`None` when it needs none:
    /// randomized response on complete data).
    fn targets(
        &self,
        cohort: &GenotypeMatrix,
        settings: &ShareSettings,
        key: &NoiseKey,
    ) -> Result<Option<TargetFrequencies>> {
        let has_missing = (0..cohort.n_variants()).any(|j| cohort.call_counts(j).missing > 0);
        if settings.mechanism == Mechanism::RandomizedResponse && !has_missing {
            return Ok(None);
        }
        let targets = match settings.targets {
            TargetChoice::Reference => {
                let values = match (&self.reference_af, &self.panel) {
                    (Some(af), _) => af.clone(),
                    (None, Some(panel)) => panel.frequencies.clone(),
                    (None, None) => {
                        return Err(Error::Parameter(
                            "restoring frequencies from a public reference needs a reference \
                             panel or an allele-frequency table; without one, choose \
                             differentially private frequencies"
                                .into(),
                        ));
                    }
                };
                TargetFrequencies {
                    values,
                    source: TargetSource::PublicReference,
                }
            }
            TargetChoice::DifferentiallyPrivate { epsilon } => {
                TargetFrequencies::differentially_private(cohort, epsilon, key)?
            }
            TargetChoice::Raw => TargetFrequencies::from_private_data(cohort)?,
        };
        Ok(Some(targets))
    }

    /// Perturbs `cohort` (the study's cohort, or a part of it for an audit).
    fn perturb(
        &self,
        cohort: &GenotypeMatrix,
        settings: &ShareSettings,
        targets: Option<&TargetFrequencies>,
        key: &NoiseKey,
        job: Job<'_>,
    ) -> Result<Perturbed> {
        let m = cohort.n_variants();
        let (complete, imputed_calls) = match targets {
            Some(t) => impute_missing_hwe(cohort, &t.values, key, job)?,
            None => (cohort.clone(), 0),
        };
        match settings.mechanism {
            Mechanism::RandomizedResponse => {
                let per_snp = settings.budget.per_snp(m);
                let released = grr_release(&complete, per_snp, key, job)?;
                Ok(Perturbed {
                    released,
                    complete,
                    nominal_total: settings.budget.total(m),
                    realised_per_snp: vec![per_snp; m],
                    coin_flip_columns: None,
                    imputed_calls,
                })
            }
            Mechanism::Xor | Mechanism::CoinFlip => {
                let Some(targets) = targets else {
                    return Err(Error::Parameter(
                        "frequency restoration needs target frequencies".into(),
                    ));
                };
                let rates = if settings.mechanism == Mechanism::CoinFlip {
                    FlipRates::coin_flip(cohort.variants())
                } else {
                    let Some(calibration) = &self.calibration else {
                        return Err(Error::Parameter(
                            "the XOR mechanism calibrates its noise on a public reference \
                             panel's genotypes: give one (allele frequencies are not enough)"
                                .into(),
                        ));
                    };
                    calibration.flip_rates(settings.budget.total(m))?
                };
                let release = release_xor(&complete, &rates, targets, key, job)?;
                Ok(Perturbed {
                    released: release.released,
                    complete,
                    nominal_total: release.nominal_epsilon,
                    realised_per_snp: release.realised.per_snp,
                    coin_flip_columns: Some(release.realised.near_half_share),
                    imputed_calls,
                })
            }
        }
    }

    fn gwas_p(&self, plan: &GwasPlan, released: &GenotypeMatrix, job: Job<'_>) -> Result<Vec<f64>> {
        match (plan.design, &self.panel) {
            (GwasDesign::PanelAsControls, Some(panel)) => {
                let results = association_tests(released, &panel.matrix, job)?;
                Ok(results.iter().map(|r| plan.test.p_value(r)).collect())
            }
            _ if plan.rows.len() == released.n_samples() => {
                split_p_values(released, &plan.is_case, plan.test, job)
            }
            _ => split_p_values(
                &released.select_samples(&plan.rows),
                &plan.is_case,
                plan.test,
                job,
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        settings: &ShareSettings,
        key: &NoiseKey,
        perturbed: &Perturbed,
        targets: Option<&TargetFrequencies>,
        util: UtilityReport,
        ld: LdPreservation,
        gwas: &Option<(&GwasPlan, Vec<f64>, f64, f64, GwasUtility)>,
    ) -> Result<ShareReport> {
        let m = self.private.n_variants();
        let per_snp = &perturbed.realised_per_snp;
        let realised_total: f64 = per_snp.iter().sum();
        let realised = realised_total.is_finite().then_some(realised_total);
        let mut sorted = per_snp.clone();
        sorted.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            sorted
                .get(((sorted.len().saturating_sub(1)) as f64 * q).round() as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        let (source_name, maf_source, targets_epsilon) = match targets.map(|t| t.source) {
            None => (None, MafSource::NotUsed, None),
            Some(TargetSource::DifferentiallyPrivate { epsilon }) => {
                (Some("dp"), MafSource::DifferentiallyPrivate, Some(epsilon))
            }
            Some(TargetSource::PrivateData) => (Some("raw"), MafSource::Raw, None),
            Some(_) if self.reference_af.is_some() => {
                (Some("reference_af"), MafSource::Public, None)
            }
            Some(_) => (Some("reference_panel"), MafSource::Public, None),
        };
        let total_spent = match maf_source {
            MafSource::Raw => None,
            _ => realised.map(|r| r + targets_epsilon.unwrap_or(0.0)),
        };
        let mut notices = Vec::new();
        notices.extend(frequency_source_warning(maf_source));
        if let (Some(r), Some(e)) = (realised, targets_epsilon) {
            notices.push(frequency_budget_sentence(r, e));
        }
        if let Some(e) = targets_epsilon {
            notices.extend(dp_frequency_noise_warning(self.private.n_samples(), m, e));
        }
        if let Some(seed) = key.seed() {
            notices.push(seeded_output_notice(seed));
        }
        if perturbed.imputed_calls > 0 {
            notices.push(format!(
                "{} missing calls were filled in before perturbation ({MISSING_POLICY}).",
                perturbed.imputed_calls
            ));
        }
        let gwas_report =
            gwas.as_ref()
                .map(|(plan, _, retention, coin, comparison)| GwasRetention {
                    design: plan.design,
                    test: plan.test,
                    n_cases: plan.n_cases,
                    n_controls: plan.n_controls,
                    alpha: self.retention.alpha,
                    tau: self.retention.tau,
                    significant_original: plan
                        .original_p
                        .iter()
                        .filter(|&&p| p < self.retention.alpha)
                        .count(),
                    retention_rate: *retention,
                    coin_flip_retention_rate: *coin,
                    ratio_retention_rate: comparison.ratio_retention.retention,
                    top_k: comparison.top_k,
                    lambda_gc_original: comparison.original_qq.lambda_gc,
                    lambda_gc_released: comparison.released_qq.lambda_gc,
                });
        Ok(ShareReport {
            genopriv_version: env!("CARGO_PKG_VERSION").to_owned(),
            mechanism: settings.mechanism,
            epsilon_nominal: perturbed.nominal_total,
            epsilon_nominal_per_snp: perturbed.nominal_total / m.max(1) as f64,
            epsilon_realised: realised,
            epsilon: EpsilonAccount {
                nominal_total: perturbed.nominal_total,
                nominal_per_snp: perturbed.nominal_total / m.max(1) as f64,
                realised_total: realised,
                realised_per_snp_min: quantile(0.0),
                realised_per_snp_median: quantile(0.5),
                realised_per_snp_max: quantile(1.0),
                coin_flip_columns: perturbed.coin_flip_columns,
                targets: targets_epsilon,
                total_spent,
            },
            target_source: source_name.map(str::to_owned),
            n_samples: self.private.n_samples(),
            n_variants: m,
            missing_policy: MISSING_POLICY.to_owned(),
            imputed_calls: perturbed.imputed_calls,
            point_error: util.point_error,
            sample_error: util.sample_error,
            mean_error: util.mean_error,
            variance_error: util.variance_error,
            allele_frequency_mae: util.allele_frequency_mae,
            ld,
            retention_rate: gwas_report.as_ref().map(|g| g.retention_rate),
            coin_flip_retention_rate: gwas_report.as_ref().map(|g| g.coin_flip_retention_rate),
            gwas: gwas_report,
            membership_tpr_at_1pct_fpr: None,
            membership: Vec::new(),
            seed: key.seed(),
            not_for_release: key.seed().is_some(),
            input_sha256: None,
            reference_sha256: None,
            notices,
        })
    }
}

const CONTROL_STREAM: u64 = 0xC01F_11B0_C01F_11B0;
const AUDIT_STREAM: u64 = 0xA0D1_7000_A0D1_7000;

/// An independent key for a side computation (the coin-flip control, the
/// membership audit): seeded studies stay reproducible, releases stay unseeded.
fn derived_key(key: &NoiseKey, stream: u64) -> Result<NoiseKey> {
    match key.seed() {
        Some(seed) => Ok(NoiseKey::from_seed(seed ^ stream)),
        None => NoiseKey::from_os(),
    }
}

/// Every cohort SNP needs a public frequency: name the ones that have none.
fn complete_reference_af(af: Vec<Option<f64>>, variants: &[Variant]) -> Result<Vec<f64>> {
    if af.len() != variants.len() {
        return Err(Error::Mismatch(format!(
            "{} reference frequencies for {} variants",
            af.len(),
            variants.len()
        )));
    }
    let lacking: Vec<String> = af
        .iter()
        .zip(variants)
        .filter(|(f, _)| f.is_none())
        .map(|(_, v)| v.display_id())
        .collect();
    if let Some(first) = lacking.first() {
        return Err(Error::Mismatch(format!(
            "{} of the cohort's {} SNPs have no frequency in the reference table (e.g. {first}); \
             every released SNP needs a public target frequency",
            lacking.len(),
            variants.len()
        )));
    }
    Ok(af.into_iter().flatten().collect())
}

/// Per-SNP p-values of a case/control split; the allelic test (the default, run
/// for every release of a sweep) takes plink's fast allele-count path.
fn split_p_values(
    matrix: &GenotypeMatrix,
    is_case: &[bool],
    test: GwasTest,
    job: Job<'_>,
) -> Result<Vec<f64>> {
    if test == GwasTest::Allelic {
        let tests = allelic_tests_split(matrix, is_case, job)?;
        return Ok(tests.iter().map(|t| t.chi_square.p_value).collect());
    }
    let results = association_tests_split(matrix, is_case, job)?;
    Ok(results.iter().map(|r| test.p_value(r)).collect())
}

/// The original GWAS: cases/controls from the phenotype if given, else the
/// cohort against the panel; `None` when neither is available.
fn gwas_plan(
    private: &GenotypeMatrix,
    panel: Option<&AlignedPanel>,
    case_status: Option<&[Option<bool>]>,
    test: GwasTest,
    job: Job<'_>,
) -> Result<Option<GwasPlan>> {
    let plan = match (case_status, panel) {
        (Some(status), _) => {
            if status.len() != private.n_samples() {
                return Err(Error::Mismatch(format!(
                    "{} case/control statuses for {} samples",
                    status.len(),
                    private.n_samples()
                )));
            }
            let rows: Vec<usize> = (0..status.len())
                .filter(|&i| status.get(i).copied().flatten().is_some())
                .collect();
            let is_case: Vec<bool> = rows
                .iter()
                .map(|&i| status.get(i).copied().flatten() == Some(true))
                .collect();
            let n_cases = is_case.iter().filter(|&&c| c).count();
            let original_p = if rows.len() == private.n_samples() {
                split_p_values(private, &is_case, test, job)?
            } else {
                split_p_values(&private.select_samples(&rows), &is_case, test, job)?
            };
            GwasPlan {
                design: GwasDesign::Phenotype,
                test,
                n_controls: rows.len() - n_cases,
                n_cases,
                original_p,
                rows,
                is_case,
            }
        }
        (None, Some(panel)) => {
            let results = association_tests(private, &panel.matrix, job)?;
            GwasPlan {
                design: GwasDesign::PanelAsControls,
                test,
                rows: (0..private.n_samples()).collect(),
                is_case: vec![true; private.n_samples()],
                original_p: results.iter().map(|r| test.p_value(r)).collect(),
                n_cases: private.n_samples(),
                n_controls: panel.matrix.n_samples(),
            }
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(plan))
}
