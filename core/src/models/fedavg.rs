//! Federated averaging (FedAvg) with [`SgdLogistic`] clients, as in the federated
//! genomic set-up of spec audits §9: every round each client starts from the global
//! model, runs `local_epochs` of `partial_fit`, and the server averages the client
//! models weighted by their record counts (`sum_k n_k w_k / sum_k n_k`, Flower's
//! `num_examples` weighting).
//!
//! The run keeps the attacker's view explicit: an honest-but-curious server sees
//! the global model of every round and every client's model (hence its update);
//! an outside black-box attacker sees only the final global model.

use super::sgd::{SgdLogistic, SgdState};
use super::{Features, LogisticModel, add_scaled};
use crate::error::{Error, Result};
use crate::job::Job;

#[derive(Clone, Debug, PartialEq)]
pub struct FedAvg {
    pub rounds: usize,
    pub local_epochs: usize,
    /// The client optimiser; client `k` uses seed `local.seed + k`.
    pub local: SgdLogistic,
}

/// One client's records.
#[derive(Clone, Copy, Debug)]
pub struct ClientData<'a> {
    pub x: &'a Features,
    pub y: &'a [u8],
}

/// What the server sees in one round.
#[derive(Clone, Debug)]
pub struct RoundView {
    /// The model sent to every client.
    pub global_before: LogisticModel,
    /// Each client's model after local training (its update is this minus
    /// `global_before`).
    pub client_models: Vec<LogisticModel>,
    /// The weighted average, sent out next round.
    pub global_after: LogisticModel,
}

#[derive(Clone, Debug)]
pub struct FederatedRun {
    pub rounds: Vec<RoundView>,
}

impl FederatedRun {
    /// The model an outside attacker sees (the last global model).
    pub fn final_model(&self) -> Option<&LogisticModel> {
        self.rounds.last().map(|round| &round.global_after)
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
            let mut weights = vec![0.0; p];
            let mut intercept = 0.0;
            for (state, client) in states.iter_mut().zip(clients) {
                // Each client keeps its own step counter and shuffling stream across
                // rounds, as a persistent scikit-learn estimator would.
                state.model = global.clone();
                for _ in 0..self.local_epochs {
                    self.local.partial_fit(state, client.x, client.y)?;
                }
                let share = client.x.n_rows() as f64 / total as f64;
                add_scaled(&mut weights, share, &state.model.weights);
                intercept += share * state.model.intercept;
                client_models.push(state.model.clone());
            }
            let global_after = LogisticModel { weights, intercept };
            rounds.push(RoundView {
                global_before: global,
                client_models,
                global_after: global_after.clone(),
            });
            global = global_after;
        }
        Ok(FederatedRun { rounds })
    }
}
