"""Evaluate the trained XGBoost model on the test split and write evaluation.json.

Runs as the evaluation step of the model build pipeline (a processing job in the
SageMaker XGBoost container, which provides xgboost). The report's shape is the one
SageMaker's model registry displays as regression metrics:

    {"regression_metrics": {"mse": {"value": ..., "standard_deviation": ...},
                            "rmse": {"value": ...}, "mae": {"value": ...}}}

The metric arithmetic is plain Python so it is tested without xgboost.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import tarfile
from pathlib import Path


def regression_metrics(y_true: list[float], y_pred: list[float]) -> dict:
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError("y_true and y_pred must be non-empty and of equal length")
    errors = [(t - p) ** 2 for t, p in zip(y_true, y_pred)]
    mse = sum(errors) / len(errors)
    std = math.sqrt(sum((e - mse) ** 2 for e in errors) / len(errors))
    mae = sum(abs(t - p) for t, p in zip(y_true, y_pred)) / len(y_true)
    return {"regression_metrics": {"mse": {"value": mse, "standard_deviation": std},
                                   "rmse": {"value": math.sqrt(mse)},
                                   "mae": {"value": mae}}}


def read_test(path: Path) -> tuple[list[float], list[list[float]]]:
    y, X = [], []
    with open(path, newline="") as f:
        for rec in csv.reader(f):
            if rec:
                y.append(float(rec[0]))
                X.append([float(v) for v in rec[1:]])
    return y, X


def predict(model_dir: Path, X: list[list[float]]) -> list[float]:  # pragma: no cover - needs xgboost
    import xgboost  # provided by the SageMaker XGBoost container

    archive = model_dir / "model.tar.gz"
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    booster = xgboost.Booster()
    booster.load_model(str(model_dir / "xgboost-model"))
    return [float(v) for v in booster.predict(xgboost.DMatrix(X))]


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - runs in the container
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path("/opt/ml/processing/model"))
    parser.add_argument("--test", type=Path, default=Path("/opt/ml/processing/test/test.csv"))
    parser.add_argument("--output", type=Path, default=Path("/opt/ml/processing/evaluation"))
    args = parser.parse_args(argv)
    y, X = read_test(args.test)
    report = regression_metrics(y, predict(args.model_dir, X))
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "evaluation.json").write_text(json.dumps(report))
    print(json.dumps(report))


if __name__ == "__main__":  # pragma: no cover
    main()
