//! An audit's results as one table (a polars `DataFrame`): a row per membership
//! attack and per label inference, with the federated study's columns first
//! (`attack_type, client_count, threshold, precision, recall, f1_score`) and ours
//! after them. `genopriv audit model` writes it as `attack_logs.csv`.

use std::io::Write;

use polars::prelude::{Column, CsvWriter, DataFrame, NamedFrom, SerWriter, Series};

use super::audit::{
    LabelInferenceOutcome, MembershipAttackResult, ModelAuditReport, ReferenceMode,
};
use super::federated::{FederatedAuditReport, ObservedUpdate};
use crate::error::{Error, Result};

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Count,
    Number,
}

/// The columns, in order, with their types.
const COLUMNS: [(&str, Kind); 38] = [
    ("attack_type", Kind::Text),
    ("client_count", Kind::Count),
    ("threshold", Kind::Number),
    ("precision", Kind::Number),
    ("recall", Kind::Number),
    ("f1_score", Kind::Number),
    ("auc", Kind::Number),
    ("auc_low", Kind::Number),
    ("auc_high", Kind::Number),
    ("tpr_at_0.1pct_fpr", Kind::Number),
    ("tpr_at_0.1pct_fpr_low", Kind::Number),
    ("tpr_at_0.1pct_fpr_high", Kind::Number),
    ("tpr_at_1pct_fpr", Kind::Number),
    ("tpr_at_1pct_fpr_low", Kind::Number),
    ("tpr_at_1pct_fpr_high", Kind::Number),
    ("tpr_at_10pct_fpr", Kind::Number),
    ("tpr_at_10pct_fpr_low", Kind::Number),
    ("tpr_at_10pct_fpr_high", Kind::Number),
    ("balanced_accuracy", Kind::Number),
    ("advantage", Kind::Number),
    ("accuracy_at_threshold", Kind::Number),
    ("prevalence", Kind::Number),
    ("empirical_epsilon", Kind::Number),
    ("epsilon_lower_bound", Kind::Number),
    ("delta", Kind::Number),
    ("label_accuracy_members", Kind::Number),
    ("label_accuracy_non_members", Kind::Number),
    ("label_baseline_accuracy", Kind::Number),
    ("label_verdict", Kind::Text),
    ("n_members", Kind::Count),
    ("n_non_members", Kind::Count),
    ("model", Kind::Text),
    ("train_accuracy", Kind::Number),
    ("test_accuracy", Kind::Number),
    ("dp_epsilon", Kind::Number),
    ("reference_models", Kind::Count),
    ("reference_mode", Kind::Text),
    ("seed", Kind::Count),
];

/// The column names of [`attack_table`], in order.
pub fn attack_table_columns() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().map(|(name, _)| *name)
}

enum Value {
    Text(Option<String>),
    Count(u64),
    Number(Option<f64>),
}

fn number(v: f64) -> Value {
    Value::Number(Some(v))
}

const MISSING: Value = Value::Number(None);

/// The model's cells, shared by every row of one audit.
fn model_cells(report: &ModelAuditReport, n_members: usize, n_non_members: usize) -> Vec<Value> {
    vec![
        Value::Count(n_members as u64),
        Value::Count(n_non_members as u64),
        Value::Text(Some(report.model.id().to_owned())),
        number(report.train_accuracy),
        number(report.test_accuracy),
        Value::Number(report.epsilon),
        Value::Count(report.reference_models as u64),
        Value::Text(Some(
            match report.reference_mode {
                ReferenceMode::Online => "online",
                ReferenceMode::Offline => "offline",
            }
            .to_owned(),
        )),
        Value::Count(report.seed),
    ]
}

fn attack_row(
    report: &ModelAuditReport,
    attack: &MembershipAttackResult,
    name: &str,
    client_count: usize,
) -> Vec<Value> {
    let m = &attack.at_threshold;
    let mut row = vec![
        Value::Text(Some(name.to_owned())),
        Value::Count(client_count as u64),
        number(m.threshold),
        number(m.precision),
        number(m.recall),
        number(m.f1),
        number(attack.auc),
        number(attack.auc_interval.lower),
        number(attack.auc_interval.upper),
    ];
    for max_fpr in [0.001, 0.01, 0.1] {
        let point = attack
            .operating_points
            .iter()
            .find(|p| (p.max_fpr - max_fpr).abs() < 1e-12);
        row.push(Value::Number(point.map(|p| p.tpr)));
        row.push(Value::Number(point.map(|p| p.tpr_interval.lower)));
        row.push(Value::Number(point.map(|p| p.tpr_interval.upper)));
    }
    row.extend([
        number(attack.balanced_accuracy),
        number(attack.advantage),
        number(m.accuracy),
        number(m.prevalence),
        number(attack.empirical_epsilon),
        number(attack.epsilon_lower_bound),
        number(attack.delta),
        MISSING,
        MISSING,
        MISSING,
        Value::Text(None),
    ]);
    row.extend(model_cells(report, attack.n_members, attack.n_non_members));
    row
}

fn label_row(
    report: &ModelAuditReport,
    label: &LabelInferenceOutcome,
    name: &str,
    client_count: usize,
) -> Vec<Value> {
    let m = label.member_cases.as_ref();
    let mut row = vec![
        Value::Text(Some(name.to_owned())),
        Value::Count(client_count as u64),
        Value::Number(m.map(|m| m.threshold)),
        Value::Number(m.map(|m| m.precision)),
        Value::Number(m.map(|m| m.recall)),
        Value::Number(m.map(|m| m.f1)),
    ];
    // No membership metrics for label inference.
    row.extend(std::iter::repeat_with(|| MISSING).take(12));
    row.extend([
        MISSING,
        MISSING,
        Value::Number(m.map(|m| m.accuracy)),
        Value::Number(m.map(|m| m.prevalence)),
        MISSING,
        MISSING,
        MISSING,
        number(label.report.member_accuracy),
        number(label.report.non_member_accuracy),
        number(label.baseline_accuracy),
        Value::Text(Some(label.verdict.clone())),
    ]);
    row.extend(model_cells(
        report,
        label.report.n_members,
        label.report.n_non_members,
    ));
    row
}

fn frame(rows: &[Vec<Value>]) -> Result<DataFrame> {
    if let Some(row) = rows.iter().find(|r| r.len() != COLUMNS.len()) {
        return Err(Error::Parameter(format!(
            "an attack-table row has {} cells for {} columns (a bug in GenoPriv)",
            row.len(),
            COLUMNS.len()
        )));
    }
    let mut columns = Vec::with_capacity(COLUMNS.len());
    for (index, (name, kind)) in COLUMNS.iter().enumerate() {
        let cells = rows.iter().map(|row| row.get(index));
        let series = match kind {
            Kind::Text => Series::new(
                (*name).into(),
                cells
                    .map(|v| match v {
                        Some(Value::Text(t)) => t.clone(),
                        _ => None,
                    })
                    .collect::<Vec<Option<String>>>(),
            ),
            Kind::Count => Series::new(
                (*name).into(),
                cells
                    .map(|v| match v {
                        Some(Value::Count(c)) => Some(*c),
                        _ => None,
                    })
                    .collect::<Vec<Option<u64>>>(),
            ),
            Kind::Number => Series::new(
                (*name).into(),
                cells
                    .map(|v| match v {
                        Some(Value::Number(x)) => *x,
                        _ => None,
                    })
                    .collect::<Vec<Option<f64>>>(),
            ),
        };
        columns.push(Column::from(series));
    }
    DataFrame::new(rows.len(), columns)
        .map_err(|e| Error::Parameter(format!("the attack table could not be built: {e}")))
}

/// One row per membership attack, then one for label inference from the model's
/// outputs. `client_count`: 1 for a centrally trained model, K for a federation.
pub fn attack_table(report: &ModelAuditReport, client_count: usize) -> Result<DataFrame> {
    frame(&audit_rows(report, client_count))
}

fn audit_rows(report: &ModelAuditReport, client_count: usize) -> Vec<Vec<Value>> {
    let mut rows: Vec<Vec<Value>> = report
        .attacks
        .iter()
        .map(|a| attack_row(report, a, a.attack.id(), client_count))
        .collect();
    if let Some(label) = &report.label_inference {
        rows.push(label_row(report, label, "label_inference", client_count));
    }
    rows
}

/// The name of a server attack in the table and in `roc.csv`.
pub fn server_attack_name(view: ObservedUpdate) -> String {
    match view {
        ObservedUpdate::Client(k) => format!("server_update_client{k}"),
        ObservedUpdate::Aggregate => "server_update_aggregate".to_owned(),
    }
}

/// The final model's rows, then the server's attacks on the updates it saw and
/// the label inference from per-sample gradients, each named after what it
/// attacked.
pub fn federated_attack_table(report: &FederatedAuditReport) -> Result<DataFrame> {
    let k = report.clients;
    let mut rows = audit_rows(&report.audit, k);
    for attack in &report.server_attacks {
        rows.push(attack_row(
            &report.audit,
            &attack.result,
            &server_attack_name(attack.view),
            k,
        ));
    }
    if let Some(gradients) = &report.gradient_label_inference {
        for (name, outcome) in [
            ("label_inference_gradient_sign", &gradients.sign_rule),
            ("label_inference_gradient_meta", &gradients.meta_classifier),
        ] {
            rows.push(label_row(&report.audit, outcome, name, k));
        }
    }
    frame(&rows)
}

/// Writes a table as CSV with a header, missing figures as `NA` (R's reading).
pub fn write_csv(mut table: DataFrame, out: &mut dyn Write) -> Result<()> {
    CsvWriter::new(out)
        .include_header(true)
        .with_null_value("NA".into())
        .finish(&mut table)
        .map_err(|e| Error::Parameter(format!("the table could not be written as CSV: {e}")))
}
