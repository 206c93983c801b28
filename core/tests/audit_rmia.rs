//! RMIA on simulated cohorts, checked against properties that must hold: it
//! exposes an overfit target (AUC CI above 0.5, members scored higher), it is at
//! least comparable to LiRA with the very same reference models at low FPR, and it
//! finds nothing when the "members" were never seen by the target (a null control
//! that fails if the score leaks anything but the target's behaviour).

use genopriv_core::audit::lira::{
    LiraMode, LiraVariance, ReferenceSignals, keep_matrix, lira_scores, logit_signal,
    train_reference_models,
};
use genopriv_core::audit::metrics::{AttackReport, ReportOptions};
use genopriv_core::audit::rmia::{RmiaMode, RmiaOptions, rmia_scores, tune_offline_a};
use genopriv_core::models::{Features, Fit, LogisticModel, LogisticRegression, Penalty};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};
use genopriv_core::{Error, Result};

fn cohort(n_samples: usize, n_snps: usize, seed: u64) -> Result<(Features, Vec<u8>)> {
    let cohort = simulate(&SimulationConfig {
        n_samples,
        n_snps,
        phenotype: PhenotypeModel::NoSignal { case_fraction: 0.5 },
        seed,
        ..SimulationConfig::default()
    })?;
    Ok((
        Features::from_genotypes(&cohort.genotypes),
        cohort.phenotype,
    ))
}

fn options(seed: u64) -> ReportOptions {
    ReportOptions {
        bootstrap_resamples: 400,
        seed,
        delta: 1e-5,
    }
}

/// A weakly regularised logistic model: with more SNPs than training records it
/// memorises them.
fn overfitting_trainer() -> LogisticRegression {
    LogisticRegression {
        tol: 1e-7,
        ..LogisticRegression::new(Penalty::L2(0.05))
    }
}

/// The attacker's view: the first `n_candidates` rows of `x` are the records under
/// audit, the rest the population (never trained on by anyone). Reference models
/// train on random halves of the candidates.
struct Audit {
    target_signals: Vec<f64>,
    reference: ReferenceSignals,
    population: Vec<usize>,
    n_candidates: usize,
}

impl Audit {
    fn new(
        target: &LogisticModel,
        trainer: &LogisticRegression,
        x: &Features,
        y: &[u8],
        n_candidates: usize,
        n_models: usize,
    ) -> Result<Self> {
        let mut keep = keep_matrix(n_models, n_candidates, 0.5, 11);
        for row in &mut keep {
            row.resize(x.n_rows(), false);
        }
        Ok(Self {
            target_signals: logit_signal(target, x, y),
            reference: train_reference_models(trainer, x, y, keep)?,
            population: (n_candidates..x.n_rows()).collect(),
            n_candidates,
        })
    }

    fn rmia(&self, options: RmiaOptions) -> Result<Vec<f64>> {
        let scores = rmia_scores(
            &self.target_signals,
            &self.reference,
            &self.population,
            options,
        )?;
        Ok(scores.get(..self.n_candidates).unwrap_or_default().to_vec())
    }

    /// LiRA on the candidates with exactly the same reference signals.
    fn lira(&self, mode: LiraMode) -> Result<Vec<f64>> {
        let n = self.n_candidates;
        let candidates = ReferenceSignals {
            signals: self
                .reference
                .signals
                .iter()
                .map(|s| s.get(..n).unwrap_or_default().to_vec())
                .collect(),
            keep: self
                .reference
                .keep
                .iter()
                .map(|k| k.get(..n).unwrap_or_default().to_vec())
                .collect(),
        };
        lira_scores(
            self.target_signals.get(..n).unwrap_or_default(),
            &candidates,
            mode,
            LiraVariance::Global,
        )
    }
}

fn report(scores: &[f64], n_members: usize, seed: u64) -> Result<AttackReport> {
    let (inside, outside) = scores.split_at(n_members.min(scores.len()));
    AttackReport::new(inside, outside, options(seed))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Attack metrics of one cohort: AUC, its CI lower bound, TPR at 1 % and 10 % FPR.
#[derive(Clone, Copy, Debug, Default)]
struct Summary {
    auc: f64,
    auc_lower: f64,
    tpr_1: f64,
    tpr_10: f64,
}

impl Summary {
    fn of(r: &AttackReport) -> Self {
        Self {
            auc: r.auc,
            auc_lower: r.auc_interval.lower,
            tpr_1: r.roc.tpr_at_fpr(0.01),
            tpr_10: r.roc.tpr_at_fpr(0.1),
        }
    }

    fn mean(all: &[Summary]) -> Self {
        let n = all.len().max(1) as f64;
        let sum = |f: fn(&Summary) -> f64| all.iter().map(f).sum::<f64>() / n;
        Self {
            auc: sum(|s| s.auc),
            auc_lower: sum(|s| s.auc_lower),
            tpr_1: sum(|s| s.tpr_1),
            tpr_10: sum(|s| s.tpr_10),
        }
    }
}

#[test]
fn rmia_exposes_an_overfit_target_as_well_as_lira() -> Result<()> {
    // Five fresh cohorts (spec §1.9): 100 members, 100 non-members, 1,000
    // population records, 300 SNPs; 8 reference models shared by both attacks.
    let names = ["RMIA online", "RMIA offline", "LiRA online", "LiRA offline"];
    let mut results: Vec<Vec<Summary>> = vec![Vec::new(); names.len()];
    for seed in 30..35 {
        let (x, y) = cohort(1200, 300, seed)?;
        let member_rows: Vec<usize> = (0..100).collect();
        let trainer = overfitting_trainer();
        let target = trainer.fit(
            &x.select_rows(&member_rows)?,
            y.get(..100).unwrap_or_default(),
        )?;
        let audit = Audit::new(&target, &trainer, &x, &y, 200, 8)?;
        let online = audit.rmia(RmiaOptions::default())?;
        // Orientation: members score higher.
        let (inside, outside) = online.split_at(100);
        assert!(mean(inside) > mean(outside), "seed {seed}");
        let tuning = tune_offline_a(&audit.reference, &audit.population, 1.0)?;
        let offline = audit.rmia(RmiaOptions {
            mode: RmiaMode::Offline,
            offline_a: tuning.offline_a,
            gamma: 1.0,
        })?;
        let reports = [
            report(&online, 100, seed)?,
            report(&offline, 100, seed)?,
            report(&audit.lira(LiraMode::Online)?, 100, seed)?,
            report(&audit.lira(LiraMode::OfflineOneSided)?, 100, seed)?,
        ];
        for ((name, r), store) in names.iter().zip(&reports).zip(&mut results) {
            let summary = Summary::of(r);
            eprintln!(
                "seed {seed} (a = {:.1}) {name}: {summary:?}",
                tuning.offline_a
            );
            store.push(summary);
        }
        for (name, r) in names.iter().zip(&reports).take(2) {
            assert!(
                r.auc_interval.lower > 0.5,
                "seed {seed}: {name} AUC {} CI {:?}",
                r.auc,
                r.auc_interval
            );
        }
    }
    let means: Vec<Summary> = results.iter().map(|r| Summary::mean(r)).collect();
    for (name, m) in names.iter().zip(&means) {
        eprintln!("mean over 5 cohorts, {name}: {m:?}");
    }
    let [rmia_online, rmia_offline, lira_online, lira_offline] = means.as_slice() else {
        return Err(Error::Mismatch("four attacks expected".into()));
    };
    // Comparable to LiRA with the same reference models: AUC within 0.02, and at
    // low FPR at least three quarters of LiRA's true-positive rate.
    for (rmia, lira) in [(rmia_online, lira_online), (rmia_offline, lira_offline)] {
        assert!(rmia.auc >= lira.auc - 0.02, "{rmia:?} vs {lira:?}");
        assert!(rmia.tpr_1 >= 0.75 * lira.tpr_1, "{rmia:?} vs {lira:?}");
        assert!(rmia.tpr_10 >= 0.75 * lira.tpr_10, "{rmia:?} vs {lira:?}");
    }
    Ok(())
}

#[test]
fn null_control_rmia_separates_nothing_the_target_never_saw() -> Result<()> {
    // The target (overfit) trains on its own 100 records; the audited "members" and
    // "non-members" are 150 + 150 further records it never saw, so the labels carry
    // no information and the AUC interval must contain 0.5.
    let (x, y) = cohort(600, 300, 23)?;
    let train_rows: Vec<usize> = (0..100).collect();
    let trainer = overfitting_trainer();
    let target = trainer.fit(
        &x.select_rows(&train_rows)?,
        y.get(..100).unwrap_or_default(),
    )?;
    let audited_rows: Vec<usize> = (100..600).collect();
    let audited_x = x.select_rows(&audited_rows)?;
    let audited_y = y.get(100..).unwrap_or_default();
    // 300 candidates (fake members first), 200 population records.
    let audit = Audit::new(&target, &trainer, &audited_x, audited_y, 300, 16)?;
    for (seed, options) in [
        (5, RmiaOptions::default()),
        (
            6,
            RmiaOptions {
                mode: RmiaMode::Offline,
                ..RmiaOptions::default()
            },
        ),
    ] {
        let r = report(&audit.rmia(options)?, 150, seed)?;
        eprintln!("null {options:?}: AUC {:.3} {:?}", r.auc, r.auc_interval);
        assert!(
            r.auc_interval.contains(0.5),
            "{options:?}: AUC {} CI {:?}",
            r.auc,
            r.auc_interval
        );
    }
    Ok(())
}

#[test]
fn a_larger_gamma_never_raises_a_score() -> Result<()> {
    let (x, y) = cohort(160, 80, 24)?;
    let rows: Vec<usize> = (0..40).collect();
    let trainer = overfitting_trainer();
    let target = trainer.fit(&x.select_rows(&rows)?, y.get(..40).unwrap_or_default())?;
    let audit = Audit::new(&target, &trainer, &x, &y, 80, 4)?;
    let loose = audit.rmia(RmiaOptions::default())?;
    let strict = audit.rmia(RmiaOptions {
        gamma: 2.0,
        ..RmiaOptions::default()
    })?;
    if loose.len() != 80 || strict.len() != 80 {
        return Err(Error::Mismatch("wrong number of scores".into()));
    }
    assert!(loose.iter().zip(&strict).all(|(l, s)| s <= l));
    assert!(loose.iter().zip(&strict).any(|(l, s)| s < l));
    // Scores are fractions of the 80 population records.
    assert!(
        loose
            .iter()
            .all(|s| (s * 80.0 - (s * 80.0).round()).abs() < 1e-9 && (0.0..=1.0).contains(s))
    );
    Ok(())
}
