//! Federated averaging (FedAvg) with [`SgdLogistic`] clients, as in the federated
//! genomic set-up of spec audits §9: every round each client starts from the global
//! model, runs `local_epochs` of `partial_fit`, and the server averages the client
//! models weighted by their record counts (`sum_k n_k w_k / sum_k n_k`, Flower's
//! `num_examples` weighting).
//!
//! The attacker's view is explicit. An outside black-box attacker sees only the
//! final global model. An honest-but-curious server sees every round's global model
//! and what [`ServerView`] says it was shown: each client's model (plain FedAvg,
//! [`Aggregation::Plain`]) or only the aggregate of the updates (secure aggregation,
//! [`Aggregation::Secure`]). With secure aggregation no per-client update exists
//! outside the clients, so attacks on one client's update are impossible; what is
//! left to a server is the aggregate, i.e. the sequence of global models.
//!
//! Optional DP ([`ClientDp`]) is **client-level** DP-FedAvg (McMahan et al. 2018):
//! each client's update `w_k - w` is clipped to L2 norm `C`, the clipped updates are
//! summed, Gaussian noise `N(0, sigma^2 C^2 I)` from the exact [`GridGaussian`]
//! sampler is added to the sum, and the sum is divided by the number of clients `K`
//! (a public constant: the unweighted mean, so one client changes the sum by at most
//! `C`). Every client takes part in every round, so the accountant sees sampling rate
//! `q = 1` and `steps = rounds` (spec §5.6); the neighbouring datasets differ by one
//! whole client. The guarantee covers the noisy aggregates, hence the global
//! models: a plain-aggregation server that sees each clipped client update directly
//! is not covered by it; with secure aggregation the noise is added inside the
//! aggregation (as a trusted aggregator or distributed noise would) before the
//! server sees the sum.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::sgd::{SgdLogistic, SgdState};
use super::{Features, LogisticModel, add_scaled};
use crate::dp::DpSgdSetting;
use crate::dp::noise::GridGaussian;
use crate::error::{Error, Result};
use crate::job::Job;

/// The added 1e-6 keeps the clip factor finite for a zero update (as DP-SGD).
const CLIP_EPSILON: f64 = 1e-6;

#[derive(Clone, Debug, PartialEq)]
pub struct FedAvg {
    pub rounds: usize,
    pub local_epochs: usize,
    /// The client optimiser; client `k` uses seed `local.seed + k`.
    pub local: SgdLogistic,
    /// What the server is shown of the client updates.
    pub aggregation: Aggregation,
    /// Client-level DP (clipping and noise on the aggregate), if any.
    pub dp: Option<ClientDp>,
}

impl FedAvg {
    /// Plain FedAvg without DP.
    pub fn new(rounds: usize, local_epochs: usize, local: SgdLogistic) -> Self {
        Self {
            rounds,
            local_epochs,
            local,
            aggregation: Aggregation::Plain,
            dp: None,
        }
    }
}

/// How client updates reach the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Each client sends its model: the server sees every client update.
    Plain,
    /// Secure aggregation: the server learns only the aggregate of the updates.
    Secure,
}

/// Client-level DP-FedAvg parameters (module docs).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClientDp {
    /// C: the L2 bound on each client's update of `[w; b]`.
    pub clip_norm: f64,
    /// sigma: the noise on the sum of clipped updates has standard deviation `sigma C`.
    pub noise_multiplier: f64,
    /// Seeds the noise (a stream separate from the clients' shuffling).
    pub seed: u64,
}

/// One client's records.
#[derive(Clone, Copy, Debug)]
pub struct ClientData<'a> {
    pub x: &'a Features,
    pub y: &'a [u8],
}

/// What the server observed of the clients in one round: the only input a
/// server-side attack on client updates may use.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerView {
    /// Plain aggregation: each client's model after local training (after clipping
    /// with DP); client `k`'s update is its model minus the round's starting model.
    PerClient { client_models: Vec<LogisticModel> },
    /// Secure aggregation: only the aggregated update (with DP, noise included),
    /// `global_after - global_before`.
    AggregateOnly { aggregate_update: LogisticModel },
}

/// One round as the server saw it.
#[derive(Clone, Debug)]
pub struct RoundView {
    /// The model sent to every client.
    pub global_before: LogisticModel,
    pub server_view: ServerView,
    /// The aggregate, sent out next round.
    pub global_after: LogisticModel,
}

impl RoundView {
    /// Each client's model, when the server was shown them (plain aggregation).
    pub fn client_models(&self) -> Option<&[LogisticModel]> {
        match &self.server_view {
            ServerView::PerClient { client_models } => Some(client_models),
            ServerView::AggregateOnly { .. } => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FederatedRun {
    pub rounds: Vec<RoundView>,
    /// With DP: the client-level setting for [`crate::dp::account`] (`q = 1`, one
    /// step per round).
    pub privacy: Option<DpSgdSetting>,
}

impl FederatedRun {
    /// The model an outside attacker sees (the last global model).
    pub fn final_model(&self) -> Option<&LogisticModel> {
        self.rounds.last().map(|round| &round.global_after)
    }
}

/// `after - before` as one vector `[w; b]`.
fn update_vector(before: &LogisticModel, after: &LogisticModel) -> Vec<f64> {
    let mut update: Vec<f64> = after
        .weights
        .iter()
        .zip(&before.weights)
        .map(|(a, b)| a - b)
        .collect();
    update.push(after.intercept - before.intercept);
    update
}

/// `base + update` for an update `[w; b]`.
fn apply_update(base: &LogisticModel, update: &[f64]) -> LogisticModel {
    let mut model = base.clone();
    add_scaled(&mut model.weights, 1.0, update);
    model.intercept += update.get(base.weights.len()).copied().unwrap_or(0.0);
    model
}

impl ClientDp {
    fn check(&self) -> Result<()> {
        if self.clip_norm.is_finite()
            && self.clip_norm > 0.0
            && self.noise_multiplier.is_finite()
            && self.noise_multiplier >= 0.0
        {
            Ok(())
        } else {
            Err(Error::Parameter(format!(
                "client-level DP needs a clipping norm C > 0 and a noise multiplier sigma >= 0; \
                 got C = {}, sigma = {}",
                self.clip_norm, self.noise_multiplier
            )))
        }
    }
}

impl FedAvg {
    pub fn train(&self, clients: &[ClientData<'_>], job: Job<'_>) -> Result<FederatedRun> {
        let Some(first) = clients.first() else {
            return Err(Error::Parameter("FedAvg needs at least one client".into()));
        };
        let p = first.x.n_cols();
        if let Some(k) = clients.iter().position(|c| c.x.n_cols() != p) {
            return Err(Error::Mismatch(format!(
                "client {} has {} features, client 1 has {p}",
                k + 1,
                clients.get(k).map_or(0, |c| c.x.n_cols())
            )));
        }
        let mut noise = match &self.dp {
            Some(dp) => {
                dp.check()?;
                let scale = dp.noise_multiplier * dp.clip_norm;
                let sampler = if scale > 0.0 {
                    Some(GridGaussian::new(scale)?)
                } else {
                    None
                };
                let mut rng = ChaCha8Rng::seed_from_u64(dp.seed);
                // Stream 2: apart from DP-SGD's noise stream with the same seed.
                rng.set_stream(2);
                Some((dp.clip_norm, sampler, rng))
            }
            None => None,
        };
        let total: usize = clients.iter().map(|c| c.x.n_rows()).sum();
        let mut states: Vec<SgdState> = (0..clients.len())
            .map(|k| {
                SgdLogistic {
                    seed: self.local.seed.wrapping_add(k as u64),
                    ..self.local.clone()
                }
                .start(p)
            })
            .collect();
        let mut global = LogisticModel::zeros(p);
        let mut rounds = Vec::with_capacity(self.rounds);
        for round in 0..self.rounds {
            job.checkpoint("FedAvg", Some(round as f32 / self.rounds.max(1) as f32))?;
            let mut client_models = Vec::with_capacity(clients.len());
            // Without DP: the record-weighted mean of the client models; with DP: the
            // sum of clipped updates, plus noise, over K.
            let mut weighted_models = LogisticModel::zeros(p);
            let mut clipped_sum = vec![0.0; p + 1];
            for (state, client) in states.iter_mut().zip(clients) {
                // Each client keeps its own step counter and shuffling stream across
                // rounds, as a persistent scikit-learn estimator would.
                state.model = global.clone();
                for _ in 0..self.local_epochs {
                    self.local.partial_fit(state, client.x, client.y)?;
                }
                if let Some((clip, _, _)) = &noise {
                    let mut update = update_vector(&global, &state.model);
                    let norm = update.iter().map(|u| u * u).sum::<f64>().sqrt();
                    let factor = (clip / (norm + CLIP_EPSILON)).min(1.0);
                    update.iter_mut().for_each(|u| *u *= factor);
                    add_scaled(&mut clipped_sum, 1.0, &update);
                    // What the client sends: its clipped update on the global model.
                    client_models.push(apply_update(&global, &update));
                } else {
                    let share = client.x.n_rows() as f64 / total as f64;
                    add_scaled(&mut weighted_models.weights, share, &state.model.weights);
                    weighted_models.intercept += share * state.model.intercept;
                    client_models.push(state.model.clone());
                }
            }
            let global_after = match &mut noise {
                Some((_, sampler, rng)) => {
                    if let Some(sampler) = sampler {
                        for value in clipped_sum.iter_mut() {
                            *value = sampler.add_to(*value, rng)?;
                        }
                    }
                    let k = clients.len() as f64;
                    clipped_sum.iter_mut().for_each(|v| *v /= k);
                    apply_update(&global, &clipped_sum)
                }
                None => weighted_models,
            };
            let server_view = match self.aggregation {
                Aggregation::Plain => ServerView::PerClient { client_models },
                Aggregation::Secure => ServerView::AggregateOnly {
                    aggregate_update: apply_update(
                        &LogisticModel::zeros(p),
                        &update_vector(&global, &global_after),
                    ),
                },
            };
            rounds.push(RoundView {
                global_before: global,
                server_view,
                global_after: global_after.clone(),
            });
            global = global_after;
        }
        Ok(FederatedRun {
            rounds,
            privacy: self.dp.map(|dp| DpSgdSetting {
                sampling_rate: 1.0,
                noise_multiplier: dp.noise_multiplier,
                steps: self.rounds as u64,
            }),
        })
    }
}
