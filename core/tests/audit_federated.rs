//! FedAvg and the attacks on it: the average is the record-weighted mean of the
//! client models, the server's update-alignment attack finds a client's records in
//! its update, and records absent from that update (another client's) are the null
//! control.

use genopriv_core::audit::attacks::{
    OutputSignal, output_scores, update_alignment_scores, update_loss_drop_scores,
};
use genopriv_core::audit::metrics::{AttackReport, ReportOptions, auc};
use genopriv_core::job;
use genopriv_core::models::features::select_labels;
use genopriv_core::models::{ClientData, Features, FedAvg, SgdLogistic};
use genopriv_core::simulate::{PhenotypeModel, SimulationConfig, simulate};
use genopriv_core::{Error, Result};

struct Part {
    x: Features,
    y: Vec<u8>,
}

fn parts(n_per_part: usize, n_parts: usize, n_snps: usize, seed: u64) -> Result<Vec<Part>> {
    let cohort = simulate(&SimulationConfig {
        n_samples: n_per_part * n_parts,
        n_snps,
        phenotype: PhenotypeModel::Causal {
            n_causal: 10,
            effect_sd: 0.5,
            intercept: 0.0,
        },
        seed,
        ..SimulationConfig::default()
    })?;
    let x = Features::from_genotypes(&cohort.genotypes);
    (0..n_parts)
        .map(|k| {
            let rows: Vec<usize> = (k * n_per_part..(k + 1) * n_per_part).collect();
            Ok(Part {
                x: x.select_rows(&rows)?,
                y: select_labels(&cohort.phenotype, &rows)?,
            })
        })
        .collect()
}

#[test]
fn fedavg_is_the_record_weighted_mean_and_one_client_matches_local_sgd() -> Result<()> {
    let data = parts(100, 3, 20, 31)?;
    // Unequal client sizes: 100, 100, 50 records.
    let small_rows: Vec<usize> = (0..50).collect();
    let small = Part {
        x: data[2].x.select_rows(&small_rows)?,
        y: select_labels(&data[2].y, &small_rows)?,
    };
    let clients = [
        ClientData {
            x: &data[0].x,
            y: &data[0].y,
        },
        ClientData {
            x: &data[1].x,
            y: &data[1].y,
        },
        ClientData {
            x: &small.x,
            y: &small.y,
        },
    ];
    let fedavg = FedAvg::new(3, 2, SgdLogistic::default());
    let run = job::unattended(|job| fedavg.train(&clients, job))?;
    for round in &run.rounds {
        let client_models = round
            .client_models()
            .ok_or_else(|| Error::Parameter("plain FedAvg shows client models".into()))?;
        for j in 0..20 {
            let expected = (100.0 * client_models[0].weights[j]
                + 100.0 * client_models[1].weights[j]
                + 50.0 * client_models[2].weights[j])
                / 250.0;
            assert!((round.global_after.weights[j] - expected).abs() < 1e-12);
        }
    }
    // With one client, FedAvg is that client's SGD run: rounds x local epochs of
    // partial_fit on one persistent estimator.
    let single = FedAvg::new(3, 2, SgdLogistic::default());
    let run = job::unattended(|job| single.train(&clients[..1], job))?;
    let sgd = SgdLogistic::default();
    let mut state = sgd.start(20);
    for _ in 0..6 {
        sgd.partial_fit(&mut state, &data[0].x, &data[0].y)?;
    }
    assert_eq!(run.final_model(), Some(&state.model));
    Ok(())
}

#[test]
fn server_finds_a_clients_records_in_its_update_but_not_anothers() -> Result<()> {
    // Clients of 150 records and 200 SNPs; held-out records as non-members; the
    // server sees client 0's model after round 1.
    let data = parts(150, 3, 200, 32)?;
    let clients = [
        ClientData {
            x: &data[0].x,
            y: &data[0].y,
        },
        ClientData {
            x: &data[1].x,
            y: &data[1].y,
        },
    ];
    let held_out = &data[2];
    let fedavg = FedAvg::new(1, 20, SgdLogistic::default());
    let run = job::unattended(|job| fedavg.train(&clients, job))?;
    let round = &run.rounds[0];
    let client0 = round
        .client_models()
        .and_then(|models| models.first())
        .ok_or_else(|| Error::Parameter("plain FedAvg shows client models".into()))?;
    let score =
        |part: &Part| update_alignment_scores(&round.global_before, client0, &part.x, &part.y);
    let options = ReportOptions {
        bootstrap_resamples: 400,
        seed: 1,
        delta: 1e-5,
    };
    let drop =
        |part: &Part| update_loss_drop_scores(&round.global_before, client0, &part.x, &part.y);
    // 20 local epochs on 150 records and 201 parameters: the client model fits its
    // records, and both white-box scores find them; client 1's records did not shape
    // client 0's update, so they must not separate from held-out records.
    for (name, members, other_client, outside) in [
        (
            "alignment",
            score(&data[0])?,
            score(&data[1])?,
            score(held_out)?,
        ),
        (
            "loss drop",
            drop(&data[0])?,
            drop(&data[1])?,
            drop(held_out)?,
        ),
    ] {
        let exposed = AttackReport::new(&members, &outside, options)?;
        assert!(
            exposed.auc_interval.lower > 0.55,
            "{name}: client 0 AUC {} {:?}",
            exposed.auc,
            exposed.auc_interval
        );
        let null = AttackReport::new(&other_client, &outside, options)?;
        assert!(
            null.auc_interval.contains(0.5),
            "{name}: client 1 AUC {} {:?}",
            null.auc,
            null.auc_interval
        );
    }
    Ok(())
}

#[test]
fn pathade_scale_federation_leaks_little_through_the_final_model() -> Result<()> {
    // Spec §9 re-implementation: 5 IID clients x 4,000 records, 100 SNPs, 10 causal,
    // 10 rounds of one local epoch; 800 held-out records per client as non-members.
    // With 101 parameters and 4,000 records per client the generalisation gap is
    // tiny, so the black-box confidence attack must stay near chance.
    let data = parts(4_800, 5, 100, 33)?;
    let mut members = Vec::new();
    let mut non_members = Vec::new();
    for part in &data {
        let (train, test): (Vec<usize>, Vec<usize>) =
            ((0..4_000).collect(), (4_000..4_800).collect());
        members.push(Part {
            x: part.x.select_rows(&train)?,
            y: select_labels(&part.y, &train)?,
        });
        non_members.push(Part {
            x: part.x.select_rows(&test)?,
            y: select_labels(&part.y, &test)?,
        });
    }
    let clients: Vec<ClientData<'_>> = members
        .iter()
        .map(|m| ClientData { x: &m.x, y: &m.y })
        .collect();
    let fedavg = FedAvg::new(10, 1, SgdLogistic::default());
    let run = job::unattended(|job| fedavg.train(&clients, job))?;
    let model = run
        .final_model()
        .ok_or_else(|| Error::Parameter("ten rounds give a final model".into()))?;
    let mut scores_in = Vec::new();
    let mut scores_out = Vec::new();
    for (m, o) in members.iter().zip(&non_members) {
        scores_in.extend(output_scores(
            model,
            &m.x,
            &m.y,
            OutputSignal::TrueLabelConfidence,
        )?);
        scores_out.extend(output_scores(
            model,
            &o.x,
            &o.y,
            OutputSignal::TrueLabelConfidence,
        )?);
    }
    let value = auc(&scores_in, &scores_out)?;
    assert!((value - 0.5).abs() < 0.03, "confidence attack AUC {value}");
    Ok(())
}
