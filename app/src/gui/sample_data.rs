//! Finding the bundled sample cohort behind "Try with sample data".

use std::path::{Path, PathBuf};

/// The genotype file that marks a folder as the sample-data folder.
const SAMPLE_GENOTYPES: &str = "demo_cohort.vcf.gz";
const SAMPLE_PHENOTYPES: &str = "demo_cohort.pheno.tsv";
const SAMPLE_REFERENCE_PANEL: &str = "demo_reference_panel.vcf.gz";

/// The environment variable that points at the sample-data folder.
pub const SAMPLE_DATA_ENV: &str = "GENOPRIV_SAMPLE_DATA";

/// The sample cohort's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleData {
    pub genotypes: PathBuf,
    pub phenotypes: PathBuf,
    /// A public reference panel for the same SNPs (the Protect screen's calibration).
    pub reference_panel: PathBuf,
}

/// Where the sample data can live, in the order they are tried: next to the
/// executable (portable installs, Windows), the package layouts relative to the
/// executable (`<prefix>/bin` with `<prefix>/share/genopriv` for the .deb under any
/// prefix, `usr/lib/genopriv` inside the AppImage, `Contents/Resources` in the macOS
/// bundle), `$GENOPRIV_SAMPLE_DATA`, the Linux package location, and the source
/// tree this binary was built from.
fn candidate_folders() -> Vec<PathBuf> {
    let mut folders = Vec::new();
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        folders.push(exe_dir.join("sample_data"));
        for installed in ["../share/genopriv", "../lib/genopriv", "../Resources"] {
            folders.push(exe_dir.join(installed).join("sample_data"));
        }
    }
    if let Some(dir) = std::env::var_os(SAMPLE_DATA_ENV).filter(|d| !d.is_empty()) {
        folders.push(PathBuf::from(dir));
    }
    folders.push(PathBuf::from("/usr/share/genopriv/sample_data"));
    folders.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data"));
    folders
}

/// Locates the sample cohort, or explains in a sentence where it was looked for.
pub fn locate_sample_data() -> Result<SampleData, String> {
    find_in(&candidate_folders())
}

/// The first folder holding the sample genotypes.
fn find_in(folders: &[PathBuf]) -> Result<SampleData, String> {
    folders
        .iter()
        .find(|folder| folder.join(SAMPLE_GENOTYPES).is_file())
        .map(|folder| {
            // `app/../sample_data` reads badly in messages; the resolved path does not.
            let folder = folder.canonicalize().unwrap_or_else(|_| folder.clone());
            SampleData {
                genotypes: folder.join(SAMPLE_GENOTYPES),
                phenotypes: folder.join(SAMPLE_PHENOTYPES),
                reference_panel: folder.join(SAMPLE_REFERENCE_PANEL),
            }
        })
        .ok_or_else(|| {
            let looked: Vec<String> = folders.iter().map(|f| f.display().to_string()).collect();
            format!(
                "The sample data ({SAMPLE_GENOTYPES}) was not found. GenoPriv looked in: {}. \
                 Set {SAMPLE_DATA_ENV} to the folder that holds it.",
                looked.join("; ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_tree_folder() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data")
    }

    #[test]
    fn first_folder_with_the_cohort_wins() -> Result<(), String> {
        let missing = PathBuf::from("/nonexistent/genopriv/sample_data");
        let found = find_in(&[missing, source_tree_folder()])?;
        assert_eq!(
            found.genotypes.canonicalize().ok(),
            source_tree_folder()
                .join(SAMPLE_GENOTYPES)
                .canonicalize()
                .ok()
        );
        assert!(!found.genotypes.to_string_lossy().contains(".."));
        assert!(found.phenotypes.is_file());
        assert!(found.reference_panel.is_file());
        Ok(())
    }

    #[test]
    fn absence_names_every_folder_tried() {
        let folders = [
            PathBuf::from("/nonexistent/a"),
            PathBuf::from("/nonexistent/b"),
        ];
        let Err(message) = find_in(&folders) else {
            panic!("no folder holds the sample data, yet one was found");
        };
        assert!(
            message.contains("/nonexistent/a; /nonexistent/b"),
            "{message}"
        );
        assert!(message.contains(SAMPLE_DATA_ENV), "{message}");
    }

    #[test]
    fn source_tree_is_the_last_resort() {
        let folders = candidate_folders();
        assert_eq!(folders.last(), Some(&source_tree_folder()));
        assert!(folders.contains(&PathBuf::from("/usr/share/genopriv/sample_data")));
    }

    /// The .deb's layout works under any prefix (`dpkg -x` into a scratch root, or
    /// `/usr/local`), not only `/usr`.
    #[test]
    fn package_layout_is_found_relative_to_the_executable() -> std::io::Result<()> {
        let exe = std::env::current_exe()?;
        let Some(exe_dir) = exe.parent() else {
            return Err(std::io::Error::other("the test executable has no folder"));
        };
        let folders = candidate_folders();
        assert!(folders.contains(&exe_dir.join("../share/genopriv/sample_data")));
        Ok(())
    }
}
