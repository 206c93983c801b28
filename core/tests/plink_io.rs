//! PLINK .bed/.bim/.fam reading and writing, checked against plink1.9 itself.
//!
//! plink1.9 and bcftools must be installed (CI installs them); these tests fail,
//! never skip, without them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use genopriv_core::data::read::{plink, read_genotypes};
use genopriv_core::data::write::{plink as plink_write, write_genotypes};
use genopriv_core::data::{GenotypeMatrix, MISSING, ReadOptions};
use genopriv_core::job::{self, NoProgress};
use genopriv_core::{CancelToken, Error, Job};

fn demo_vcf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data/demo_cohort.vcf.gz")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The demo cohort as a PLINK fileset made by plink1.9, A1 = VCF ALT.
fn plink_demo(dir: &Path) -> PathBuf {
    let prefix = dir.join("demo");
    run(Command::new("plink1.9")
        .arg("--vcf")
        .arg(demo_vcf())
        .args(["--make-bed", "--keep-allele-order", "--double-id", "--out"])
        .arg(&prefix));
    prefix
}

/// One row of `plink --freq counts`: SNP, A1, A2, C1 (A1 count), C2 (A2 count),
/// G0 (missing genotypes).
#[derive(Debug, PartialEq)]
struct FreqRow {
    snp: String,
    a1: String,
    a2: String,
    c1: u64,
    c2: u64,
    g0: u64,
}

fn plink_freq_file(prefix: &Path, keep_allele_order: bool) -> PathBuf {
    let out = prefix.with_extension("freq");
    let mut cmd = Command::new("plink1.9");
    cmd.arg("--bfile").arg(prefix).args(["--freq", "counts"]);
    if keep_allele_order {
        cmd.arg("--keep-allele-order");
    }
    run(cmd.arg("--out").arg(&out));
    out.with_extension("freq.frq.counts")
}

fn plink_freq(prefix: &Path, keep_allele_order: bool) -> Vec<FreqRow> {
    let text = fs::read_to_string(plink_freq_file(prefix, keep_allele_order)).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            FreqRow {
                snp: f[1].into(),
                a1: f[2].into(),
                a2: f[3].into(),
                c1: f[4].parse().unwrap(),
                c2: f[5].parse().unwrap(),
                g0: f[6].parse().unwrap(),
            }
        })
        .collect()
}

fn our_freq(m: &GenotypeMatrix) -> Vec<FreqRow> {
    (0..m.n_variants())
        .map(|j| {
            let v = &m.variants()[j];
            let c = m.call_counts(j);
            FreqRow {
                snp: v.id.clone(),
                a1: v.alt_allele.clone(),
                a2: v.ref_allele.clone(),
                c1: c.alt_alleles(),
                c2: 2 * c.called() - c.alt_alleles(),
                g0: c.missing,
            }
        })
        .collect()
}

fn read_plink(path: &Path) -> genopriv_core::Result<GenotypeMatrix> {
    job::unattended(|job| plink::read(path, job)).map(|(m, _)| m)
}

#[test]
fn reads_demo_fileset_with_plinks_allele_counts_and_vcf_alleles() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = plink_demo(dir.path());
    let m = read_plink(&prefix.with_extension("bed")).unwrap();
    assert_eq!((m.n_samples(), m.n_variants()), (600, 10_946));

    let vcf_samples = run(Command::new("bcftools")
        .arg("query")
        .arg("-l")
        .arg(demo_vcf()));
    assert_eq!(m.samples(), vcf_samples.lines().collect::<Vec<_>>());

    // The counted allele is PLINK's A1 and, with --keep-allele-order, the VCF ALT.
    assert_eq!(our_freq(&m), plink_freq(&prefix, true));
    let vcf_sites = run(Command::new("bcftools")
        .args(["query", "-f", "%CHROM %POS %ID %REF %ALT\\n"])
        .arg(demo_vcf()));
    for (v, site) in m.variants().iter().zip(vcf_sites.lines()) {
        let expected = format!(
            "{} {} {} {} {}",
            v.chrom, v.pos, v.id, v.ref_allele, v.alt_allele
        );
        assert_eq!(expected, site);
    }
    assert_eq!(vcf_sites.lines().count(), m.n_variants());

    // The generic entry point recognises the fileset by any member or its prefix.
    let by_fam = job::unattended(|job| {
        read_genotypes(&prefix.with_extension("fam"), &ReadOptions::default(), job)
    })
    .unwrap();
    assert_eq!(by_fam.matrix, m);
}

#[test]
fn written_fileset_matches_plinks_bytes_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = plink_demo(dir.path());
    let m = read_plink(&prefix).unwrap();

    let ours = dir.path().join("ours.bed");
    job::unattended(|job| write_genotypes(&m, &ours, &[], job)).unwrap();
    for ext in ["bed", "bim", "fam"] {
        let a = fs::read(prefix.with_extension(ext)).unwrap();
        let b = fs::read(ours.with_extension(ext)).unwrap();
        assert!(a == b, ".{ext} differs from plink1.9's");
    }
    assert_eq!(read_plink(&ours).unwrap(), m);
    let plink_counts = fs::read(plink_freq_file(&prefix, true)).unwrap();
    let our_counts = fs::read(plink_freq_file(&ours.with_extension(""), true)).unwrap();
    assert!(plink_counts == our_counts, "plink --freq counts differ");
}

#[test]
fn padding_of_partial_bytes_matches_plink() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = plink_demo(dir.path());
    let m = read_plink(&prefix).unwrap();
    for n in [599usize, 7, 1] {
        let keep = dir.path().join(format!("keep{n}.txt"));
        let ids: String = m.samples()[..n]
            .iter()
            .map(|s| format!("{s} {s}\n"))
            .collect();
        fs::write(&keep, ids).unwrap();
        let theirs = dir.path().join(format!("plink{n}"));
        run(Command::new("plink1.9")
            .arg("--bfile")
            .arg(&prefix)
            .arg("--keep")
            .arg(&keep)
            .args(["--make-bed", "--keep-allele-order", "--out"])
            .arg(&theirs));
        let subset = m.select_samples(&(0..n).collect::<Vec<_>>());
        let ours = dir.path().join(format!("ours{n}.bed"));
        job::unattended(|job| plink_write::write(&subset, &ours, &[], job)).unwrap();
        let a = fs::read(theirs.with_extension("bed")).unwrap();
        let b = fs::read(&ours).unwrap();
        assert!(a == b, "{n} samples: .bed differs from plink1.9's");
        assert_eq!(read_plink(&theirs).unwrap(), subset);
    }
}

/// plink1.9 keeps A1/A2 as read when only reporting, but `--make-bed` without
/// `--keep-allele-order` rewrites every variant so that A1 is the minor allele. Our
/// reader then counts the new A1: the calls of swapped variants become `2 - call`.
#[test]
fn make_bed_without_keep_allele_order_recodes_to_the_minor_allele() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = plink_demo(dir.path());
    let m = read_plink(&prefix).unwrap();
    let minor_prefix = dir.path().join("minor");
    run(Command::new("plink1.9")
        .arg("--bfile")
        .arg(&prefix)
        .args(["--make-bed", "--out"])
        .arg(&minor_prefix));
    let recoded = read_plink(&minor_prefix).unwrap();
    let ours = our_freq(&m);
    let minor = plink_freq(&minor_prefix, true);
    assert_eq!(minor, our_freq(&recoded));
    let mut swapped = 0;
    for (j, (o, p)) in ours.iter().zip(&minor).enumerate() {
        assert!(p.c1 <= p.c2, "{}: A1 is not the minor allele", p.snp);
        if p.a1 == o.a1 {
            assert!(m.calls(j).eq(recoded.calls(j)));
        } else {
            swapped += 1;
            assert_eq!((&p.a1, &p.a2, p.c1, p.c2), (&o.a2, &o.a1, o.c2, o.c1));
            let flip = |c: u8| if c == MISSING { c } else { 2 - c };
            assert!(m.calls(j).map(flip).eq(recoded.calls(j)));
        }
    }
    // Alleles in the demo cohort were assigned at random, so many ALTs are major.
    assert!(swapped > 1000, "only {swapped} variants swapped");
}

fn small_fileset(dir: &Path) -> PathBuf {
    let prefix = dir.join("small");
    fs::write(
        prefix.with_extension("fam"),
        "f1 a 0 0 1 -9\nf1 b 0 0 2 1\nf2 c 0 0 0 2\n",
    )
    .unwrap();
    fs::write(
        prefix.with_extension("bim"),
        "1 rs1 0 10 A G\n1 rs2 0 20 C T\n",
    )
    .unwrap();
    // Variant 1: hom A1, missing, het; variant 2: hom A2, het, hom A1.
    fs::write(
        prefix.with_extension("bed"),
        [0x6c, 0x1b, 0x01, 0b00_10_01_00, 0b00_00_10_11],
    )
    .unwrap();
    prefix
}

fn error_text(result: genopriv_core::Result<GenotypeMatrix>) -> String {
    match result {
        Ok(_) => panic!("a bad input was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn decodes_a_hand_made_fileset() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = small_fileset(dir.path());
    let m = read_plink(&prefix).unwrap();
    assert_eq!(m.samples(), ["a", "b", "c"]);
    assert_eq!(m.calls(0).collect::<Vec<_>>(), [2, 3, 1]);
    assert_eq!(m.calls(1).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(m.variants()[0].alt_allele, "A");
    assert_eq!(m.variants()[0].ref_allele, "G");
    // And plink1.9 agrees: rs1 has A1 count 2+1 over 2 called, 1 missing.
    let freq = plink_freq(&prefix, true);
    assert_eq!(freq, our_freq(&m));
    assert_eq!((freq[0].c1, freq[0].c2, freq[0].g0), (3, 1, 1));
}

#[test]
fn repeated_iids_and_unknown_alleles_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = small_fileset(dir.path());
    fs::write(
        prefix.with_extension("fam"),
        "f1 a 0 0 1 -9\nf2 a 0 0 2 1\nf2 c 0 0 0 2\n",
    )
    .unwrap();
    fs::write(
        prefix.with_extension("bim"),
        "1 rs1 0 10 A G\n1 rs2 0 20 C 0\n",
    )
    .unwrap();
    let (m, report) = job::unattended(|job| plink::read(&prefix, job)).unwrap();
    assert_eq!(m.samples(), ["f1_a", "f2_a", "f2_c"]);
    assert_eq!(report.notes.len(), 2);
    assert!(report.notes[0].contains("FID_IID"), "{:?}", report.notes);
    assert!(
        report.notes[1].starts_with("1 variants have an unknown allele"),
        "{:?}",
        report.notes
    );
}

#[test]
fn bad_filesets_name_the_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = small_fileset(dir.path());
    let bed = prefix.with_extension("bed");
    let bim = prefix.with_extension("bim");
    let fam = prefix.with_extension("fam");
    let good_bed = fs::read(&bed).unwrap();
    let good_bim = fs::read_to_string(&bim).unwrap();
    let good_fam = fs::read_to_string(&fam).unwrap();
    let restore = || {
        fs::write(&bed, &good_bed).unwrap();
        fs::write(&bim, &good_bim).unwrap();
        fs::write(&fam, &good_fam).unwrap();
    };

    fs::write(&bed, &good_bed[..4]).unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(
        e.contains("small.bed") && e.contains("expected 3 + 2 variants"),
        "{e}"
    );
    assert!(
        e.contains("holds 1 variants") && e.contains(".bim lists 2"),
        "{e}"
    );
    restore();

    // 9 samples need 3 bytes per variant: 2 bytes of calls are not a whole record.
    let nine: String = (0..9).map(|i| format!("f s{i} 0 0 0 -9\n")).collect();
    fs::write(&fam, nine).unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(
        e.contains("small.bed") && e.contains("the .fam does not belong"),
        "{e}"
    );
    restore();

    let mut bad = good_bed.clone();
    bad[0] = 0x00;
    fs::write(&bed, &bad).unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(
        e.contains("small.bed, byte 0") && e.contains("not a PLINK 1 .bed"),
        "{e}"
    );
    restore();

    let mut bad = good_bed.clone();
    bad[2] = 0x00;
    fs::write(&bed, &bad).unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(
        e.contains("small.bed") && e.contains("individual-major"),
        "{e}"
    );
    restore();

    fs::write(&bim, "1 rs1 0 10 A G\n1 rs2 0 20 C\n").unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(
        e.contains("small.bim, line 2") && e.contains("found 5"),
        "{e}"
    );
    restore();

    fs::write(&bim, "1 rs1 0 10 A G\n1 rs2 0 x20 C T\n").unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(
        e.contains("small.bim, line 2, column position") && e.contains("x20"),
        "{e}"
    );
    restore();

    fs::write(&fam, "f1 a 0 0 1 -9\nf1 b 0 0 2\nf2 c 0 0 0 2\n").unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(
        e.contains("small.fam, line 2") && e.contains("expected 6 fields"),
        "{e}"
    );
    restore();

    fs::remove_file(&fam).unwrap();
    let e = error_text(read_plink(&prefix));
    assert!(e.contains("small.fam"), "{e}");
    restore();
    assert!(read_plink(&prefix).is_ok());
}

#[test]
fn cancelled_jobs_stop_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = small_fileset(dir.path());
    let cancel = CancelToken::new();
    cancel.cancel();
    let job = Job::new(&NoProgress, &cancel);
    assert!(matches!(plink::read(&prefix, job), Err(Error::Cancelled)));

    let m = read_plink(&prefix).unwrap();
    let out = dir.path().join("out.bed");
    assert!(matches!(
        plink_write::write(&m, &out, &[], job),
        Err(Error::Cancelled)
    ));
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("out") || n.starts_with(".genopriv"))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");

    let empty = GenotypeMatrix::new(vec!["a".into()]);
    let e = job::unattended(|job| plink_write::write(&empty, &out, &[], job));
    assert!(e.is_err_and(|e| e.to_string().contains("no variants")));

    // Writing over an input is refused.
    let bed = prefix.with_extension("bed");
    let e = job::unattended(|job| plink_write::write(&m, &bed, &[bed.as_path()], job));
    assert!(e.is_err());
}
