#![no_main]

//! The phenotype and allele-frequency table readers, and the phenotype join and
//! allele matching that follow them.

use std::io::Write;

use genopriv_core::data::Variant;
use genopriv_core::data::read::{allele_freq, pheno};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    for name in ["table.tsv", "table.csv"] {
        let path = dir.path().join(name);
        let Ok(mut f) = std::fs::File::create(&path) else { return };
        if f.write_all(data).is_err() {
            return;
        }
        drop(f);
        if let Ok(table) = pheno::read_phenotypes(&path, None) {
            let samples: Vec<String> = table.ids.iter().take(3).cloned().collect();
            let join = pheno::join(&table, &samples);
            let _ = table.case_control(&join, "case");
        }
        if let Ok(table) = allele_freq::read_allele_freqs(&path) {
            let variant = Variant {
                chrom: "1".into(),
                pos: 145,
                id: "snp0".into(),
                ref_allele: "T".into(),
                alt_allele: "G".into(),
            };
            let _ = table.match_variants(&[variant]);
        }
    }
});
