#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

// The same bytes as plain text and as a compressed file, so both the text parser and
// the (BGZF or gzip) decompression paths are exercised.
fuzz_target!(|data: &[u8]| {
    common::read_files(&[("input.vcf", data)], "input.vcf");
    common::read_files(&[("input.vcf.gz", data)], "input.vcf.gz");
});
