//! The VCF/BCF reader checked against bcftools on the demo cohort and on a
//! hand-written fixture covering multi-allelic records, indels, symbolic
//! alleles, haploid calls and every form of missing call.

mod vcf_support;

use std::path::Path;
use std::sync::Mutex;

use genopriv_core::Error;
use genopriv_core::data::read::vcf;
use genopriv_core::data::{GenotypeMatrix, MultiAllelicPolicy, ReadOptions, SkipReason};
use genopriv_core::job::{CancelToken, Job, ProgressSink};
use vcf_support::{
    BcfRecord, TestResult, bcftools_records, fixture, gt_code, parse_query, read, run, sample_data,
    shell,
};

fn split() -> ReadOptions {
    ReadOptions {
        multi_allelic: MultiAllelicPolicy::Split,
        ..ReadOptions::default()
    }
}

/// Asserts that the matrix holds exactly `records` (biallelic, as bcftools
/// prints them), calls decoded from bcftools' GT strings.
fn assert_matches(matrix: &GenotypeMatrix, records: &[BcfRecord]) {
    assert_eq!(matrix.n_variants(), records.len(), "variant count");
    for (j, (v, r)) in matrix.variants().iter().zip(records).enumerate() {
        assert_eq!(
            (&v.chrom, v.pos, &v.id, &v.ref_allele, &v.alt_allele),
            (&r.chrom, r.pos, &r.id, &r.ref_allele, &r.alt),
            "variant {j}"
        );
        let expected: Vec<u8> = r.gts.iter().map(|gt| gt_code(gt, "1").0).collect();
        let actual: Vec<u8> = matrix.calls(j).collect();
        assert_eq!(
            actual, expected,
            "calls of variant {j} ({}:{})",
            v.chrom, v.pos
        );
    }
}

fn path_str(path: &Path) -> TestResult<&str> {
    Ok(path.to_str().ok_or("non-UTF-8 path")?)
}

/// Records of `path` kept by a `bcftools view` filter.
fn bcftools_view(path: &Path, filter: &str) -> TestResult<Vec<BcfRecord>> {
    parse_query(&shell(&format!(
        "bcftools view {filter} '{}' | bcftools query -f '%CHROM\\t%POS\\t%ID\\t%REF\\t%ALT[\\t%GT]\\n'",
        path_str(path)?
    ))?)
}

fn count(path: &Path, filter: &str) -> TestResult<u64> {
    Ok(bcftools_view(path, filter)?.len() as u64)
}

#[test]
fn demo_cohort_matches_bcftools() -> TestResult {
    let path = sample_data("demo_cohort.vcf.gz");
    let (matrix, report) = read(&path, &ReadOptions::default())?;
    let samples: Vec<String> = run("bcftools", &["query", "-l", path_str(&path)?])?
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(matrix.samples(), samples.as_slice());
    assert_eq!((matrix.n_samples(), matrix.n_variants()), (600, 10_946));
    let records = bcftools_records(&path)?;
    // The cohort is phased: make sure the comparison exercises `|`.
    assert!(records.iter().any(|r| r.gts.iter().any(|g| g == "0|1")));
    assert_matches(&matrix, &records);
    assert_eq!(report.total_skipped(), 0);
    assert_eq!(report.haploid_calls, 0);
    // Alternate-allele counts agree with bcftools' own AC tag.
    let ac = run(
        "sh",
        &[
            "-c",
            &format!(
                "bcftools +fill-tags '{}' -- -t AC,AN | bcftools query -f '%AC\\t%AN\\n'",
                path_str(&path)?
            ),
        ],
    )?;
    for (j, line) in ac.lines().enumerate() {
        let (ac, an) = line.split_once('\t').ok_or("bad AC line")?;
        let counts = matrix.call_counts(j);
        assert_eq!(
            counts.alt_alleles(),
            ac.parse::<u64>()?,
            "AC of variant {j}"
        );
        assert_eq!(2 * counts.called(), an.parse::<u64>()?, "AN of variant {j}");
    }
    Ok(())
}

#[test]
fn skip_policy_loads_biallelic_snps_and_counts_the_rest() -> TestResult {
    let path = fixture("mixed.vcf");
    let (matrix, report) = read(&path, &ReadOptions::default())?;
    assert_matches(&matrix, &bcftools_view(&path, "-m2 -M2 -v snps")?);
    let skipped = |r| report.skipped.get(&r).copied().unwrap_or(0);
    assert_eq!(skipped(SkipReason::MultiAllelic), count(&path, "-m3")?);
    assert_eq!(skipped(SkipReason::NoAlt), count(&path, "-M1")?);
    assert_eq!(
        skipped(SkipReason::NotSnp),
        count(&path, "-m2 -M2 -v indels,mnps")?
    );
    assert_eq!(
        skipped(SkipReason::Symbolic),
        count(&path, "-m2 -M2 -v other")?
    );
    let total = count(&path, "")?;
    assert_eq!(matrix.n_variants() as u64 + report.total_skipped(), total);
    // Haploid calls of loaded records, counted from bcftools' GT strings.
    let haploid = bcftools_view(&path, "-m2 -M2 -v snps")?
        .iter()
        .flat_map(|r| r.gts.iter())
        .filter(|g| !g.contains(['/', '|']) && g.as_str() != ".")
        .count() as u64;
    assert!(haploid > 0);
    assert_eq!(report.haploid_calls, haploid);
    assert_eq!((report.split_records, report.split_variants), (0, 0));
    Ok(())
}

#[test]
fn split_policy_matches_bcftools_norm() -> TestResult {
    let path = fixture("mixed.vcf");
    let (matrix, report) = read(&path, &split())?;
    let original = bcftools_records(&path)?;
    let normalised = parse_query(&shell(&format!(
        "bcftools norm -m- '{}' | bcftools view -v snps | bcftools query -f '%CHROM\\t%POS\\t%ID\\t%REF\\t%ALT[\\t%GT]\\n'",
        path_str(&path)?
    ))?)?;
    assert_eq!(matrix.n_variants(), normalised.len());
    let mut other_calls = 0u64;
    for (j, (v, norm)) in matrix.variants().iter().zip(&normalised).enumerate() {
        assert_eq!(
            (&v.chrom, v.pos, &v.ref_allele, &v.alt_allele),
            (&norm.chrom, norm.pos, &norm.ref_allele, &norm.alt)
        );
        let source = original
            .iter()
            .find(|r| r.chrom == v.chrom && r.pos == v.pos)
            .ok_or("no source record")?;
        let k = source
            .alt
            .split(',')
            .position(|a| a == v.alt_allele)
            .ok_or("ALT not in source record")?
            + 1;
        for (s, call) in matrix.calls(j).enumerate() {
            let (expected, other) = gt_code(&source.gts[s], &k.to_string());
            assert_eq!(call, expected, "variant {j}, sample {s}");
            other_calls += u64::from(other);
            // bcftools norm -m- writes another ALT allele as REF; elsewhere it
            // must agree with the reader.
            if !other {
                assert_eq!(
                    call,
                    gt_code(&norm.gts[s], "1").0,
                    "variant {j}, sample {s}"
                );
            }
        }
    }
    assert!(other_calls > 0);
    assert_eq!(report.other_allele_calls, other_calls);
    let multi = count(&path, "-m3")?;
    assert_eq!(report.split_records, multi);
    let biallelic_snps = count(&path, "-m2 -M2 -v snps")?;
    assert_eq!(
        report.split_variants,
        matrix.n_variants() as u64 - biallelic_snps
    );
    let norm_count = |filter: &str| -> TestResult<u64> {
        Ok(shell(&format!(
            "bcftools norm -m- '{}' | bcftools view -H {filter} | wc -l",
            path_str(&path)?
        ))?
        .trim()
        .parse()?)
    };
    let skipped = |r| report.skipped.get(&r).copied().unwrap_or(0);
    let not_snp = norm_count("-v indels,mnps")?;
    let no_alt = norm_count("-M1")?;
    assert_eq!(skipped(SkipReason::NotSnp), not_snp);
    assert_eq!(skipped(SkipReason::NoAlt), no_alt);
    assert_eq!(
        skipped(SkipReason::Symbolic),
        norm_count("")? - norm_count("-v snps")? - not_snp - no_alt
    );
    assert_eq!(skipped(SkipReason::MultiAllelic), 0);
    Ok(())
}

#[test]
fn keep_non_snps_keeps_indels_and_mnps() -> TestResult {
    let path = fixture("mixed.vcf");
    let options = ReadOptions {
        keep_non_snps: true,
        ..ReadOptions::default()
    };
    let (matrix, report) = read(&path, &options)?;
    assert_matches(
        &matrix,
        &bcftools_view(&path, "-m2 -M2 -v snps,indels,mnps")?,
    );
    assert_eq!(report.skipped.get(&SkipReason::NotSnp), None);
    Ok(())
}

#[test]
fn bcf_input_reads_like_vcf() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (source, options) in [
        (fixture("mixed.vcf"), split()),
        (fixture("mixed.vcf"), ReadOptions::default()),
        (sample_data("demo_cohort.vcf.gz"), ReadOptions::default()),
    ] {
        let expected = read(&source, &options)?;
        // BGZF-compressed BCF, and raw BCF (bcftools' `-Ou` is still BGZF-framed,
        // so decompress it).
        for (name, unwrap) in [("x.bcf", ""), ("x_raw.bcf", "| bgzip -dc")] {
            let bcf = dir.path().join(name);
            shell(&format!(
                "bcftools view -Ob '{}' {unwrap} > '{}'",
                path_str(&source)?,
                path_str(&bcf)?
            ))?;
            let actual = read(&bcf, &options)?;
            assert_eq!(actual, expected, "{} as {name}", source.display());
        }
    }
    Ok(())
}

#[test]
fn plain_gzip_and_plain_text_read_like_bgzf() -> TestResult {
    let dir = tempfile::tempdir()?;
    let source = sample_data("demo_cohort.vcf.gz");
    let expected = read(&source, &ReadOptions::default())?;
    let text = dir.path().join("x.vcf");
    let gzip = dir.path().join("x.vcf.gz");
    shell(&format!(
        "bgzip -dc '{}' > '{}' && gzip -c '{}' > '{}'",
        path_str(&source)?,
        path_str(&text)?,
        path_str(&text)?,
        path_str(&gzip)?
    ))?;
    // gzip's header has no BGZF extra field: this really is the other path.
    let head = std::fs::read(&gzip)?;
    assert_eq!(head.get(3).map(|f| f & 0x04), Some(0));
    for path in [&text, &gzip] {
        let actual = read(path, &ReadOptions::default())?;
        assert_eq!(actual, expected, "{}", path.display());
    }
    Ok(())
}

#[test]
fn gt_position_in_format_does_not_matter() -> TestResult {
    let dir = tempfile::tempdir()?;
    let source = fixture("mixed.vcf");
    let moved = dir.path().join("moved.vcf");
    // Put GT last in every FORMAT (the spec wants it first; readers cope).
    let text = std::fs::read_to_string(&source)?;
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with('#') {
            out.push_str(line);
        } else {
            let f: Vec<&str> = line.split('\t').collect();
            let mut fields: Vec<String> = f[..8].iter().map(|s| (*s).to_owned()).collect();
            fields.push("XX:GT".into());
            fields.extend(
                f[9..]
                    .iter()
                    .map(|s| format!("7:{}", s.split(':').next().unwrap_or(""))),
            );
            out.push_str(&fields.join("\t"));
        }
        out.push('\n');
    }
    std::fs::write(&moved, out)?;
    let (expected, _) = read(&source, &split())?;
    let (actual, _) = read(&moved, &split())?;
    assert_eq!(actual, expected);
    Ok(())
}

/// Records every progress report; cancels on the `cancel_at`-th when asked.
struct Recorder {
    fractions: Mutex<Vec<f32>>,
    cancel: CancelToken,
    cancel_at: Option<usize>,
}

impl ProgressSink for Recorder {
    fn report(&self, _stage: &str, fraction: Option<f32>) {
        if let Ok(mut f) = self.fractions.lock() {
            f.push(fraction.unwrap_or(f32::NAN));
            if Some(f.len()) == self.cancel_at {
                self.cancel.cancel();
            }
        }
    }
}

#[test]
fn progress_rises_to_one() -> TestResult {
    let cancel = CancelToken::new();
    let recorder = Recorder {
        fractions: Mutex::new(Vec::new()),
        cancel: cancel.clone(),
        cancel_at: None,
    };
    let path = sample_data("demo_cohort.vcf.gz");
    vcf::read(&path, &ReadOptions::default(), Job::new(&recorder, &cancel))?;
    let fractions = recorder.fractions.lock().map_err(|_| "poisoned")?.clone();
    // One report per 1,000 records, plus the first and the last.
    assert!(fractions.len() >= 12, "{fractions:?}");
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    assert_eq!(fractions.first(), Some(&0.0));
    assert_eq!(fractions.last(), Some(&1.0));
    Ok(())
}

#[test]
fn cancel_stops_the_read() {
    for path in [sample_data("demo_cohort.vcf.gz"), fixture("mixed.vcf")] {
        let cancel = CancelToken::new();
        let recorder = Recorder {
            fractions: Mutex::new(Vec::new()),
            cancel: cancel.clone(),
            cancel_at: Some(2),
        };
        let result = vcf::read(&path, &ReadOptions::default(), Job::new(&recorder, &cancel));
        let reports = recorder.fractions.lock().map(|f| f.len()).unwrap_or(0);
        assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
        // Stopped at the first checkpoint after the cancel (the final one for the
        // short fixture).
        assert_eq!(reports, 2, "{}", path.display());
    }
}
