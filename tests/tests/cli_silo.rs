//! `genopriv silo host` / `silo join` as separate processes on loopback: three
//! sites holding thirds of the demo cohort (first 300 SNPs) publish one
//! synthetic cohort. Checked independently of the protocol code: every site's
//! synthetic genotypes are the same (read back by the core reader), the revealed
//! aggregate equals the pooled exact counts (recounted here from the three
//! files) plus noise of the planned variance, no message in any site's
//! transcript carries a site's raw counts, a stranger sending garbage is turned
//! away, and a site that cannot take part leaves nothing written anywhere.

use std::fs;
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;

use genopriv_core::job;
use genopriv_core::synthesis::{ChainDomain, Manifest, measure};
use genopriv_tests::silo::{
    AGREEMENT, NAMES, SITES, SiteProcess, assert_one_release, finish_session, read_matrix,
    session_host_args, site_args, site_files, start_host, start_join,
};
use genopriv_tests::{TestResult, external, files_in, genopriv, sample_data};

/// Exact (y, s_i, s_i+1) and per-SNP counts of one site's file, labels from the phenotype table.
fn raw_counts(path: &Path) -> TestResult<Vec<u64>> {
    let matrix = read_matrix(path)?;
    let pheno = fs::read_to_string(sample_data("demo_cohort.pheno.tsv"))?;
    let case: std::collections::HashMap<&str, u8> = pheno
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?, f.next()?.parse().ok()?))
        })
        .collect();
    let labels: Vec<u8> = matrix
        .samples()
        .iter()
        .map(|s| {
            case.get(s.as_str())
                .copied()
                .ok_or(format!("no status for {s}"))
        })
        .collect::<Result<_, _>>()?;
    let domain = ChainDomain::new(2, 3, matrix.n_variants())?;
    let mut counts = job::unattended(|job| measure::clique_counts(&matrix, &labels, &domain, job))?;
    counts.extend(measure::snp_counts(&matrix, 3));
    Ok(counts)
}

/// (sent, kind, body) of every frame in a `--transcript` file.
fn transcript(path: &Path) -> TestResult<Vec<(bool, u8, Vec<u8>)>> {
    let bytes = fs::read(path)?;
    let mut frames = Vec::new();
    let mut at = 0;
    let word = |at: usize| -> TestResult<usize> {
        let b: [u8; 4] = bytes
            .get(at..at + 4)
            .ok_or("truncated transcript")?
            .try_into()?;
        Ok(u32::from_be_bytes(b) as usize)
    };
    while at < bytes.len() {
        let sent = bytes[at] == 1;
        let peer = word(at + 1)?;
        at += 5 + peer;
        let len = word(at)?;
        let frame = bytes.get(at + 4..at + 4 + len).ok_or("truncated frame")?;
        // frame = [length u32][kind][body]
        frames.push((sent, frame[4], frame[5..].to_vec()));
        at += 4 + len;
    }
    Ok(frames)
}

fn words(body: &[u8]) -> Vec<u64> {
    body.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

const MASKED: u8 = 7;
const AGGREGATE: u8 = 8;

#[test]
fn three_site_processes_publish_one_synthetic_cohort() -> TestResult {
    let dir = tempfile::tempdir()?;
    let files = site_files(dir.path())?;
    let out = dir.path().join("out");
    fs::create_dir(&out)?;
    let host = start_host(&session_host_args(&files[0], &out, "127.0.0.1:0"), None)?;
    // A stranger sends garbage: it is turned away and the session goes on.
    let mut stranger = TcpStream::connect(&host.address)?;
    stranger.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nnot TLS at all")?;
    drop(stranger);
    let joiners: Vec<SiteProcess> = (1..SITES)
        .map(|k| {
            start_join(
                &host.address,
                &host.code,
                &site_args(&files[k], &out, NAMES[k]),
                &AGREEMENT,
                None,
                NAMES[k],
            )
        })
        .collect::<TestResult<_>>()?;
    let results = finish_session(host, joiners)?;
    assert!(
        results[0].1.contains("turned away"),
        "host stderr: {}",
        results[0].1
    );
    assert_one_release(&results, &out)?;
    let manifest: Manifest =
        serde_json::from_str(&fs::read_to_string(out.join("Leiden.manifest.json"))?)?;
    let record = manifest.cross_silo.ok_or("no cross-silo record")?;
    // The host first; the others in the order they became ready.
    let mut sites = record.sites.clone();
    assert_eq!(sites.first().map(String::as_str), Some("Leeds"));
    sites.sort();
    let mut expected = NAMES.map(String::from).to_vec();
    expected.sort();
    assert_eq!(sites, expected);
    assert_eq!(record.this_site, "Leiden");
    assert_eq!(record.tolerance, 1);

    // The aggregate is the pooled exact counts plus noise of variance 3·σ_k².
    let raw: Vec<Vec<u64>> = files
        .iter()
        .map(|f| raw_counts(f))
        .collect::<TestResult<_>>()?;
    let host_frames = transcript(&out.join("Leeds.transcript"))?;
    let aggregate = host_frames
        .iter()
        .find(|(sent, kind, _)| *sent && *kind == AGGREGATE)
        .map(|(_, _, body)| words(body))
        .ok_or("the host sent no aggregate")?;
    assert_eq!(aggregate.len(), raw[0].len());
    let errors: Vec<f64> = aggregate
        .iter()
        .enumerate()
        .map(|(i, &v)| v as i64 as f64 - raw.iter().map(|r| r[i] as f64).sum::<f64>())
        .collect();
    let n = errors.len() as f64;
    let mean = errors.iter().sum::<f64>() / n;
    let variance = errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / n;
    let planned = 3.0 * record.noise.per_site_sigma2;
    // 6,282 cells: the variance estimate's sd is under 2 % of the planned value.
    assert!(mean.abs() < 4.0 * (planned / n).sqrt(), "mean error {mean}");
    assert!(
        (variance / planned - 1.0).abs() < 0.1,
        "variance {variance}, planned {planned}"
    );
    // The manifest's noisy counts are that aggregate.
    let recorded: Vec<i64> = manifest
        .measurements
        .iter()
        .flat_map(|group| &group.cliques)
        .flat_map(|c| c.noisy_counts.iter().copied())
        .collect();
    assert_eq!(
        recorded,
        aggregate.iter().map(|&v| v as i64).collect::<Vec<_>>()
    );

    // What left each site: its masked table looks uniform (about half the top
    // bits set, where counts have none), and no frame anywhere holds 8 cells
    // of any site's raw counts in a row.
    let all_frames: Vec<Vec<(bool, u8, Vec<u8>)>> = NAMES
        .iter()
        .map(|n| transcript(&out.join(format!("{n}.transcript"))))
        .collect::<TestResult<_>>()?;
    // (The host keeps its own table: it sends none.)
    for (k, frames) in all_frames.iter().enumerate().skip(1) {
        let masked = frames
            .iter()
            .find(|(sent, kind, _)| *sent && *kind == MASKED)
            .map(|(_, _, body)| words(body))
            .ok_or(format!("{} sent no masked table", NAMES[k]))?;
        let top = masked.iter().filter(|&&v| v >> 63 == 1).count() as f64 / masked.len() as f64;
        assert!(
            (top - 0.5).abs() < 0.05,
            "{}: {top} of top bits set",
            NAMES[k]
        );
    }
    for (k, counts) in raw.iter().enumerate() {
        let patterns: Vec<Vec<u8>> = counts
            .chunks_exact(8)
            .filter(|w| w.iter().filter(|&&v| v > 0).count() >= 4)
            .take(100)
            .map(|w| w.iter().flat_map(|v| v.to_le_bytes()).collect())
            .collect();
        assert!(patterns.len() >= 50);
        for frames in &all_frames {
            for (_, _, body) in frames {
                for pattern in &patterns {
                    assert!(
                        !body.windows(pattern.len()).any(|w| w == pattern.as_slice()),
                        "{}'s raw counts appear in a message",
                        NAMES[k]
                    );
                }
            }
        }
    }
    Ok(())
}

/// A site whose data lack panel variants declines with a message naming its
/// file; the host, left short of sites, gives up after its wait; nobody
/// writes anything.
#[test]
fn a_site_that_cannot_take_part_leaves_nothing_written() -> TestResult {
    let dir = tempfile::tempdir()?;
    let files = site_files(dir.path())?;
    // Site 1 holds only the first 200 of the panel's 300 SNPs.
    let short = dir.path().join("short.vcf.gz");
    external(
        "bcftools",
        [
            "view".as_ref(),
            "-i".as_ref(),
            "POS<=80000".as_ref(),
            "-Oz".as_ref(),
            "-o".as_ref(),
            short.as_os_str(),
            files[1].as_os_str(),
        ],
    )?;
    let out = dir.path().join("out");
    fs::create_dir(&out)?;
    let mut host_args = site_args(&files[0], &out, "host");
    host_args.extend(
        [
            "--sites",
            "2",
            "--epsilon",
            "5",
            "--n-synthetic",
            "100",
            "--listen",
            "127.0.0.1:0",
            "--wait",
            "15",
        ]
        .map(String::from),
    );
    let host = start_host(&host_args, None)?;
    let site = start_join(
        &host.address,
        &host.code,
        &site_args(&short, &out, "short"),
        &["--epsilon", "5"],
        None,
        "the short site",
    )?
    .output()?;
    let site_err = String::from_utf8_lossy(&site.stderr);
    assert!(!site.status.success());
    assert!(
        site_err.contains("short.vcf.gz") && site_err.contains("not in this file"),
        "{site_err}"
    );
    assert!(site_err.contains("nothing was written"), "{site_err}");
    let host = host.process.output()?;
    let host_err = String::from_utf8_lossy(&host.stderr);
    assert!(!host.status.success());
    assert!(host_err.contains("declined"), "{host_err}");
    assert!(
        host_err.contains("only 0 of the 1 other sites joined"),
        "{host_err}"
    );
    // Only the transcripts (asked for) are there: no genotypes, manifest or phenotypes.
    assert_eq!(files_in(&out)?, vec!["host.transcript", "short.transcript"]);
    Ok(())
}

#[test]
fn bad_session_arguments_fail_with_one_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("x.vcf.gz");
    let input = sample_data("demo_cohort.vcf.gz");
    let pheno = sample_data("demo_cohort.pheno.tsv");
    let code = genopriv([
        "silo".as_ref(),
        "join".as_ref(),
        "127.0.0.1:9".as_ref(),
        "--session".as_ref(),
        "ABCD-1234".as_ref(),
        input.as_os_str(),
        "--pheno".as_ref(),
        pheno.as_os_str(),
        "--epsilon".as_ref(),
        "3".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])?;
    assert!(!code.success);
    assert!(
        code.stderr.contains("is not a session code"),
        "{}",
        code.stderr
    );
    let tolerance = genopriv([
        "silo".as_ref(),
        "host".as_ref(),
        input.as_os_str(),
        "--pheno".as_ref(),
        pheno.as_os_str(),
        "--sites".as_ref(),
        "2".as_ref(),
        "--tolerance".as_ref(),
        "2".as_ref(),
        "--epsilon".as_ref(),
        "3".as_ref(),
        "--n-synthetic".as_ref(),
        "10".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])?;
    assert!(!tolerance.success);
    assert!(
        tolerance
            .stderr
            .contains("collusion tolerance (2) must be below the number of sites (2)"),
        "{}",
        tolerance.stderr
    );
    assert_eq!(tolerance.stderr.lines().count(), 1, "{}", tolerance.stderr);
    assert!(files_in(dir.path())?.is_empty());
    Ok(())
}
