//! The VCF writer checked with bcftools and tabix: what it writes must read back
//! the same in both tools and in our reader, and its index must answer region
//! queries.

mod vcf_support;

use std::fs;
use std::path::Path;

use genopriv_core::Error;
use genopriv_core::data::write::vcf::{self, index_path};
use genopriv_core::data::{GenotypeMatrix, ReadOptions};
use genopriv_core::job::{self, CancelToken, Job, NoProgress};
use vcf_support::{TestResult, bcftools_records, gt_code, read, run, sample_data};

fn demo() -> TestResult<GenotypeMatrix> {
    Ok(read(&sample_data("demo_cohort.vcf.gz"), &ReadOptions::default())?.0)
}

fn write(matrix: &GenotypeMatrix, out: &Path) -> genopriv_core::Result<()> {
    job::unattended(|job| vcf::write(matrix, out, &[], job))
}

fn s(path: &Path) -> TestResult<&str> {
    Ok(path.to_str().ok_or("non-UTF-8 path")?)
}

/// bcftools sees exactly the matrix: samples, variants and every call.
fn assert_bcftools_sees(matrix: &GenotypeMatrix, path: &Path) -> TestResult {
    let samples = run("bcftools", &["query", "-l", s(path)?])?;
    assert_eq!(samples.lines().collect::<Vec<_>>(), matrix.samples());
    let records = bcftools_records(path)?;
    assert_eq!(records.len(), matrix.n_variants());
    for (j, (v, r)) in matrix.variants().iter().zip(&records).enumerate() {
        assert_eq!(
            (&v.chrom, v.pos, &v.id, &v.ref_allele, &v.alt_allele),
            (&r.chrom, r.pos, &r.id, &r.ref_allele, &r.alt)
        );
        let calls: Vec<u8> = r.gts.iter().map(|g| gt_code(g, "1").0).collect();
        assert_eq!(matrix.calls(j).collect::<Vec<_>>(), calls, "variant {j}");
        assert!(r.gts.iter().all(|g| !g.contains('|')), "written unphased");
    }
    Ok(())
}

#[test]
fn bgzf_output_is_read_by_bcftools_and_indexed() -> TestResult {
    let matrix = demo()?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("cohort.vcf.gz");
    write(&matrix, &out)?;
    assert_bcftools_sees(&matrix, &out)?;

    let header = run("bcftools", &["view", "-h", s(&out)?])?;
    assert!(header.starts_with("##fileformat=VCFv4.2\n"));
    assert!(header.contains(concat!("##source=GenoPriv ", env!("CARGO_PKG_VERSION"))));
    assert!(header.contains("##contig=<ID=1>"));

    // The index: tabix lists the chromosome, bcftools counts the records from it,
    // and region queries return exactly the matrix's variants in the region.
    assert!(index_path(&out).is_file());
    assert_eq!(run("tabix", &["-l", s(&out)?])?, "1\n");
    let indexed = run("bcftools", &["index", "-n", s(&out)?])?;
    assert_eq!(indexed.trim().parse::<usize>()?, matrix.n_variants());
    let variants = matrix.variants();
    for j in [0, 1234, 5000, variants.len() - 1] {
        let pos = variants[j].pos;
        let region = format!("1:{pos}");
        let hits = run("bcftools", &["view", "-H", "-r", &region, s(&out)?])?;
        let expected = variants.iter().filter(|v| v.pos == pos).count();
        assert_eq!(hits.lines().count(), expected, "region {region}");
        assert!(
            hits.lines()
                .all(|l| l.split('\t').nth(1) == Some(&pos.to_string()))
        );
    }
    let (from, to) = (variants[2000].pos, variants[2500].pos);
    let hits = run("tabix", &[s(&out)?, &format!("1:{from}-{to}")])?;
    let expected = variants
        .iter()
        .filter(|v| v.pos >= from && v.pos <= to)
        .count();
    assert_eq!(hits.lines().count(), expected);

    // Lossless round trip through our reader.
    let (back, report) = read(&out, &ReadOptions::default())?;
    assert_eq!(back, matrix);
    assert_eq!(report.total_skipped(), 0);
    Ok(())
}

#[test]
fn plain_text_output_round_trips() -> TestResult {
    let full = demo()?;
    // An odd sample count exercises the partial last byte of each row.
    let matrix = full
        .select_samples(&(0..13).collect::<Vec<_>>())
        .select_variants(&(0..500).collect::<Vec<_>>());
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("small.vcf");
    write(&matrix, &out)?;
    assert_bcftools_sees(&matrix, &out)?;
    assert_eq!(read(&out, &ReadOptions::default())?.0, matrix);
    assert!(!index_path(&out).exists());
    Ok(())
}

#[test]
fn unsorted_output_is_written_without_index() -> TestResult {
    let full = demo()?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("x.vcf.gz");
    // A sorted write leaves an index; an unsorted rewrite must remove it, since
    // it would describe the old file.
    let sorted = full.select_variants(&(0..300).collect::<Vec<_>>());
    write(&sorted, &out)?;
    assert!(index_path(&out).is_file());
    let unsorted = full.select_variants(&(0..300).rev().collect::<Vec<_>>());
    assert!(vcf::index_blocker(unsorted.variants()).is_some());
    write(&unsorted, &out)?;
    assert!(!index_path(&out).exists());
    assert_bcftools_sees(&unsorted, &out)?;
    Ok(())
}

#[test]
fn failed_writes_leave_nothing_behind() -> TestResult {
    let full = demo()?;
    let matrix = full.select_variants(&(0..2500).collect::<Vec<_>>());
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("x.vcf.gz");

    // Cancelled after the first progress report (mid-write).
    struct CancelOnSecond(CancelToken, std::sync::atomic::AtomicUsize);
    impl genopriv_core::job::ProgressSink for CancelOnSecond {
        fn report(&self, _: &str, _: Option<f32>) {
            if self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 1 {
                self.0.cancel();
            }
        }
    }
    let cancel = CancelToken::new();
    let sink = CancelOnSecond(cancel.clone(), Default::default());
    let result = vcf::write(&matrix, &out, &[], Job::new(&sink, &cancel));
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert_eq!(fs::read_dir(dir.path())?.count(), 0, "nothing left behind");

    // A sample ID VCF cannot hold.
    let mut bad = GenotypeMatrix::new(vec!["a b".into()]);
    bad.push_variant(matrix.variants()[0].clone(), &[1]);
    let e = write(&bad, &out)
        .err()
        .ok_or("wrote an invalid sample ID")?;
    assert!(e.to_string().contains("sample ID `a b`"), "{e}");
    assert_eq!(fs::read_dir(dir.path())?.count(), 0);

    // An allele VCF cannot hold (a comma would make it two).
    let mut variant = matrix.variants()[0].clone();
    variant.alt_allele = "A,C".into();
    let mut bad = GenotypeMatrix::new(vec!["a".into()]);
    bad.push_variant(variant, &[1]);
    let e = write(&bad, &out)
        .err()
        .ok_or("wrote an invalid ALT allele")?;
    assert!(e.to_string().contains("ALT allele `A,C`"), "{e}");
    assert_eq!(fs::read_dir(dir.path())?.count(), 0);

    // A folder that does not exist.
    let missing = dir.path().join("no/such/dir/x.vcf.gz");
    assert!(write(&matrix, &missing).is_err());
    assert_eq!(fs::read_dir(dir.path())?.count(), 0);

    // Never overwrite an input (the data file or what would be its index).
    let input = dir.path().join("in.vcf.gz");
    fs::write(&input, b"input")?;
    let cancel = CancelToken::new();
    let refused = vcf::write(&matrix, &input, &[&input], Job::new(&NoProgress, &cancel));
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    assert_eq!(fs::read(&input)?, b"input");
    let index_input = index_path(&out);
    fs::write(&index_input, b"index")?;
    let refused = vcf::write(
        &matrix,
        &out,
        &[&index_input],
        Job::new(&NoProgress, &cancel),
    );
    assert!(refused.is_err());
    assert_eq!(fs::read(&index_input)?, b"index");
    assert!(!out.exists());
    Ok(())
}
