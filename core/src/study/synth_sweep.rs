//! The privacy-utility trade-off of DP synthetic genotypes: one synthesis study
//! (`run_synth_study`, generator and full evaluation) per epsilon of a grid, each
//! row the figures the trade-off dashboard draws, and the recommended epsilon at
//! the knee of the GWAS-retention curve. The same figures as the sharing sweep, so
//! both releases can be judged on one epsilon axis.

use serde::{Deserialize, Serialize};

use crate::audit::metrics::Interval;
use crate::error::{Error, Result};
use crate::job::Job;

use super::knee::max_curvature_index;
use super::synth::{SynthInputs, SynthReport, SynthSettings, run_synth_study};

/// The grid: every setting of `base` at each epsilon (and `base.delta`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthSweepSettings {
    /// Its seed is the sweep's: a sweep is a study, never a release.
    pub base: SynthSettings,
    pub epsilons: Vec<f64>,
}

/// One synthesis of the grid, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthSweepRow {
    pub epsilon: f64,
    pub delta: f64,
    /// The seed that reruns this synthesis alone (`genopriv synth --seed`).
    pub seed: u64,
    /// PROVGEN threshold retention of the training half's GWAS hits; `None`
    /// when the training half has no hit to retain.
    pub gwas_retention: Option<f64>,
    /// The share of all tested SNPs significant at the relaxed threshold in the
    /// synthetic GWAS: the retention noise alone would give, so a retention near
    /// it is chance, not signal. `None` when nothing was tested.
    #[serde(default)]
    pub gwas_chance: Option<f64>,
    pub allele_frequency_mae: f64,
    /// Mean |r^2 real - r^2 synthetic| over nearby SNP pairs.
    pub ld_r_squared_mae: Option<f64>,
    /// The membership attack finding the most training people at 1 % FPR: its
    /// rate with the Clopper-Pearson interval, and the largest AUC of all.
    pub membership_tpr_at_1pct_fpr: Option<f64>,
    pub membership_tpr_interval: Option<Interval>,
    pub membership_auc: Option<f64>,
    /// Overlap of synthetic and held-out people on the training half's principal
    /// components (1 − the largest KS distance over components 1-10).
    #[serde(default)]
    pub pca_overlap: Option<f64>,
}

impl SynthSweepRow {
    fn of(report: &SynthReport, seed: u64) -> Self {
        let strongest = report
            .membership
            .iter()
            .max_by(|a, b| a.tpr_at_1pct_fpr.total_cmp(&b.tpr_at_1pct_fpr));
        Self {
            epsilon: report.epsilon,
            delta: report.delta,
            seed,
            gwas_retention: report
                .gwas
                .as_ref()
                .filter(|g| g.real_hits > 0)
                .map(|g| g.threshold_retention),
            gwas_chance: report
                .gwas
                .as_ref()
                .filter(|g| g.tested > 0)
                .map(|g| g.synthetic_relaxed_hits as f64 / g.tested as f64),
            allele_frequency_mae: report.allele_frequency.mean_absolute_error,
            ld_r_squared_mae: report.ld.mean_abs_r_squared_difference,
            membership_tpr_at_1pct_fpr: strongest.map(|a| a.tpr_at_1pct_fpr),
            membership_tpr_interval: strongest.map(|a| a.tpr_at_1pct_fpr_interval),
            membership_auc: report.membership.iter().map(|a| a.auc).reduce(f64::max),
            pca_overlap: report.pca.as_ref().map(|p| p.overlap),
        }
    }
}

/// Where more epsilon stops buying GWAS retention.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthRecommendation {
    pub epsilon: f64,
    pub gwas_retention: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthSweepResult {
    pub settings: SynthSweepSettings,
    /// By increasing epsilon.
    pub rows: Vec<SynthSweepRow>,
    /// `None` when the retention curve does not bend over the grid.
    pub recommendation: Option<SynthRecommendation>,
}

/// The seed of the synthesis at grid index `index`: independent streams, each
/// recorded in its row.
fn row_seed(base: u64, index: usize) -> u64 {
    base ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Runs the grid in order of epsilon, telling `on_row` each finished row (for a
/// live chart); cancellable between and within syntheses.
pub fn run_synth_sweep(
    inputs: &SynthInputs,
    settings: &SynthSweepSettings,
    on_row: &(dyn Fn(&SynthSweepRow) + Sync),
    job: Job<'_>,
) -> Result<SynthSweepResult> {
    let Some(seed) = settings.base.seed else {
        return Err(Error::Parameter(
            "a synthesis sweep is a study: it needs a seed (its outputs are not for release)"
                .into(),
        ));
    };
    let mut epsilons = settings.epsilons.clone();
    if epsilons.is_empty() {
        return Err(Error::Parameter(
            "a synthesis sweep needs at least one epsilon".into(),
        ));
    }
    if let Some(bad) = epsilons.iter().find(|e| !(e.is_finite() && **e > 0.0)) {
        return Err(Error::Parameter(format!(
            "every epsilon of a synthesis sweep must be a positive number, got {bad}"
        )));
    }
    epsilons.sort_by(f64::total_cmp);
    epsilons.dedup();
    let mut rows = Vec::with_capacity(epsilons.len());
    for (index, &epsilon) in epsilons.iter().enumerate() {
        job.checkpoint(
            &format!("Synthesizing at epsilon {epsilon}"),
            Some(index as f32 / epsilons.len() as f32),
        )?;
        let run_seed = row_seed(seed, index);
        let run = SynthSettings {
            epsilon,
            seed: Some(run_seed),
            ..settings.base
        };
        let outcome = run_synth_study(inputs, &run, job)?;
        let row = SynthSweepRow::of(&outcome.report, run_seed);
        on_row(&row);
        rows.push(row);
    }
    let recommendation = recommend(&rows);
    Ok(SynthSweepResult {
        settings: SynthSweepSettings {
            base: settings.base,
            epsilons,
        },
        rows,
        recommendation,
    })
}

/// The knee of GWAS retention against log10(epsilon), over the rows measuring it.
fn recommend(rows: &[SynthSweepRow]) -> Option<SynthRecommendation> {
    let measured: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.epsilon, r.gwas_retention?)))
        .collect();
    let x: Vec<f64> = measured.iter().map(|(e, _)| e.log10()).collect();
    let y: Vec<f64> = measured.iter().map(|(_, u)| *u).collect();
    let knee = max_curvature_index(&x, &y)?;
    measured
        .get(knee)
        .map(|&(epsilon, gwas_retention)| SynthRecommendation {
            epsilon,
            gwas_retention,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job;
    use crate::simulate::{SimulationConfig, simulate};

    fn inputs() -> Result<SynthInputs> {
        let cohort = simulate(&SimulationConfig {
            n_samples: 400,
            n_snps: 120,
            seed: 3,
            ..SimulationConfig::default()
        })?;
        Ok(SynthInputs {
            real: cohort.genotypes,
            is_case: cohort.phenotype.iter().map(|&p| p == 1).collect(),
        })
    }

    #[test]
    fn each_row_is_the_synthesis_study_rerun_from_its_seed() -> Result<()> {
        let inputs = inputs()?;
        let mut base = SynthSettings::new(1.0, 1e-6, Some(21));
        base.bootstrap_resamples = 50;
        let settings = SynthSweepSettings {
            base,
            epsilons: vec![8.0, 0.5, 2.0, 8.0],
        };
        let seen = std::sync::Mutex::new(Vec::new());
        let result = job::unattended(|job| {
            run_synth_sweep(
                &inputs,
                &settings,
                &|row| {
                    if let Ok(mut seen) = seen.lock() {
                        seen.push(row.epsilon);
                    }
                },
                job,
            )
        })?;
        // Sorted, without the repeated 8, and told as they finished.
        let epsilons: Vec<f64> = result.rows.iter().map(|r| r.epsilon).collect();
        assert_eq!(epsilons, [0.5, 2.0, 8.0]);
        assert_eq!(seen.lock().map(|s| s.clone()).ok(), Some(epsilons));
        // A row is the study run alone with the seed it records.
        let Some(last) = result.rows.last() else {
            panic!("three rows");
        };
        let alone = job::unattended(|job| {
            run_synth_study(
                &inputs,
                &SynthSettings {
                    epsilon: 8.0,
                    seed: Some(last.seed),
                    ..base
                },
                job,
            )
        })?;
        assert_eq!(*last, SynthSweepRow::of(&alone.report, last.seed));
        // Its chance level is the report's share of tested SNPs significant in the
        // synthetic GWAS.
        let Some(gwas) = alone.report.gwas.as_ref() else {
            panic!("the study ran a GWAS: {:?}", alone.report);
        };
        assert!(gwas.tested > 0, "{gwas:?}");
        assert_eq!(
            last.gwas_chance,
            Some(gwas.synthetic_relaxed_hits as f64 / gwas.tested as f64)
        );
        assert!(
            result
                .rows
                .iter()
                .all(|r| r.gwas_chance.is_some_and(|c| (0.0..=1.0).contains(&c))),
            "{result:?}"
        );
        // Every synthesis was placed on the training half's principal components.
        assert!(
            result
                .rows
                .iter()
                .all(|r| r.pca_overlap.is_some_and(|o| (0.0..=1.0).contains(&o))),
            "{result:?}"
        );
        // More budget, less noise: the frequencies are closer at epsilon 8 than 0.5.
        let first = result.rows.first().map(|r| r.allele_frequency_mae);
        assert!(
            first.is_some_and(|f| last.allele_frequency_mae < f),
            "{result:?}"
        );
        // No attack beats the DP ceiling: TPR at 1 % FPR within e^eps x 1 % + delta
        // (the interval's lower end, as the study's own check reads it).
        for row in &result.rows {
            if let Some(interval) = row.membership_tpr_interval {
                let ceiling = (row.epsilon.exp() * 0.01 + row.delta).min(1.0);
                assert!(interval.lower <= ceiling, "{row:?}");
            }
        }
        Ok(())
    }

    #[test]
    fn a_sweep_needs_a_seed_and_positive_epsilons() -> Result<()> {
        let inputs = inputs()?;
        let unseeded = SynthSweepSettings {
            base: SynthSettings::new(1.0, 1e-6, None),
            epsilons: vec![1.0],
        };
        let error = job::unattended(|job| run_synth_sweep(&inputs, &unseeded, &|_| {}, job));
        assert!(error.is_err_and(|e| e.to_string().contains("needs a seed")));
        let zero = SynthSweepSettings {
            base: SynthSettings::new(1.0, 1e-6, Some(1)),
            epsilons: vec![1.0, 0.0],
        };
        let error = job::unattended(|job| run_synth_sweep(&inputs, &zero, &|_| {}, job));
        assert!(error.is_err_and(|e| e.to_string().contains("positive number, got 0")));
        Ok(())
    }
}
