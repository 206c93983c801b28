#!/usr/bin/env python3
"""Anchor comparison (issue 5): GenoPriv's DP synthetic genotypes against
smartnoise-synth's MST on the same data at the same (epsilon, delta).

Workload: 2,000-person simulated cohorts (1,000 SNPs in the issue) (`genopriv simulate`, seeds
given with --seeds, 10 causal SNPs). `genopriv synth` splits it in a training half and a holdout and
trains on the training half; MST is trained on exactly the same training half
(the sample IDs GenoPriv's report names), as a table of 1,000 categorical SNP
columns (0/1/2) plus the case/control column, and draws as many people.

Both synthetic sets are then scored by the same code below, against the training
half:
- allele-frequency error: mean |p_real - p_synthetic| over SNPs;
- LD: r^2 between SNPs 1..10 positions apart, real and synthetic, and the mean
  absolute difference (the decay curves are printed);
- GWAS retention: the training half's SNPs at allelic p < alpha (GenoPriv's report's
  alpha) found at p < alpha / tau in the synthetic data (PROVGEN's threshold
  retention, the report's tau), and, because a generator that ties every SNP to the
  label "retains" every hit, the share of all SNPs significant in the synthetic data
  (retention by chance) and the AUC with which synthetic p-values rank the real hits
  above the other SNPs (0.5: no information).

Every figure is the mean over the seeds (one simulated cohort each), with the range.
MST's results are cached per SNP count, seed, epsilon and delta in mst_cache.json
beside this script (with the training half they were trained on, so a changed split
is recomputed): rerunning after a GenoPriv change costs GenoPriv's time only.

Wall time: the whole `genopriv synth` process (reading the VCF, fitting, sampling,
and its full evaluation: GWAS, attacks with bootstraps, writing files) against
MST's fit + sample only (the table already in memory). The ratio is therefore
conservative for GenoPriv.

MST's selection step scores every pair of columns, so its time grows with the square
of the SNP count (a probe here: 22 s for 20 columns, 147 s for 50): at 1,000 SNPs it
runs for hours. The script therefore runs each size given with --snps, stops MST after
--mst-timeout seconds (then only GenoPriv's figures and MST's lower bound on time are
reported), and fits MST's times over the sizes that finished to extrapolate.

Usage: python3 run.py [--genopriv PATH] [--snps 50,100,1000] [--seeds 5,6,7] [--epsilon 3]
                      [--delta 1e-6] [--mst-timeout 3600] [--out results.md]
Writes the results (results.md) beside this script. Needs numpy, scipy, pandas and
smartnoise-synth (PyPI).
"""
import argparse
import gzip
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from scipy.stats import chi2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
N = 2000
MAX_DISTANCE = 10


def read_vcf(path):
    """Sample IDs and the samples x SNPs matrix of 0/1/2 allele counts."""
    rows, samples = [], []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("##"):
                continue
            fields = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                samples = fields[9:]
                continue
            rows.append([int(g[0]) + int(g[2]) for g in fields[9:]])
    return samples, np.asarray(rows, dtype=np.int64).T


def read_pheno(path, column="case"):
    table = pd.read_csv(path, sep="\t", dtype=str)
    return dict(zip(table.iloc[:, 0], table[column].astype(int)))


def allele_frequencies(x):
    return x.mean(axis=0) / 2.0


def ld_by_distance(x):
    """Mean r^2 of SNP pairs d = 1..MAX_DISTANCE positions apart, and every r^2."""
    centred = x - x.mean(axis=0)
    sd = centred.std(axis=0)
    curve, values = [], []
    for d in range(1, MAX_DISTANCE + 1):
        a, b = centred[:, :-d], centred[:, d:]
        denom = sd[:-d] * sd[d:]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (a * b).mean(axis=0) / denom
        r2 = np.where(denom > 0, r * r, 0.0)
        curve.append(float(r2.mean()))
        values.append(r2)
    return curve, np.concatenate(values)


def allelic_p(x, case):
    """1-df allelic chi-square p-values (plink --assoc, no continuity correction)."""
    case = case.astype(bool)
    a_case = x[case].sum(axis=0).astype(float)
    a_ctrl = x[~case].sum(axis=0).astype(float)
    n_case, n_ctrl = 2.0 * case.sum(), 2.0 * (~case).sum()
    table = np.stack([a_case, n_case - a_case, a_ctrl, n_ctrl - a_ctrl])
    total = table.sum(axis=0)
    rows = np.stack([n_case * np.ones_like(total), n_ctrl * np.ones_like(total)])
    cols = np.stack([a_case + a_ctrl, total - a_case - a_ctrl])
    stat = np.zeros_like(total)
    for i, (r, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        expected = rows[r] * cols[c] / total
        with np.errstate(invalid="ignore", divide="ignore"):
            stat += np.where(expected > 0, (table[i] - expected) ** 2 / expected, 0.0)
    return chi2.sf(stat, 1)


def score(real_x, real_y, syn_x, syn_y, alpha, tau):
    af = float(np.abs(allele_frequencies(real_x) - allele_frequencies(syn_x)).mean())
    real_curve, real_r2 = ld_by_distance(real_x)
    syn_curve, syn_r2 = ld_by_distance(syn_x)
    hits = allelic_p(real_x, real_y) < alpha
    kept = allelic_p(syn_x, syn_y) < alpha / tau
    retention = float((hits & kept).sum() / hits.sum()) if hits.sum() else float("nan")
    # Retention by chance alone: the share of all SNPs significant in the synthetic
    # data (a generator that ties every SNP to the label "retains" everything).
    chance = float(kept.mean())
    # Mann-Whitney AUC of the synthetic p-values: hits against the other SNPs.
    syn_p = allelic_p(syn_x, syn_y)
    pairs = [(h, o) for h in syn_p[hits] for o in syn_p[~hits]]
    auc = (float(np.mean([1.0 if h < o else 0.5 if h == o else 0.0 for h, o in pairs]))
           if pairs else float("nan"))
    return {
        "allele_frequency_mae": af,
        "ld_r2_mae": float(np.abs(real_r2 - syn_r2).mean()),
        "ld_curve": syn_curve,
        "real_ld_curve": real_curve,
        "real_hits": int(hits.sum()),
        "gwas_retention": retention,
        "gwas_chance": chance,
        "gwas_auc": auc,
    }


def run_genopriv(binary, work, snps, seed, epsilon, delta):
    cohort, pheno = os.path.join(work, "cohort.vcf.gz"), os.path.join(work, "pheno.tsv")
    subprocess.run(
        [binary, "simulate", "--samples", str(N), "--snps", str(snps), "--seed", str(seed),
         "--out", cohort, "--pheno-out", pheno],
        check=True, stdout=subprocess.DEVNULL)
    out, report = os.path.join(work, "synthetic.vcf.gz"), os.path.join(work, "report.json")
    start = time.perf_counter()
    subprocess.run(
        [binary, "synth", cohort, "--pheno", pheno, "--epsilon", str(epsilon),
         "--delta", str(delta), "--seed", str(seed), "--out", out, "--report", report],
        check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    with open(report) as f:
        report = json.load(f)
    return cohort, pheno, out, report, seconds


def mst_worker(table, epsilon, delta, n, queue):
    from snsynth import Synthesizer

    synth = Synthesizer.create("mst", epsilon=epsilon, delta=delta, verbose=False)
    start = time.perf_counter()
    synth.fit(table, categorical_columns=list(table.columns), preprocessor_eps=0.0)
    sample = synth.sample(n)
    queue.put((sample, time.perf_counter() - start))


def run_mst(table, epsilon, delta, n, timeout):
    """MST's sample and fit + sample time, or (None, timeout) if it did not finish."""
    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=mst_worker, args=(table, epsilon, delta, n, queue))
    process.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:  # queue.Empty: MST still running at the deadline
        return None, float(timeout)
    finally:
        process.kill()
        process.join()


def load_cache():
    path = os.path.join(HERE, "mst_cache.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def save_cache(cache):
    path = os.path.join(HERE, "mst_cache.json")
    with open(path + ".tmp", "w") as f:
        json.dump(cache, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


def compare(binary, snps, seed, epsilon, delta, timeout, cache):
    with tempfile.TemporaryDirectory() as work:
        cohort, pheno, out, report, gp_seconds = run_genopriv(
            binary, work, snps, seed, epsilon, delta)
        samples, x = read_vcf(cohort)
        status = read_pheno(pheno)
        index = {s: i for i, s in enumerate(samples)}
        training = [index[s] for s in report["training_samples"]]
        real_x = x[training]
        real_y = np.asarray([status[samples[i]] for i in training])
        syn_samples, syn_x = read_vcf(out)
        syn_status = read_pheno(out[: -len(".vcf.gz")] + ".pheno.tsv")
        syn_y = np.asarray([syn_status[s] for s in syn_samples])
    alpha, tau = report["gwas"]["alpha"], report["gwas"]["tau"]
    ours = score(real_x, real_y, syn_x, syn_y, alpha, tau)
    key = f"{snps}-{seed}-{epsilon:g}-{delta:g}"
    cached = cache.get(key)
    if cached and cached["training_samples"] == report["training_samples"] and (
            cached["theirs"] is not None or cached["mst_seconds"] >= timeout):
        theirs, mst_seconds = cached["theirs"], cached["mst_seconds"]
    else:
        columns = [f"snp{j}" for j in range(real_x.shape[1])]
        table = pd.DataFrame(real_x, columns=columns)
        table["case"] = real_y
        mst, mst_seconds = run_mst(table, epsilon, delta, len(training), timeout)
        theirs = None
        if mst is not None:
            mst_x = mst[columns].to_numpy(dtype=np.int64)
            theirs = score(real_x, real_y, mst_x, mst["case"].to_numpy(dtype=np.int64),
                           alpha, tau)
        cache[key] = {"training_samples": report["training_samples"], "theirs": theirs,
                      "mst_seconds": mst_seconds}
        save_cache(cache)
    return {
        "snps": snps, "seed": seed, "n_training": len(training), "alpha": alpha, "tau": tau,
        "report": report, "ours": ours, "theirs": theirs,
        "gp_seconds": gp_seconds, "mst_seconds": mst_seconds,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--genopriv", default=os.path.join(ROOT, "target/release/genopriv"))
    parser.add_argument("--snps", default="50,100,1000")
    parser.add_argument("--seeds", default="5,6,7")
    parser.add_argument("--epsilon", type=float, default=3.0)
    parser.add_argument("--delta", type=float, default=1e-6)
    parser.add_argument("--mst-timeout", type=float, default=3600.0)
    parser.add_argument("--out", default="results.md", help="file beside this script")
    args = parser.parse_args()
    cache = load_cache()
    runs = []
    for snps in [int(v) for v in args.snps.split(",")]:
        for seed in [int(v) for v in args.seeds.split(",")]:
            runs.append(compare(args.genopriv, snps, seed, args.epsilon, args.delta,
                                args.mst_timeout, cache))
            print(f"{snps} SNPs, seed {seed}: GenoPriv {runs[-1]['gp_seconds']:.2f} s, "
                  f"MST {runs[-1]['mst_seconds']:.1f} s", flush=True)
    write_results(args, runs)


def summary(values, digits):
    """Mean (min-max) of the finite values, or "-"."""
    values = [v for v in values if v is not None and np.isfinite(v)]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def write_results(args, runs):
    from importlib.metadata import version

    seeds = sorted({r["seed"] for r in runs})
    for r in runs:
        for side in (r["ours"], r["theirs"]):
            if side is not None:
                side["gwas_above_chance"] = side["gwas_retention"] - side["gwas_chance"]
    lines = [
        "# GenoPriv synthesis against smartnoise-synth MST",
        "",
        f"Simulated cohorts of {N} people (`genopriv simulate --seed S`, S in "
        f"{', '.join(map(str, seeds))}; 10 causal SNPs); both generators trained on the same "
        f"training half at epsilon {args.epsilon:g}, delta {args.delta:g}; smartnoise-synth "
        f"{version('smartnoise-synth')}; MST stopped after {args.mst_timeout:.0f} s. "
        "GenoPriv's time is its whole `genopriv synth` process (reading, fitting, sampling, "
        "the full evaluation, writing); MST's is fit + sample with the table in memory. "
        "Produced by `run.py`; utility scored by the same code for both, against the "
        "training half. Each cell: mean over the seeds (range); lower is better for errors "
        "and retention by chance, higher for retention and hit AUC.",
        "",
        "| SNPs | Generator | Seeds | Time (s) | AF MAE | LD r^2 MAE | GWAS retention "
        "| Retention by chance | Retention above chance | GWAS hit AUC |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    sizes = sorted({r["snps"] for r in runs})
    for snps in sizes:
        here = [r for r in runs if r["snps"] == snps]
        finished = [r for r in here if r["theirs"] is not None]
        for name, side, rows in [("GenoPriv", "ours", here), ("MST", "theirs", finished)]:
            if not rows:
                lines.append(f"| {snps} | MST | 0 of {len(here)} finished | "
                             f"> {max(r['mst_seconds'] for r in here):.0f} | - | - | - | - | - | - |")
                continue
            seconds = [r["gp_seconds"] if side == "ours" else r["mst_seconds"] for r in rows]
            cells = [summary([r[side][k] for r in rows], d) for k, d in [
                ("allele_frequency_mae", 4), ("ld_r2_mae", 4), ("gwas_retention", 2),
                ("gwas_chance", 2), ("gwas_above_chance", 2), ("gwas_auc", 2)]]
            lines.append(f"| {snps} | {name} | {len(rows)} | {summary(seconds, 2)} | "
                         + " | ".join(cells) + " |")
        if finished:
            ratio = np.mean([r["mst_seconds"] for r in finished]) / np.mean(
                [r["gp_seconds"] for r in finished])
            lines.append(f"| {snps} | speed-up | | {ratio:.0f}x | | | | | | |")
    done = [(s, np.mean([r["mst_seconds"] for r in runs if r["snps"] == s]))
            for s in sizes if all(r["theirs"] is not None for r in runs if r["snps"] == s)]
    if len(done) >= 2:
        logs = np.log([[d, t] for d, t in done])
        slope, intercept = np.polyfit(logs[:, 0], logs[:, 1], 1)
        lines += ["", f"MST's time grows as SNPs^{slope:.2f} over the sizes that finished; "
                  f"extrapolated to 1,000 SNPs: {np.exp(intercept) * 1000 ** slope:,.0f} s."]
    lines += ["", "Per seed (GenoPriv / MST): allele-frequency MAE, GWAS hit AUC.", "",
              "| SNPs | Seed | AF MAE | GWAS hit AUC |", "|---|---|---|---|"]
    for r in runs:
        def both(key, digits, r=r):
            other = f"{r['theirs'][key]:.{digits}f}" if r["theirs"] else "did not finish"
            return f"{r['ours'][key]:.{digits}f} / {other}"
        lines.append(f"| {r['snps']} | {r['seed']} | {both('allele_frequency_mae', 4)} | "
                     f"{both('gwas_auc', 2)} |")
    hits = {snps: [r["ours"]["real_hits"] for r in runs if r["snps"] == snps] for snps in sizes}
    lines += ["", "Real GWAS hits (allelic p < alpha in the training half) per seed: "
              + "; ".join(f"{snps} SNPs: {', '.join(map(str, h))}" for snps, h in hits.items())
              + f". Retention counts a hit kept at p < alpha / tau (alpha "
              f"{runs[0]['alpha']:g}, tau {runs[0]['tau']:g})."]
    for snps in sizes:
        here = [r for r in runs if r["snps"] == snps]
        finished = [r for r in here if r["theirs"] is not None]
        curve = lambda rows, side, key, d: np.mean([r[side][key][d] for r in rows])  # noqa: E731
        lines += ["", f"LD decay at {snps} SNPs (mean r^2 by distance in SNPs, mean over the "
                  "seeds):", "", "| Distance | Real | GenoPriv | MST |", "|---|---|---|---|"]
        for d in range(MAX_DISTANCE):
            other = f"{curve(finished, 'theirs', 'ld_curve', d):.4f}" if finished else "-"
            lines.append(f"| {d + 1} | {curve(here, 'ours', 'real_ld_curve', d):.4f} | "
                         f"{curve(here, 'ours', 'ld_curve', d):.4f} | {other} |")
        lines += ["", "Cross-check with GenoPriv's own reports (allele-frequency MAE, GWAS "
                  "threshold retention) per seed: " + "; ".join(
                      f"{r['report']['allele_frequency']['mean_absolute_error']:.4f}, "
                      f"{r['report']['gwas']['threshold_retention']:.2f}" for r in here) + "."]
    with open(os.path.join(HERE, args.out), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
