//! Shared by the fuzz targets: the readers take paths, so each input is written to a
//! temporary file with the extension that selects the reader.

use std::io::Write;
use std::path::Path;

use genopriv_core::data::ReadOptions;
use genopriv_core::data::read::read_genotypes;
use genopriv_core::job;

/// Writes `files` (name, bytes) into a fresh temporary folder and reads `main`.
/// Any `Err` is fine; a panic is the bug the fuzzer looks for.
pub fn read_files(files: &[(&str, &[u8])], main: &str) {
    let Ok(dir) = tempfile::tempdir() else { return };
    for (name, bytes) in files {
        let Ok(mut f) = std::fs::File::create(dir.path().join(name)) else { return };
        if f.write_all(bytes).is_err() {
            return;
        }
    }
    let path = dir.path().join(main);
    for options in [ReadOptions::default(), split_options()] {
        let _ = job::unattended(|job| read_genotypes(Path::new(&path), &options, job));
    }
}

fn split_options() -> ReadOptions {
    ReadOptions {
        multi_allelic: genopriv_core::data::MultiAllelicPolicy::Split,
        keep_non_snps: true,
    }
}
