//! The Trade-offs screen's state and data: where its points come from (a sweep
//! source), the pinned candidates, the decision, the policy thresholds and the
//! budget ledgers.
//!
//! Candidates, decision, policy and ledgers are `genopriv_core` types, the same a
//! project file and the IRB report carry, so the window and the report agree.
//! Drawing lives in [`super::tradeoffs_view`] and [`super::tradeoffs_charts`].

use genopriv_core::audit::metrics::Interval;
use genopriv_core::explain::UtilityReference;
use genopriv_core::explain::format::capitalised;
use genopriv_core::explain::overlay::{Method, SharedUtility, overlay_sentence};
use genopriv_core::project::Project;
use genopriv_core::study::candidate::{RISK_FPR, next_candidate_id};
use genopriv_core::study::{
    Candidate, CandidateFigures, CandidateRun, Decision, Ledger, Mechanism, Policy, SweepRow,
    TargetChoice, TargetModel, UtilityMetric,
};

use super::audit::AuditSweepView;
use super::protect::SweepView;
use super::synth::SynthSweepView;

/// Where the dashboard's points come from. Each source turns its rows into
/// [`SourcePoint`]s: another sweep is one more variant and one more arm in
/// [`TradeoffSource::data`].
pub enum TradeoffSource<'a> {
    /// The Protect screen's sharing sweep; `targets` are its restoration targets.
    Sharing {
        view: &'a SweepView,
        targets: TargetChoice,
        cohort_sha256: Option<&'a str>,
    },
    /// The Audit screen's DP-training sweep; `model` is the form's model, which
    /// the sweep trains while it runs (the form is locked then).
    ModelTraining {
        view: &'a AuditSweepView,
        model: TargetModel,
    },
    /// The Protect screen's synthesis sweep; `order` is the form's chain order,
    /// which the sweep uses while it runs (the form is locked then).
    Synthesis {
        view: &'a SynthSweepView,
        order: usize,
    },
}

/// Which sweep the dashboard shows when both screens have one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourceKind {
    #[default]
    Sharing,
    ModelTraining,
    Synthesis,
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Sharing => "Sharing the genotypes (Protect screen)",
            SourceKind::ModelTraining => "Releasing a DP-trained model (Audit screen)",
            SourceKind::Synthesis => "Releasing synthetic genotypes (Protect screen)",
        }
    }
}

/// One run a candidate can be pinned from.
#[derive(Clone, Debug, PartialEq)]
pub struct SourcePoint {
    pub run: CandidateRun,
    pub figures: CandidateFigures,
}

/// The recommended epsilon of a source, in both units when it has them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecommendedPoint {
    pub epsilon_total: f64,
    pub epsilon_per_snp: Option<f64>,
    pub utility: f64,
}

/// What the charts, tables and sentences draw from a source.
#[derive(Clone, Debug, PartialEq)]
pub struct TradeoffData {
    /// "Sharing sweep of the XOR mechanism (PROVGEN)".
    pub title: String,
    pub utility_label: String,
    /// The runs that spend a budget, in the source's order.
    pub points: Vec<SourcePoint>,
    /// The run utility is read against (the coin-flip control, or the model
    /// trained without DP), when it was run.
    pub reference: Option<UtilityReference>,
    /// What the epsilon axis counts.
    pub epsilon_axis: &'static str,
    /// The utility chart's y axis: short, the label is in the sentence above.
    pub utility_axis: String,
    /// `None` while the sweep runs, or when its curve does not bend.
    pub recommended: Option<RecommendedPoint>,
    /// True while runs are still coming in.
    pub running: bool,
}

impl TradeoffSource<'_> {
    pub fn data(&self) -> TradeoffData {
        match self {
            TradeoffSource::Sharing { view, targets, .. } => sharing_data(view, *targets),
            TradeoffSource::ModelTraining { view, model } => model_data(view, model),
            TradeoffSource::Synthesis { view, order } => synthesis_data(view, *order),
        }
    }

    pub fn kind(&self) -> SourceKind {
        match self {
            TradeoffSource::Sharing { .. } => SourceKind::Sharing,
            TradeoffSource::ModelTraining { .. } => SourceKind::ModelTraining,
            TradeoffSource::Synthesis { .. } => SourceKind::Synthesis,
        }
    }

    /// The SHA-256 of the cohort file the runs were made from, once known: the
    /// budget ledger its candidates count against.
    pub fn cohort_sha256(&self) -> Option<&str> {
        match self {
            TradeoffSource::Sharing { cohort_sha256, .. } => *cohort_sha256,
            TradeoffSource::ModelTraining { view, .. } => view.cohort_sha256.as_deref(),
            TradeoffSource::Synthesis { view, .. } => view.cohort_sha256.as_deref(),
        }
    }
}

fn synthesis_data(view: &SynthSweepView, live_order: usize) -> TradeoffData {
    let order = view
        .result
        .as_ref()
        .map_or(live_order, |r| r.settings.base.order);
    // Rows arrive by increasing epsilon, and the finished result keeps that order.
    let points = view
        .rows
        .iter()
        .map(|row| SourcePoint {
            run: CandidateRun::Synthesis {
                order,
                seed: row.seed,
            },
            figures: CandidateFigures::from_synth_row(row),
        })
        .collect();
    let recommended = view
        .result
        .as_ref()
        .and_then(|r| r.recommendation)
        .map(|r| RecommendedPoint {
            epsilon_total: r.epsilon,
            epsilon_per_snp: None,
            utility: r.gwas_retention,
        });
    TradeoffData {
        title: format!("Synthesis sweep (chain of order {order})"),
        utility_label: UtilityMetric::RetentionRate.label().to_owned(),
        points,
        reference: None,
        epsilon_axis: "Epsilon per person (log scale)",
        utility_axis: capitalised(UtilityMetric::RetentionRate.label()),
        recommended,
        running: view.result.is_none(),
    }
}

fn model_data(view: &AuditSweepView, live_model: &TargetModel) -> TradeoffData {
    let model = view
        .result
        .as_ref()
        .map_or(live_model, |r| &r.settings.audit.model);
    let mut points: Vec<SourcePoint> = view
        .rows
        .iter()
        .filter_map(|row| {
            Some(SourcePoint {
                run: CandidateRun::model_training(model, row.noise_multiplier?, row.seed),
                figures: CandidateFigures::from_audit_row(row)?,
            })
        })
        .collect();
    points.sort_by(|a, b| {
        a.figures
            .epsilon_nominal
            .total_cmp(&b.figures.epsilon_nominal)
    });
    let reference = view
        .rows
        .iter()
        .find(|r| r.noise_multiplier.is_none())
        .map(|r| UtilityReference::WithoutDp(r.test_accuracy));
    let recommended = view
        .result
        .as_ref()
        .and_then(|r| r.accuracy_turning_point.as_ref())
        .map(|t| RecommendedPoint {
            epsilon_total: t.epsilon,
            epsilon_per_snp: None,
            utility: t.value,
        });
    TradeoffData {
        title: format!("DP training sweep of the {}", model.label()),
        utility_label: genopriv_core::study::candidate::MODEL_ACCURACY.to_owned(),
        points,
        reference,
        epsilon_axis: "Epsilon per person (log scale)",
        utility_axis: "Held-out accuracy".to_owned(),
        recommended,
        running: view.result.is_none(),
    }
}

fn sharing_data(view: &SweepView, live_targets: TargetChoice) -> TradeoffData {
    // The finished sweep records its settings; while it runs the form (locked
    // while busy) still holds them.
    let targets = view
        .result
        .as_ref()
        .map_or(live_targets, |r| r.settings.targets);
    let metric = match view.result.as_ref().and_then(|r| r.curves.first()) {
        Some(curve) => curve.metric,
        None if view.rows.iter().all(|r| r.retention_rate.is_some()) => {
            UtilityMetric::RetentionRate
        }
        None => UtilityMetric::GenotypesUnchanged,
    };
    let mechanism = view
        .rows
        .iter()
        .map(|r| r.mechanism)
        .find(|&m| m != Mechanism::CoinFlip);
    let point = |row: &SweepRow| SourcePoint {
        run: CandidateRun::Sharing {
            mechanism: row.mechanism,
            targets,
            repeat: row.repeat,
            seed: row.seed,
        },
        figures: CandidateFigures::from_sweep_row(row, metric),
    };
    let mut points: Vec<SourcePoint> = view
        .rows
        .iter()
        .filter(|r| r.mechanism != Mechanism::CoinFlip)
        .map(point)
        .collect();
    // Rows stream in any order; the table reads best by epsilon, then repeat.
    points.sort_by(|a, b| {
        a.figures
            .epsilon_nominal
            .total_cmp(&b.figures.epsilon_nominal)
            .then(repeat_of(&a.run).cmp(&repeat_of(&b.run)))
    });
    let controls: Vec<f64> = view
        .rows
        .iter()
        .filter(|r| r.mechanism == Mechanism::CoinFlip)
        .filter_map(|r| CandidateFigures::from_sweep_row(r, metric).utility)
        .collect();
    let reference = (!controls.is_empty())
        .then(|| UtilityReference::CoinFlip(controls.iter().sum::<f64>() / controls.len() as f64));
    let recommended = view
        .result
        .as_ref()
        .and_then(|r| r.recommendation.as_ref())
        .map(|r| RecommendedPoint {
            epsilon_total: r.epsilon_total,
            epsilon_per_snp: Some(r.epsilon_per_snp),
            utility: r.utility,
        });
    TradeoffData {
        title: format!(
            "Sharing sweep of the {}",
            mechanism.map_or("sharing mechanism", Mechanism::label)
        ),
        utility_label: metric.label().to_owned(),
        points,
        reference,
        epsilon_axis: "Epsilon per person, over all SNPs (log scale)",
        utility_axis: capitalised(metric.label()),
        recommended,
        running: view.result.is_none(),
    }
}

fn repeat_of(run: &CandidateRun) -> usize {
    match run {
        CandidateRun::Sharing { repeat, .. } => *repeat,
        CandidateRun::ModelTraining { .. } | CandidateRun::Synthesis { .. } => 0,
    }
}

/// Mean figures of the runs at one epsilon: one point of each chart's curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpsilonSummary {
    pub epsilon_total: f64,
    pub epsilon_per_snp: Option<f64>,
    pub runs: usize,
    pub utility_mean: Option<f64>,
    pub utility_min: Option<f64>,
    pub utility_max: Option<f64>,
    pub tpr_mean: Option<f64>,
    /// The 95 % interval of the members found, for a single run that has one.
    pub tpr_interval: Option<Interval>,
    pub auc_mean: Option<f64>,
    /// The guaranteed ceiling at 1 % FPR: the loosest over the runs.
    pub ceiling: f64,
}

/// The runs grouped by epsilon, sorted by epsilon.
pub fn by_epsilon(points: &[SourcePoint]) -> Vec<EpsilonSummary> {
    let mut groups: Vec<(f64, Vec<&CandidateFigures>)> = Vec::new();
    for p in points {
        let e = p.figures.epsilon_nominal;
        match groups.iter_mut().find(|(x, _)| *x == e) {
            Some((_, members)) => members.push(&p.figures),
            None => groups.push((e, vec![&p.figures])),
        }
    }
    groups.sort_by(|a, b| a.0.total_cmp(&b.0));
    groups
        .into_iter()
        .map(|(epsilon_total, members)| {
            let values = |f: &dyn Fn(&CandidateFigures) -> Option<f64>| -> Vec<f64> {
                members
                    .iter()
                    .filter_map(|m| f(m))
                    .filter(|v| v.is_finite())
                    .collect()
            };
            let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            let utility = values(&|m| m.utility);
            let tpr = values(&|m| m.membership_tpr_at_1pct_fpr);
            let auc = values(&|m| m.membership_auc);
            EpsilonSummary {
                epsilon_total,
                epsilon_per_snp: members.first().and_then(|m| m.epsilon_per_snp),
                runs: members.len(),
                utility_mean: mean(&utility),
                utility_min: utility.iter().copied().reduce(f64::min),
                utility_max: utility.iter().copied().reduce(f64::max),
                tpr_mean: mean(&tpr),
                tpr_interval: match members.as_slice() {
                    [only] => only.membership_tpr_interval,
                    _ => None,
                },
                auc_mean: mean(&auc),
                ceiling: members
                    .iter()
                    .map(|m| m.tpr_ceiling())
                    .fold(RISK_FPR, f64::max),
            }
        })
        .collect()
}

/// One epsilon of one release on the overlay chart: means over its runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverlayPoint {
    /// Per person, over the whole release.
    pub epsilon_total: f64,
    pub runs: usize,
    /// `None` when no run at this epsilon measured it.
    pub gwas_retention: Option<f64>,
    /// The GWAS retention chance alone gives (the share of all SNPs significant
    /// in the released data): measured for synthesis only, sharing's chance is
    /// its coin-flip control.
    pub gwas_chance: Option<f64>,
    pub allele_frequency_error: f64,
}

impl OverlayPoint {
    pub fn utility(&self, metric: SharedUtility) -> Option<f64> {
        match metric {
            SharedUtility::GwasRetention => self.gwas_retention,
            SharedUtility::AlleleFrequencyError => Some(self.allele_frequency_error),
        }
    }
}

/// Sharing and synthesis on one chart: both sweeps' runs, grouped by total
/// epsilon. Read-only: candidates are pinned from one release at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct OverlayData {
    pub sharing: Vec<OverlayPoint>,
    pub synthesis: Vec<OverlayPoint>,
    /// The synthetic releases' delta (sharing's is 0).
    pub synthesis_delta: Option<f64>,
    /// GWAS retention of sharing's coin-flip control (epsilon 0): what chance
    /// and the public frequencies alone keep, when it was run.
    pub sharing_control: Option<f64>,
    /// True while either sweep still runs.
    pub running: bool,
}

impl OverlayData {
    /// The sharing sweep's runs that spend a budget (not the coin-flip control),
    /// at their nominal total epsilon as the sharing charts place them, and every
    /// synthesis run at its epsilon.
    pub fn of(sharing: &SweepView, synthesis: &SynthSweepView) -> Self {
        let shared = sharing
            .rows
            .iter()
            .filter(|r| r.mechanism != Mechanism::CoinFlip)
            .map(|r| RunUtility {
                epsilon: r.epsilon_nominal,
                retention: r.retention_rate,
                chance: None,
                error: r.allele_frequency_mae,
            });
        let synthetic = synthesis.rows.iter().map(|r| RunUtility {
            epsilon: r.epsilon,
            retention: r.gwas_retention,
            chance: r.gwas_chance,
            error: r.allele_frequency_mae,
        });
        let controls: Vec<f64> = sharing
            .rows
            .iter()
            .filter(|r| r.mechanism == Mechanism::CoinFlip)
            .filter_map(|r| r.retention_rate)
            .collect();
        Self {
            sharing_control: (!controls.is_empty())
                .then(|| controls.iter().sum::<f64>() / controls.len() as f64),
            sharing: overlay_points(shared),
            synthesis: overlay_points(synthetic),
            synthesis_delta: synthesis.rows.first().map(|r| r.delta),
            running: sharing.result.is_none() || synthesis.result.is_none(),
        }
    }

    pub fn points(&self, method: Method) -> &[OverlayPoint] {
        match method {
            Method::Sharing => &self.sharing,
            Method::Synthesis => &self.synthesis,
        }
    }

    /// `(epsilon, mean utility)` of one release, where measured.
    pub fn series(&self, method: Method, metric: SharedUtility) -> Vec<(f64, f64)> {
        self.points(method)
            .iter()
            .filter_map(|p| Some((p.epsilon_total, p.utility(metric)?)))
            .collect()
    }

    /// `(epsilon, mean chance retention)` of the synthetic releases, where measured.
    pub fn synthesis_chance(&self) -> Vec<(f64, f64)> {
        self.synthesis
            .iter()
            .filter_map(|p| Some((p.epsilon_total, p.gwas_chance?)))
            .collect()
    }

    /// The utilities both releases measured: GWAS retention only when each has
    /// it somewhere (it needs case/control status), the frequency error always.
    pub fn metrics(&self) -> Vec<SharedUtility> {
        let retention = [Method::Sharing, Method::Synthesis]
            .into_iter()
            .all(|m| self.points(m).iter().any(|p| p.gwas_retention.is_some()));
        let mut metrics = Vec::with_capacity(2);
        if retention {
            metrics.push(SharedUtility::GwasRetention);
        }
        metrics.push(SharedUtility::AlleleFrequencyError);
        metrics
    }

    /// The metric shown: the one asked for when both releases measured it.
    pub fn metric(&self, wanted: SharedUtility) -> SharedUtility {
        let available = self.metrics();
        if available.contains(&wanted) {
            wanted
        } else {
            SharedUtility::AlleleFrequencyError
        }
    }

    /// The chart's summary sentence (the core's).
    pub fn sentence(&self, metric: SharedUtility) -> String {
        overlay_sentence(
            metric,
            &self.series(Method::Sharing, metric),
            &self.series(Method::Synthesis, metric),
        )
    }
}

/// One run's epsilon, GWAS retention and its chance level (when measured), and
/// allele-frequency error.
struct RunUtility {
    epsilon: f64,
    retention: Option<f64>,
    chance: Option<f64>,
    error: f64,
}

/// Each run's figures, grouped by epsilon, sorted by epsilon.
fn overlay_points(runs: impl Iterator<Item = RunUtility>) -> Vec<OverlayPoint> {
    let mut groups: Vec<(f64, Vec<RunUtility>)> = Vec::new();
    for run in runs {
        match groups.iter_mut().find(|(e, _)| *e == run.epsilon) {
            Some((_, members)) => members.push(run),
            None => groups.push((run.epsilon, vec![run])),
        }
    }
    groups.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    groups
        .into_iter()
        .filter_map(|(epsilon_total, members)| {
            let retention: Vec<f64> = members.iter().filter_map(|m| m.retention).collect();
            let chance: Vec<f64> = members.iter().filter_map(|m| m.chance).collect();
            let errors: Vec<f64> = members.iter().map(|m| m.error).collect();
            Some(OverlayPoint {
                epsilon_total,
                runs: members.len(),
                gwas_retention: mean(&retention),
                gwas_chance: mean(&chance),
                allele_frequency_error: mean(&errors)?,
            })
        })
        .collect()
}

/// The Trade-offs screen.
#[derive(Default)]
pub struct TradeoffsScreen {
    pub candidates: Vec<Candidate>,
    pub decision: Option<Decision>,
    pub policy: Policy,
    pub ledgers: Vec<Ledger>,
    /// The candidate whose plain-language cards are shown.
    pub selected: Option<u32>,
    /// Up to two candidates compared side by side, in the order ticked.
    pub compared: Vec<u32>,
    /// Chart or table, per chart.
    pub utility_table: bool,
    pub risk_table: bool,
    /// The ledger form: a release made earlier from this cohort.
    pub past_label: String,
    pub past_epsilon: f64,
    pub notice: Option<String>,
    /// The sweep shown when both the Protect and the Audit screen have one
    /// (`None`: the one that exists, the sharing sweep when both do).
    pub source: Option<SourceKind>,
    /// Sharing and synthesis on one chart instead of one source, when both
    /// sweeps have runs.
    pub compare_methods: bool,
    /// The overlay's utility, and chart or table.
    pub overlay_metric: SharedUtility,
    pub overlay_table: bool,
    /// The workspace the screen last saw; a new cohort drops the candidates.
    workspace: u64,
}

impl TradeoffsScreen {
    /// Follows the loaded workspace: candidates and the decision belong to one
    /// cohort; the policy and the ledgers (keyed by cohort) stay.
    pub fn follow(&mut self, generation: u64) {
        if generation == self.workspace {
            return;
        }
        self.workspace = generation;
        self.candidates.clear();
        self.decision = None;
        self.selected = None;
        self.compared.clear();
        self.notice = None;
    }

    /// Pins a run (once: pinning it again selects the existing candidate).
    pub fn pin(&mut self, point: &SourcePoint, cohort_sha256: Option<&str>) -> u32 {
        if let Some(existing) = self.candidates.iter().find(|c| c.is_run(&point.run)) {
            self.selected = Some(existing.id);
            return existing.id;
        }
        let id = next_candidate_id(&self.candidates);
        self.candidates.push(Candidate {
            id,
            run: point.run.clone(),
            figures: point.figures.clone(),
            cohort_sha256: cohort_sha256.map(str::to_owned),
            note: String::new(),
        });
        self.selected = Some(id);
        id
    }

    pub fn unpin(&mut self, id: u32) {
        self.candidates.retain(|c| c.id != id);
        self.compared.retain(|&c| c != id);
        if self.selected == Some(id) {
            self.selected = None;
        }
        if self.decision.as_ref().is_some_and(|d| d.candidate == id) {
            self.decision = None;
        }
    }

    /// Ticks or unticks a candidate for comparison; a third tick replaces the
    /// oldest, so two are always side by side.
    pub fn toggle_compared(&mut self, id: u32) {
        if self.compared.contains(&id) {
            self.compared.retain(|&c| c != id);
        } else {
            self.compared.push(id);
            if self.compared.len() > 2 {
                self.compared.remove(0);
            }
        }
    }

    pub fn choose(&mut self, id: u32) {
        let rationale = self
            .decision
            .take()
            .map(|d| d.rationale)
            .unwrap_or_default();
        self.decision = Some(Decision {
            candidate: id,
            rationale,
        });
        self.selected = Some(id);
    }

    pub fn candidate(&self, id: u32) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.id == id)
    }

    pub fn chosen(&self) -> Option<&Candidate> {
        self.decision
            .as_ref()
            .and_then(|d| self.candidate(d.candidate))
    }

    /// The candidate the cards describe: the one selected, else the chosen one,
    /// else the last pinned.
    pub fn shown(&self) -> Option<&Candidate> {
        self.selected
            .and_then(|id| self.candidate(id))
            .or_else(|| self.chosen())
            .or_else(|| self.candidates.last())
    }

    /// Writes the candidates, decision, policy and ledgers into a project (what
    /// the project file and the report carry).
    pub fn store_in(&self, project: &mut Project) {
        project.candidates.clone_from(&self.candidates);
        project.decision.clone_from(&self.decision);
        project.policy.clone_from(&self.policy);
        project.ledgers = self.kept_ledgers();
    }

    /// The ledgers worth keeping: the screen makes an empty one for a cohort as
    /// soon as it shows the cohort's ledger, which records nothing.
    fn kept_ledgers(&self) -> Vec<Ledger> {
        self.ledgers
            .iter()
            .filter(|l| l.total_budget.is_some() || !l.releases.is_empty())
            .cloned()
            .collect()
    }

    /// Whether the candidates, decision, policy or ledgers differ from what
    /// `project` holds (work a save would keep).
    pub fn differs_from(&self, project: &Project) -> bool {
        self.candidates != project.candidates
            || self.decision != project.decision
            || self.policy != project.policy
            || self.kept_ledgers() != project.ledgers
    }

    /// Takes the candidates, decision, policy and ledgers of an opened project.
    pub fn load_from(&mut self, project: &Project) {
        self.candidates.clone_from(&project.candidates);
        self.decision.clone_from(&project.decision);
        self.policy.clone_from(&project.policy);
        self.ledgers.clone_from(&project.ledgers);
        self.selected = None;
        self.compared.clear();
    }
}

#[cfg(test)]
mod tests {
    use genopriv_core::study::AttackKind;
    use genopriv_core::study::SweepRow;
    use genopriv_core::study::audit_sweep::{AttackPoint, AuditSweepRow};
    use genopriv_core::study::ledger::ledger_for;
    use genopriv_core::study::synth_sweep::SynthSweepRow;

    use super::*;

    fn row(mechanism: Mechanism, per_snp: f64, repeat: usize, retention: f64) -> SweepRow {
        SweepRow {
            mechanism,
            epsilon_nominal: per_snp * 10.0,
            epsilon_nominal_per_snp: per_snp,
            epsilon_realised: Some(per_snp * 8.0),
            epsilon_total_spent: Some(per_snp * 8.0),
            repeat,
            // Each grid run has its own seed, as `run_sweep` gives it.
            seed: (per_snp * 100.0) as u64 + repeat as u64,
            point_error: 0.3,
            sample_error: 0.0,
            mean_error: 0.0,
            variance_error: 0.0,
            allele_frequency_mae: 0.01,
            retention_rate: Some(retention),
            coin_flip_retention_rate: None,
            membership_tpr_at_1pct_fpr: Some(0.01 * per_snp),
            membership_auc: Some(0.5),
        }
    }

    fn view() -> SweepView {
        SweepView {
            rows: vec![
                row(Mechanism::Xor, 2.0, 1, 0.6),
                row(Mechanism::CoinFlip, 0.0, 0, 0.1),
                row(Mechanism::Xor, 1.0, 0, 0.2),
                row(Mechanism::Xor, 2.0, 0, 0.4),
                row(Mechanism::CoinFlip, 0.0, 1, 0.2),
            ],
            result: None,
            n_variants: 10,
        }
    }

    #[test]
    fn sharing_rows_become_points_without_the_control() {
        let view = view();
        let data = TradeoffSource::Sharing {
            view: &view,
            targets: TargetChoice::Reference,
            cohort_sha256: None,
        }
        .data();
        assert!(data.running);
        assert_eq!(data.utility_label, "GWAS SNP retention");
        let order: Vec<(f64, usize)> = data
            .points
            .iter()
            .map(|p| (p.figures.epsilon_nominal, repeat_of(&p.run)))
            .collect();
        assert_eq!(order, [(10.0, 0), (20.0, 0), (20.0, 1)]);
        assert!(matches!(
            data.reference,
            Some(UtilityReference::CoinFlip(c)) if (c - 0.15).abs() < 1e-12
        ));
        let summary = by_epsilon(&data.points);
        assert_eq!(summary.len(), 2);
        let at_two = summary
            .get(1)
            .map(|s| (s.runs, s.utility_mean, s.utility_min));
        assert_eq!(at_two, Some((2, Some(0.5), Some(0.4))));
        // Spent 8 and 16: the ceiling is 1 - e^-eps x 0.99 (0.99966 and above).
        assert!(summary.iter().all(|s| s.ceiling > 0.9996), "{summary:?}");
    }

    fn audit_row(noise: Option<f64>, accuracy: f64, tprs: &[(f64, f64, f64)]) -> AuditSweepRow {
        AuditSweepRow {
            noise_multiplier: noise,
            target_epsilon: None,
            epsilon: noise.map(|s| 4.0 / s),
            accountant: None,
            sampling_rate: Some(0.05),
            steps: Some(400),
            delta: 1e-5,
            train_accuracy: accuracy + 0.1,
            test_accuracy: accuracy,
            attacks: tprs
                .iter()
                .zip([AttackKind::Loss, AttackKind::Lira])
                .map(|(&(tpr, lower, upper), attack)| AttackPoint {
                    attack,
                    auc: 0.5 + tpr,
                    auc_interval: Interval {
                        lower: 0.5,
                        upper: 0.6,
                    },
                    tpr_at_1pct_fpr: tpr,
                    tpr_at_1pct_fpr_interval: Interval { lower, upper },
                    accuracy: 0.5,
                    accuracy_interval: Interval {
                        lower: 0.4,
                        upper: 0.6,
                    },
                    balanced_accuracy: 0.5,
                    advantage: 0.0,
                })
                .collect(),
            seed: 7,
        }
    }

    #[test]
    fn model_sweep_points_carry_the_strongest_attack_and_its_interval() {
        let view = AuditSweepView {
            rows: vec![
                audit_row(None, 0.74, &[(0.2, 0.15, 0.25)]),
                audit_row(Some(4.0), 0.55, &[(0.01, 0.0, 0.03), (0.02, 0.005, 0.05)]),
                audit_row(Some(1.0), 0.7, &[(0.06, 0.03, 0.1), (0.04, 0.02, 0.07)]),
            ],
            ..AuditSweepView::default()
        };
        let data = TradeoffSource::ModelTraining {
            view: &view,
            model: TargetModel::Logistic { l2: 1.0 },
        }
        .data();
        assert!(data.running);
        assert_eq!(data.utility_label, "model accuracy on held-out people");
        assert_eq!(data.reference, Some(UtilityReference::WithoutDp(0.74)));
        // The model trained without DP is the reference, not a point; the rest by epsilon.
        let epsilons: Vec<f64> = data
            .points
            .iter()
            .map(|p| p.figures.epsilon_nominal)
            .collect();
        assert_eq!(epsilons, [1.0, 4.0]);
        let strongest = data.points.get(1).map(|p| {
            (
                p.figures.membership_tpr_at_1pct_fpr,
                p.figures
                    .membership_tpr_interval
                    .map(|i| (i.lower, i.upper)),
                p.figures.utility,
                p.run.point(),
            )
        });
        assert_eq!(
            strongest,
            Some((
                Some(0.06),
                Some((0.03, 0.1)),
                Some(0.7),
                "noise multiplier 1".to_owned()
            ))
        );
        let summary = by_epsilon(&data.points);
        assert!(summary.iter().all(|s| s.tpr_interval.is_some()));
        // Epsilon 4 at delta 1e-5 allows at most e^4 x 1 % + delta of members found.
        let ceiling = summary.get(1).map(|s| s.ceiling).unwrap_or_default();
        assert!(
            (ceiling - (4f64.exp() * 0.01 + 1e-5)).abs() < 1e-9,
            "{ceiling}"
        );
    }

    fn synth_row(epsilon: f64, retention: Option<f64>, error: f64) -> SynthSweepRow {
        SynthSweepRow {
            epsilon,
            delta: 1e-6,
            seed: 3,
            gwas_retention: retention,
            gwas_chance: None,
            allele_frequency_mae: error,
            ld_r_squared_mae: None,
            membership_tpr_at_1pct_fpr: None,
            membership_tpr_interval: None,
            membership_auc: None,
            pca_overlap: None,
        }
    }

    #[test]
    fn overlay_groups_each_release_by_total_epsilon() {
        let sharing = view();
        let synthesis = SynthSweepView {
            rows: vec![
                synth_row(10.0, Some(0.5), 0.02),
                synth_row(20.0, None, 0.01),
            ],
            ..SynthSweepView::default()
        };
        let overlay = OverlayData::of(&sharing, &synthesis);
        assert!(overlay.running);
        assert_eq!(overlay.synthesis_delta, Some(1e-6));
        // The two coin-flip runs keep 10 % and 20 %.
        assert!(
            overlay
                .sharing_control
                .is_some_and(|c| (c - 0.15).abs() < 1e-12)
        );
        // The coin-flip control is no point; the two repeats at 20 are one.
        assert_eq!(
            overlay.series(Method::Sharing, SharedUtility::GwasRetention),
            [(10.0, 0.2), (20.0, 0.5)]
        );
        assert_eq!(
            overlay.sharing.iter().map(|p| p.runs).collect::<Vec<_>>(),
            [1, 2]
        );
        // A run that measured no retention is no point of the retention curve.
        assert_eq!(
            overlay.series(Method::Synthesis, SharedUtility::GwasRetention),
            [(10.0, 0.5)]
        );
        assert_eq!(
            overlay.series(Method::Synthesis, SharedUtility::AlleleFrequencyError),
            [(10.0, 0.02), (20.0, 0.01)]
        );
        assert_eq!(
            overlay.metrics(),
            [
                SharedUtility::GwasRetention,
                SharedUtility::AlleleFrequencyError
            ]
        );
        // Synthesis measured no retention at 20: only 10 is common.
        let sentence = overlay.sentence(SharedUtility::GwasRetention);
        assert!(
            sentence.starts_with("At epsilon 10 in total per person")
                && sentence.contains("1 other budget was tried by one sweep only"),
            "{sentence}"
        );
        // The chance level is a per-epsilon mean like the retention, and synthesis's only.
        let with_chance = |epsilon, chance| SynthSweepRow {
            gwas_chance: Some(chance),
            ..synth_row(epsilon, Some(0.6), 0.02)
        };
        let repeated = SynthSweepView {
            rows: vec![
                with_chance(10.0, 0.25),
                with_chance(10.0, 0.75),
                synth_row(30.0, Some(0.7), 0.01),
            ],
            ..SynthSweepView::default()
        };
        let overlay = OverlayData::of(&sharing, &repeated);
        assert_eq!(overlay.synthesis_chance(), [(10.0, 0.5)]);
        assert!(overlay.sharing.iter().all(|p| p.gwas_chance.is_none()));
        let no_gwas = SynthSweepView {
            rows: vec![synth_row(10.0, None, 0.02)],
            ..SynthSweepView::default()
        };
        let overlay = OverlayData::of(&sharing, &no_gwas);
        assert_eq!(overlay.metrics(), [SharedUtility::AlleleFrequencyError]);
        assert_eq!(
            overlay.metric(SharedUtility::GwasRetention),
            SharedUtility::AlleleFrequencyError
        );
    }

    #[test]
    fn pins_choices_and_comparisons_stay_consistent() {
        let view = view();
        let data = TradeoffSource::Sharing {
            view: &view,
            targets: TargetChoice::Reference,
            cohort_sha256: None,
        }
        .data();
        let mut screen = TradeoffsScreen::default();
        let [a, b, c] = [0, 1, 2].map(|i| {
            data.points
                .get(i)
                .map(|p| screen.pin(p, Some("ab")))
                .unwrap_or_default()
        });
        assert_eq!((a, b, c), (1, 2, 3));
        // Pinning the same run again adds nothing.
        if let Some(p) = data.points.first() {
            assert_eq!(screen.pin(p, None), 1);
        }
        assert_eq!(screen.candidates.len(), 3);
        for id in [a, b, c] {
            screen.toggle_compared(id);
        }
        assert_eq!(screen.compared, [b, c]);
        screen.choose(b);
        assert_eq!(screen.chosen().map(|c| c.id), Some(b));
        screen.unpin(b);
        assert!(screen.decision.is_none() && screen.compared == [c]);
        let mut project = Project::new();
        screen.store_in(&mut project);
        let mut back = TradeoffsScreen::default();
        assert!(screen.differs_from(&Project::new()));
        // Looking at a cohort's ledger records nothing.
        ledger_for(&mut screen.ledgers, "ab");
        screen.store_in(&mut project);
        assert!(project.ledgers.is_empty() && !screen.differs_from(&project));
        back.load_from(&project);
        assert_eq!(back.candidates, screen.candidates);
        assert!(!back.differs_from(&project));
        back.policy.max_epsilon = Some(3.0);
        assert!(back.differs_from(&project));
        // A new cohort drops the candidates.
        back.follow(5);
        assert!(back.candidates.is_empty());
    }
}
