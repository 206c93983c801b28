//! The public set-up every site agrees on before any data are counted (spec §5
//! item 1): the SNP panel, the structure, the budget, the number of sites and
//! the collusion tolerance, the estimator and the shared sampling seed. The
//! host proposes it; each site recomputes the accountant and checks the
//! proposal against what it agreed to out of band.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::noise::DistributedNoise;
use crate::data::{GenotypeMatrix, Variant};
use crate::error::{Error, Result};
use crate::synthesis::{EstimatorOptions, MissingPolicy, Structure, SynthesisConfig};

/// The session's public parameters. Nothing here depends on any site's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiloSetup {
    /// Random, fresh per session (hex); binds mask seeds to this session.
    pub session_id: String,
    pub panel: Vec<Variant>,
    pub structure: Structure,
    pub missing: MissingPolicy,
    pub n_classes: usize,
    pub epsilon: f64,
    pub delta: f64,
    pub sites: usize,
    pub tolerance: usize,
    pub n_synthetic: usize,
    pub estimator: EstimatorOptions,
    /// Seed of the sampling step, public: every site draws the same synthetic
    /// people from the same aggregate. It touches no noise.
    pub sampling_seed: u64,
    /// The noise split as the host computed it; every site recomputes it.
    pub noise: DistributedNoise,
}

/// What a data steward decides for a session.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiloParameters {
    pub epsilon: f64,
    pub delta: f64,
    pub structure: Structure,
    pub sites: usize,
    pub tolerance: usize,
    pub n_synthetic: usize,
    pub estimator: EstimatorOptions,
}

impl SiloSetup {
    /// The host's proposal. Genotypes must be complete (no missing-call state)
    /// and labels are case/control.
    pub fn new(
        panel: Vec<Variant>,
        parameters: &SiloParameters,
        session_id: String,
        sampling_seed: u64,
    ) -> Result<Self> {
        if panel.len() < 3 {
            return Err(Error::Parameter(format!(
                "the SNP panel has {} variants; a chain needs at least 3",
                panel.len()
            )));
        }
        crate::synthesis::check_n_synthetic(parameters.n_synthetic)?;
        let missing = MissingPolicy::Reject;
        let n_classes = 2;
        let noise = DistributedNoise::plan(
            parameters.epsilon,
            parameters.delta,
            parameters.structure,
            n_classes,
            missing.n_states(),
            panel.len(),
            parameters.sites,
            parameters.tolerance,
        )?;
        Ok(Self {
            session_id,
            panel,
            structure: parameters.structure,
            missing,
            n_classes,
            epsilon: parameters.epsilon,
            delta: parameters.delta,
            sites: parameters.sites,
            tolerance: parameters.tolerance,
            n_synthetic: parameters.n_synthetic,
            estimator: parameters.estimator,
            sampling_seed,
            noise,
        })
    }

    /// Every site's own check of the proposal: its accountant must agree with
    /// the host's noise split (never less noise than the budget needs).
    pub fn verify_noise(&self) -> Result<()> {
        let own = DistributedNoise::plan(
            self.epsilon,
            self.delta,
            self.structure,
            self.n_classes,
            self.missing.n_states(),
            self.panel.len(),
            self.sites,
            self.tolerance,
        )?;
        if own != self.noise {
            return Err(Error::Session(format!(
                "the host's noise split (σ² {} per site) differs from this site's own \
                 accountant (σ² {}): refusing the session",
                self.noise.per_site_sigma2, own.per_site_sigma2
            )));
        }
        Ok(())
    }

    /// The synthesis configuration every site applies to the aggregate.
    pub fn config(&self) -> SynthesisConfig {
        SynthesisConfig {
            epsilon: self.epsilon,
            delta: self.delta,
            structure: self.structure,
            missing: self.missing,
            n_classes: self.n_classes,
            n_synthetic: self.n_synthetic,
            estimator: self.estimator,
            seed: crate::synthesis::SeedPolicy::Release,
        }
    }

    /// Checks the proposal against what this site agreed to.
    pub fn check_agreement(&self, agreed: &Agreement) -> Result<()> {
        let mut differences = Vec::new();
        if self.epsilon != agreed.epsilon {
            differences.push(format!(
                "epsilon {} (you agreed to {})",
                self.epsilon, agreed.epsilon
            ));
        }
        if let Some(delta) = agreed.delta
            && self.delta != delta
        {
            differences.push(format!("delta {} (you agreed to {delta})", self.delta));
        }
        if let Some(sites) = agreed.sites
            && self.sites != sites
        {
            differences.push(format!("{} sites (you agreed to {sites})", self.sites));
        }
        if let Some(tolerance) = agreed.min_tolerance
            && self.tolerance < tolerance
        {
            differences.push(format!(
                "a collusion tolerance of {} (you asked for at least {tolerance})",
                self.tolerance
            ));
        }
        if differences.is_empty() {
            Ok(())
        } else {
            Err(Error::Session(format!(
                "the host proposes {}: refusing the session",
                differences.join(", ")
            )))
        }
    }
}

/// What a joining site agreed to out of band; `None` accepts the host's value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub epsilon: f64,
    pub delta: Option<f64>,
    pub sites: Option<usize>,
    pub min_tolerance: Option<usize>,
}

/// SHA-256 of the panel's variant list (chrom, pos, id, ref, alt per line).
pub fn panel_sha256(panel: &[Variant]) -> String {
    let mut hasher = Sha256::new();
    for v in panel {
        hasher.update(
            format!(
                "{}\t{}\t{}\t{}\t{}\n",
                v.chrom, v.pos, v.id, v.ref_allele, v.alt_allele
            )
            .as_bytes(),
        );
    }
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

/// A site's genotypes restricted to the panel, in panel order. Variants are
/// matched on chromosome, position and both alleles (the counted allele must be
/// the same everywhere); a panel variant the site lacks is an error naming it.
pub fn align_to_panel(
    matrix: &GenotypeMatrix,
    panel: &[Variant],
    source: &Path,
) -> Result<GenotypeMatrix> {
    let index: HashMap<(&str, u64, &str, &str), usize> = matrix
        .variants()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                (
                    v.chrom.as_str(),
                    v.pos,
                    v.ref_allele.as_str(),
                    v.alt_allele.as_str(),
                ),
                i,
            )
        })
        .collect();
    let mut rows = Vec::with_capacity(panel.len());
    let mut missing = Vec::new();
    for v in panel {
        match index.get(&(
            v.chrom.as_str(),
            v.pos,
            v.ref_allele.as_str(),
            v.alt_allele.as_str(),
        )) {
            Some(&row) => rows.push(row),
            None => missing.push(v.display_id()),
        }
    }
    if let Some(first) = missing.first() {
        return Err(Error::invalid(
            source,
            format!(
                "{} of the panel's {} variants are not in this file (first: {first}); every \
                 site needs every panel variant with the same reference and counted allele",
                missing.len(),
                panel.len()
            ),
        ));
    }
    Ok(matrix.select_variants(&rows))
}

/// Reads a panel: a tab- or comma-separated table with a header naming `chrom`,
/// `pos`, `ref` and `alt` columns (`id` optional; other columns ignored).
pub fn read_panel_table(path: &Path) -> Result<Vec<Variant>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(Error::invalid(path, "the panel file is empty"));
    };
    let delimiter = if header.contains('\t') { '\t' } else { ',' };
    let columns: Vec<String> = header
        .split(delimiter)
        .map(|c| c.trim().trim_start_matches('#').to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| columns.iter().position(|c| names.contains(&c.as_str()));
    let (Some(chrom), Some(pos), Some(reference), Some(alt)) = (
        find(&["chrom", "chr", "chromosome"]),
        find(&["pos", "position", "bp"]),
        find(&["ref", "ref_allele"]),
        find(&["alt", "alt_allele"]),
    ) else {
        return Err(Error::parse(
            path,
            crate::error::Location::Line(1),
            "the header must name chrom, pos, ref and alt columns",
        ));
    };
    let id = find(&["id", "rsid", "snp"]);
    let mut panel = Vec::new();
    for (number, line) in lines {
        let fields: Vec<&str> = line.split(delimiter).map(str::trim).collect();
        let field = |i: usize| fields.get(i).copied().filter(|f| !f.is_empty());
        let line_no = number as u64 + 1;
        let (Some(c), Some(p), Some(r), Some(a)) =
            (field(chrom), field(pos), field(reference), field(alt))
        else {
            return Err(Error::parse(
                path,
                crate::error::Location::Line(line_no),
                format!("expected {} columns, found {}", columns.len(), fields.len()),
            ));
        };
        let p: u64 = p.parse().map_err(|_| {
            Error::parse(
                path,
                crate::error::Location::Line(line_no),
                format!("the position `{p}` is not a whole number"),
            )
        })?;
        panel.push(Variant {
            chrom: c.to_owned(),
            pos: p,
            id: id.and_then(field).unwrap_or(".").to_owned(),
            ref_allele: r.to_owned(),
            alt_allele: a.to_owned(),
        });
    }
    Ok(panel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(pos: u64, alt: &str) -> Variant {
        Variant {
            chrom: "1".into(),
            pos,
            id: format!("rs{pos}"),
            ref_allele: "A".into(),
            alt_allele: alt.into(),
        }
    }

    #[test]
    fn alignment_reorders_to_the_panel_and_names_a_missing_variant() -> Result<()> {
        let mut m = GenotypeMatrix::new(vec!["a".into(), "b".into()]);
        m.push_variant(variant(10, "C"), &[0, 1]);
        m.push_variant(variant(20, "G"), &[2, 2]);
        m.push_variant(variant(30, "T"), &[1, 0]);
        let aligned = align_to_panel(
            &m,
            &[variant(30, "T"), variant(10, "C")],
            Path::new("x.vcf"),
        )?;
        assert_eq!(aligned.n_variants(), 2);
        assert_eq!(aligned.calls(0).collect::<Vec<_>>(), vec![1, 0]);
        assert_eq!(aligned.calls(1).collect::<Vec<_>>(), vec![0, 1]);
        // Same position, other counted allele: not the same variant.
        let err = align_to_panel(
            &m,
            &[variant(10, "C"), variant(20, "T")],
            Path::new("x.vcf"),
        );
        assert!(matches!(err, Err(Error::Invalid { ref message, .. })
            if message.contains("1 of the panel's 2") && message.contains("rs20")));
        Ok(())
    }

    #[test]
    fn panel_tables_need_the_four_columns_and_whole_positions() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let good = dir.path().join("panel.tsv");
        std::fs::write(
            &good,
            "chrom\tpos\tid\tref\talt\talt_freq\n1\t10\trs10\tA\tC\t0.2\n",
        )
        .map_err(|e| Error::io(&good, e))?;
        assert_eq!(read_panel_table(&good)?, vec![variant(10, "C")]);
        let bad = dir.path().join("bad.tsv");
        std::fs::write(&bad, "chrom\tpos\tref\talt\n1\tten\tA\tC\n")
            .map_err(|e| Error::io(&bad, e))?;
        assert!(
            matches!(read_panel_table(&bad), Err(Error::Parse { ref message, .. }) if message.contains("`ten`"))
        );
        let headerless = dir.path().join("h.tsv");
        std::fs::write(&headerless, "1\t10\tA\tC\n").map_err(|e| Error::io(&headerless, e))?;
        assert!(read_panel_table(&headerless).is_err());
        Ok(())
    }

    #[test]
    fn a_site_refuses_a_proposal_it_did_not_agree_to() -> Result<()> {
        let parameters = SiloParameters {
            epsilon: 3.0,
            delta: 1e-6,
            structure: Structure::TanChain,
            sites: 3,
            tolerance: 1,
            n_synthetic: 100,
            estimator: EstimatorOptions::default(),
        };
        let panel: Vec<Variant> = (1..=10).map(|p| variant(p, "C")).collect();
        let setup = SiloSetup::new(panel, &parameters, "00".into(), 1)?;
        setup.verify_noise()?;
        let agreed = Agreement {
            epsilon: 3.0,
            delta: None,
            sites: Some(3),
            min_tolerance: Some(1),
        };
        setup.check_agreement(&agreed)?;
        let stricter = Agreement {
            epsilon: 1.0,
            min_tolerance: Some(2),
            ..agreed
        };
        let Err(Error::Session(message)) = setup.check_agreement(&stricter) else {
            return Err(Error::Parameter("a stricter agreement was accepted".into()));
        };
        assert!(message.contains("epsilon 3 (you agreed to 1)"), "{message}");
        assert!(message.contains("at least 2"), "{message}");
        // Sites read the set-up from JSON and must get the host's numbers bit for bit:
        // they recompute the noise split from them and fit with them.
        let text = serde_json::to_string(&setup).map_err(|e| Error::Session(e.to_string()))?;
        let read: SiloSetup =
            serde_json::from_str(&text).map_err(|e| Error::Session(e.to_string()))?;
        assert_eq!(read, setup);
        read.verify_noise()?;
        let mut tampered = setup.clone();
        tampered.noise.per_site_sigma2 /= 2.0;
        assert!(tampered.verify_noise().is_err());
        Ok(())
    }
}
