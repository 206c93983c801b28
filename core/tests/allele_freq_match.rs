//! Allele-frequency tables matched to genotype variants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::Variant;
use genopriv_core::data::read::allele_freq::{MatchReport, read_allele_freqs};

fn sample_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample_data")
        .join(name)
}

fn variant(chrom: &str, pos: u64, ref_allele: &str, alt_allele: &str) -> Variant {
    Variant {
        chrom: chrom.into(),
        pos,
        id: format!("v{pos}"),
        ref_allele: ref_allele.into(),
        alt_allele: alt_allele.into(),
    }
}

#[test]
fn demo_reference_frequencies_match_every_demo_variant() {
    let table = read_allele_freqs(&sample_data("demo_reference_af.tsv")).unwrap();
    // The cohort's variants as bcftools lists them, independently of our readers.
    let out = Command::new("bcftools")
        .args(["query", "-f", "%CHROM\\t%POS\\t%ID\\t%REF\\t%ALT\\n"])
        .arg(sample_data("demo_cohort.vcf.gz"))
        .output()
        .expect("bcftools must be installed");
    assert!(out.status.success());
    let variants: Vec<Variant> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Variant {
                chrom: f[0].into(),
                pos: f[1].parse().unwrap(),
                id: f[2].into(),
                ref_allele: f[3].into(),
                alt_allele: f[4].into(),
            }
        })
        .collect();
    assert_eq!(variants.len(), 10_946);
    let (freqs, report) = table.match_variants(&variants);
    assert_eq!(report.exact, 10_946);
    assert_eq!(report.matched(), 10_946);
    assert_eq!(report.unmatched(), 0);
    // First line of the table: 1 145 snp0 T G 0.05708.
    assert_eq!(freqs[0], Some(0.05708));
    assert!(
        freqs
            .iter()
            .all(|f| f.is_some_and(|f| (0.0..=1.0).contains(&f)))
    );

    // The same variants with ref and alt exchanged get 1 - f, counted as swapped
    // (or ambiguous for A/T and C/G SNPs).
    let swapped: Vec<Variant> = variants
        .iter()
        .map(|v| Variant {
            ref_allele: v.alt_allele.clone(),
            alt_allele: v.ref_allele.clone(),
            ..v.clone()
        })
        .collect();
    let (swapped_freqs, report) = table.match_variants(&swapped);
    assert_eq!(report.swapped + report.ambiguous_swapped, 10_946);
    let palindromic = variants
        .iter()
        .filter(|v| {
            matches!(
                (v.ref_allele.as_str(), v.alt_allele.as_str()),
                ("A", "T") | ("T", "A") | ("C", "G") | ("G", "C")
            )
        })
        .count();
    assert_eq!(report.ambiguous_swapped, palindromic);
    for (f, g) in freqs.iter().zip(&swapped_freqs) {
        assert!((f.unwrap() + g.unwrap() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn each_kind_of_match_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("af.tsv");
    fs::write(
        &path,
        "#CHROM\tPOS\tID\tREF\tALT\tALT_FREQ\n\
         chr1\t10\ta\tA\tG\t0.1\n\
         chr1\t20\tb\tG\tA\t0.2\n\
         chr1\t30\tc\tA\tT\t0.3\n\
         chr1\t40\td\tT\tC\t0.4\n\
         chr1\t50\te\tC\tT\t0.5\n\
         chr1\t60\tf\tA\tC\t0.6\n\
         chr1\t70\tg\tC\tG\tNA\n\
         chr2\t10\th\tA\tG\t0.8\n",
    )
    .unwrap();
    let table = read_allele_freqs(&path).unwrap();
    let variants = [
        variant("1", 10, "A", "G"), // exact
        variant("1", 20, "A", "G"), // swapped
        variant("1", 30, "T", "A"), // palindromic swap: ambiguous
        variant("1", 40, "A", "G"), // other strand
        variant("1", 50, "A", "G"), // other strand and swapped
        variant("1", 60, "A", "G"), // alleles differ
        variant("1", 70, "C", "G"), // exact, frequency unknown
        variant("1", 80, "A", "G"), // not in the table
        variant("2", 10, "A", "G"), // exact, other chromosome
    ];
    let (freqs, report) = table.match_variants(&variants);
    let expected = [
        Some(0.1),
        Some(1.0 - 0.2),
        Some(1.0 - 0.3),
        Some(0.4),
        Some(1.0 - 0.5),
        None,
        None,
        None,
        Some(0.8),
    ];
    assert_eq!(freqs, expected);
    assert_eq!(
        report,
        MatchReport {
            n_variants: 9,
            exact: 3,
            swapped: 1,
            strand_flipped: 1,
            strand_flipped_swapped: 1,
            ambiguous_swapped: 1,
            not_found: 1,
            allele_mismatch: 1,
            missing_frequency: 1,
            swapped_examples: vec!["v20".into(), "v50".into()],
            ambiguous_examples: vec!["v30".into()],
            unmatched_examples: vec!["v60".into(), "v80".into()],
        }
    );
}

#[test]
fn bad_tables_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, content: &str, expected: &[&str]| {
        let path = dir.path().join(name);
        fs::write(&path, content).unwrap();
        let e = read_allele_freqs(&path).unwrap_err().to_string();
        for part in expected {
            assert!(e.contains(part), "{e} lacks {part}");
        }
    };
    let header = "chrom\tpos\tid\tref\talt\talt_freq\n";
    check(
        "freq.tsv",
        &format!("{header}1\t5\tx\tA\tG\t1.5\n"),
        &["freq.tsv, line 2, column alt_freq", "`1.5`"],
    );
    check(
        "pos.tsv",
        &format!("{header}1\t5\tx\tA\tG\t0.5\n1\tfive\ty\tA\tG\t0.5\n"),
        &["pos.tsv, line 3, column pos", "`five`"],
    );
    check(
        "fields.tsv",
        &format!("{header}1\t5\tx\tA\tG\n"),
        &["fields.tsv, line 2", "has 5 fields"],
    );
    check(
        "twice.tsv",
        &format!("{header}1\t5\tx\tA\tG\t0.5\nchr1\t5\ty\tA\tG\t0.4\n"),
        &["twice.tsv, line 3", "first on line 2"],
    );
    check(
        "nofreq.tsv",
        "chrom\tpos\tref\talt\n1\t5\tA\tG\n",
        &["nofreq.tsv, line 1", "`alt_freq`"],
    );
    check("empty.tsv", "", &["empty.tsv", "empty"]);
}
