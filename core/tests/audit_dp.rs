//! The same attack on DP-SGD models (spec §1.13): LiRA with reference models trained
//! by the same DP-SGD configuration exposes an overfit noiseless run, and loses its
//! edge when heavy noise is added.

use genopriv_core::Result;
use genopriv_core::audit::lira::{
    LiraMode, LiraVariance, keep_matrix, lira_scores, logit_signal, train_reference_models,
};
use genopriv_core::audit::metrics::{AttackReport, ReportOptions};
use genopriv_core::dp::{AccountingOptions, account};
use genopriv_core::job;
use genopriv_core::models::{DpSgd, Features, Fit};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};

fn lira_report(config: &DpSgd, x: &Features, y: &[u8], n_members: usize) -> Result<AttackReport> {
    let member_rows: Vec<usize> = (0..n_members).collect();
    let members_x = x.select_rows(&member_rows)?;
    let members_y = y.get(..n_members).unwrap_or_default();
    let target = config.fit(&members_x, members_y)?;
    let keep = keep_matrix(16, x.n_rows(), 0.5, 5);
    // The attacker does not know the target's noise: reference models run the same
    // configuration on another seed. With the target's own seed they would replay
    // its batches and noise exactly, and LiRA would see through any sigma.
    let reference_config = DpSgd {
        seed: config.seed + 1000,
        ..config.clone()
    };
    let reference = train_reference_models(&reference_config, x, y, keep)?;
    let scores = lira_scores(
        &logit_signal(&target, x, y),
        &reference,
        LiraMode::Online,
        LiraVariance::Global,
    )?;
    let (inside, outside) = scores.split_at(n_members);
    AttackReport::new(
        inside,
        outside,
        ReportOptions {
            bootstrap_resamples: 400,
            seed: 2,
            delta: 1e-5,
        },
    )
}

#[test]
fn noise_removes_what_lira_finds_in_a_noiseless_run() -> Result<()> {
    let cohort = simulate(&SimulationConfig {
        n_samples: 200,
        n_snps: 300,
        phenotype: PhenotypeModel::NoSignal { case_fraction: 0.5 },
        seed: 41,
        ..SimulationConfig::default()
    })?;
    let x = Features::from_genotypes(&cohort.genotypes);
    let noiseless = DpSgd {
        sampling_rate: 0.1,
        noise_multiplier: 0.0,
        clip_norm: 1.0,
        learning_rate: 0.5,
        steps: 300,
        seed: 3,
    };
    let exposed = lira_report(&noiseless, &x, &cohort.phenotype, 100)?;
    let noisy = DpSgd {
        noise_multiplier: 8.0,
        ..noiseless
    };
    let protected = lira_report(&noisy, &x, &cohort.phenotype, 100)?;
    assert!(exposed.auc_interval.lower > 0.6);
    assert!(protected.auc_interval.contains(0.5));
    // The attack's empirical epsilon lower bound can never exceed the accountant's
    // upper bound for the same (q, sigma, steps) (spec §6: a point above is a bug).
    let run = job::unattended(|job| noisy.train(&x, &cohort.phenotype, job))?;
    let bound = account(&run.privacy, 1e-5, &AccountingOptions::default())?;
    assert!(bound.is_upper_bound && bound.epsilon.is_finite());
    assert!(
        protected.epsilon_lower_bound <= bound.epsilon,
        "audited {} > accounted {}",
        protected.epsilon_lower_bound,
        bound.epsilon
    );
    Ok(())
}
