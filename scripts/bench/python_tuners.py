"""hyperopt's and Optuna's TPE, for the benchmarks that compare the project's TPE with them.

Run it with the interpreter of the benchmark's virtual environment (`.venv-bench/bin/python`, created by
`.ci/run` or by the benchmarks on first use with `pip install -r scripts/bench/requirements.txt`, which pins
xgboost to the native library's version). Prints one JSON object on stdout; progress and library logs go to
stderr.

Test functions (the algorithm check of `npm run bench:tpe`):

    python_tuners.py functions --tuner hyperopt|optuna --function branin|hartmann6 --budget 100 --seeds 0-19

    -> {"tuner", "function", "budget", "library": "<name> <version>",
        "traces": [[best loss after 1, 2, ..., budget evaluations] for each seed]}

XGBoost on the project's prepared data (the real-data comparison of `npm run bench:search`):

    python_tuners.py xgboost --tuner hyperopt|optuna --data DIR --budget 30 --seed 0
                             [--early-stopping 30] [--nthread 1]

    DIR holds the prepared matrices as scripts/bench/matrix-files.ts writes them (float32 little-endian,
    row-major): train_x.f32, train_y.f32, validation_x.f32, validation_y.f32 and meta.json
    {"trainRows", "validationRows", "cols"}. Every trial trains XGBoost (hist, squared error) on the training
    matrix with the seed's search space, evaluates validation RMSE every round and stops after
    `--early-stopping` rounds without improvement (0: never), as the project's native engine does; the
    trial's loss is its best validation RMSE.

    -> {"tuner", "library", "xgboostVersion", "budget", "seed", "bestRmse", "rmses": [per trial],
        "totalRounds": boosting rounds trained over all trials, "cpuMs": process CPU time, "wallMs"}

hyperopt runs `fmin(algo=tpe.suggest)` with its defaults (20 random start-up trials, 24 EI candidates) and
the seed's `hp` space; Optuna runs `TPESampler(seed=...)` with its defaults, integers as `suggest_int`.
"""

import argparse
import json
import logging
import math
import os
import sys
import time

import numpy as np


def branin(x):
    x1, x2 = x
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]
HARTMANN_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
HARTMANN_P = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]


def hartmann6(x):
    total = 0.0
    for alpha, a, p in zip(HARTMANN_ALPHA, HARTMANN_A, HARTMANN_P):
        total += alpha * math.exp(-sum(aj * (xj - pj) ** 2 for aj, xj, pj in zip(a, x, p)))
    return -total


FUNCTIONS = {
    "branin": (branin, [(-5.0, 10.0), (0.0, 15.0)]),
    "hartmann6": (hartmann6, [(0.0, 1.0)] * 6),
}


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            seeds.extend(range(int(lo), int(hi) + 1))
        else:
            seeds.append(int(part))
    return seeds


def best_so_far(losses):
    trace, best = [], math.inf
    for loss in losses:
        best = min(best, loss)
        trace.append(best)
    return trace


def run_hyperopt(objective, space, budget, seed):
    """Losses in evaluation order of fmin(tpe.suggest) on `space` (a dict of hp expressions)."""
    import hyperopt

    trials = hyperopt.Trials()
    hyperopt.fmin(
        objective,
        space,
        algo=hyperopt.tpe.suggest,
        max_evals=budget,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return [t["result"]["loss"] for t in trials.trials]


def run_optuna(objective, budget, seed):
    """Losses in evaluation order of a TPESampler study; `objective(trial)` suggests its own params."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=budget)
    return [t.value for t in study.trials]


def library_version(tuner):
    module = __import__(tuner)
    return f"{tuner} {module.__version__}"


def functions_mode(args):
    fn, bounds = FUNCTIONS[args.function]
    names = [f"x{i}" for i in range(len(bounds))]
    traces = []
    for seed in parse_seeds(args.seeds):
        if args.tuner == "hyperopt":
            from hyperopt import hp

            space = [hp.uniform(name, lo, hi) for name, (lo, hi) in zip(names, bounds)]
            losses = run_hyperopt(lambda x: fn(list(x)), space, args.budget, seed)
        else:
            losses = run_optuna(
                lambda trial: fn([trial.suggest_float(n, lo, hi) for n, (lo, hi) in zip(names, bounds)]),
                args.budget,
                seed,
            )
        traces.append(best_so_far(losses))
    return {
        "tuner": args.tuner,
        "function": args.function,
        "budget": args.budget,
        "library": library_version(args.tuner),
        "traces": traces,
    }


def load_matrices(directory):
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)

    def floats(name, shape):
        return np.fromfile(os.path.join(directory, name), dtype="<f4").reshape(shape)

    cols = meta["cols"]
    return (
        floats("train_x.f32", (meta["trainRows"], cols)),
        floats("train_y.f32", (meta["trainRows"],)),
        floats("validation_x.f32", (meta["validationRows"], cols)),
        floats("validation_y.f32", (meta["validationRows"],)),
    )


def xgboost_mode(args):
    import xgboost as xgb

    train_x, train_y, validation_x, validation_y = load_matrices(args.data)
    dtrain = xgb.DMatrix(train_x, label=train_y, missing=np.nan, nthread=args.nthread)
    dvalidation = xgb.DMatrix(validation_x, label=validation_y, missing=np.nan, nthread=args.nthread)
    rounds = []

    def train(p):
        history = {}
        booster_params = {
            "objective": "reg:squarederror",
            "eval_metric": "rmse",
            "tree_method": "hist",
            "nthread": args.nthread,
            "eta": p["learning_rate"],
            "max_depth": int(p["max_depth"]),
            "gamma": p["gamma"],
            "alpha": p["reg_alpha"],
            "lambda": p["reg_lambda"],
            "subsample": p["subsample"],
            "colsample_bytree": p["colsample_bytree"],
        }
        xgb.train(
            booster_params,
            dtrain,
            num_boost_round=int(p["n_estimators"]),
            evals=[(dvalidation, "validation")],
            early_stopping_rounds=args.early_stopping or None,
            evals_result=history,
            verbose_eval=False,
        )
        curve = history["validation"]["rmse"]
        rounds.append(len(curve))
        return float(min(curve))

    started = time.perf_counter()
    cpu_started = time.process_time()
    if args.tuner == "hyperopt":
        from hyperopt import hp

        # The seed's space (XGBoostFinetuner), verbatim.
        space = {
            "n_estimators": hp.quniform("n_estimators", 100, 1000, 50),
            "max_depth": hp.quniform("max_depth", 3, 10, 1),
            "learning_rate": hp.loguniform("learning_rate", -3, 0),
            "subsample": hp.uniform("subsample", 0.5, 1),
            "colsample_bytree": hp.uniform("colsample_bytree", 0.5, 1),
            "gamma": hp.loguniform("gamma", -3, 0),
            "reg_alpha": hp.loguniform("reg_alpha", -3, 0),
            "reg_lambda": hp.loguniform("reg_lambda", -3, 0),
        }
        rmses = run_hyperopt(train, space, args.budget, args.seed)
    else:

        def objective(trial):
            return train(
                {
                    "n_estimators": trial.suggest_int("n_estimators", 100, 1000, step=50),
                    "max_depth": trial.suggest_int("max_depth", 3, 10),
                    "learning_rate": trial.suggest_float("learning_rate", math.exp(-3), 1, log=True),
                    "subsample": trial.suggest_float("subsample", 0.5, 1),
                    "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1),
                    "gamma": trial.suggest_float("gamma", math.exp(-3), 1, log=True),
                    "reg_alpha": trial.suggest_float("reg_alpha", math.exp(-3), 1, log=True),
                    "reg_lambda": trial.suggest_float("reg_lambda", math.exp(-3), 1, log=True),
                }
            )

        rmses = run_optuna(objective, args.budget, args.seed)
    return {
        "tuner": args.tuner,
        "library": library_version(args.tuner),
        "xgboostVersion": xgb.__version__,
        "budget": args.budget,
        "seed": args.seed,
        "bestRmse": min(rmses),
        "rmses": rmses,
        "totalRounds": sum(rounds),
        "cpuMs": (time.process_time() - cpu_started) * 1000,
        "wallMs": (time.perf_counter() - started) * 1000,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    functions = modes.add_parser("functions")
    functions.add_argument("--tuner", choices=["hyperopt", "optuna"], required=True)
    functions.add_argument("--function", choices=sorted(FUNCTIONS), required=True)
    functions.add_argument("--budget", type=int, required=True)
    functions.add_argument("--seeds", default="0-19")
    boosting = modes.add_parser("xgboost")
    boosting.add_argument("--tuner", choices=["hyperopt", "optuna"], required=True)
    boosting.add_argument("--data", required=True)
    boosting.add_argument("--budget", type=int, required=True)
    boosting.add_argument("--seed", type=int, default=0)
    boosting.add_argument("--early-stopping", type=int, default=30)
    boosting.add_argument("--nthread", type=int, default=1)
    args = parser.parse_args()
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    result = functions_mode(args) if args.mode == "functions" else xgboost_mode(args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
