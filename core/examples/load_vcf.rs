//! Loads a VCF or BCF file and prints its shape and load report, and optionally
//! writes it back as VCF: used to time the reader and the writer, e.g.
//! `/usr/bin/time -v target/release/examples/load_vcf IN.vcf.gz [OUT.vcf.gz]`
//! (build with `cargo build --release -p genopriv-core --example load_vcf`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::vcf as vcf_read;
use genopriv_core::data::write::vcf as vcf_write;
use genopriv_core::job;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let Some(input) = args.next() else {
        eprintln!("usage: load_vcf IN.vcf[.gz]|IN.bcf [OUT.vcf[.gz]]");
        return ExitCode::FAILURE;
    };
    let output = args.next();
    let start = Instant::now();
    let (matrix, report) =
        match job::unattended(|job| vcf_read::read(&input, &ReadOptions::default(), job)) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
    println!(
        "read {} samples x {} variants ({} packed bytes) in {:.2} s; skipped {}, haploid calls {}",
        matrix.n_samples(),
        matrix.n_variants(),
        matrix.packed_bytes(),
        start.elapsed().as_secs_f64(),
        report.total_skipped(),
        report.haploid_calls
    );
    if let Some(output) = output {
        let start = Instant::now();
        let inputs = [input.as_path()];
        if let Err(e) = job::unattended(|job| vcf_write::write(&matrix, &output, &inputs, job)) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        println!(
            "wrote {} in {:.2} s",
            output.display(),
            start.elapsed().as_secs_f64()
        );
    }
    ExitCode::SUCCESS
}
