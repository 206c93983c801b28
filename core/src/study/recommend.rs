//! Recommendations: concrete defences proposed from measured runs, each with its
//! measured cost and the runs that support it, so a steward sees what to do and
//! a reviewer can trace why.
//!
//! Rules (all judged on the measurements, never on settings alone):
//! - a DP-training sweep: the least noise at which every attack's AUC interval
//!   contains 0.5, with the accuracy it costs against the model trained without
//!   DP; if no noise tried gets there, that is said instead;
//! - model audits of the same cohort split: a model whose strongest attack is
//!   measurably weaker (its AUC interval lies below the other's AUC) than the
//!   riskiest model's, with the accuracy difference;
//! - a sharing sweep: the knee of the utility curve with the membership risk
//!   measured there; restoring utility from the cohort's exact frequencies is
//!   flagged, since it leaves the release without an overall ε.

use serde::{Deserialize, Serialize};

use super::audit::{ModelAuditReport, TargetModel};
use super::audit_sweep::{AuditSweepResult, AuditSweepRow};
use super::share::TargetChoice;
use super::sweep::SweepResult;
use crate::explain::format::number;
use crate::explain::recommend::{
    RAW_TARGETS_SENTENCE, dp_training_not_enough_sentence, dp_training_sentence,
    safer_model_sentence, sharing_budget_sentence,
};

/// A run a recommendation rests on: the study's name and the point within it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRef {
    pub study: String,
    pub point: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefenceKind {
    DpTraining,
    SaferModel,
    SharingBudget,
    PublicTargets,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Defence {
    pub kind: DefenceKind,
    pub sentence: String,
    /// Accuracy lost (positive) or gained (negative), as a fraction, when measured.
    pub accuracy_cost: Option<f64>,
    pub evidence: Vec<RunRef>,
}

/// A finished study the recommendations may draw on.
#[derive(Clone, Copy, Debug)]
pub enum Evidence<'a> {
    AuditSweep {
        study: &'a str,
        result: &'a AuditSweepResult,
    },
    ModelAudit {
        study: &'a str,
        figures: &'a AuditFigures,
    },
    ShareSweep {
        study: &'a str,
        result: &'a SweepResult,
    },
}

/// What the recommendations need of a model audit: from a [`ModelAuditReport`],
/// or from an audit stored in a project.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditFigures {
    pub model: TargetModel,
    /// How the model was trained, in words (the report's `training`).
    pub training: String,
    /// The DP noise multiplier and the resulting epsilon, when trained with DP.
    pub dp: Option<(f64, f64)>,
    pub test_accuracy: f64,
    pub seed: u64,
    /// Audits are comparable only on the same split of the same cohort.
    pub split_seed: u64,
    pub n_samples: usize,
    /// The strongest attack's AUC and the upper end of its 95 % interval.
    pub strongest_auc: Option<(f64, f64)>,
}

impl From<&ModelAuditReport> for AuditFigures {
    fn from(report: &ModelAuditReport) -> Self {
        AuditFigures {
            model: report.model,
            training: report.training.clone(),
            dp: report
                .dp
                .as_ref()
                .zip(report.epsilon)
                .map(|(dp, epsilon)| (dp.noise_multiplier, epsilon)),
            test_accuracy: report.test_accuracy,
            seed: report.seed,
            split_seed: report.split_seed,
            n_samples: report.n_samples,
            strongest_auc: strongest_of(
                report.attacks.iter().map(|a| (a.auc, a.auc_interval.upper)),
            ),
        }
    }
}

/// The pair with the largest first element.
pub fn strongest_of(aucs: impl Iterator<Item = (f64, f64)>) -> Option<(f64, f64)> {
    aucs.reduce(|a, b| if b.0 > a.0 { b } else { a })
}

/// Every defence the evidence supports, in the order of the evidence.
pub fn recommend(evidence: &[Evidence<'_>]) -> Vec<Defence> {
    let mut defences = Vec::new();
    for item in evidence {
        match *item {
            Evidence::AuditSweep { study, result } => {
                defences.extend(from_audit_sweep(study, result));
            }
            Evidence::ShareSweep { study, result } => {
                defences.extend(from_share_sweep(study, result));
            }
            Evidence::ModelAudit { .. } => {}
        }
    }
    let audits: Vec<(&str, &AuditFigures)> = evidence
        .iter()
        .filter_map(|item| match *item {
            Evidence::ModelAudit { study, figures } => Some((study, figures)),
            _ => None,
        })
        .collect();
    defences.extend(from_model_audits(&audits));
    defences
}

/// The strongest attack's AUC and its interval in a sweep row.
fn strongest(row: &AuditSweepRow) -> Option<(f64, f64, f64)> {
    row.attacks
        .iter()
        .map(|a| (a.auc, a.auc_interval.lower, a.auc_interval.upper))
        .reduce(|a, b| if b.0 > a.0 { b } else { a })
}

fn at_chance(row: &AuditSweepRow) -> bool {
    !row.attacks.is_empty()
        && row
            .attacks
            .iter()
            .all(|a| a.auc_interval.lower <= 0.5 && 0.5 <= a.auc_interval.upper)
}

fn sweep_point(row: &AuditSweepRow) -> String {
    match (row.noise_multiplier, row.epsilon) {
        (Some(sigma), Some(epsilon)) => {
            format!(
                "noise multiplier {sigma}, epsilon {epsilon:.4}, seed {}",
                row.seed
            )
        }
        _ => format!("trained without DP, seed {}", row.seed),
    }
}

fn from_audit_sweep(study: &str, result: &AuditSweepResult) -> Option<Defence> {
    let baseline = result.rows.iter().find(|r| r.noise_multiplier.is_none())?;
    let mut private: Vec<&AuditSweepRow> = result
        .rows
        .iter()
        .filter(|r| r.noise_multiplier.is_some() && r.epsilon.is_some())
        .collect();
    // Least noise first: the first row at chance is the cheapest defence.
    private.sort_by(|a, b| {
        let (x, y) = (a.noise_multiplier, b.noise_multiplier);
        x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
    });
    if at_chance(baseline) {
        // Nothing to defend against that this sweep could measure.
        return None;
    }
    let evidence = |row: &AuditSweepRow| {
        vec![
            RunRef {
                study: study.to_owned(),
                point: sweep_point(baseline),
            },
            RunRef {
                study: study.to_owned(),
                point: sweep_point(row),
            },
        ]
    };
    if let Some(row) = private.iter().find(|r| at_chance(r)) {
        let (auc, lower, upper) = strongest(row)?;
        return Some(Defence {
            kind: DefenceKind::DpTraining,
            sentence: dp_training_sentence(
                row.noise_multiplier?,
                row.epsilon?,
                auc,
                (lower, upper),
                baseline.test_accuracy,
                row.test_accuracy,
            ),
            accuracy_cost: Some(baseline.test_accuracy - row.test_accuracy),
            evidence: evidence(row),
        });
    }
    let noisiest = private.last()?;
    let (auc, _, _) = strongest(noisiest)?;
    Some(Defence {
        kind: DefenceKind::DpTraining,
        sentence: dp_training_not_enough_sentence(
            noisiest.noise_multiplier?,
            noisiest.epsilon?,
            auc,
        ),
        accuracy_cost: Some(baseline.test_accuracy - noisiest.test_accuracy),
        evidence: evidence(noisiest),
    })
}

/// What distinguishes `safer` from `riskier`, in words.
fn change_phrase(safer: &AuditFigures, riskier: &AuditFigures) -> String {
    if let (Some((noise, epsilon)), None) = (safer.dp, riskier.dp) {
        return format!(
            "DP-SGD training (noise multiplier {}, ε = {})",
            number(noise),
            number(epsilon)
        );
    }
    match safer.model {
        TargetModel::Lasso { l1 } => format!("L1 sparsity (lasso, penalty {})", number(l1)),
        TargetModel::Logistic { l2 } => format!("An L2 penalty of {}", number(l2)),
        TargetModel::Sgd { alpha } => format!("The SGD classifier (alpha {})", number(alpha)),
        TargetModel::Cnn { .. } => "The convolutional network".to_owned(),
    }
}

fn from_model_audits(audits: &[(&str, &AuditFigures)]) -> Vec<Defence> {
    let mut defences = Vec::new();
    let Some(&(riskiest_name, riskiest)) = audits
        .iter()
        .filter(|(_, f)| f.strongest_auc.is_some())
        .max_by(|a, b| {
            let (x, y) = (a.1.strongest_auc, b.1.strongest_auc);
            x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
        })
    else {
        return defences;
    };
    let Some((risky_auc, _)) = riskiest.strongest_auc else {
        return defences;
    };
    for &(name, figures) in audits {
        // Only audits of the same split are comparable: same members, same attackers.
        if std::ptr::eq(figures, riskiest)
            || figures.split_seed != riskiest.split_seed
            || figures.n_samples != riskiest.n_samples
        {
            continue;
        }
        let Some((auc, upper)) = figures.strongest_auc else {
            continue;
        };
        // Measurably safer: the interval lies wholly below the riskier model's AUC.
        if upper >= risky_auc {
            continue;
        }
        defences.push(Defence {
            kind: DefenceKind::SaferModel,
            sentence: safer_model_sentence(
                &change_phrase(figures, riskiest),
                risky_auc,
                auc,
                upper,
                riskiest.test_accuracy,
                figures.test_accuracy,
            ),
            accuracy_cost: Some(riskiest.test_accuracy - figures.test_accuracy),
            evidence: vec![
                RunRef {
                    study: riskiest_name.to_owned(),
                    point: format!("{}, seed {}", riskiest.training, riskiest.seed),
                },
                RunRef {
                    study: name.to_owned(),
                    point: format!("{}, seed {}", figures.training, figures.seed),
                },
            ],
        });
    }
    defences
}

fn from_share_sweep(study: &str, result: &SweepResult) -> Vec<Defence> {
    let mut defences = Vec::new();
    if let Some(knee) = &result.recommendation {
        // The curve's points are per nominal epsilon, averaged over repeats.
        let tprs: Vec<f64> = result
            .rows
            .iter()
            .filter(|r| {
                r.mechanism == knee.mechanism
                    && r.epsilon_nominal.to_bits() == knee.epsilon_total.to_bits()
            })
            .filter_map(|r| r.membership_tpr_at_1pct_fpr)
            .collect();
        let mean_tpr = (!tprs.is_empty()).then(|| tprs.iter().sum::<f64>() / tprs.len() as f64);
        defences.push(Defence {
            kind: DefenceKind::SharingBudget,
            sentence: sharing_budget_sentence(
                knee.mechanism.label(),
                knee.epsilon_total,
                knee.metric.label(),
                knee.utility,
                mean_tpr,
            ),
            accuracy_cost: None,
            evidence: vec![RunRef {
                study: study.to_owned(),
                point: format!(
                    "{} at epsilon {:.4} (knee of the {} curve)",
                    knee.mechanism.label(),
                    knee.epsilon_total,
                    knee.metric.label()
                ),
            }],
        });
    }
    if result.settings.targets == TargetChoice::Raw {
        defences.push(Defence {
            kind: DefenceKind::PublicTargets,
            sentence: RAW_TARGETS_SENTENCE.to_owned(),
            accuracy_cost: None,
            evidence: vec![RunRef {
                study: study.to_owned(),
                point: "utility restored from the cohort's exact allele frequencies".to_owned(),
            }],
        });
    }
    defences
}
