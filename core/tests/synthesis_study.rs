//! The synthesis study end to end on simulated cohorts: utility follows the
//! budget (close at a huge epsilon, lost at a tiny one), membership attacks on
//! a null-signal cohort stay at chance and under the DP ceiling, the manifest's
//! budget adds up, and seeded runs repeat exactly.

use genopriv_core::Result;
use genopriv_core::dp::profile::single_pair_tpr;
use genopriv_core::job;
use genopriv_core::study::synth::{SynthInputs, SynthOutcome, SynthSettings, run_synth_study};
use genopriv_core::synthesis::simulate::{SimulationParameters, simulate_cohort};
use genopriv_core::synthesis::zcdp::cdp_rho;

fn cohort(n_samples: usize, n_snps: usize, effect: f64, seed: u64) -> SynthInputs {
    let (real, labels) = simulate_cohort(&SimulationParameters {
        n_samples,
        n_snps,
        effect,
        seed,
        ..SimulationParameters::default()
    });
    SynthInputs {
        real,
        is_case: labels.iter().map(|&y| y == 1).collect(),
    }
}

fn run(inputs: &SynthInputs, settings: &SynthSettings) -> Result<SynthOutcome> {
    job::unattended(|job| run_synth_study(inputs, settings, job))
}

fn settings(epsilon: f64, seed: u64) -> SynthSettings {
    let mut s = SynthSettings::new(epsilon, 1e-6, Some(seed));
    s.bootstrap_resamples = 300;
    s.classifier_snps = 20;
    s
}

/// At epsilon 10⁴ the noise per cell is a fraction of a person, so what is left
/// is sampling error (4,000 synthetic people: frequency sd ≈ 0.008): frequencies
/// and the LD-decay curve match the training half. At epsilon 0.01 the noise
/// per cell is in the hundreds against cells of tens of people, and both are lost.
#[test]
fn utility_follows_the_budget() -> Result<()> {
    let inputs = cohort(400, 200, 0.2, 3);
    let mut generous = settings(1e4, 1);
    generous.n_synthetic = Some(4_000);
    let high = run(&inputs, &generous)?.report;
    assert!(
        high.allele_frequency.mean_absolute_error < 0.01,
        "{:?}",
        high.allele_frequency
    );
    let ld_gap = high.ld.mean_abs_r_squared_difference.unwrap_or(f64::NAN);
    assert!(ld_gap < 0.05, "mean |r2 difference| {ld_gap}");
    for (real, synthetic) in high.ld.decay_original.iter().zip(&high.ld.decay_released) {
        if let (Some(a), Some(b)) = (real.mean_r_squared, synthetic.mean_r_squared) {
            assert!((a - b).abs() < 0.05, "decay bin {real:?} vs {synthetic:?}");
        }
    }
    assert!(high.gwas.is_some() && high.train_synthetic_test_real.is_some());

    let mut stingy = settings(0.01, 1);
    stingy.n_synthetic = Some(4_000);
    let low = run(&inputs, &stingy)?.report;
    assert!(
        low.allele_frequency.mean_absolute_error > 0.05,
        "{:?}",
        low.allele_frequency
    );
    let low_gap = low.ld.mean_abs_r_squared_difference.unwrap_or(f64::NAN);
    assert!(
        low_gap > 2.0 * ld_gap && low_gap > 0.05,
        "mean |r2 difference| {low_gap}"
    );
    Ok(())
}

/// No phenotype signal and epsilon 1 on 400 people: every attack's AUC interval
/// holds 0.5, the distance check is at a half, and every measured TPR interval
/// starts under the DP ceiling, which is itself under the plain (ε, δ) bound.
#[test]
fn null_cohort_attacks_stay_at_chance_and_under_the_ceiling() -> Result<()> {
    let inputs = cohort(400, 150, 0.0, 11);
    let report = run(&inputs, &settings(1.0, 5))?.report;
    assert_eq!(report.membership.len(), 3);
    for attack in &report.membership {
        assert!(
            attack.auc_interval.contains(0.5),
            "{}: AUC {} {:?}",
            attack.name,
            attack.auc,
            attack.auc_interval
        );
        assert!(attack.within_dp_bound, "{attack:?}");
        for point in &attack.operating_points {
            assert!(
                point.tpr_interval.lower <= point.dp_ceiling_at_fpr_upper,
                "{point:?}"
            );
            // The zCDP profile is at least as tight as its own (ε, δ) pair (up to
            // the ε grid's resolution).
            assert!(point.dp_ceiling <= single_pair_tpr(1.0, 1e-6, point.max_fpr) + 1e-3);
            assert!(point.dp_ceiling <= point.dp_ceiling_at_fpr_upper);
        }
        assert_eq!((attack.n_members, attack.n_non_members), (200, 200));
    }
    let dcr = report.distance_to_closest_record;
    assert!(dcr.share_interval.contains(0.5), "{dcr:?}");
    assert!(report.not_for_release && report.seed == Some(5));
    // Measurement (cliques, SNP tables), budget, frequency noise, distance, DP
    // bound, principal components.
    assert_eq!(report.explanation.len(), 7);
    assert!(
        report
            .explanation
            .last()
            .is_some_and(|s| s.contains("principal components")),
        "{:?}",
        report.explanation
    );
    Ok(())
}

/// The budget recorded in the manifest: ρ from (ε, δ), and the measurement
/// shares adding up to it (σ² is rounded up to 1/1024, so a hair under).
#[test]
fn manifest_budget_adds_up() -> Result<()> {
    let inputs = cohort(100, 60, 0.2, 2);
    for order in [1, 2] {
        let mut s = settings(3.0, 4);
        s.order = order;
        let manifest = run(&inputs, &s)?.report.manifest;
        assert!((manifest.rho - cdp_rho(3.0, 1e-6)?).abs() < 1e-12);
        let spent: f64 = manifest.measurements.iter().map(|m| m.rho).sum();
        assert!(spent <= manifest.rho && spent > manifest.rho * (1.0 - 1e-3));
        assert_eq!(manifest.measurements[0].cliques.len(), 60 - order);
    }
    Ok(())
}

/// Same seed, same synthetic data and report; another seed, other data.
#[test]
fn seeded_runs_repeat() -> Result<()> {
    let inputs = cohort(80, 40, 0.2, 9);
    let first = run(&inputs, &settings(2.0, 17))?;
    let again = run(&inputs, &settings(2.0, 17))?;
    let other = run(&inputs, &settings(2.0, 18))?;
    assert_eq!(first.synthetic, again.synthetic);
    let json = |o: &SynthOutcome| serde_json::to_string(&o.report).unwrap_or_default();
    assert_eq!(json(&first), json(&again));
    assert_ne!(first.synthetic, other.synthetic);
    Ok(())
}

#[test]
fn bad_inputs_are_refused_with_reasons() {
    let inputs = cohort(60, 20, 0.2, 1);
    let mut bad_order = settings(1.0, 1);
    bad_order.order = 3;
    let message = |r: Result<SynthOutcome>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message(run(&inputs, &bad_order)).contains("order must be 1 or 2"));

    let mut gapped = inputs.clone();
    gapped.real.set(4, 7, genopriv_core::data::MISSING);
    let text = message(run(&gapped, &settings(1.0, 1)));
    assert!(
        text.contains("missing calls") && text.contains("impute"),
        "{text}"
    );

    let few = cohort(12, 20, 0.2, 1);
    assert!(message(run(&few, &settings(1.0, 1))).contains("at least 20 people"));

    let mut short = inputs.clone();
    short.is_case.pop();
    assert!(message(run(&short, &settings(1.0, 1))).contains("59 case/control labels"));
    assert!(message(run(&inputs, &settings(-1.0, 1))).contains("epsilon"));
}
