//! The shadow-model attack's random forest (spec audits §3.2): it learns a
//! membership signal from a shadow model's outputs and transfers it to fresh
//! records; with no signal (IN and OUT outputs drawn alike) it ranks at chance;
//! and in a model audit it detects an overfitted logistic target.

use genopriv_core::audit::metrics::auc;
use genopriv_core::audit::shadow::{ModelOutputs, N_TREES, ShadowAttack};
use genopriv_core::job::unattended;
use genopriv_core::simulate::{SimulationConfig, simulate};
use genopriv_core::study::{
    AttackKind, ModelAudit, ModelAuditSettings, ReferenceMode, TargetModel,
};
use genopriv_core::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Outputs of `n` records: labels at random; members (`memorised`) get
/// P(y = 1 | x) near their label, non-members a noisy guess.
fn outputs(n: usize, memorised: bool, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<u8>) {
    let labels: Vec<u8> = (0..n).map(|_| u8::from(rng.random::<bool>())).collect();
    let probabilities = labels
        .iter()
        .map(|&y| {
            let confidence = if memorised {
                0.85 + 0.15 * rng.random::<f64>()
            } else {
                0.3 + 0.6 * rng.random::<f64>()
            };
            if y == 1 { confidence } else { 1.0 - confidence }
        })
        .collect();
    (probabilities, labels)
}

fn view(data: &(Vec<f64>, Vec<u8>)) -> ModelOutputs<'_> {
    ModelOutputs {
        probabilities: &data.0,
        labels: &data.1,
    }
}

#[test]
fn forest_transfers_a_membership_signal_to_fresh_records() -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let shadow_in = outputs(500, true, &mut rng);
    let shadow_out = outputs(500, false, &mut rng);
    let attack = ShadowAttack::fit(view(&shadow_in), view(&shadow_out), 42)?;
    let target_in = outputs(400, true, &mut rng);
    let target_out = outputs(400, false, &mut rng);
    let scores_in = attack.member_probabilities(view(&target_in))?;
    let scores_out = attack.member_probabilities(view(&target_out))?;
    // Vote shares of N_TREES trees.
    for s in scores_in.iter().chain(&scores_out) {
        let votes = s * f64::from(N_TREES);
        assert!((votes - votes.round()).abs() < 1e-12 && (0.0..=1.0).contains(s));
    }
    // IN confidences lie in [0.85, 1], OUT in [0.3, 0.9]: two levels of splits
    // (the label, then P(y = 1 | x)) separate all but the overlap, about 1/12 of OUT
    // records. One level (smartcore's `max_depth = 2`) reaches only about 0.62.
    let auc = auc(&scores_in, &scores_out)?;
    assert!(auc > 0.9, "AUC {auc}");
    Ok(())
}

#[test]
fn forest_ranks_at_chance_without_a_signal() -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let shadow_in = outputs(500, false, &mut rng);
    let shadow_out = outputs(500, false, &mut rng);
    let attack = ShadowAttack::fit(view(&shadow_in), view(&shadow_out), 42)?;
    let target_in = outputs(1000, false, &mut rng);
    let target_out = outputs(1000, false, &mut rng);
    let auc = auc(
        &attack.member_probabilities(view(&target_in))?,
        &attack.member_probabilities(view(&target_out))?,
    )?;
    // 1,000 + 1,000 records: the AUC's standard error under the null is about 0.013.
    assert!((auc - 0.5).abs() < 0.05, "AUC {auc}");
    Ok(())
}

#[test]
fn mismatched_or_empty_inputs_are_refused() {
    let probabilities = [0.2, 0.7];
    let labels = [0_u8];
    let bad = ModelOutputs {
        probabilities: &probabilities,
        labels: &labels,
    };
    let good_labels = [0_u8, 1];
    let good = ModelOutputs {
        probabilities: &probabilities,
        labels: &good_labels,
    };
    let empty = ModelOutputs {
        probabilities: &[],
        labels: &[],
    };
    assert!(ShadowAttack::fit(bad, good, 0).is_err());
    assert!(ShadowAttack::fit(good, empty, 0).is_err());
}

/// An overfitted logistic target (800 SNPs, 100 members): the shadow attack's AUC
/// interval lies above one half.
#[test]
fn shadow_attack_detects_an_overfitted_target() -> Result<()> {
    let simulated = simulate(&SimulationConfig {
        n_samples: 400,
        n_snps: 800,
        seed: 11,
        ..SimulationConfig::default()
    })?;
    let status: Vec<Option<bool>> = simulated.phenotype.iter().map(|&y| Some(y == 1)).collect();
    let audit = unattended(|job| ModelAudit::prepare(&simulated.genotypes, &status, 5, job))?;
    let settings = ModelAuditSettings {
        model: TargetModel::Logistic { l2: 1e-2 },
        dp: None,
        attacks: vec![AttackKind::Shadow],
        reference_models: 4,
        reference_mode: ReferenceMode::Offline,
        bootstrap_resamples: 200,
        seed: 3,
        delta: 1e-5,
    };
    let report = unattended(|job| audit.run(&settings, job))?;
    let shadow = report
        .attacks
        .first()
        .ok_or_else(|| Error::Parameter("no shadow result".into()))?;
    eprintln!("shadow AUC {} {:?}", shadow.auc, shadow.auc_interval);
    assert_eq!(shadow.attack, AttackKind::Shadow);
    assert!(shadow.auc_interval.lower > 0.5, "{:?}", shadow.auc_interval);
    Ok(())
}
