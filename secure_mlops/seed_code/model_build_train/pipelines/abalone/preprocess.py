"""Preprocess the UCI Abalone data set for XGBoost regression (predict the number of rings).

Runs as the first step of the model build pipeline (a SageMaker processing job) and
locally. Standard library only, so it runs in any SageMaker framework container and in tests.

Input: the raw CSV (no header): sex, length, diameter, height, whole_weight,
shucked_weight, viscera_weight, shell_weight, rings.
Output: train.csv, validation.csv, test.csv under the output directory, no header, target
(rings) first, then the features with `sex` one-hot encoded (F, I, M), as SageMaker's
built-in XGBoost algorithm expects. Numeric features are standardised with the training
split's mean and standard deviation (written to scaler.json).

Usage: python preprocess.py --input /opt/ml/processing/input/abalone.data --output /opt/ml/processing
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from pathlib import Path

COLUMNS = ["sex", "length", "diameter", "height", "whole_weight", "shucked_weight",
           "viscera_weight", "shell_weight", "rings"]
NUMERIC = COLUMNS[1:8]
SEXES = ("F", "I", "M")
SPLITS = (("train", 0.70), ("validation", 0.15), ("test", 0.15))


def read_rows(path: Path) -> list[dict]:
    rows = []
    with open(path, newline="") as f:
        for lineno, rec in enumerate(csv.reader(f), start=1):
            if not rec:
                continue
            if len(rec) != len(COLUMNS):
                raise ValueError(f"{path}:{lineno}: expected {len(COLUMNS)} columns, got {len(rec)}")
            row = dict(zip(COLUMNS, rec))
            if row["sex"] not in SEXES:
                raise ValueError(f"{path}:{lineno}: sex must be one of {SEXES}, got {row['sex']!r}")
            for col in NUMERIC:
                row[col] = float(row[col])
            row["rings"] = int(row["rings"])
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no data rows")
    return rows


def split(rows: list[dict], seed: int) -> dict[str, list[dict]]:
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    out, start = {}, 0
    for i, (name, share) in enumerate(SPLITS):
        end = len(shuffled) if i == len(SPLITS) - 1 else start + round(share * len(shuffled))
        out[name] = shuffled[start:end]
        start = end
    return out


def fit_scaler(rows: list[dict]) -> dict[str, tuple[float, float]]:
    scaler = {}
    for col in NUMERIC:
        values = [r[col] for r in rows]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) or 1.0
        scaler[col] = (mean, std)
    return scaler


def encode(row: dict, scaler: dict[str, tuple[float, float]]) -> list[float]:
    features = [(row[c] - scaler[c][0]) / scaler[c][1] for c in NUMERIC]
    onehot = [1.0 if row["sex"] == s else 0.0 for s in SEXES]
    return [float(row["rings"])] + onehot + features


def run(input_path: Path, output_dir: Path, seed: int = 42) -> dict[str, int]:
    rows = read_rows(input_path)
    parts = split(rows, seed)
    scaler = fit_scaler(parts["train"])
    counts = {}
    for name, part in parts.items():
        target = output_dir / name
        target.mkdir(parents=True, exist_ok=True)
        with open(target / f"{name}.csv", "w", newline="") as f:
            writer = csv.writer(f)
            for row in part:
                writer.writerow(f"{v:.6g}" for v in encode(row, scaler))
        counts[name] = len(part)
    (output_dir / "scaler.json").write_text(json.dumps({c: {"mean": m, "std": s} for c, (m, s) in scaler.items()}))
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path("/opt/ml/processing/input/abalone.data"))
    parser.add_argument("--output", type=Path, default=Path("/opt/ml/processing"))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    counts = run(args.input, args.output, args.seed)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
