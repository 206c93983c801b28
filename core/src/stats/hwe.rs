//! The Hardy-Weinberg exact test for a biallelic SNP.
//!
//! This is the test of Wigginton, Cutler and Abecasis (2005, AJHG 76:887) computed
//! the way PLINK 1.9's `--hardy` computes it (its `SNPHWE2` without mid-p), so that
//! our p-values can be compared with PLINK's:
//!
//! - The heterozygote count given the allele counts has a unimodal distribution.
//!   Probabilities are tracked *relative to the observed table*, by the recurrence
//!   `P(h+2) / P(h) = 4 r c / ((h+2)(h+1))` (`r`, `c`: rare and common homozygote
//!   counts at `h` heterozygotes), so no factorial is ever formed.
//! - The p-value is the mass of the tables no more likely than the observed one,
//!   divided by the total mass. Tables within a relative `2^-44` of the observed
//!   probability count as ties and go in the tail, as in PLINK.
//! - Relative weights start at `2^-83` instead of 1, leaving room above for the
//!   tables far more likely than the observed one; when even that overflows the
//!   p-value is below the smallest double and 0 is returned (as PLINK does).
//! - Summing a tail stops once a term no longer changes the sum.
//!
//! One deliberate difference from PLINK: with no called genotype PLINK reports
//! p = 1; [`hwe_exact_p`] does too, but the per-variant statistics report no
//! p-value (`None`) for such variants, since there is nothing to test.

/// Relative tolerance under which a table counts as tied with the observed one.
const TIE_TOLERANCE: f64 = 1.0 / (1u64 << 44) as f64;

/// Starting relative weight of the observed table (2^-83), leaving headroom above.
const OBSERVED_WEIGHT: f64 = 1.0 / (1u128 << 83) as f64;

/// One heterozygote count and the homozygote counts that keep allele counts fixed.
#[derive(Clone, Copy)]
struct Table {
    hets: f64,
    hom_rare: f64,
    hom_common: f64,
}

impl Table {
    /// Moves to two more heterozygotes; returns `P(new) / P(old)`, or `None` when
    /// there is no rare homozygote left to break up.
    fn more_hets(&mut self) -> Option<f64> {
        if self.hom_rare < 0.5 {
            return None;
        }
        let ratio =
            (4.0 * self.hom_rare * self.hom_common) / ((self.hets + 2.0) * (self.hets + 1.0));
        self.hets += 2.0;
        self.hom_rare -= 1.0;
        self.hom_common -= 1.0;
        Some(ratio)
    }

    /// Moves to two fewer heterozygotes; returns `P(new) / P(old)`, or `None` when
    /// fewer than two heterozygotes are left.
    fn fewer_hets(&mut self) -> Option<f64> {
        if self.hets < 1.5 {
            return None;
        }
        let ratio = (self.hets * (self.hets - 1.0))
            / (4.0 * (self.hom_rare + 1.0) * (self.hom_common + 1.0));
        self.hets -= 2.0;
        self.hom_rare += 1.0;
        self.hom_common += 1.0;
        Some(ratio)
    }

    fn step(&mut self, towards_more_hets: bool) -> Option<f64> {
        if towards_more_hets {
            self.more_hets()
        } else {
            self.fewer_hets()
        }
    }
}

/// Adds the terms of a decreasing tail to `sum`, starting from `weight` at `table`,
/// until the table runs out or the terms stop changing the sum.
fn add_tail(sum: &mut f64, mut table: Table, mut weight: f64, towards_more_hets: bool) {
    while let Some(ratio) = table.step(towards_more_hets) {
        weight *= ratio;
        let before = *sum;
        *sum += weight;
        if *sum <= before {
            break;
        }
    }
}

/// The Hardy-Weinberg exact test p-value for `hets` heterozygotes and `hom_a`,
/// `hom_b` homozygotes of either allele (the order of the homozygotes does not
/// matter). Returns 1 for an empty table.
pub fn hwe_exact_p(hets: u64, hom_a: u64, hom_b: u64) -> f64 {
    let (hom_rare, hom_common) = if hom_a < hom_b {
        (hom_a, hom_b)
    } else {
        (hom_b, hom_a)
    };
    let n = hets + hom_rare + hom_common;
    if n == 0 {
        return 1.0;
    }
    let allele_total = 2 * u128::from(n);
    let rare_alleles = 2 * u128::from(hom_rare) + u128::from(hets);
    // The mode lies towards the expected heterozygote count
    // rare * (2n - rare) / 2n; this integer comparison picks the side as PLINK does.
    let above_expected =
        u128::from(hets) * allele_total > rare_alleles * (allele_total - rare_alleles);
    let towards_mode_more_hets = !above_expected;

    let observed = Table {
        hets: hets as f64,
        hom_rare: hom_rare as f64,
        hom_common: hom_common as f64,
    };
    let observed_weight = OBSERVED_WEIGHT * (1.0 - TIE_TOLERANCE);
    let tie_limit = OBSERVED_WEIGHT;

    let mut tail = observed_weight;
    let mut center = 0.0_f64;

    // Walk from the observed table through the mode: tables more likely than the
    // observed one form the centre; the first one that is not starts the far tail.
    let mut table = observed;
    let mut weight = observed_weight;
    while let Some(ratio) = table.step(towards_mode_more_hets) {
        weight *= ratio;
        if weight < tie_limit {
            tail += weight;
            add_tail(&mut tail, table, weight, towards_mode_more_hets);
            break;
        }
        center += weight;
        if center.is_infinite() {
            // The observed table is so unlikely that its p-value underflows.
            return 0.0;
        }
    }
    if center == 0.0 {
        return 1.0;
    }
    // The tables beyond the observed one, away from the mode, are all less likely.
    add_tail(
        &mut tail,
        observed,
        observed_weight,
        !towards_mode_more_hets,
    );
    tail / (tail + center)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n! / (a! b! (n-a-b)!)` exactly (callers keep it within `u128`).
    fn multinomial(n: u64, a: u64, b: u64) -> u128 {
        binomial(n, a) * binomial(n - a, b)
    }

    fn binomial(n: u64, k: u64) -> u128 {
        let k = k.min(n - k);
        let mut c: u128 = 1;
        for i in 0..k {
            // Exact at every step: c * (n - i) is divisible by (i + 1).
            c = c * u128::from(n - i) / u128::from(i + 1);
        }
        c
    }

    /// An independent implementation: enumerate every table with the observed
    /// allele counts, weigh each by its exact (integer) probability up to a common
    /// factor, `n! / (AA! Aa! aa!) * 2^Aa`, and sum the weights not above the
    /// observed one. Exact for n <= 40 (weights stay below 3^40 * 2^40 < 2^128).
    fn enumerated_p(hets: u64, hom_a: u64, hom_b: u64) -> f64 {
        let n = hets + hom_a + hom_b;
        let a_alleles = 2 * hom_a + hets;
        let weight = |h: u64| -> u128 {
            let hom_a_h = (a_alleles - h) / 2;
            multinomial(n, h, hom_a_h) << h
        };
        let observed = weight(hets);
        let (mut tail, mut total) = (0u128, 0u128);
        // Heterozygote counts with the same parity as the A allele count, leaving
        // enough B alleles.
        let b_alleles = 2 * n - a_alleles;
        let max_h = a_alleles.min(b_alleles);
        let mut h = a_alleles % 2;
        while h <= max_h {
            let w = weight(h);
            total += w;
            if w <= observed {
                tail += w;
            }
            h += 2;
        }
        tail as f64 / total as f64
    }

    fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
        let err = ((got - want) / want).abs();
        assert!(
            err <= rel,
            "{what}: got {got:e}, want {want:e} (relative error {err:e})"
        );
    }

    #[test]
    fn matches_exact_enumeration_for_every_table_up_to_40_genotypes() {
        let mut checked = 0;
        for n in 1..=40u64 {
            for hets in 0..=n {
                for hom_a in 0..=(n - hets) {
                    let hom_b = n - hets - hom_a;
                    let want = enumerated_p(hets, hom_a, hom_b);
                    let got = hwe_exact_p(hets, hom_a, hom_b);
                    assert_close(
                        got,
                        want,
                        1e-12,
                        &format!("hets={hets} hom_a={hom_a} hom_b={hom_b}"),
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(
            checked,
            (1..=40u64).map(|n| (n + 1) * (n + 2) / 2).sum::<u64>()
        );
    }

    #[test]
    fn hand_checked_tables() {
        // n = 1: one heterozygote, or one homozygote: each is the only table with
        // its allele counts.
        assert_eq!(hwe_exact_p(1, 0, 0), 1.0);
        assert_eq!(hwe_exact_p(0, 1, 0), 1.0);
        // n = 2 with alleles A,A,B,B: tables (AA,Aa,aa) = (1,0,1) with weight
        // 2!/(1!0!1!) = 2 and (0,2,0) with weight 2!/2! * 2^2 = 4. Total 6.
        assert_close(hwe_exact_p(0, 1, 1), 2.0 / 6.0, 1e-15, "(1,0,1)");
        assert_eq!(hwe_exact_p(2, 0, 0), 1.0);
        // n = 3, 3 A and 3 B alleles: (0,3,0) weight 8, (1,1,1) weight 6*2 = 12.
        assert_close(hwe_exact_p(3, 0, 0), 8.0 / 20.0, 1e-15, "(0,3,0)");
        assert_eq!(hwe_exact_p(1, 1, 1), 1.0);
        // Symmetric in the homozygotes.
        assert_eq!(
            hwe_exact_p(57, 14, 50).to_bits(),
            hwe_exact_p(57, 50, 14).to_bits()
        );
        assert_eq!(hwe_exact_p(0, 0, 0), 1.0);
    }

    /// Published p-values: the R HardyWeinberg package's vignette (HWExact, first
    /// two) and jeremymcrae/snphwe's test suite (the Wigginton et al. algorithm).
    #[test]
    fn matches_published_values() {
        // (hom1, hets, hom2, p)
        let cases = [
            (298, 489, 213, 0.6556635),
            (230, 314, 107, 1.0),
            (10, 500, 5000, 0.65157189991),
            (20, 1000, 5000, 1.26598491e-5),
            (495000, 4990, 10, 0.570223198305),
        ];
        for (hom1, hets, hom2, want) in cases {
            let got = hwe_exact_p(hets, hom1, hom2);
            assert_close(got, want, 1e-6, &format!("({hom1},{hets},{hom2})"));
        }
        // Far beyond the smallest double: PLINK reports 0.
        assert_eq!(hwe_exact_p(200000, 200000, 200000), 0.0);
    }

    /// PLINK 1.9's reported p-values for tables of the demo cohort (`--hardy`
    /// prints 4 significant digits), e.g. `100/161/339 ... 3.825e-18`.
    #[test]
    fn matches_plink_printed_values() {
        let cases = [
            (161, 100, 339, 3.825e-18),
            (85, 1, 514, 0.3535),
            (15, 0, 585, 1.0),
        ];
        for (hets, hom1, hom2, want) in cases {
            assert_close(hwe_exact_p(hets, hom1, hom2), want, 5e-4 / 3.0, "plink");
        }
    }

    #[test]
    fn p_values_stay_in_unit_interval_for_large_tables() {
        for &(hets, hom_a, hom_b) in &[
            (0, 50_000, 50_000),
            (100_000, 0, 0),
            (1, 99_999, 0),
            (33_000, 33_000, 34_000),
        ] {
            let p = hwe_exact_p(hets, hom_a, hom_b);
            assert!((0.0..=1.0).contains(&p), "p = {p}");
        }
        // All heterozygotes in a large sample is far out of equilibrium.
        assert!(hwe_exact_p(100_000, 0, 0) < 1e-300);
    }
}
