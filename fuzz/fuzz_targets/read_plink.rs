#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

// The input is split at the first two 0xFF bytes into .fam, .bim and .bed contents.
fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let fam = parts.next().unwrap_or_default();
    let bim = parts.next().unwrap_or_default();
    let bed = parts.next().unwrap_or_default();
    common::read_files(
        &[("x.fam", fam), ("x.bim", bim), ("x.bed", bed)],
        "x.bed",
    );
});
