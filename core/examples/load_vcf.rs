//! Loads a VCF or BCF file and prints its shape and load report: used to time the
//! reader (`/usr/bin/time -v cargo run --release -p genopriv-core --example load_vcf -- FILE`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::vcf;
use genopriv_core::job;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: load_vcf FILE.vcf[.gz]|FILE.bcf");
        return ExitCode::FAILURE;
    };
    let start = Instant::now();
    match job::unattended(|job| vcf::read(&path, &ReadOptions::default(), job)) {
        Ok((matrix, report)) => {
            println!(
                "{} samples x {} variants ({} packed bytes) in {:.2} s; skipped {}, haploid calls {}",
                matrix.n_samples(),
                matrix.n_variants(),
                matrix.packed_bytes(),
                start.elapsed().as_secs_f64(),
                report.total_skipped(),
                report.haploid_calls
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
