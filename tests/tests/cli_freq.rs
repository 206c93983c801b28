//! `genopriv freq` against PLINK 1.9 (`--freq counts`, `--missing`, `--hardy`) on the
//! demo cohort, as given and with missing calls injected.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use genopriv_core::stats::hwe_exact_p;
use genopriv_tests::{TestResult, external, genopriv, genopriv_ok, sample_data, whitespace_table};

const FREQ_HEADER: &str = "id\tchrom\tpos\tref\talt\talt_freq\tmaf\tmissing_rate\thwe_p";

/// One row of our table, with undefined values as `None`.
struct FreqRow {
    id: String,
    alt_freq: Option<f64>,
    maf: Option<f64>,
    missing_rate: Option<f64>,
    hwe_p: Option<f64>,
}

fn parse_value(s: &str) -> TestResult<Option<f64>> {
    if s == "NA" {
        Ok(None)
    } else {
        Ok(Some(
            s.parse::<f64>()
                .map_err(|e| format!("bad number {s:?}: {e}"))?,
        ))
    }
}

fn read_freq(path: &Path) -> TestResult<Vec<FreqRow>> {
    let text = fs::read_to_string(path)?;
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(FREQ_HEADER));
    let mut rows = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 9, "row {line:?}");
        rows.push(FreqRow {
            id: f[0].to_owned(),
            alt_freq: parse_value(f[5])?,
            maf: parse_value(f[6])?,
            missing_rate: parse_value(f[7])?,
            hwe_p: parse_value(f[8])?,
        });
    }
    Ok(rows)
}

/// Rows of a PLINK report keyed by column name.
fn plink_rows(path: &Path) -> TestResult<Vec<HashMap<String, String>>> {
    let (header, rows) = whitespace_table(&fs::read_to_string(path)?);
    Ok(rows
        .into_iter()
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect())
}

fn field<'a>(row: &'a HashMap<String, String>, name: &str) -> TestResult<&'a str> {
    Ok(row
        .get(name)
        .ok_or_else(|| format!("no column {name}"))?
        .as_str())
}

fn int(row: &HashMap<String, String>, name: &str) -> TestResult<u64> {
    Ok(field(row, name)?.parse()?)
}

/// True when `value` rounds to `printed`, a number PLINK 1.9 printed with 4
/// significant digits (`%g`): the error is at most half a unit of the 4th digit.
fn within_printed_precision(value: f64, printed: &str) -> TestResult<bool> {
    let shown: f64 = printed.parse()?;
    if shown == 0.0 {
        return Ok(value.abs() < 1e-300);
    }
    let half_unit = 0.5 * 10f64.powi(shown.abs().log10().floor() as i32 - 3);
    Ok((value - shown).abs() <= half_unit * (1.0 + 1e-9))
}

/// Runs PLINK 1.9 and genopriv on `vcf` and compares every variant. Returns the
/// number of variants with at least one missing call, so that callers can check
/// that missingness was exercised.
fn compare_with_plink(vcf: &Path, dir: &Path) -> TestResult<usize> {
    let ours_path = dir.join("freq.tsv");
    let ours_arg = ours_path.as_os_str();
    genopriv_ok(["freq".as_ref(), vcf.as_os_str(), "--out".as_ref(), ours_arg])?;
    let ours = read_freq(&ours_path)?;

    let prefix = dir.join("plink");
    external(
        "plink1.9",
        [
            "--vcf".as_ref(),
            vcf.as_os_str(),
            "--double-id".as_ref(),
            "--keep-allele-order".as_ref(),
            "--allow-extra-chr".as_ref(),
            "--freq".as_ref(),
            "counts".as_ref(),
            "--missing".as_ref(),
            "--hardy".as_ref(),
            "--out".as_ref(),
            prefix.as_os_str(),
        ],
    )?;
    let frq = plink_rows(&prefix.with_extension("frq.counts"))?;
    let lmiss = plink_rows(&prefix.with_extension("lmiss"))?;
    let hwe = plink_rows(&prefix.with_extension("hwe"))?;
    assert_eq!(ours.len(), frq.len(), "variant count vs plink --freq");
    assert_eq!(ours.len(), lmiss.len(), "variant count vs plink --missing");
    assert_eq!(ours.len(), hwe.len(), "variant count vs plink --hardy");

    let mut with_missing = 0;
    for (i, row) in ours.iter().enumerate() {
        let (f, m, h) = (&frq[i], &lmiss[i], &hwe[i]);
        let at = format!("variant {} ({})", i + 1, row.id);
        assert_eq!(row.id, field(f, "SNP")?, "{at}: order differs from plink");

        // With --keep-allele-order, A1 is the VCF ALT allele: our counted allele.
        let (c1, c2) = (int(f, "C1")?, int(f, "C2")?);
        let plink_freq = (c1 + c2 > 0).then(|| c1 as f64 / (c1 + c2) as f64);
        assert_eq!(row.alt_freq, plink_freq, "{at}: alt allele frequency");
        assert_eq!(row.maf, plink_freq.map(|p| p.min(1.0 - p)), "{at}: MAF");

        let (n_miss, n_geno) = (int(m, "N_MISS")?, int(m, "N_GENO")?);
        assert_eq!(
            row.missing_rate,
            Some(n_miss as f64 / n_geno as f64),
            "{at}: missing rate"
        );
        if n_miss > 0 {
            with_missing += 1;
        }

        // GENO is homozygous A1 / heterozygous / homozygous A2.
        let geno: Vec<u64> = field(h, "GENO")?
            .split('/')
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        let [hom_a1, het, hom_a2] = geno[..] else {
            return Err(format!("{at}: bad GENO").into());
        };
        assert_eq!(
            hom_a1 + het + hom_a2 + n_miss,
            n_geno,
            "{at}: genotype counts"
        );
        match row.hwe_p {
            // No called genotype: nothing to test (PLINK prints its default of 1).
            None => assert_eq!(hom_a1 + het + hom_a2, 0, "{at}: HWE p missing"),
            Some(p) => {
                // Same genotype counts as PLINK, so exactly the same computation ...
                assert_eq!(p, hwe_exact_p(het, hom_a1, hom_a2), "{at}: HWE counts");
                // ... and the value PLINK printed (4 significant digits).
                let printed = field(h, "P")?;
                assert!(
                    within_printed_precision(p, printed)?,
                    "{at}: HWE p {p:e} vs plink {printed}"
                );
            }
        }
    }
    Ok(with_missing)
}

#[test]
fn freq_matches_plink_on_demo_cohort() -> TestResult {
    let dir = tempfile::tempdir()?;
    let n = compare_with_plink(&sample_data("demo_cohort.vcf.gz"), dir.path())?;
    assert_eq!(n, 0, "the demo cohort has no missing calls");
    Ok(())
}

/// The demo cohort with about 3% of calls set missing (deterministically), and the
/// first variant entirely missing, as an uncompressed VCF.
fn demo_with_missing(dir: &Path) -> TestResult<std::path::PathBuf> {
    let text = external(
        "bcftools",
        [
            "view".as_ref(),
            sample_data("demo_cohort.vcf.gz").as_os_str(),
        ],
    )?
    .stdout;
    let mut out = String::with_capacity(text.len());
    let mut record = 0u64;
    for line in text.lines() {
        if line.starts_with('#') {
            out.push_str(line);
        } else {
            record += 1;
            for (col, value) in line.split('\t').enumerate() {
                if col > 0 {
                    out.push('\t');
                }
                let sample = col as u64;
                let hash = record
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(sample * 40_503)
                    % 97;
                if col >= 9 && (record == 1 || hash < 3) {
                    out.push_str("./.");
                } else {
                    out.push_str(value);
                }
            }
        }
        out.push('\n');
    }
    let path = dir.join("demo_missing.vcf");
    fs::write(&path, out)?;
    Ok(path)
}

#[test]
fn freq_matches_plink_with_missing_calls() -> TestResult {
    let dir = tempfile::tempdir()?;
    let vcf = demo_with_missing(dir.path())?;
    let n = compare_with_plink(&vcf, dir.path())?;
    assert!(n > 10_000, "only {n} variants had missing calls");
    Ok(())
}

#[test]
fn freq_refuses_to_replace_its_input() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("cohort.vcf.gz");
    fs::copy(sample_data("demo_cohort.vcf.gz"), &input)?;
    let before = fs::read(&input)?;
    let run = genopriv([
        "freq".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        input.as_os_str(),
    ])?;
    assert!(!run.success);
    assert!(run.stderr.contains("cohort.vcf.gz"), "{}", run.stderr);
    assert_eq!(fs::read(&input)?, before, "the input was modified");
    Ok(())
}

#[test]
fn printed_precision_check_is_tight() -> TestResult {
    assert!(within_printed_precision(3.82549e-18, "3.825e-18")?);
    assert!(!within_printed_precision(3.8256e-18, "3.825e-18")?);
    assert!(within_printed_precision(1.0, "1")?);
    assert!(!within_printed_precision(0.998, "1")?);
    Ok(())
}
