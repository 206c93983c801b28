//! The odds table of the ux spec (§5.1), reproduced cell by cell. The expected
//! cells are copied from the spec, whose figures follow from
//! posterior = p e^eps / (p e^eps + 1 - p); the CDT explainer's "1.1 times" at
//! epsilon 0.1 and "about 22,000 times" at epsilon 10 are the same multipliers.

use genopriv_core::Result;
use genopriv_core::explain::format::chance;
use genopriv_core::explain::odds::{odds_multiplier, odds_table};

const EPSILONS: [f64; 6] = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0];
const PRIORS: [f64; 3] = [0.01, 0.1, 0.5];

/// (epsilon, x odds, prior 1 %, prior 10 %, prior 50 %) as printed in the spec.
const SPEC_TABLE: [[&str; 5]; 6] = [
    ["0.1", "1.1", "1.1 %", "10.9 %", "52.5 %"],
    ["0.5", "1.6", "1.6 %", "15.5 %", "62.2 %"],
    ["1", "2.7", "2.7 %", "23.2 %", "73.1 %"],
    ["2", "7.4", "6.9 %", "45.1 %", "88.1 %"],
    ["5", "148", "60.0 %", "94.3 %", "99.3 %"],
    ["10", "22,026", "99.6 %", "~100 %", "~100 %"],
];

#[test]
fn every_cell_of_the_spec_table() -> Result<()> {
    let rows = odds_table(&EPSILONS, &PRIORS)?;
    assert_eq!(rows.len(), SPEC_TABLE.len());
    for (row, expected) in rows.iter().zip(SPEC_TABLE) {
        let [epsilon, multiplier, at_1, at_10, at_50] = expected;
        assert_eq!(row.epsilon, epsilon);
        assert_eq!(row.multiplier, multiplier, "epsilon {epsilon}");
        assert_eq!(
            row.posteriors,
            vec![at_1, at_10, at_50],
            "epsilon {epsilon}"
        );
    }
    Ok(())
}

#[test]
fn cdt_explainer_multipliers() {
    assert_eq!(
        chance(1.0 / odds_multiplier(10.0)).to_string(),
        "about 1 in 22,000"
    );
    assert!((odds_multiplier(0.1) - 1.105_170_918).abs() < 1e-9);
}
