//! Loading the demo cohort (600 samples x 10,946 SNPs, BGZF VCF) and writing it
//! back as BGZF VCF with its tabix index. For the 5,000 x 100,000 comparison with
//! plink2, time the `load_vcf` example instead (see its doc).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::vcf as vcf_read;
use genopriv_core::data::write::vcf as vcf_write;
use genopriv_core::job;

fn demo_cohort(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data/demo_cohort.vcf.gz");
    let load = || job::unattended(|job| vcf_read::read(&path, &ReadOptions::default(), job));
    let loaded = load();
    assert!(loaded.is_ok(), "the demo cohort must load: {loaded:?}");
    let mut group = c.benchmark_group("vcf");
    group.sample_size(10);
    group.bench_function("read demo_cohort.vcf.gz", |b| {
        b.iter(|| black_box(load().map(|(m, _)| m.n_variants())))
    });
    if let Ok((matrix, _)) = loaded {
        let dir = tempfile::tempdir();
        assert!(dir.is_ok(), "a temporary folder is needed: {dir:?}");
        if let Ok(dir) = dir {
            let out = dir.path().join("bench.vcf.gz");
            group.bench_function("write demo_cohort.vcf.gz", |b| {
                b.iter(|| {
                    black_box(
                        job::unattended(|job| vcf_write::write(&matrix, &out, &[], job)).is_ok(),
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, demo_cohort);
criterion_main!(benches);
