//! `genopriv simulate`: a seeded simulated cohort (genotypes with LD and a
//! case/control phenotype from a few causal SNPs) for trying the workbench,
//! benchmarks and side-by-side comparisons with other tools. Simulated data is
//! never real people's data, so nothing here needs protecting.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use genopriv_core::Job;
use genopriv_core::data::write::{AtomicFile, ensure_not_input, write_genotypes};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};

#[derive(Args, Debug)]
pub struct SimulateArgs {
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub samples: usize,
    #[arg(long, value_name = "M", default_value_t = 1000)]
    pub snps: usize,
    /// SNPs the phenotype depends on; 0 gives a phenotype independent of genotype
    /// (a null control with half cases)
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub causal: usize,
    /// Standard deviation of the causal SNPs' log-odds effects
    #[arg(long, value_name = "SD", default_value_t = 0.5)]
    pub effect_sd: f64,
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Genotype output; its name picks the format (.vcf.gz, .vcf, .bed, .csv, .tsv)
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Phenotype table to write (`sample_id`, `case` as 0/1)
    #[arg(long, value_name = "FILE")]
    pub pheno_out: PathBuf,
}

pub fn run(args: &SimulateArgs, job: Job<'_>) -> anyhow::Result<()> {
    if args.out == args.pheno_out {
        anyhow::bail!(
            "--out and --pheno-out name the same file ({})",
            args.out.display()
        );
    }
    ensure_not_input(&args.pheno_out, &[args.out.as_path()])?;
    let phenotype = if args.causal == 0 {
        PhenotypeModel::NoSignal { case_fraction: 0.5 }
    } else {
        PhenotypeModel::Causal {
            n_causal: args.causal,
            effect_sd: args.effect_sd,
            intercept: 0.0,
        }
    };
    job.checkpoint("Simulating", None)?;
    let cohort = simulate(&SimulationConfig {
        n_samples: args.samples,
        n_snps: args.snps,
        phenotype,
        seed: args.seed,
        ..SimulationConfig::default()
    })?;
    write_genotypes(&cohort.genotypes, &args.out, &[], job)?;
    write_phenotypes(
        &args.pheno_out,
        cohort.genotypes.samples(),
        &cohort.phenotype,
    )
    .with_context(|| format!("writing {}", args.pheno_out.display()))?;
    Ok(())
}

fn write_phenotypes(path: &Path, samples: &[String], cases: &[u8]) -> anyhow::Result<()> {
    let mut file = AtomicFile::create(path, &[])?;
    {
        let mut out = BufWriter::new(&mut file);
        writeln!(out, "sample_id\tcase")?;
        for (sample, case) in samples.iter().zip(cases) {
            writeln!(out, "{sample}\t{case}")?;
        }
        out.flush()?;
    }
    file.commit()?;
    Ok(())
}
