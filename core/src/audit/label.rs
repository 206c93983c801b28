//! Label inference from per-sample gradients (spec audits §3.6), run on members and
//! on non-members (the control).
//!
//! For logistic regression the gradient of one record is `(p - y) [x; 1]`: its last
//! (bias) component `p - y` is negative exactly when `y = 1`, so an attacker who sees
//! per-sample gradients recovers every label. Aggregated updates reveal only the
//! label proportion.

use crate::error::{Error, Result};
use crate::models::{Features, Fit, LogisticModel, LogisticRegression, Predict};

/// One gradient vector `(p - y) [x; 1]` per record.
pub fn per_sample_gradients(model: &LogisticModel, x: &Features, y: &[u8]) -> Result<Features> {
    model.check_features(x)?;
    crate::models::check_training_data(x, y)?;
    let rows: Vec<Vec<f64>> = x
        .rows()
        .zip(y)
        .map(|(row, &label)| model.example_gradient(row, label))
        .collect();
    Features::from_rows(&rows)
}

/// The sign rule: `y = 1` iff the bias component of the gradient is negative.
pub fn labels_by_sign(gradients: &Features) -> Result<Vec<u8>> {
    gradients
        .rows()
        .enumerate()
        .map(|(index, row)| {
            row.last()
                .map(|&bias| u8::from(bias < 0.0))
                .ok_or_else(|| Error::Parameter(format!("gradient {} is empty", index + 1)))
        })
        .collect()
}

/// A meta-classifier: logistic regression from gradient vectors to labels, trained on
/// records whose labels the attacker knows.
pub fn train_meta_classifier(
    trainer: &LogisticRegression,
    known_gradients: &Features,
    known_labels: &[u8],
) -> Result<LogisticModel> {
    trainer.fit(known_gradients, known_labels)
}

/// Labels predicted by a meta-classifier (probability >= 1/2 means 1).
pub fn labels_by_meta_classifier(meta: &LogisticModel, gradients: &Features) -> Result<Vec<u8>> {
    meta.check_features(gradients)?;
    Ok(meta
        .predict_proba(gradients)
        .into_iter()
        .map(|p| u8::from(p >= 0.5))
        .collect())
}

/// The case fraction of a batch from its aggregated update: the mean bias gradient
/// is `mean(p) - mean(y)`, so `mean(y) = mean(p) - mean(g_b)`; the server knows the
/// model it sent, and with the records' features, `mean(p)`.
pub fn label_proportion(mean_prediction: f64, mean_bias_gradient: f64) -> f64 {
    mean_prediction - mean_bias_gradient
}

/// Accuracy of inferred labels on members and on non-members, next to the baseline
/// that always guesses the majority label of each set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelInferenceReport {
    pub member_accuracy: f64,
    pub non_member_accuracy: f64,
    pub member_majority_baseline: f64,
    pub non_member_majority_baseline: f64,
    pub n_members: usize,
    pub n_non_members: usize,
}

/// Fraction of `predicted` equal to `truth`.
pub fn accuracy(predicted: &[u8], truth: &[u8]) -> Result<f64> {
    if predicted.len() != truth.len() || truth.is_empty() {
        return Err(Error::Mismatch(format!(
            "{} predicted labels for {} true labels",
            predicted.len(),
            truth.len()
        )));
    }
    let correct = predicted.iter().zip(truth).filter(|(a, b)| a == b).count();
    Ok(correct as f64 / truth.len() as f64)
}

fn majority_baseline(labels: &[u8]) -> f64 {
    let cases = labels.iter().filter(|&&l| l == 1).count();
    cases.max(labels.len() - cases) as f64 / labels.len().max(1) as f64
}

impl LabelInferenceReport {
    pub fn new(
        member_predictions: &[u8],
        member_labels: &[u8],
        non_member_predictions: &[u8],
        non_member_labels: &[u8],
    ) -> Result<Self> {
        Ok(Self {
            member_accuracy: accuracy(member_predictions, member_labels)?,
            non_member_accuracy: accuracy(non_member_predictions, non_member_labels)?,
            member_majority_baseline: majority_baseline(member_labels),
            non_member_majority_baseline: majority_baseline(non_member_labels),
            n_members: member_labels.len(),
            n_non_members: non_member_labels.len(),
        })
    }
}
