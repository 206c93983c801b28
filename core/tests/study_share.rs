//! The sharing study end to end on a simulated cohort and panel drawn from one
//! population: report fields against independent formulas and properties that
//! must hold (monotonicity in epsilon, the coin-flip control, unit conversion,
//! honest budget accounting, reproducibility from the seed).

use genopriv_core::data::GenotypeMatrix;
use genopriv_core::sharing::{NoiseKey, grr_expected_point_error};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};
use genopriv_core::study::{
    Budget, Mechanism, ShareInputs, ShareSettings, ShareStudy, SweepRow, SweepSettings,
    TargetChoice, run_sweep,
};
use genopriv_core::{Error, Result, job};

const COHORT: usize = 400;
const PANEL: usize = 300;
const SNPS: usize = 600;

/// Cohort (with case/control status) and panel from one simulated population.
fn population() -> Result<(GenotypeMatrix, Vec<Option<bool>>, GenotypeMatrix)> {
    let sim = simulate(&SimulationConfig {
        n_samples: COHORT + PANEL,
        n_snps: SNPS,
        phenotype: PhenotypeModel::Causal {
            n_causal: 30,
            effect_sd: 1.0,
            intercept: 0.0,
        },
        seed: 11,
        ..SimulationConfig::default()
    })?;
    let cohort_rows: Vec<usize> = (0..COHORT).collect();
    let panel_rows: Vec<usize> = (COHORT..COHORT + PANEL).collect();
    let status = sim.phenotype[..COHORT]
        .iter()
        .map(|&y| Some(y == 1))
        .collect();
    Ok((
        sim.genotypes.select_samples(&cohort_rows),
        status,
        sim.genotypes.select_samples(&panel_rows),
    ))
}

fn study() -> Result<ShareStudy> {
    let (cohort, status, panel) = population()?;
    let mut inputs = ShareInputs::new(cohort);
    inputs.panel = Some(panel);
    inputs.case_status = Some(status);
    job::unattended(|job| ShareStudy::prepare(inputs, job))
}

fn xor(budget: Budget) -> ShareSettings {
    ShareSettings {
        mechanism: Mechanism::Xor,
        budget,
        targets: TargetChoice::Reference,
    }
}

#[test]
fn report_tells_nominal_realised_utility_and_retention() -> Result<()> {
    let study = study()?;
    let out = job::unattended(|job| {
        study.run(&xor(Budget::Total(3000.0)), &NoiseKey::from_seed(5), job)
    })?;
    let r = &out.report;
    assert_eq!(r.mechanism, Mechanism::Xor);
    assert_eq!(r.epsilon_nominal, 3000.0);
    assert_eq!(r.epsilon_nominal_per_snp, 5.0);
    let realised = r.epsilon_realised.unwrap_or(f64::NAN);
    // Realised = sum of per-SNP realised values, which the outcome also carries.
    let sum: f64 = out.realised_per_snp.iter().sum();
    assert!((realised - sum).abs() < 1e-6 * sum, "{realised} vs {sum}");
    assert!(r.epsilon.realised_per_snp_min <= r.epsilon.realised_per_snp_median);
    assert!(r.epsilon.realised_per_snp_median <= r.epsilon.realised_per_snp_max);
    assert_eq!(r.epsilon.total_spent, r.epsilon_realised);
    assert_eq!(r.target_source.as_deref(), Some("reference_panel"));
    // Utility is what `utility` measures between the cohort and the release.
    let u = genopriv_core::utility::utility(study.private(), &out.released)?;
    assert_eq!(r.point_error, u.point_error);
    assert!(r.point_error > 0.0 && r.point_error < 0.5);
    let (Some(retention), Some(coin)) = (r.retention_rate, r.coin_flip_retention_rate) else {
        panic!("a study with phenotypes must report retention");
    };
    assert!((0.0..=1.0).contains(&retention) && (0.0..=1.0).contains(&coin));
    // Both membership tests ran on an aligned half split; the headline is the stronger.
    assert_eq!(r.membership.len(), 2);
    assert_eq!(r.membership[0].n_members, COHORT / 2);
    let strongest = r
        .membership
        .iter()
        .map(|m| m.tpr_at_1pct_fpr)
        .fold(0.0, f64::max);
    assert_eq!(r.membership_tpr_at_1pct_fpr, Some(strongest));
    // A seeded study is marked, and says so in words.
    assert_eq!(r.seed, Some(5));
    assert!(r.not_for_release);
    assert!(r.notices.iter().any(|n| n.contains("not for release")));
    // The GWAS data for the plots line up with the SNPs.
    let Some(gwas) = &out.gwas_p else {
        panic!("no GWAS p-values");
    };
    assert_eq!((gwas.original.len(), gwas.released.len()), (SNPS, SNPS));
    assert_eq!(out.frequencies.original.len(), SNPS);
    Ok(())
}

#[test]
fn more_epsilon_buys_utility_and_beats_the_coin_flip_control() -> Result<()> {
    let study = study()?;
    let run = |settings: ShareSettings| {
        job::unattended(|job| study.run(&settings, &NoiseKey::from_seed(9), job)).map(|o| o.report)
    };
    let coin = run(ShareSettings {
        mechanism: Mechanism::CoinFlip,
        budget: Budget::Total(0.0),
        targets: TargetChoice::Reference,
    })?;
    let low = run(xor(Budget::PerSnp(1.0)))?;
    let high = run(xor(Budget::PerSnp(40.0)))?;
    assert_eq!(coin.epsilon_realised, Some(0.0));
    assert_eq!(coin.epsilon.coin_flip_columns, Some(1.0));
    assert!(
        coin.point_error > low.point_error,
        "{} {}",
        coin.point_error,
        low.point_error
    );
    assert!(low.point_error > high.point_error);
    // Restoration toward the panel's frequencies (a different sample of the
    // population) keeps flipping some alleles even at a large budget.
    assert!(
        high.point_error < 0.5 * coin.point_error,
        "{} vs {}",
        high.point_error,
        coin.point_error
    );
    let (Some(r_high), Some(r_coin)) = (high.retention_rate, coin.retention_rate) else {
        panic!("retention missing");
    };
    assert!(r_high > r_coin + 0.3, "{r_high} vs coin {r_coin}");
    // Nearly unperturbed rows are found by their nearest released record; coin
    // flips restored to public frequencies leave the Hamming test near chance.
    let hamming_auc = |r: &genopriv_core::study::ShareReport| r.membership[0].auc;
    assert!(hamming_auc(&high) > 0.95, "{}", hamming_auc(&high));
    assert!(hamming_auc(&coin) < 0.65, "{}", hamming_auc(&coin));
    // LD of neighbouring SNPs survives a large budget far better than coin flips.
    let ld_loss = |r: &genopriv_core::study::ShareReport| {
        r.ld.mean_abs_r_squared_difference.unwrap_or(f64::NAN)
    };
    assert!(
        ld_loss(&high) < 0.75 * ld_loss(&coin),
        "{} vs {}",
        ld_loss(&high),
        ld_loss(&coin)
    );
    Ok(())
}

#[test]
fn per_snp_and_total_budgets_are_the_same_release() -> Result<()> {
    let study = study()?;
    let a =
        job::unattended(|job| study.run(&xor(Budget::PerSnp(2.0)), &NoiseKey::from_seed(3), job))?;
    let b = job::unattended(|job| {
        study.run(
            &xor(Budget::Total(2.0 * SNPS as f64)),
            &NoiseKey::from_seed(3),
            job,
        )
    })?;
    assert_eq!(a.report, b.report);
    assert_eq!(a.released, b.released);
    Ok(())
}

#[test]
fn randomized_response_error_matches_its_formula() -> Result<()> {
    let study = study()?;
    let out = job::unattended(|job| {
        study.run(
            &ShareSettings {
                mechanism: Mechanism::RandomizedResponse,
                budget: Budget::PerSnp(1.5),
                targets: TargetChoice::Reference,
            },
            &NoiseKey::from_seed(4),
            job,
        )
    })?;
    let expected = grr_expected_point_error(1.5);
    // 240,000 genotypes: the standard error of the share is below 0.001.
    assert!(
        (out.report.point_error - expected).abs() < 0.005,
        "{}",
        out.report.point_error
    );
    assert_eq!(out.report.epsilon_realised, Some(1.5 * SNPS as f64));
    // Randomized response restores nothing, so it needs no target frequencies.
    assert_eq!(out.report.target_source, None);
    Ok(())
}

#[test]
fn frequency_sources_are_accounted_honestly() -> Result<()> {
    let study = study()?;
    let with = |targets| {
        job::unattended(|job| {
            study.run(
                &ShareSettings {
                    mechanism: Mechanism::Xor,
                    budget: Budget::PerSnp(2.0),
                    targets,
                },
                &NoiseKey::from_os()?,
                job,
            )
        })
        .map(|o| o.report)
    };
    let raw = with(TargetChoice::Raw)?;
    assert_eq!(raw.target_source.as_deref(), Some("raw"));
    assert_eq!(
        raw.epsilon.total_spent, None,
        "raw frequencies are not covered by epsilon"
    );
    assert!(raw.notices.iter().any(|n| n.starts_with("Warning:")));
    // An OS-seeded run is a release: no seed, not marked.
    assert_eq!(raw.seed, None);
    assert!(!raw.not_for_release);
    let dp = with(TargetChoice::DifferentiallyPrivate { epsilon: 0.5 })?;
    assert_eq!(dp.target_source.as_deref(), Some("dp"));
    let (Some(realised), Some(spent)) = (dp.epsilon_realised, dp.epsilon.total_spent) else {
        panic!("dp targets must leave a bounded total");
    };
    assert!((spent - realised - 0.5).abs() < 1e-9);
    // 600 SNPs, 400 people, epsilon 0.5: frequencies off by ~3, and the report says so.
    assert!(
        dp.notices
            .iter()
            .any(|n| n.contains("restored toward noise")),
        "{:?}",
        dp.notices
    );
    Ok(())
}

#[test]
fn a_panel_missing_cohort_snps_is_refused_by_name() -> Result<()> {
    let (cohort, _, panel) = population()?;
    let kept: Vec<usize> = (0..SNPS - 2).collect();
    let mut inputs = ShareInputs::new(cohort);
    inputs.panel = Some(panel.select_variants(&kept));
    let Err(Error::Mismatch(msg)) = job::unattended(|job| ShareStudy::prepare(inputs, job)) else {
        panic!("a panel lacking two SNPs was accepted");
    };
    assert!(msg.starts_with("2 of the cohort's 600 SNPs"), "{msg}");
    Ok(())
}

#[test]
fn sweep_is_reproducible_streams_rows_and_recommends_inside_the_grid() -> Result<()> {
    let study = study()?;
    let settings = SweepSettings {
        mechanisms: vec![Mechanism::Xor, Mechanism::CoinFlip],
        budgets: [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
            .into_iter()
            .map(Budget::PerSnp)
            .collect(),
        targets: TargetChoice::Reference,
        repeats: 2,
        seed: 21,
    };
    let streamed = std::sync::Mutex::new(Vec::<SweepRow>::new());
    let on_row = |row: &SweepRow| {
        if let Ok(mut rows) = streamed.lock() {
            rows.push(row.clone());
        }
    };
    let a = job::unattended(|job| run_sweep(&study, &settings, &on_row, job))?;
    // 8 epsilons x 2 repeats for XOR, the control once per repeat.
    assert_eq!(a.rows.len(), 8 * 2 + 2);
    assert_eq!(streamed.lock().map(|r| r.len()).unwrap_or(0), a.rows.len());
    let b = job::unattended(|job| run_sweep(&study, &settings, &|_| {}, job))?;
    assert_eq!(a.rows, b.rows, "same seed, same sweep");
    // Each row can be rerun alone from the seed it records.
    let row = &a.rows[3];
    let alone = job::unattended(|job| {
        study.run(
            &xor(Budget::Total(row.epsilon_nominal)),
            &NoiseKey::from_seed(row.seed),
            job,
        )
    })?;
    assert_eq!(alone.report.point_error, row.point_error);
    let Some(rec) = &a.recommendation else {
        panic!("a saturating retention curve must have a knee");
    };
    assert_eq!(rec.mechanism, Mechanism::Xor);
    let per_snp = rec.epsilon_per_snp;
    assert!(
        (0.5..=16.0).contains(&per_snp),
        "knee at the grid's edge: {per_snp}"
    );
    Ok(())
}

#[test]
fn a_cancelled_sweep_stops_with_cancelled() -> Result<()> {
    let study = study()?;
    let cancel = genopriv_core::job::CancelToken::new();
    cancel.cancel();
    let settings = SweepSettings {
        mechanisms: vec![Mechanism::Xor],
        budgets: vec![Budget::PerSnp(1.0)],
        targets: TargetChoice::Reference,
        repeats: 1,
        seed: 1,
    };
    let job = genopriv_core::Job::new(&genopriv_core::job::NoProgress, &cancel);
    assert!(matches!(
        run_sweep(&study, &settings, &|_| {}, job),
        Err(Error::Cancelled)
    ));
    Ok(())
}
