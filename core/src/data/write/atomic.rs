//! Atomic output files.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// A file written under a temporary name in its destination folder and renamed into
/// place by [`AtomicFile::commit`]. Dropping it without committing deletes the
/// temporary file, so an error or a cancel leaves no partial output.
///
/// The temporary file is created readable and writable by its owner only (mode
/// 0600 on Unix, by `tempfile`), so other users never see genotypes while they are
/// written; the rename keeps that mode, so outputs stay owner-only too (share them
/// with `chmod` deliberately). A process killed mid-write (SIGKILL, power loss)
/// cannot run the cleanup: it leaves a hidden `.genopriv-*.tmp` file, still 0600,
/// in the folder the user chose.
pub struct AtomicFile {
    path: PathBuf,
    writer: BufWriter<NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `path`. Fails if `path` is one of `inputs`.
    pub fn create(path: &Path, inputs: &[&Path]) -> Result<Self> {
        ensure_not_input(path, inputs)?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".genopriv-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 20, tmp),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let tmp = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        tmp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
        tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Fails with a clear message if `out` names the same file as any of `inputs`.
pub fn ensure_not_input(out: &Path, inputs: &[&Path]) -> Result<()> {
    let Ok(out_canon) = fs::canonicalize(out) else {
        // The output does not exist yet, so it cannot be an input.
        return Ok(());
    };
    for input in inputs {
        if fs::canonicalize(input).is_ok_and(|i| i == out_canon) {
            return Err(Error::invalid(
                out,
                "refusing to overwrite an input file; choose another output name",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_file_leaves_nothing() {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e));
        let Ok(dir) = dir else { return };
        let path = dir.path().join("out.txt");
        {
            let mut f = AtomicFile::create(&path, &[]).ok();
            if let Some(f) = f.as_mut() {
                let _ = f.write_all(b"partial");
            }
        }
        assert!(!path.exists());
        assert_eq!(fs::read_dir(dir.path()).map(|d| d.count()).ok(), Some(0));
    }

    /// Genotypes in flight and the finished output are owner-only.
    #[cfg(unix)]
    #[test]
    fn temporary_and_committed_files_are_owner_only() -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let path = dir.path().join("out.vcf");
        let mode = |p: &Path| -> Result<u32> {
            Ok(fs::metadata(p)
                .map_err(|e| Error::io(p, e))?
                .permissions()
                .mode()
                & 0o777)
        };
        let mut f = AtomicFile::create(&path, &[])?;
        f.write_all(b"0|1").map_err(|e| Error::io(&path, e))?;
        let tmp = f.writer.get_ref().path().to_path_buf();
        assert_eq!(tmp.parent(), Some(dir.path()));
        assert_eq!(mode(&tmp)?, 0o600, "{}", tmp.display());
        f.commit()?;
        assert_eq!(mode(&path)?, 0o600);
        assert!(!tmp.exists());
        Ok(())
    }

    /// A cancelled write, through the real writers, leaves the folder as it was.
    #[test]
    fn cancelled_writes_leave_nothing() -> Result<()> {
        use crate::data::{GenotypeMatrix, Variant};
        use crate::job::{CancelToken, Job, NoProgress};
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let variants = (1..=20_000)
            .map(|pos| Variant {
                chrom: "1".into(),
                pos,
                id: format!("rs{pos}"),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            })
            .collect();
        let matrix = GenotypeMatrix::all_missing(vec!["s1".into(), "s2".into()], variants);
        let cancel = CancelToken::new();
        cancel.cancel();
        for name in ["out.vcf.gz", "out.bed", "out.csv"] {
            let result = crate::data::write::write_genotypes(
                &matrix,
                &dir.path().join(name),
                &[],
                Job::new(&NoProgress, &cancel),
            );
            assert!(
                matches!(result, Err(Error::Cancelled)),
                "{name}: {result:?}"
            );
        }
        let left: Vec<_> = fs::read_dir(dir.path())
            .map_err(|e| Error::io(dir.path(), e))?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        Ok(())
    }

    #[test]
    fn commit_writes_and_refuses_inputs() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let path = dir.path().join("out.txt");
        let mut f = AtomicFile::create(&path, &[])?;
        f.write_all(b"hello").map_err(|e| Error::io(&path, e))?;
        f.commit()?;
        assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some("hello"));
        assert!(AtomicFile::create(&path, &[path.as_path()]).is_err());
        Ok(())
    }
}
