"""Times one XGBoost trial in Python, for comparison with the native and wasm engines.

Reads the data set written by scripts/engine-timing.ts (float32 little-endian files plus meta.json), trains
with the same parameters (hist, squared error) and prints one JSON line. The validation RMSE is evaluated
every round only when meta.json says `"evaluateEveryRound": true` (absent: true, as before), since the native
engine evaluates every round only in trials that early-stop or prune, not in fixed-round trainings. Run it
with the interpreter whose xgboost you want to time, e.g.

    /usr/bin/python3 scripts/python-trial-timing.py /tmp/engine-timing --repeat 3
"""

import argparse
import json
import os
import time

import numpy as np
import xgboost as xgb


def load(directory):
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    cols = meta["cols"]

    def floats(name, shape):
        return np.fromfile(os.path.join(directory, name), dtype="<f4").reshape(shape)

    return (
        meta,
        floats("train_x.f32", (meta["trainRows"], cols)),
        floats("train_y.f32", (meta["trainRows"],)),
        floats("validation_x.f32", (meta["validationRows"], cols)),
        floats("validation_y.f32", (meta["validationRows"],)),
    )


def booster_params(meta, nthread):
    p = meta["params"]
    params = {
        "objective": "reg:squarederror",
        "eval_metric": "rmse",
        "tree_method": "hist",
        "nthread": nthread,
        "eta": p["learning_rate"],
        "max_depth": p["max_depth"],
        "gamma": p["gamma"],
        "alpha": p["reg_alpha"],
        "lambda": p["reg_lambda"],
        "subsample": p["subsample"],
        "colsample_bytree": p["colsample_bytree"],
    }
    if "min_child_weight" in p:
        params["min_child_weight"] = p["min_child_weight"]
    if "seed" in p:
        params["seed"] = p["seed"]
    return params


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nthread", type=int, default=1)
    args = parser.parse_args()

    meta, train_x, train_y, validation_x, validation_y = load(args.directory)
    params = booster_params(meta, args.nthread)
    evaluate = meta.get("evaluateEveryRound", True)
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        cpu_started = time.process_time()
        dtrain = xgb.DMatrix(train_x, label=train_y, missing=np.nan, nthread=args.nthread)
        dvalidation = None
        if evaluate:
            dvalidation = xgb.DMatrix(validation_x, label=validation_y, missing=np.nan, nthread=args.nthread)
        booster = xgb.train(
            params,
            dtrain,
            num_boost_round=meta["params"]["n_estimators"],
            evals=[(dvalidation, "validation")] if evaluate else [],
            verbose_eval=False,
        )
        trained = time.perf_counter()
        train_cpu_ms = (time.process_time() - cpu_started) * 1000
        if dvalidation is None:
            dvalidation = xgb.DMatrix(validation_x, label=validation_y, missing=np.nan, nthread=args.nthread)
        predictions = booster.predict(dvalidation)
        predicted = time.perf_counter()
        rmse = float(np.sqrt(np.mean((validation_y.astype(np.float64) - predictions) ** 2)))
        runs.append({"trainMs": (trained - started) * 1000, "trainCpuMs": train_cpu_ms, "predictMs": (predicted - trained) * 1000, "rmse": rmse})

    print(json.dumps({"engine": "python", "xgboostVersion": xgb.__version__, "nthread": args.nthread, "evaluateEveryRound": evaluate, "runs": runs}))


if __name__ == "__main__":
    main()
