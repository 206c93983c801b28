//! Shokri-style shadow-model attack with a random-forest attack model, as the
//! DP-MIA study ran it through `spring-epfl/mia` (spec audits §3.2).
//!
//! A shadow model is trained like the target (same architecture and DP settings)
//! on records the attacker knows; its outputs on its own training records ("in")
//! and on records it never saw ("out") train the attack model, whose features are
//! `[P(y = 1 | x), y]`. The attack model is smartcore's random forest with
//! `max_depth = 2` and 10 trees (scikit-learn's default `n_estimators` when the
//! study ran; spec pins it).
//!
//! The score is the forest's probability of "in": smartcore 0.7's forest only
//! predicts classes, so the forest is grown as 10 single-tree smartcore forests
//! (each with its own seed, its own bootstrap and feature draw, exactly what the
//! 10-tree forest does per tree) and the probability is the share of trees voting
//! "in". scikit-learn averages the leaves' class fractions instead: both rank
//! records the same way within a leaf pattern, but ours has at most 11 levels.

use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::error::{Error, Result};

/// The attack forest's depth in scikit-learn's sense (spec §3.2): two levels of
/// splits, up to four leaves.
pub const MAX_DEPTH: u16 = 2;
/// smartcore counts the root as level 1 and splits a node only below its
/// `max_depth` (its `max_depth = 3` gives scikit-learn's `max_depth = 2`).
const SMARTCORE_MAX_DEPTH: u16 = MAX_DEPTH + 1;
/// The attack forest's tree count (spec §3.2).
pub const N_TREES: u16 = 10;

type Tree = RandomForestClassifier<f64, u32, DenseMatrix<f64>, Vec<u32>>;

/// The attack model: trees whose vote share is the membership score.
#[derive(Debug)]
pub struct ShadowAttack {
    trees: Vec<Tree>,
}

/// A model's outputs on labelled records: what the attack model reads.
#[derive(Clone, Copy, Debug)]
pub struct ModelOutputs<'a> {
    /// P(y = 1 | x) of each record.
    pub probabilities: &'a [f64],
    /// The records' true labels (0/1).
    pub labels: &'a [u8],
}

impl ModelOutputs<'_> {
    /// The attack features `[P(y = 1 | x), y]`, one row per record.
    fn features(&self) -> Result<Vec<Vec<f64>>> {
        if self.probabilities.len() != self.labels.len() {
            return Err(Error::Mismatch(format!(
                "{} model outputs but {} labels",
                self.probabilities.len(),
                self.labels.len()
            )));
        }
        Ok(self
            .probabilities
            .iter()
            .zip(self.labels)
            .map(|(&p, &y)| vec![p, f64::from(y)])
            .collect())
    }
}

fn forest_error(error: smartcore::error::Failed) -> Error {
    Error::Mismatch(format!("the shadow attack's random forest failed: {error}"))
}

impl ShadowAttack {
    /// Trains the attack model on a shadow model's outputs on its training records
    /// (`inside`, label 1) and on records it did not see (`outside`, label 0).
    pub fn fit(inside: ModelOutputs<'_>, outside: ModelOutputs<'_>, seed: u64) -> Result<Self> {
        if inside.labels.is_empty() || outside.labels.is_empty() {
            return Err(Error::Parameter(
                "the shadow attack needs records both inside and outside the shadow model's \
                 training set"
                    .into(),
            ));
        }
        let mut rows = inside.features()?;
        rows.extend(outside.features()?);
        let membership: Vec<u32> = std::iter::repeat_n(1, inside.labels.len())
            .chain(std::iter::repeat_n(0, outside.labels.len()))
            .collect();
        let x = DenseMatrix::from_2d_vec(&rows).map_err(forest_error)?;
        let trees = (0..u64::from(N_TREES))
            .map(|tree| {
                let parameters = RandomForestClassifierParameters::default()
                    .with_max_depth(SMARTCORE_MAX_DEPTH)
                    .with_n_trees(1)
                    .with_seed(seed.wrapping_add(tree));
                Tree::fit(&x, &membership, parameters).map_err(forest_error)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { trees })
    }

    /// P(member) of each record: the share of trees voting "in" on the target's
    /// outputs.
    pub fn member_probabilities(&self, outputs: ModelOutputs<'_>) -> Result<Vec<f64>> {
        let rows = outputs.features()?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let x = DenseMatrix::from_2d_vec(&rows).map_err(forest_error)?;
        let mut votes = vec![0_u32; rows.len()];
        for tree in &self.trees {
            for (vote, class) in votes
                .iter_mut()
                .zip(tree.predict(&x).map_err(forest_error)?)
            {
                *vote += class;
            }
        }
        let n_trees = self.trees.len().max(1) as f64;
        Ok(votes.into_iter().map(|v| f64::from(v) / n_trees).collect())
    }
}
