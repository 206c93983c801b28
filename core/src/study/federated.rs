//! A federated-training audit (spec audits §3.5, §3.6, §5.6, §9): K clients train a
//! logistic model by FedAvg, then membership and label-inference attacks measure
//! what the final model, the per-sample gradients and the server's view reveal.
//!
//! Protocol ([`FederatedAudit::run`]):
//! - The samples with a known status are shuffled with the seed and dealt into K
//!   equal IID clients; each client holds out `held_out_fraction` of its records
//!   (non-members) and trains on the rest (members).
//! - Each client's held-out records are halved: one half calibrates thresholds,
//!   the other is evaluated; as many of the client's members are drawn for each
//!   part. Evaluation sets are therefore balanced (π = 0.5, §1.6), and every
//!   threshold and the label meta-classifier are fitted on calibration records only
//!   (§1.7). Precision is also given at the training pool's member share (π = 0.8
//!   for an 80/20 split), the prevalence the published study scored at, next to the
//!   "everyone is a member" baseline, whose precision is π by construction (§9).
//! - Attacks: the loss (confidence) threshold on the final model (black box); the
//!   gradient-norm threshold on per-sample gradients of the final model (§3.5);
//!   the server's update attack (mean over rounds of cos(g(x), -Δ)) per client when
//!   the server sees each client's model, and on the aggregate update only under
//!   secure aggregation, where no per-client update exists; label inference from
//!   the model's outputs and from per-sample gradients (sign rule and a logistic
//!   meta-classifier), on members and on non-members (§3.6), with the verdict
//!   "inconclusive" when the guesses do not beat the no-release baseline.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audit::attacks::{
    LabelledScores, OutputSignal, gradient_norm_scores, output_scores, update_alignment_scores,
};
use crate::audit::label::{
    LabelInferenceReport, labels_by_meta_classifier, labels_by_sign, per_sample_gradients,
    train_meta_classifier,
};
use crate::audit::metrics::{ReportOptions, ThresholdMetrics};
use crate::data::GenotypeMatrix;
use crate::dp::{AccountingOptions, EpsilonReport, account};
use crate::error::{Error, Result};
use crate::explain::{LabelInferenceResult, LabelVerdict, explain_label_inference};
use crate::job::Job;
use crate::models::features::select_labels;
use crate::models::fedavg::{
    Aggregation, ClientData, ClientDp, FedAvg, FederatedRun, RoundView, ServerView,
};
use crate::models::{Features, LogisticModel, LogisticRegression, Penalty, Predict, SgdLogistic};
use crate::study::audit::{
    self, AttackKind, GradientNorms, LabelInferenceOutcome, MembershipAttackResult,
    ModelAuditReport, ReferenceMode, TargetModel, gradient_norms,
};

/// Fewest evaluated non-members per client: below this a client's intervals span
/// most of [0, 1].
pub const MIN_EVALUATED_PER_CLIENT: usize = 5;

/// Client-level DP for the federation (see [`crate::models::fedavg`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FederatedDp {
    pub noise_multiplier: f64,
    pub clip_norm: f64,
    pub delta: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FederatedAuditSettings {
    pub clients: usize,
    pub rounds: usize,
    pub local_epochs: usize,
    /// L2 strength of the clients' `SGDClassifier(loss="log_loss")`.
    pub alpha: f64,
    pub aggregation: Aggregation,
    pub dp: Option<FederatedDp>,
    /// Loss, GradientNorm and Label; the server's update attack always runs.
    pub attacks: Vec<AttackKind>,
    /// Share of each client's records held out as non-members.
    pub held_out_fraction: f64,
    pub bootstrap_resamples: usize,
    /// Seeds the split, the clients' shuffling, the DP noise and the bootstrap.
    pub seed: u64,
    /// The delta of the empirical epsilon lower bounds.
    pub delta: f64,
}

impl Default for FederatedAuditSettings {
    /// The federated study's set-up (spec §9): 5 clients, 10 rounds, one local
    /// epoch, scikit-learn's alpha, 80/20 splits.
    fn default() -> Self {
        Self {
            clients: 5,
            rounds: 10,
            local_epochs: 1,
            alpha: 1e-4,
            aggregation: Aggregation::Plain,
            dp: None,
            attacks: vec![
                AttackKind::Loss,
                AttackKind::GradientNorm,
                AttackKind::Label,
            ],
            held_out_fraction: 0.2,
            bootstrap_resamples: 1000,
            seed: 0,
            delta: 1e-5,
        }
    }
}

impl FederatedAuditSettings {
    fn check(&self) -> Result<()> {
        if self.clients == 0 || self.rounds == 0 || self.local_epochs == 0 {
            return Err(Error::Parameter(format!(
                "federated training needs at least one client, round and local epoch; got {} \
                 clients, {} rounds, {} local epochs",
                self.clients, self.rounds, self.local_epochs
            )));
        }
        if let Some(attack) = self.attacks.iter().find(|a| {
            !matches!(
                a,
                AttackKind::Loss | AttackKind::GradientNorm | AttackKind::Label
            )
        }) {
            return Err(Error::Parameter(format!(
                "the federated audit runs loss, gradnorm and label attacks; `{}` needs \
                 reference models trained like the federation, which it does not train",
                attack.id()
            )));
        }
        if !(self.held_out_fraction > 0.0 && self.held_out_fraction <= 0.5) {
            return Err(Error::Parameter(format!(
                "the held-out fraction must be in (0, 0.5] so that each client has as many \
                 members as non-members to evaluate; got {}",
                self.held_out_fraction
            )));
        }
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(Error::Parameter(format!(
                "delta must be in (0, 1), got {}",
                self.delta
            )));
        }
        Ok(())
    }
}

/// One client's records, as rows of the cohort's labelled samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientSplit {
    /// Training records (members).
    pub members: Vec<usize>,
    /// Held-out records (non-members).
    pub held_out: Vec<usize>,
    /// Members and non-members whose scores choose thresholds and train the label
    /// meta-classifier (equal counts).
    pub calibration_members: Vec<usize>,
    pub calibration_non_members: Vec<usize>,
    /// Members and non-members the attacks are measured on (equal counts).
    pub evaluation_members: Vec<usize>,
    pub evaluation_non_members: Vec<usize>,
}

/// A cohort ready for federated audits: features and labels of the samples with a
/// known case/control status.
#[derive(Clone, Debug)]
pub struct FederatedAudit {
    features: Features,
    labels: Vec<u8>,
    n_samples: usize,
}

/// Scores of one attack on the four parts of the audit.
struct PartScores {
    calibration_members: Vec<f64>,
    calibration_non_members: Vec<f64>,
    evaluation_members: Vec<f64>,
    evaluation_non_members: Vec<f64>,
}

impl FederatedAudit {
    /// Keeps the samples with a known status; missing calls are the SNP's mean
    /// count over the whole cohort.
    pub fn prepare(genotypes: &GenotypeMatrix, case_status: &[Option<bool>]) -> Result<Self> {
        if case_status.len() != genotypes.n_samples() {
            return Err(Error::Mismatch(format!(
                "{} case/control statuses for {} samples",
                case_status.len(),
                genotypes.n_samples()
            )));
        }
        let labelled: Vec<usize> = case_status
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|_| i))
            .collect();
        let labels = labelled
            .iter()
            .map(|&i| u8::from(case_status.get(i).copied().flatten().unwrap_or(false)))
            .collect();
        Ok(Self {
            features: Features::from_genotypes(genotypes).select_rows(&labelled)?,
            labels,
            n_samples: genotypes.n_samples(),
        })
    }

    /// Deals the labelled samples into IID clients and splits each (module docs).
    pub fn split(&self, settings: &FederatedAuditSettings) -> Result<Vec<ClientSplit>> {
        settings.check()?;
        let n = self.labels.len();
        let per_client = n / settings.clients;
        let held_out = (per_client as f64 * settings.held_out_fraction).round() as usize;
        let evaluated = held_out - held_out / 2;
        if evaluated < MIN_EVALUATED_PER_CLIENT {
            return Err(Error::Parameter(format!(
                "{n} samples with a known status make {} clients of {per_client}, holding out \
                 {held_out} each; a federated audit needs at least {} held-out records per \
                 client (half calibrate, half are evaluated)",
                settings.clients,
                2 * MIN_EVALUATED_PER_CLIENT
            )));
        }
        let mut rows: Vec<usize> = (0..n).collect();
        rows.shuffle(&mut ChaCha8Rng::seed_from_u64(settings.seed ^ SPLIT_STREAM));
        Ok(rows
            .chunks_exact(per_client)
            .take(settings.clients)
            .map(|chunk| {
                let (held, members) = chunk.split_at(held_out);
                let (calibration_non_members, evaluation_non_members) = held.split_at(held_out / 2);
                let (calibration_members, rest) = members.split_at(calibration_non_members.len());
                let evaluation_members = &rest[..evaluation_non_members.len().min(rest.len())];
                ClientSplit {
                    members: members.to_vec(),
                    held_out: held.to_vec(),
                    calibration_members: calibration_members.to_vec(),
                    calibration_non_members: calibration_non_members.to_vec(),
                    evaluation_members: evaluation_members.to_vec(),
                    evaluation_non_members: evaluation_non_members.to_vec(),
                }
            })
            .collect())
    }

    fn part(&self, rows: &[usize]) -> Result<(Features, Vec<u8>)> {
        Ok((
            self.features.select_rows(rows)?,
            select_labels(&self.labels, rows)?,
        ))
    }

    /// Trains the federation and runs the attacks.
    pub fn run(
        &self,
        settings: &FederatedAuditSettings,
        job: Job<'_>,
    ) -> Result<FederatedAuditReport> {
        let splits = self.split(settings)?;
        let training: Vec<(Features, Vec<u8>)> = splits
            .iter()
            .map(|s| self.part(&s.members))
            .collect::<Result<_>>()?;
        let clients: Vec<ClientData<'_>> =
            training.iter().map(|(x, y)| ClientData { x, y }).collect();
        let fedavg = FedAvg {
            rounds: settings.rounds,
            local_epochs: settings.local_epochs,
            local: SgdLogistic {
                alpha: settings.alpha,
                seed: settings.seed,
                ..SgdLogistic::default()
            },
            aggregation: settings.aggregation,
            dp: settings.dp.map(|dp| ClientDp {
                clip_norm: dp.clip_norm,
                noise_multiplier: dp.noise_multiplier,
                seed: settings.seed,
            }),
        };
        let run = fedavg.train(&clients, job)?;
        let Some(model) = run.final_model().cloned() else {
            return Err(Error::Parameter("federated training ran no round".into()));
        };
        let privacy = match (&settings.dp, &run.privacy) {
            (Some(dp), Some(setting)) => {
                Some(account(setting, dp.delta, &AccountingOptions::default())?)
            }
            _ => None,
        };
        job.checkpoint("Running the attacks", Some(0.0))?;
        let options = ReportOptions {
            bootstrap_resamples: settings.bootstrap_resamples,
            seed: settings.seed,
            delta: settings.delta,
        };
        let all = |pick: fn(&ClientSplit) -> &Vec<usize>| -> Vec<usize> {
            splits
                .iter()
                .flat_map(|s| pick(s).iter().copied())
                .collect()
        };
        let parts = [
            all(|s| &s.calibration_members),
            all(|s| &s.calibration_non_members),
            all(|s| &s.evaluation_members),
            all(|s| &s.evaluation_non_members),
        ];
        let pool_members = splits.iter().map(|s| s.members.len()).sum::<usize>();
        let pool_held_out = splits.iter().map(|s| s.held_out.len()).sum::<usize>();
        let pool_prevalence = pool_members as f64 / (pool_members + pool_held_out) as f64;

        let mut attacks = Vec::new();
        for &(kind, signal) in &[
            (AttackKind::Loss, Signal::Loss),
            (AttackKind::GradientNorm, Signal::GradientNorm),
        ] {
            if settings.attacks.contains(&kind) {
                let scores = self.scores(&parts, |x, y| signal.scores(&model, x, y))?;
                attacks.push(membership_result(kind, &scores, options)?);
            }
        }
        job.checkpoint("Running the attacks", Some(0.4))?;
        let server_attacks = self.server_attacks(&run, &splits, &parts, options)?;
        job.checkpoint("Running the attacks", Some(0.7))?;
        let (label_inference, gradient_label_inference) =
            if settings.attacks.contains(&AttackKind::Label) {
                let outputs = self.output_label_inference(&model, &parts)?;
                let gradients = match settings.aggregation {
                    Aggregation::Plain => Some(self.gradient_label_inference(&model, &parts)?),
                    Aggregation::Secure => None,
                };
                (Some(outputs), gradients)
            } else {
                (None, None)
            };
        job.checkpoint("Running the attacks", Some(1.0))?;

        let (train_x, train_y) = self.part(&all(|s| &s.members))?;
        // The evaluated members and non-members, for the gradient-norm histogram.
        let (members_x, members_y) = self.part(&parts[2])?;
        let (non_members_x, non_members_y) = self.part(&parts[3])?;
        let evaluated_x = [members_x, non_members_x];
        let evaluated_y = [members_y, non_members_y];
        let (test_x, test_y) = self.part(&all(|s| &s.held_out))?;
        let everyone = vec![1.0; pool_members];
        let held_out_flagged = vec![1.0; pool_held_out];
        let everyone_member_baseline =
            ThresholdMetrics::evaluate(&everyone, &held_out_flagged, 1.0)?;
        let precision_at_pool_prevalence = attacks
            .iter()
            .map(|a: &MembershipAttackResult| PoolPrecision {
                attack: a.attack.id().to_owned(),
                prevalence: pool_prevalence,
                precision: precision_at(
                    pool_prevalence,
                    a.at_threshold.recall,
                    a.at_threshold.false_positive_rate,
                ),
            })
            .collect();
        let mut notices = vec![
            "Seeded study output: the split, the clients' training and the noise can be \
             regenerated from the seed; an audit measures leakage, it does not make the model \
             safe to release."
                .to_owned(),
        ];
        if settings.aggregation == Aggregation::Secure {
            notices.push(
                "Secure aggregation: the server saw only the aggregate of the client updates, so \
                 no attack on one client's update or on per-sample gradients is possible; what \
                 remains is the aggregate (the global models), attacked here for all clients' \
                 records together."
                    .to_owned(),
            );
        }
        if settings.dp.is_some() {
            notices.push(DP_NOTION.to_owned());
        }
        let audit = ModelAuditReport {
            model: TargetModel::Sgd {
                alpha: settings.alpha,
            },
            training: format!(
                "FedAvg: {} clients x {} rounds x {} local epochs of SGD logistic ({}{})",
                settings.clients,
                settings.rounds,
                settings.local_epochs,
                match settings.aggregation {
                    Aggregation::Plain => "plain aggregation",
                    Aggregation::Secure => "secure aggregation",
                },
                if settings.dp.is_some() {
                    ", client-level DP"
                } else {
                    ""
                }
            ),
            dp: None,
            epsilon: privacy.as_ref().map(|p| p.epsilon),
            privacy: privacy.clone(),
            n_samples: self.n_samples,
            n_variants: self.features.n_cols(),
            n_members: parts[2].len(),
            n_non_members: parts[3].len(),
            n_population: parts[0].len() + parts[1].len(),
            reference_models: 0,
            reference_mode: ReferenceMode::Offline,
            train_accuracy: accuracy(&model, &train_x, &train_y)?,
            test_accuracy: accuracy(&model, &test_x, &test_y)?,
            attacks,
            label_inference,
            gradient_norms: GradientNorms {
                members: gradient_norms(&model, &evaluated_x[0], &evaluated_y[0])?,
                non_members: gradient_norms(&model, &evaluated_x[1], &evaluated_y[1])?,
            },
            seed: settings.seed,
            split_seed: settings.seed,
            notices,
        };
        Ok(FederatedAuditReport {
            clients: settings.clients,
            rounds: settings.rounds,
            local_epochs: settings.local_epochs,
            aggregation: settings.aggregation,
            client_dp: settings.dp,
            dp_notion: settings.dp.map(|_| DP_NOTION.to_owned()),
            client_members: splits.iter().map(|s| s.members.len()).collect(),
            client_held_out: splits.iter().map(|s| s.held_out.len()).collect(),
            audit,
            server_attacks,
            gradient_label_inference,
            everyone_member_baseline,
            precision_at_pool_prevalence,
            privacy,
        })
    }

    /// One score per record of each part.
    fn scores(
        &self,
        parts: &[Vec<usize>; 4],
        score: impl Fn(&Features, &[u8]) -> Result<Vec<f64>>,
    ) -> Result<PartScores> {
        let mut each = parts.iter().map(|rows| {
            let (x, y) = self.part(rows)?;
            score(&x, &y)
        });
        let mut next = || {
            each.next()
                .unwrap_or_else(|| Err(Error::Parameter("an audit part is missing".into())))
        };
        Ok(PartScores {
            calibration_members: next()?,
            calibration_non_members: next()?,
            evaluation_members: next()?,
            evaluation_non_members: next()?,
        })
    }

    /// The server's attack on client updates, restricted to what [`ServerView`]
    /// holds: per client with plain aggregation, on the aggregate otherwise.
    fn server_attacks(
        &self,
        run: &FederatedRun,
        splits: &[ClientSplit],
        all_parts: &[Vec<usize>; 4],
        options: ReportOptions,
    ) -> Result<Vec<ServerAttack>> {
        let per_client = run.rounds.iter().all(|r| r.client_models().is_some());
        if per_client {
            splits
                .iter()
                .enumerate()
                .map(|(k, split)| {
                    let parts = [
                        split.calibration_members.clone(),
                        split.calibration_non_members.clone(),
                        split.evaluation_members.clone(),
                        split.evaluation_non_members.clone(),
                    ];
                    let scores = self.scores(&parts, |x, y| {
                        mean_alignment(&run.rounds, x, y, |round| {
                            round.client_models().and_then(|m| m.get(k))
                        })
                    })?;
                    Ok(ServerAttack {
                        view: ObservedUpdate::Client(k + 1),
                        result: membership_result(AttackKind::GradientNorm, &scores, options)?,
                    })
                })
                .collect()
        } else {
            // The aggregate update moves the global model from before to after.
            let scores = self.scores(all_parts, |x, y| {
                mean_alignment(&run.rounds, x, y, |round| match &round.server_view {
                    ServerView::AggregateOnly { .. } => Some(&round.global_after),
                    ServerView::PerClient { .. } => None,
                })
            })?;
            Ok(vec![ServerAttack {
                view: ObservedUpdate::Aggregate,
                result: membership_result(AttackKind::GradientNorm, &scores, options)?,
            }])
        }
    }

    /// Case/control guessed as the final model's predicted class; the baseline always
    /// guesses the calibration records' commoner status.
    fn output_label_inference(
        &self,
        model: &LogisticModel,
        parts: &[Vec<usize>; 4],
    ) -> Result<LabelInferenceOutcome> {
        let predict = |rows: &[usize]| -> Result<Vec<u8>> {
            let (x, _) = self.part(rows)?;
            Ok(model
                .predict_proba(&x)
                .into_iter()
                .map(|p| u8::from(p >= 0.5))
                .collect())
        };
        label_outcome(
            &predict(&parts[2])?,
            &predict(&parts[3])?,
            self,
            parts,
            Vec::new(),
        )
    }

    /// Labels from per-sample gradients of the final model: the sign rule, and a
    /// logistic meta-classifier trained on the calibration records' gradients.
    fn gradient_label_inference(
        &self,
        model: &LogisticModel,
        parts: &[Vec<usize>; 4],
    ) -> Result<GradientLabelInference> {
        let gradients = |rows: &[usize]| -> Result<Features> {
            let (x, y) = self.part(rows)?;
            per_sample_gradients(model, &x, &y)
        };
        let calibration_rows: Vec<usize> = parts[0].iter().chain(&parts[1]).copied().collect();
        // A light penalty: the bias component separates the labels exactly, and the
        // gradients are small numbers (|p - y| <= 1), so a strong one would mute them.
        let meta = train_meta_classifier(
            &LogisticRegression::new(Penalty::L2(1e-3)),
            &gradients(&calibration_rows)?,
            &select_labels(&self.labels, &calibration_rows)?,
        )?;
        let (members, non_members) = (gradients(&parts[2])?, gradients(&parts[3])?);
        let note = vec![
            "Per-sample gradients carry the label itself: for logistic regression the bias \
             component p - y is negative exactly for cases, so anyone who sees a person's \
             gradient learns their status, member or not. A FedAvg server sees client models, \
             not per-sample gradients; this is the exposure of FedSGD with batches of one."
                .to_owned(),
        ];
        Ok(GradientLabelInference {
            sign_rule: label_outcome(
                &labels_by_sign(&members)?,
                &labels_by_sign(&non_members)?,
                self,
                parts,
                note.clone(),
            )?,
            meta_classifier: label_outcome(
                &labels_by_meta_classifier(&meta, &members)?,
                &labels_by_meta_classifier(&meta, &non_members)?,
                self,
                parts,
                note,
            )?,
        })
    }
}

/// Separates the split's shuffle from the clients' training streams.
const SPLIT_STREAM: u64 = 0x0073_706c_6974;

const DP_NOTION: &str = "Client-level DP: the epsilon bounds what the noisy aggregates (the \
global models) reveal about any one client's whole data set (add or remove one client; every \
client in every round, q = 1, one step per round). It does not cover a server that sees each \
client's update: combine it with secure aggregation.";

#[derive(Clone, Copy)]
enum Signal {
    Loss,
    GradientNorm,
}

impl Signal {
    fn scores(self, model: &LogisticModel, x: &Features, y: &[u8]) -> Result<Vec<f64>> {
        match self {
            Signal::Loss => output_scores(model, x, y, OutputSignal::NegativeLoss),
            Signal::GradientNorm => gradient_norm_scores(model, x, y),
        }
    }
}

/// Mean over rounds of cos(g(x), -Δ), Δ from the round's starting model to the
/// model `observed` picks (a client's model, or the aggregate).
fn mean_alignment<'a>(
    rounds: &'a [RoundView],
    x: &Features,
    y: &[u8],
    observed: impl Fn(&'a RoundView) -> Option<&'a LogisticModel>,
) -> Result<Vec<f64>> {
    let mut sum = vec![0.0; x.n_rows()];
    for round in rounds {
        let after = observed(round)
            .ok_or_else(|| Error::Parameter("the server view lacks the attacked update".into()))?;
        let scores = update_alignment_scores(&round.global_before, after, x, y)?;
        sum.iter_mut().zip(scores).for_each(|(s, v)| *s += v);
    }
    let rounds = rounds.len().max(1) as f64;
    Ok(sum.into_iter().map(|s| s / rounds).collect())
}

/// PPV at prevalence π from TPR and FPR (spec §2).
fn precision_at(prevalence: f64, tpr: f64, fpr: f64) -> f64 {
    let flagged = prevalence * tpr + (1.0 - prevalence) * fpr;
    if flagged == 0.0 {
        0.0
    } else {
        prevalence * tpr / flagged
    }
}

fn accuracy(model: &LogisticModel, x: &Features, y: &[u8]) -> Result<f64> {
    let predicted: Vec<u8> = model
        .predict_proba(x)
        .into_iter()
        .map(|p| u8::from(p >= 0.5))
        .collect();
    crate::audit::label::accuracy(&predicted, y)
}

/// The calibration and evaluation scores of one attack, through the model audit's
/// threshold choice, metrics and sentences.
fn membership_result(
    attack: AttackKind,
    scores: &PartScores,
    options: ReportOptions,
) -> Result<MembershipAttackResult> {
    audit::membership_result(
        attack,
        LabelledScores {
            members: &scores.calibration_members,
            non_members: &scores.calibration_non_members,
        },
        LabelledScores {
            members: &scores.evaluation_members,
            non_members: &scores.evaluation_non_members,
        },
        options,
    )
}

/// Label guesses on the evaluated members and non-members against the truth and
/// the baseline of always guessing the calibration records' commoner status.
fn label_outcome(
    member_guess: &[u8],
    non_member_guess: &[u8],
    audit: &FederatedAudit,
    parts: &[Vec<usize>; 4],
    extra_sentences: Vec<String>,
) -> Result<LabelInferenceOutcome> {
    let member_truth = select_labels(&audit.labels, &parts[2])?;
    let non_member_truth = select_labels(&audit.labels, &parts[3])?;
    let report = LabelInferenceReport::new(
        member_guess,
        &member_truth,
        non_member_guess,
        &non_member_truth,
    )?;
    let calibration: Vec<u8> = parts[0]
        .iter()
        .chain(&parts[1])
        .filter_map(|&i| audit.labels.get(i).copied())
        .collect();
    let cases = calibration.iter().filter(|&&l| l == 1).count();
    let majority = u8::from(2 * cases > calibration.len());
    let evaluated: Vec<u8> = member_truth
        .iter()
        .chain(&non_member_truth)
        .copied()
        .collect();
    let baseline_accuracy =
        crate::audit::label::accuracy(&vec![majority; evaluated.len()], &evaluated)?;
    let correct =
        |guess: &[u8], truth: &[u8]| guess.iter().zip(truth).filter(|(a, b)| a == b).count() as u64;
    let explained = explain_label_inference(&LabelInferenceResult {
        members_correct: correct(member_guess, &member_truth),
        members: member_truth.len() as u64,
        non_members_correct: correct(non_member_guess, &non_member_truth),
        non_members: non_member_truth.len() as u64,
        baseline_accuracy,
    })?;
    // Cases as the positive class among members, for the federated study's columns.
    let cases_of = |label: u8| -> Vec<f64> {
        member_guess
            .iter()
            .zip(&member_truth)
            .filter(|(_, t)| **t == label)
            .map(|(g, _)| f64::from(*g))
            .collect()
    };
    let (case_guesses, control_guesses) = (cases_of(1), cases_of(0));
    let member_cases = if case_guesses.is_empty() || control_guesses.is_empty() {
        None
    } else {
        Some(ThresholdMetrics::evaluate(
            &case_guesses,
            &control_guesses,
            0.5,
        )?)
    };
    Ok(LabelInferenceOutcome {
        report,
        baseline_accuracy,
        verdict: match explained.verdict {
            LabelVerdict::IndividualLeak => "individual_leak",
            LabelVerdict::PopulationPatterns => "population_patterns",
            LabelVerdict::Inconclusive => "inconclusive",
            LabelVerdict::NotMeasurable => "not_measurable",
        }
        .into(),
        residual_risk: explained.residual_risk,
        sentences: explained
            .sentences
            .into_iter()
            .chain(extra_sentences)
            .collect(),
        member_cases,
    })
}

/// Which update the server attacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservedUpdate {
    /// Client `k`'s update (1-based), seen with plain aggregation.
    Client(usize),
    /// The aggregate of all updates, all the server sees with secure aggregation.
    Aggregate,
}

/// The honest-but-curious server's white-box attack: a record's mean cosine
/// between its gradient at each round's starting model and the observed update's
/// descent direction (spec §3.5). `result.attack` is `GradientNorm`, the white-box
/// gradient family this score belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerAttack {
    pub view: ObservedUpdate,
    pub result: MembershipAttackResult,
}

/// Label inference from per-sample gradients (plain aggregation only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradientLabelInference {
    /// y = 1 iff the bias component of the gradient is negative.
    pub sign_rule: LabelInferenceOutcome,
    /// Logistic regression from gradient vectors to labels, trained on calibration
    /// records.
    pub meta_classifier: LabelInferenceOutcome,
}

/// An attack's precision at the training pool's member share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolPrecision {
    pub attack: String,
    pub prevalence: f64,
    pub precision: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FederatedAuditReport {
    pub clients: usize,
    pub rounds: usize,
    pub local_epochs: usize,
    pub aggregation: Aggregation,
    pub client_dp: Option<FederatedDp>,
    /// Which DP notion the epsilon is (client-level), when DP was used.
    pub dp_notion: Option<String>,
    /// Training records per client.
    pub client_members: Vec<usize>,
    /// Held-out records per client.
    pub client_held_out: Vec<usize>,
    /// The final model's attacks and output label inference, in the single-model
    /// audit's shape (balanced evaluation sets, π = 0.5).
    pub audit: ModelAuditReport,
    pub server_attacks: Vec<ServerAttack>,
    /// `None` under secure aggregation (no per-sample gradient is observed) or
    /// without the label attack.
    pub gradient_label_inference: Option<GradientLabelInference>,
    /// Flagging every record of the training pool (members and held-out): precision
    /// equals the member share π.
    pub everyone_member_baseline: ThresholdMetrics,
    /// Each final-model attack's precision at the pool's π, from its TPR and FPR.
    pub precision_at_pool_prevalence: Vec<PoolPrecision>,
    pub privacy: Option<EpsilonReport>,
}
