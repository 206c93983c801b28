#!/usr/bin/env python3
"""Side-by-side: GenoPriv's model audit against the same work in scikit-learn.

Workload (issue 4, "Speed"): a 2,000 x 10,000 simulated cohort (`genopriv simulate`,
seed 4); members / non-members / population = 500 / 500 / 1,000; an L2 logistic
target (mean log-loss + 0.01/2 ||w||^2, i.e. scikit-learn C = 1 / (0.01 n)) trained
on the members; 8 offline reference models, each on a random half of the
population; the loss attack and offline one-sided LiRA with a global variance;
AUC with 1,000 bootstrap resamples for each attack.

GenoPriv does more in the same run (threshold calibration on a held-out reference
model, TPR at 3 FPRs with Clopper-Pearson intervals, empirical epsilon bounds,
label-free sentences), so the ratio is conservative for GenoPriv.

Usage: python3 run.py [path/to/genopriv]   (default: target/release/genopriv)
Writes results.md beside this script. Needs numpy, scipy, scikit-learn (PyPI).
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import sklearn
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
N, M, L2 = 2000, 10000, 0.01


def read_vcf(path):
    rows = []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")[9:]
            rows.append([int(g[0]) + int(g[2]) for g in fields])
    return np.asarray(rows, dtype=np.float64).T  # samples x SNPs


def read_pheno(path):
    with open(path) as f:
        next(f)
        return np.asarray([int(line.split("\t")[1]) for line in f], dtype=np.int64)


def fit(x, y):
    model = LogisticRegression(C=1.0 / (L2 * len(y)), max_iter=5000, tol=1e-6)
    return model.fit(x, y)


def logit_signal(model, x, y):
    z = model.decision_function(x)
    return np.where(y == 1, z, -z)


def bootstrap_auc(y_true, scores, rng, resamples=1000):
    n = len(y_true)
    values = []
    for _ in range(resamples):
        idx = rng.integers(0, n, n)
        if 0 < y_true[idx].sum() < n:
            values.append(roc_auc_score(y_true[idx], scores[idx]))
    return np.percentile(values, [2.5, 97.5])


def sklearn_audit(x, y, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    members, non_members, population = order[:500], order[500:1000], order[1000:]
    target = fit(x[members], y[members])
    references = []
    for _ in range(8):
        half = rng.permutation(population)[: len(population) // 2]
        references.append(fit(x[half], y[half]))
    evaluated = np.concatenate([members, non_members])
    truth = np.r_[np.ones(500), np.zeros(500)]
    xe, ye = x[evaluated], y[evaluated]
    # Loss attack: score = -log-loss.
    p = target.predict_proba(xe)[:, 1]
    loss_scores = np.log(np.where(ye == 1, p, 1 - p) + 1e-300)
    # Offline LiRA, one-sided, global variance (fewer than 64 reference models).
    ref_signals = np.array([logit_signal(m, xe, ye) for m in references])
    mu_out = np.median(ref_signals, axis=0)
    sigma_out = ref_signals.std()
    lira_scores = norm.cdf(logit_signal(target, xe, ye), loc=mu_out, scale=sigma_out)
    out = {}
    for name, scores in [("loss", loss_scores), ("lira", lira_scores)]:
        low, high = bootstrap_auc(truth, scores, rng)
        out[name] = (roc_auc_score(truth, scores), low, high)
    train_acc = (target.predict(x[members]) == y[members]).mean()
    test_acc = (target.predict(x[non_members]) == y[non_members]).mean()
    return out, train_acc, test_acc


def main():
    genopriv = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "genopriv")
    with tempfile.TemporaryDirectory() as tmp:
        vcf, pheno = os.path.join(tmp, "cohort.vcf.gz"), os.path.join(tmp, "cohort.pheno.tsv")
        subprocess.run([genopriv, "simulate", "--samples", str(N), "--snps", str(M), "--seed", "4",
                        "--out", vcf, "--pheno-out", pheno], check=True)
        ours_dir = os.path.join(tmp, "ours")
        start = time.perf_counter()
        subprocess.run([genopriv, "audit", "model", "--input", vcf, "--pheno", pheno,
                        "--model", "logistic", "--penalty", str(L2), "--attacks", "loss,lira",
                        "--reference-models", "8", "--reference-mode", "offline", "--seed", "11",
                        "--out", ours_dir], check=True)
        ours_seconds = time.perf_counter() - start
        with open(os.path.join(ours_dir, "summary.json")) as f:
            ours = json.load(f)

        start = time.perf_counter()
        x, y = read_vcf(vcf), read_pheno(pheno)
        read_seconds = time.perf_counter() - start
        start = time.perf_counter()
        theirs, train_acc, test_acc = sklearn_audit(x, y, 11)
        sk_seconds = time.perf_counter() - start

    lines = [
        "# GenoPriv vs scikit-learn: one model audit on 2,000 x 10,000",
        "",
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; {os.cpu_count()} CPUs; "
        f"genopriv: `{os.path.relpath(genopriv, ROOT)}`.",
        "",
        "| | wall time (s) | train / test accuracy | loss AUC [95% CI] | LiRA AUC [95% CI] |",
        "|---|---|---|---|---|",
    ]
    attacks = {a["attack"]: a for a in ours["attacks"]}

    def ci(a):
        return f'{a["auc"]:.3f} [{a["auc_interval"]["lower"]:.3f}, {a["auc_interval"]["upper"]:.3f}]'

    lines.append(
        f"| GenoPriv `audit model` (whole process: read VCF, train 9 models, attacks, CIs, files) "
        f"| {ours_seconds:.1f} | {ours['train_accuracy']:.3f} / {ours['test_accuracy']:.3f} "
        f"| {ci(attacks['loss'])} | {ci(attacks['lira'])} |")
    lines.append(
        f"| scikit-learn (in memory: train 9 models, attacks, bootstrap; reading excluded, "
        f"{read_seconds:.1f} s) | {sk_seconds:.1f} | {train_acc:.3f} / {test_acc:.3f} "
        + "".join(f"| {v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}] " for v in theirs.values()) + "|")
    lines += ["", f"Ratio (scikit-learn / GenoPriv): **{sk_seconds / ours_seconds:.1f}x**", ""]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
