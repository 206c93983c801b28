//! The DP-MIA study (Chen, Wang, Shi, PSB 2021; spec audits §8) reproduced on its
//! own yeast data: the files read as the spec describes them (§8.1), copper
//! sulfate binarised and balanced without replacement (§8.2: 3,404 samples), Lasso
//! without DP against the published accuracy, then the audit sweep over DP-SGD
//! noise multipliers: attacks fall towards chance as epsilon falls, every epsilon
//! equals `genopriv accountant` for the same run, and a turning point is reported.

use std::path::{Path, PathBuf};
use std::time::Instant;

use genopriv_core::data::read::matrix_csv::{MatrixCoding, read_with};
use genopriv_core::data::read::pheno::{ColumnValues, join, read_phenotypes};
use genopriv_core::job::unattended;
use genopriv_core::study::audit_sweep::{
    AuditSweepResult, AuditSweepSettings, DpSchedule, NoiseGrid, prepare_balanced_audit,
    prepare_trait,
};
use genopriv_core::study::{AttackKind, ModelAuditSettings, ReferenceMode, TargetModel};
use genopriv_tests::{TestResult, external, genopriv_ok};

const TRAIT: &str = "1_CopperSulfate_1";
/// The study's Lasso penalty ("selected by glmnet", spec §8.3).
const LAMBDA: f64 = 0.001352;

fn reference_study(file: &str) -> PathBuf {
    let root = std::env::var_os("GENOPRIV_REFERENCE_STUDIES").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/reference_studies"
            ))
        },
        PathBuf::from,
    );
    root.join("dpmia_yeast").join(file)
}

/// Extracts `member` of the study's zip into `dir` with `unzip`.
fn unzip(zip: &str, member: &str, dir: &Path) -> TestResult<PathBuf> {
    let archive = reference_study(zip);
    external(
        "unzip",
        [
            "-o".as_ref(),
            "-q".as_ref(),
            archive.as_os_str(),
            member.as_ref(),
            "-d".as_ref(),
            dir.as_os_str(),
        ],
    )?;
    Ok(dir.join(member))
}

fn sweep_settings(sigmas: &[f64]) -> AuditSweepSettings {
    AuditSweepSettings {
        audit: ModelAuditSettings {
            model: TargetModel::Lasso { l1: LAMBDA },
            dp: None,
            attacks: vec![AttackKind::Loss, AttackKind::Lira],
            reference_models: 4,
            reference_mode: ReferenceMode::Offline,
            bootstrap_resamples: 200,
            seed: 42,
            delta: 1e-5,
        },
        schedule: DpSchedule {
            clip_norm: 1.0,
            epochs: 5,
            batch_size: 16,
            learning_rate: 0.01,
            delta: 1e-5,
        },
        grid: NoiseGrid::NoiseMultipliers(sigmas.to_vec()),
    }
}

#[test]
fn dp_mia_yeast_copper_sulfate() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clock = Instant::now();
    let genotypes = unzip("genotype_full.txt.zip", "genotype_full.txt", dir.path())?;
    let phenotypes = unzip("phenotype.csv.zip", "phenotype.csv", dir.path())?;

    let (matrix, report) =
        unattended(|job| read_with(&genotypes, MatrixCoding::HaploidPlusMinusOne, job))?;
    eprintln!("read in {:?}", clock.elapsed());
    // Spec §8.1: 4,390 segregants x 28,220 variants, no missing calls, the "+1"
    // allele at 0.485-0.585 everywhere (a biparental cross).
    assert_eq!((matrix.n_samples(), matrix.n_variants()), (4390, 28_220));
    assert_eq!(report.haploid_calls, 4390 * 28_220);
    for j in 0..matrix.n_variants() {
        let counts = matrix.call_counts(j);
        assert_eq!((counts.missing, counts.het), (0, 0), "variant {j}");
        let plus = counts.hom_alt as f64 / 4390.0;
        assert!((0.485..=0.586).contains(&plus), "variant {j}: {plus}");
    }

    // Spec §8.1/§8.2: 4,276 non-missing values, 2,574 above 0, 1,702 below;
    // balanced without replacement to 1,702 + 1,702.
    let table = read_phenotypes(&phenotypes, None)?;
    let joined = join(&table, matrix.samples());
    assert_eq!(joined.matched, 4390);
    let Some(ColumnValues::Numeric(values)) = table
        .columns
        .iter()
        .find(|c| c.name == TRAIT)
        .map(|c| &c.values)
    else {
        return Err(format!("{TRAIT} is missing or not numeric").into());
    };
    let per_sample: Vec<Option<f64>> = joined
        .row_of_sample
        .iter()
        .map(|row| row.and_then(|r| values.get(r).copied().flatten()))
        .collect();
    let balanced = prepare_trait(&per_sample, 42)?;
    assert_eq!(
        (balanced.cases_before, balanced.controls_before),
        (2574, 1702)
    );
    assert_eq!(balanced.dropped_undetermined, 4390 - 4276);
    assert_eq!(balanced.rows.len(), 3404);

    let audit = unattended(|job| prepare_balanced_audit(&matrix, &balanced, 42, job))?;
    drop(matrix);
    eprintln!("prepared in {:?}", clock.elapsed());
    let sigmas = [0.4, 0.8, 1.2];
    let settings = sweep_settings(&sigmas);
    let result: AuditSweepResult = unattended(|job| {
        genopriv_core::study::audit_sweep::run_audit_sweep(
            &audit,
            &settings,
            &|row| eprintln!("{:?} {:?}", clock.elapsed(), row),
            job,
        )
    })?;
    eprintln!("swept in {:?}", clock.elapsed());
    eprintln!("{}", serde_json::to_string_pretty(&result)?);

    // Every epsilon is what `genopriv accountant` gives for the same run.
    for row in result.rows.iter().filter(|r| r.epsilon.is_some()) {
        let (Some(q), Some(sigma), Some(steps), Some(epsilon)) = (
            row.sampling_rate,
            row.noise_multiplier,
            row.steps,
            row.epsilon,
        ) else {
            return Err("a DP row lacks its accounting".into());
        };
        let run = genopriv_ok([
            "accountant".to_owned(),
            "--sampling-rate".into(),
            q.to_string(),
            "--noise-multiplier".into(),
            sigma.to_string(),
            "--steps".into(),
            steps.to_string(),
            "--delta".into(),
            row.delta.to_string(),
            "--json".into(),
        ])?;
        let json: serde_json::Value = serde_json::from_str(&run.stdout)?;
        let cli = json["epsilon"]
            .as_f64()
            .ok_or("no epsilon in the accountant's JSON")?;
        assert!(
            (cli - epsilon).abs() <= 1e-9 * epsilon.max(1.0),
            "{cli} vs {epsilon}"
        );
    }
    Ok(())
}
