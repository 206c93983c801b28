//! A project file: the inputs of a set of studies (paths and SHA-256), every
//! setting and seed, and the results, so that `genopriv run` can rerun them
//! headless and check that the same numbers come out.
//!
//! The file is JSON with a `format_version`; a version this build does not know
//! is refused rather than half read. Input paths are stored relative to the
//! project file's folder (with `/` separators), so a project folder can be moved
//! or archived with its data.
//!
//! Results are kept as the JSON each study writes (`ShareReport`, `SweepResult`,
//! `ModelAuditReport`): they hold non-finite values (an ROC threshold of +inf)
//! that JSON writes as `null` and that the typed structs could not read back, and
//! comparing JSON trees is what `--check` needs anyway ([`compare`]).

pub mod compare;
pub mod record;
pub mod run;

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::write::AtomicFile;
use crate::data::{GenotypeFormat, plink_paths};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::study::{
    Candidate, Decision, GwasTest, Ledger, ModelAuditSettings, Policy, ShareSettings, SweepSettings,
};

pub use compare::{Difference, first_difference};
pub use record::{CohortFiles, CohortOptions, StudyRun};
pub use run::{RunOutcome, run_project};

/// The project format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A set of studies on recorded inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub format_version: u32,
    /// Every file a study reads, with its SHA-256 when the project recorded it.
    pub inputs: Vec<InputFile>,
    pub studies: Vec<Study>,
    /// Runs the steward pinned from sweeps, with notes (absent in older files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// The candidate chosen for release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The thresholds candidates are judged against.
    #[serde(default, skip_serializing_if = "Policy::is_empty")]
    pub policy: Policy,
    /// Privacy budget spent per cohort (keyed by the cohort file's SHA-256).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledgers: Vec<Ledger>,
}

/// One input file, relative to the project file's folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

/// One study: what it reads, how it runs, and what it found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Study {
    /// Unique within the project; a study recorded again under the same name
    /// replaces the old one.
    pub name: String,
    pub spec: StudySpec,
    /// The study's results as it writes them; `null` until it has run.
    pub result: Option<serde_json::Value>,
}

/// A study's inputs and settings: everything needed to rerun it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StudySpec {
    /// One shared copy (`genopriv share`), seeded.
    Share {
        data: CohortData,
        settings: ShareSettings,
        seed: u64,
    },
    /// A sweep over epsilon (`genopriv sweep`); the seed is in the settings.
    Sweep {
        data: CohortData,
        settings: SweepSettings,
    },
    /// A model audit (`genopriv audit model`); the seed (split, models,
    /// bootstrap) is in the settings.
    ModelAudit {
        data: AuditData,
        settings: ModelAuditSettings,
    },
}

impl StudySpec {
    /// The kind's name, as in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            StudySpec::Share { .. } => "share",
            StudySpec::Sweep { .. } => "sweep",
            StudySpec::ModelAudit { .. } => "model_audit",
        }
    }

    /// Every seed the study uses.
    pub fn seed(&self) -> u64 {
        match self {
            StudySpec::Share { seed, .. } => *seed,
            StudySpec::Sweep { settings, .. } => settings.seed,
            StudySpec::ModelAudit { settings, .. } => settings.seed,
        }
    }

    /// The genotype files (as recorded) the study reads.
    fn paths(&self) -> Vec<&str> {
        match self {
            StudySpec::Share { data, .. } | StudySpec::Sweep { data, .. } => data.paths(),
            StudySpec::ModelAudit { data, .. } => {
                vec![data.genotypes.as_str(), data.pheno.as_str()]
            }
        }
    }
}

/// How genotype files are read (the CLI's `--split-multiallelic`, `--keep-non-snps`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadSettings {
    pub split_multiallelic: bool,
    pub keep_non_snps: bool,
}

/// The cohort and public data a sharing study or sweep starts from. Paths are
/// relative to the project file's folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CohortData {
    pub genotypes: String,
    pub reference: Option<String>,
    pub reference_af: Option<String>,
    pub pheno: Option<String>,
    pub case_column: String,
    pub gwas_test: GwasTest,
    /// Significance level of the original GWAS, and the tolerance of retention
    /// (the released GWAS is read at `alpha / tau`).
    pub alpha: f64,
    pub tau: f64,
    pub read: ReadSettings,
}

impl CohortData {
    fn paths(&self) -> Vec<&str> {
        std::iter::once(self.genotypes.as_str())
            .chain(self.reference.as_deref())
            .chain(self.reference_af.as_deref())
            .chain(self.pheno.as_deref())
            .collect()
    }
}

/// The cohort and phenotypes a model audit starts from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditData {
    pub genotypes: String,
    pub pheno: String,
    pub case_column: String,
    pub read: ReadSettings,
}

impl Default for Project {
    fn default() -> Self {
        Self::new()
    }
}

impl Project {
    pub fn new() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            inputs: Vec::new(),
            studies: Vec::new(),
            candidates: Vec::new(),
            decision: None,
            policy: Policy::default(),
            ledgers: Vec::new(),
        }
    }

    /// Reads a project file, refusing a format version this build does not know.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            Error::parse(
                path,
                crate::Location::Line(e.line() as u64),
                format!("not a GenoPriv project (invalid JSON: {e})"),
            )
        })?;
        match value.get("format_version").map(serde_json::Value::as_u64) {
            None => {
                return Err(Error::invalid(
                    path,
                    "not a GenoPriv project: it has no `format_version` field",
                ));
            }
            Some(Some(v)) if v == u64::from(FORMAT_VERSION) => {}
            Some(found) => {
                return Err(Error::invalid(
                    path,
                    format!(
                        "project format version {} is not supported: this GenoPriv ({}) reads \
                         format version {FORMAT_VERSION} only; open the project with the \
                         GenoPriv version that wrote it",
                        found.map_or_else(|| "(not a whole number)".to_owned(), |v| v.to_string()),
                        env!("CARGO_PKG_VERSION")
                    ),
                ));
            }
        }
        serde_json::from_value(value)
            .map_err(|e| Error::invalid(path, format!("not a valid GenoPriv project file: {e}")))
    }

    /// Reads the project at `path`, or starts an empty one if there is no file.
    pub fn load_or_new(path: &Path) -> Result<Self> {
        if path.exists() {
            Self::load(path)
        } else {
            Ok(Self::new())
        }
    }

    /// Writes the project atomically; it may not replace one of its own inputs.
    pub fn save(&self, path: &Path) -> Result<()> {
        let folder = project_folder(path);
        let inputs: Vec<PathBuf> = self.inputs.iter().map(|i| folder.join(&i.path)).collect();
        let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        let mut file = AtomicFile::create(path, &input_refs)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| {
            Error::invalid(
                path,
                format!("the project could not be written as JSON: {e}"),
            )
        })?;
        writeln!(file, "{text}").map_err(|e| Error::io(path, e))?;
        file.commit()
    }

    /// The candidate the decision names, if it is still pinned.
    pub fn chosen_candidate(&self) -> Option<&Candidate> {
        let decision = self.decision.as_ref()?;
        self.candidates.iter().find(|c| c.id == decision.candidate)
    }

    /// Adds `study`, replacing a study of the same name.
    pub fn upsert_study(&mut self, study: Study) {
        match self.studies.iter_mut().find(|s| s.name == study.name) {
            Some(slot) => *slot = study,
            None => self.studies.push(study),
        }
    }

    /// Records the files a dataset named by `path` is read from (all three of a
    /// PLINK set) with their SHA-256, and returns `path` relative to the project
    /// folder, as studies refer to it.
    pub fn add_input(&mut self, project_file: &Path, path: &Path, job: Job<'_>) -> Result<String> {
        let folder = absolute_folder(project_file)?;
        let relative = relative_to(&folder, path)?;
        for file in files_read(path) {
            let entry = InputFile {
                path: relative_to(&folder, &file)?,
                sha256: sha256_file(&file, job)?,
            };
            match self.inputs.iter_mut().find(|i| i.path == entry.path) {
                Some(slot) => *slot = entry,
                None => self.inputs.push(entry),
            }
        }
        Ok(relative)
    }

    /// Drops recorded inputs that no study reads any more.
    pub fn prune_inputs(&mut self) {
        let used: Vec<String> = self
            .studies
            .iter()
            .flat_map(|s| s.spec.paths())
            .flat_map(|p| files_read(Path::new(p)))
            .map(|p| slash_path(&p))
            .collect();
        self.inputs.retain(|i| used.contains(&i.path));
    }

    /// Checks that every input still has the SHA-256 the project recorded; the
    /// first that does not (or cannot be read) is an error naming it.
    pub fn verify_inputs(&self, project_file: &Path, job: Job<'_>) -> Result<()> {
        let folder = project_folder(project_file);
        for input in &self.inputs {
            let path = folder.join(&input.path);
            let actual = sha256_file(&path, job)?;
            if actual != input.sha256 {
                return Err(Error::invalid(
                    &path,
                    format!(
                        "this input changed since the project recorded it (SHA-256 now {actual}, \
                         recorded {}); rerunning on other data would not reproduce the study. \
                         Restore the original file, or record the study again",
                        input.sha256
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every input's state now: unchanged, changed or not available here (an IRB
    /// reviewer may open a project without its data). Only a cancel is an error.
    pub fn check_inputs(&self, project_file: &Path, job: Job<'_>) -> Result<Vec<InputCheck>> {
        let folder = project_folder(project_file);
        let mut checks = Vec::with_capacity(self.inputs.len());
        for input in &self.inputs {
            let state = match sha256_file(&folder.join(&input.path), job) {
                Ok(actual) if actual == input.sha256 => InputState::Unchanged,
                Ok(actual) => InputState::Changed { actual },
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(e) => InputState::Unavailable {
                    reason: e.to_string(),
                },
            };
            checks.push(InputCheck {
                path: input.path.clone(),
                state,
            });
        }
        Ok(checks)
    }

    /// The recorded SHA-256 of an input path, as studies refer to it (the `.bed`
    /// of a PLINK set).
    pub fn input_sha256(&self, path: &str) -> Option<&str> {
        let first = files_read(Path::new(path)).into_iter().next()?;
        let key = slash_path(&first);
        self.inputs
            .iter()
            .find(|i| i.path == key)
            .map(|i| i.sha256.as_str())
    }
}

/// One input of a project, checked against its recorded SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputCheck {
    /// As recorded: relative to the project file.
    pub path: String,
    pub state: InputState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputState {
    Unchanged,
    /// The file differs from the one the studies ran on.
    Changed {
        actual: String,
    },
    /// The file could not be read (moved, deleted, not copied with the project).
    Unavailable {
        reason: String,
    },
}

/// The folder relative paths of a project start from.
pub fn project_folder(project_file: &Path) -> PathBuf {
    match project_file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn absolute_folder(project_file: &Path) -> Result<PathBuf> {
    let folder = project_folder(project_file);
    folder.canonicalize().map_err(|e| Error::io(&folder, e))
}

/// The files a dataset named by `path` is read from: all three of a PLINK set.
pub fn files_read(path: &Path) -> Vec<PathBuf> {
    match GenotypeFormat::from_path(path) {
        Ok(GenotypeFormat::PlinkBed) => {
            let (bed, bim, fam) = plink_paths(path);
            vec![bed, bim, fam]
        }
        _ => vec![path.to_path_buf()],
    }
}

/// `path` relative to the (absolute) `folder`, with `/` separators.
fn relative_to(folder: &Path, path: &Path) -> Result<String> {
    let target = match path.canonicalize() {
        Ok(p) => p,
        // A PLINK prefix is not a file itself: resolve its folder instead.
        Err(_) => {
            let parent = project_folder(path)
                .canonicalize()
                .map_err(|e| Error::io(path, e))?;
            let name = path
                .file_name()
                .ok_or_else(|| Error::invalid(path, "an input must name a file"))?;
            parent.join(name)
        }
    };
    let from: Vec<Component> = folder.components().collect();
    let to: Vec<Component> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return Err(Error::invalid(
            path,
            "this input is on another drive than the project file, so it cannot be stored as \
             a relative path; put the project next to its data",
        ));
    }
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to.iter()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(parts.join("/"))
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The hex SHA-256 digest of a file, read in 1 MiB chunks.
pub fn sha256_file(path: &Path, job: Job<'_>) -> Result<String> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            break;
        };
        hasher.update(chunk);
        done += n as u64;
        job.checkpoint(
            "Hashing inputs",
            (len > 0).then(|| done as f32 / len as f32),
        )?;
    }
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::unattended;
    use crate::study::{Budget, Mechanism, TargetChoice};

    fn share_study(name: &str, seed: u64) -> Study {
        Study {
            name: name.to_owned(),
            spec: StudySpec::Share {
                data: CohortData {
                    genotypes: "data/cohort.vcf".into(),
                    reference: Some("data/panel.vcf".into()),
                    reference_af: None,
                    pheno: None,
                    case_column: "case".into(),
                    gwas_test: GwasTest::Allelic,
                    alpha: 0.05,
                    tau: 0.8,
                    read: ReadSettings::default(),
                },
                settings: ShareSettings {
                    mechanism: Mechanism::Xor,
                    budget: Budget::PerSnp(0.5),
                    targets: TargetChoice::DifferentiallyPrivate { epsilon: 2.0 },
                },
                seed,
            },
            result: Some(serde_json::json!({"point_error": 0.25, "roc": [null, 1.5]})),
        }
    }

    #[test]
    fn a_project_round_trips_through_its_file() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("study.genopriv.json");
        let mut project = Project::new();
        project.inputs.push(InputFile {
            path: "data/cohort.vcf".into(),
            sha256: "ab".repeat(32),
        });
        project.upsert_study(share_study("share", 7));
        project.upsert_study(share_study("other", 8));
        project.save(&path)?;
        assert_eq!(Project::load(&path)?, project);
        // Recording a study again under its name replaces it.
        project.upsert_study(share_study("share", 9));
        assert_eq!(project.studies.len(), 2);
        assert_eq!(project.studies.first().map(|s| s.spec.seed()), Some(9));
        Ok(())
    }

    #[test]
    fn decisions_round_trip_and_old_files_still_load() -> Result<()> {
        use crate::study::{CandidateFigures, CandidateRun, LedgerEntry};
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("old.json");
        // A file written before candidates existed.
        std::fs::write(
            &path,
            r#"{"format_version": 1, "inputs": [], "studies": []}"#,
        )
        .map_err(|e| Error::io(&path, e))?;
        let mut project = Project::load(&path)?;
        assert!(project.candidates.is_empty() && project.decision.is_none());
        assert!(project.policy.is_empty() && project.ledgers.is_empty());
        project.candidates.push(Candidate {
            id: 1,
            run: CandidateRun::Sharing {
                mechanism: Mechanism::Xor,
                targets: TargetChoice::Reference,
                repeat: 0,
                seed: 5,
            },
            figures: CandidateFigures {
                epsilon_nominal: 21_892.0,
                epsilon_per_snp: Some(2.0),
                epsilon_realised: Some(17_000.0),
                epsilon_spent: Some(17_000.0),
                delta: 0.0,
                utility_label: "GWAS SNP retention".into(),
                utility: Some(0.7),
                allele_frequency_error: Some(0.01),
                membership_tpr_at_1pct_fpr: None,
                membership_tpr_interval: None,
                membership_auc: Some(0.52),
            },
            cohort_sha256: Some("ab".repeat(32)),
            note: "keeps <most> hits & costs little".into(),
        });
        project.decision = Some(Decision {
            candidate: 1,
            rationale: String::new(),
        });
        project.policy.min_utility = Some(0.8);
        let mut ledger = Ledger::new("ab".repeat(32));
        ledger.record(LedgerEntry {
            label: "2025 release".into(),
            epsilon: 3.0,
            delta: 0.0,
        })?;
        project.ledgers.push(ledger);
        project.save(&path)?;
        let back = Project::load(&path)?;
        assert_eq!(back, project);
        assert_eq!(back.chosen_candidate().map(|c| c.id), Some(1));
        // An empty project writes none of the new fields: older builds read it.
        let empty =
            serde_json::to_value(Project::new()).map_err(|e| Error::Parameter(e.to_string()))?;
        let keys: Vec<&String> = empty
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["format_version", "inputs", "studies"]);
        Ok(())
    }

    #[test]
    fn unknown_format_versions_are_refused_by_name() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("p.json");
        std::fs::write(
            &path,
            r#"{"format_version": 2, "inputs": [], "studies": []}"#,
        )
        .map_err(|e| Error::io(&path, e))?;
        let Err(e) = Project::load(&path) else {
            return Err(Error::Parameter("version 2 was accepted".into()));
        };
        let message = e.to_string();
        assert!(message.contains("p.json"), "{message}");
        assert!(
            message.contains("format version 2 is not supported"),
            "{message}"
        );
        std::fs::write(&path, r#"{"inputs": []}"#).map_err(|e| Error::io(&path, e))?;
        assert!(Project::load(&path).is_err());
        Ok(())
    }

    #[test]
    fn inputs_are_relative_to_the_project_and_checked() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data).map_err(|e| Error::io(&data, e))?;
        let input = data.join("cohort.tsv");
        std::fs::write(&input, "abc").map_err(|e| Error::io(&input, e))?;
        let projects = dir.path().join("projects");
        std::fs::create_dir(&projects).map_err(|e| Error::io(&projects, e))?;
        let project_file = projects.join("p.json");
        let mut project = Project::new();
        let relative = unattended(|job| project.add_input(&project_file, &input, job))?;
        assert_eq!(relative, "../data/cohort.tsv");
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            project.input_sha256(&relative),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        unattended(|job| project.verify_inputs(&project_file, job))?;
        let state = |project: &Project| -> Result<Vec<InputState>> {
            let checks = unattended(|job| project.check_inputs(&project_file, job))?;
            Ok(checks.into_iter().map(|c| c.state).collect())
        };
        assert_eq!(state(&project)?, [InputState::Unchanged]);
        std::fs::write(&input, "abd").map_err(|e| Error::io(&input, e))?;
        let Err(e) = unattended(|job| project.verify_inputs(&project_file, job)) else {
            return Err(Error::Parameter("a changed input passed".into()));
        };
        assert!(e.to_string().contains("cohort.tsv"), "{e}");
        assert!(matches!(
            state(&project)?.as_slice(),
            [InputState::Changed { actual }]
                if actual.len() == 64 && project.input_sha256(&relative) != Some(actual.as_str())
        ));
        std::fs::remove_file(&input).map_err(|e| Error::io(&input, e))?;
        assert!(matches!(
            state(&project)?.as_slice(),
            [InputState::Unavailable { reason }] if reason.contains("cohort.tsv")
        ));
        Ok(())
    }
}
