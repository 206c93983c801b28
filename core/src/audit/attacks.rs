//! Score-based membership inference on any [`Classifier`]: loss and confidence
//! thresholds (spec §3.1), the white-box gradient-norm attack (§3.5), and the
//! calibrated-threshold protocol that turns any score into a decision (§1.7).

use super::metrics::{
    AttackReport, ReportOptions, ThresholdMetrics, ThresholdRule, choose_threshold,
};
use rayon::prelude::*;

use crate::error::Result;
use crate::models::{Classifier, Features, LogisticModel};

/// Per-record signals a black-box attacker reads from a model's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputSignal {
    /// -loss (TF Privacy `THRESHOLD_ATTACK`): members have lower loss.
    NegativeLoss,
    /// P(true label | x): members are predicted more confidently.
    TrueLabelConfidence,
}

/// Membership scores (higher = more likely a member) from the model's outputs.
pub fn output_scores<M: Classifier + ?Sized>(
    model: &M,
    x: &Features,
    y: &[u8],
    signal: OutputSignal,
) -> Result<Vec<f64>> {
    model.check_inputs(x)?;
    crate::models::check_training_data(x, y)?;
    Ok(match signal {
        OutputSignal::NegativeLoss => model.example_losses(x, y).into_iter().map(|l| -l).collect(),
        OutputSignal::TrueLabelConfidence => model
            .probabilities(x)
            .into_iter()
            .zip(y)
            .map(|(p, &label)| if label == 1 { p } else { 1.0 - p })
            .collect(),
    })
}

/// White-box gradient-norm scores: minus the L2 norm of the per-example gradient of
/// the loss over every parameter (for a logistic model `-||(p - y) [x; 1]||`), so
/// that small gradients (fitted records) score high.
pub fn gradient_norm_scores<M: Classifier + ?Sized>(
    model: &M,
    x: &Features,
    y: &[u8],
) -> Result<Vec<f64>> {
    model.check_inputs(x)?;
    crate::models::check_training_data(x, y)?;
    Ok((0..x.n_rows())
        .into_par_iter()
        .map(|i| {
            let label = y.get(i).copied().unwrap_or(0);
            let gradient = model.loss_gradient(x.row(i), label);
            -gradient.iter().map(|g| g * g).sum::<f64>().sqrt()
        })
        .collect())
}

/// Scores of known members and non-members, for calibration or evaluation.
#[derive(Clone, Copy, Debug)]
pub struct LabelledScores<'a> {
    pub members: &'a [f64],
    pub non_members: &'a [f64],
}

/// A threshold attack evaluated on held-out records.
#[derive(Clone, Debug)]
pub struct CalibratedAttack {
    /// Chosen on the calibration split only.
    pub threshold: f64,
    /// Metrics of the evaluation split at that threshold (precision, recall, F1 with
    /// the prevalence).
    pub at_threshold: ThresholdMetrics,
    /// Threshold-free metrics of the evaluation split (ROC, AUC, TPR at FPR, ...).
    pub report: AttackReport,
}

/// Chooses the threshold on `calibration` and measures the attack on `evaluation`,
/// which must be disjoint records (spec §1.7: never the evaluation set).
pub fn calibrated_attack(
    calibration: LabelledScores<'_>,
    evaluation: LabelledScores<'_>,
    rule: ThresholdRule,
    options: ReportOptions,
) -> Result<CalibratedAttack> {
    let threshold = choose_threshold(calibration.members, calibration.non_members, rule)?;
    Ok(CalibratedAttack {
        threshold,
        at_threshold: ThresholdMetrics::evaluate(
            evaluation.members,
            evaluation.non_members,
            threshold,
        )?,
        report: AttackReport::new(evaluation.members, evaluation.non_members, options)?,
    })
}

/// White-box server attack on one client's update (spec §3.5): the cosine between a
/// record's gradient at the round's starting model and the descent direction
/// `-(after - before)`. Local SGD moves the model against its own records'
/// gradients, so the client's records score high.
pub fn update_alignment_scores(
    before: &LogisticModel,
    after: &LogisticModel,
    x: &Features,
    y: &[u8],
) -> Result<Vec<f64>> {
    before.check_features(x)?;
    after.check_features(x)?;
    crate::models::check_training_data(x, y)?;
    let mut descent: Vec<f64> = before
        .weights
        .iter()
        .zip(&after.weights)
        .map(|(b, a)| b - a)
        .collect();
    descent.push(before.intercept - after.intercept);
    let descent_norm = descent.iter().map(|d| d * d).sum::<f64>().sqrt();
    Ok(x.rows()
        .zip(y)
        .map(|(row, &label)| {
            let gradient = before.example_gradient(row, label);
            let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
            let dot: f64 = gradient.iter().zip(&descent).map(|(g, d)| g * d).sum();
            if norm == 0.0 || descent_norm == 0.0 {
                0.0
            } else {
                dot / (norm * descent_norm)
            }
        })
        .collect())
}

/// White-box server attack on one client's update: how much the record's loss fell
/// from the round's starting model to the client's model. Local training lowers the
/// loss of the client's own records most.
pub fn update_loss_drop_scores(
    before: &LogisticModel,
    after: &LogisticModel,
    x: &Features,
    y: &[u8],
) -> Result<Vec<f64>> {
    before.check_features(x)?;
    after.check_features(x)?;
    crate::models::check_training_data(x, y)?;
    Ok(before
        .losses(x, y)
        .into_iter()
        .zip(after.losses(x, y))
        .map(|(b, a)| b - a)
        .collect())
}

/// The `k` records with the highest membership scores (spec §1.11), as
/// `(record index, score)`, highest first; ties keep record order.
pub fn most_exposed(scores: &[f64], k: usize) -> Vec<(usize, f64)> {
    let mut ranked: Vec<(usize, f64)> = scores.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(k);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_exposed_ranks_highest_first() {
        let ranked = most_exposed(&[0.1, 0.9, 0.5, 0.9], 3);
        assert_eq!(ranked, vec![(1, 0.9), (3, 0.9), (2, 0.5)]);
        assert_eq!(most_exposed(&[0.3], 5), vec![(0, 0.3)]);
    }

    #[test]
    fn gradient_norm_score_is_the_closed_form() -> Result<()> {
        // ||g|| = (1 - p_y) sqrt(||x||^2 + 1) (spec §3.5).
        let model = LogisticModel {
            weights: vec![0.5, -1.0],
            intercept: 0.2,
        };
        let x = Features::from_rows(&[vec![2.0, 1.0], vec![0.0, 2.0]])?;
        let y = [1, 0];
        let scores = gradient_norm_scores(&model, &x, &y)?;
        let confidence = output_scores(&model, &x, &y, OutputSignal::TrueLabelConfidence)?;
        for (i, row) in x.rows().enumerate() {
            let norm_x2: f64 = row.iter().map(|v| v * v).sum();
            let expected = -(1.0 - confidence[i]) * (norm_x2 + 1.0).sqrt();
            assert!((scores[i] - expected).abs() < 1e-12);
        }
        Ok(())
    }
}
