//! `genopriv convert`, checked by reading its outputs with PLINK 1.9 and bcftools.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use genopriv_tests::{
    TestResult, external, files_in, genopriv, genopriv_ok, sample_data, test_data,
};

/// `CHROM POS REF ALT` and unphased, ordered genotypes of every record, by
/// `bcftools query` (phasing and allele order within a call are not compared).
fn genotypes(vcf: &Path) -> TestResult<Vec<String>> {
    let text = external(
        "bcftools",
        [
            "query".as_ref(),
            "-f".as_ref(),
            "%CHROM\\t%POS\\t%REF\\t%ALT[\\t%GT]\\n".as_ref(),
            vcf.as_os_str(),
        ],
    )?
    .stdout;
    Ok(text
        .lines()
        .map(|line| {
            line.split('\t')
                .map(|f| match f {
                    "1/0" | "1|0" | "0|1" => "0/1".to_owned(),
                    ".|." | "." => "./.".to_owned(),
                    other => other.replace('|', "/"),
                })
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect())
}

#[test]
fn vcf_to_vcf_gz_keeps_every_loaded_genotype() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = test_data("mixed.vcf");
    let out = dir.path().join("out.vcf.gz");
    genopriv_ok([
        "convert".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])?;
    // What genopriv loads by default: the biallelic SNPs.
    let snps = dir.path().join("snps.vcf");
    external(
        "bcftools",
        ["view", "-m2", "-M2", "-v", "snps", "-Ov", "-o"]
            .iter()
            .map(OsStr::new)
            .chain([snps.as_os_str(), input.as_os_str()]),
    )?;
    assert_eq!(genotypes(&out)?, genotypes(&snps)?);
    Ok(())
}

#[test]
fn vcf_to_bed_gives_plink_the_same_counts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let vcf = sample_data("demo_cohort.vcf.gz");
    let bed = dir.path().join("cohort.bed");
    genopriv_ok([
        "convert".as_ref(),
        vcf.as_os_str(),
        "--out".as_ref(),
        bed.as_os_str(),
    ])?;
    let from_vcf = dir.path().join("from_vcf");
    let from_bed = dir.path().join("from_bed");
    let common = [
        "--keep-allele-order",
        "--allow-extra-chr",
        "--freq",
        "counts",
        "--hardy",
        "--out",
    ];
    external(
        "plink1.9",
        ["--vcf".as_ref(), vcf.as_os_str(), "--double-id".as_ref()]
            .into_iter()
            .chain(common.iter().map(OsStr::new))
            .chain([from_vcf.as_os_str()]),
    )?;
    external(
        "plink1.9",
        ["--bfile".as_ref(), dir.path().join("cohort").as_os_str()]
            .into_iter()
            .chain(common.iter().map(OsStr::new))
            .chain([from_bed.as_os_str()]),
    )?;
    for ext in ["frq.counts", "hwe"] {
        let a = fs::read_to_string(from_vcf.with_extension(ext))?;
        let b = fs::read_to_string(from_bed.with_extension(ext))?;
        assert_eq!(a.lines().count(), 10_947, "{ext}");
        assert!(a == b, "plink --{ext} differs between the VCF and our .bed");
    }
    // Sample IDs survive.
    let fam = fs::read_to_string(dir.path().join("cohort.fam"))?;
    assert!(
        fam.lines()
            .next()
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("ind00000"))
    );
    Ok(())
}

#[test]
fn convert_refuses_to_replace_its_input() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("mixed.vcf");
    fs::copy(test_data("mixed.vcf"), &input)?;
    let before = fs::read(&input)?;
    let run = genopriv([
        "convert".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        input.as_os_str(),
    ])?;
    assert!(!run.success);
    assert!(
        run.stderr.contains("mixed.vcf") && run.stderr.contains("input"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(fs::read(&input)?, before);
    assert_eq!(files_in(dir.path())?, ["mixed.vcf"]);
    Ok(())
}

/// VCF -> PLINK -> VCF keeps every variant record (ID included) and every genotype,
/// missing calls too: checked by bcftools on the first and the last file.
#[test]
fn vcf_to_plink_to_vcf_is_lossless() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (name, input) in [
        ("demo", sample_data("demo_cohort.vcf.gz")),
        ("mixed", test_data("mixed.vcf")),
    ] {
        let bed = dir.path().join(format!("{name}.bed"));
        let back = dir.path().join(format!("{name}.back.vcf.gz"));
        genopriv_ok([
            "convert".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            bed.as_os_str(),
        ])?;
        genopriv_ok([
            "convert".as_ref(),
            bed.as_os_str(),
            "--out".as_ref(),
            back.as_os_str(),
        ])?;
        // The biallelic SNPs of the input are what genopriv loads by default.
        let snps = dir.path().join(format!("{name}.snps.vcf"));
        external(
            "bcftools",
            ["view", "-m2", "-M2", "-v", "snps", "-Ov", "-o"]
                .iter()
                .map(OsStr::new)
                .chain([snps.as_os_str(), input.as_os_str()]),
        )?;
        let ids = |vcf: &Path| -> TestResult<String> {
            Ok(external(
                "bcftools",
                [
                    "query".as_ref(),
                    "-f".as_ref(),
                    "%ID\\n".as_ref(),
                    vcf.as_os_str(),
                ],
            )?
            .stdout)
        };
        let original = genotypes(&snps)?;
        assert!(!original.is_empty(), "{name}: no SNP to compare");
        assert_eq!(genotypes(&back)?, original, "{name}: genotypes differ");
        assert_eq!(ids(&back)?, ids(&snps)?, "{name}: variant IDs differ");
    }
    Ok(())
}
