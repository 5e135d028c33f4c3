#!/usr/bin/env python3
"""The seed's (melhamamsy/traffic-volume-prediction-ent-to-end) training pipeline, re-stated compactly,
to compare the TypeScript pipeline against: pandas + scikit-learn DictVectorizer + xgboost.XGBRegressor.

Prints one JSON object: validation RMSE/MAE/R2, row counts, feature names, the XGBoost parameters used.

    python3 scripts/parity.py --data-dir data/sample --years 2012-2016 --val-year 2016 \
        --params '{"n_estimators":300,"max_depth":6,"learning_rate":0.1}'
"""
import argparse
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from xgboost import XGBRegressor

COLUMNS = ["holiday", "temp", "rain_1h", "snow_1h", "clouds_all", "weather_main"]
DATE_TIME = "date_time"
TARGET = "traffic_volume"

DEFAULT_PARAMS = {
    "n_estimators": 300,
    "max_depth": 6,
    "learning_rate": 0.1,
    "gamma": 0.05,
    "reg_alpha": 0.1,
    "reg_lambda": 1.0,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
}
# Made explicit so the TypeScript engines can use the same; the seed left them at XGBoost's defaults.
FIXED_PARAMS = {"objective": "reg:squarederror", "tree_method": "hist", "n_jobs": 1, "random_state": 0}


def parse_years(text):
    years = []
    for part in text.split(","):
        if "-" in part:
            start, end = part.split("-")
            years.extend(range(int(start), int(end) + 1))
        else:
            years.append(int(part))
    return years


def load(data_dir, prefix, years):
    frames = []
    for year in years:
        path = os.path.join(data_dir, f"{prefix}_{year}.csv")
        # keep_default_na=False: pandas >= 2 reads the string "None" as NaN, which would turn the seed's
        # `str(x) == "None"` holiday test into 1 for every row; the seed ran pandas 1.5.3, where it stays "None".
        frames.append(pd.read_csv(path, keep_default_na=False))
    return pd.concat(frames, ignore_index=True)


def clean(df):
    """cleaning.correct_dtypes + select_features + remove_duplicates."""
    df[DATE_TIME] = pd.to_datetime(df[DATE_TIME])
    for column in ["temp", "rain_1h", "snow_1h", "clouds_all"]:
        df[column] = df[column].astype(float)
    df = df[COLUMNS + [TARGET, DATE_TIME]]
    return df.drop_duplicates(keep="last").reset_index(drop=True)


def engineer(x):
    """FeatureEngineeringTransformer.transform."""
    x = x.copy()
    x["hour"] = x[DATE_TIME].dt.hour
    x["month"] = x[DATE_TIME].dt.month
    x["day_of_week"] = x[DATE_TIME].dt.day_of_week  # Monday=0, as the seed's dt.dayofweek
    x["holiday"] = x["holiday"].map(lambda v: 0 if str(v) == "None" else 1)
    x["weather_main"] = x["weather_main"].map(
        lambda v: "Fog_Smoke_Squall" if v in ["Fog", "Smoke", "Squall"] else v
    )
    return x.drop(DATE_TIME, axis=1)


class Vectorizer:
    """DictVectorizerTransformer (sparse=False) on weather_main."""

    def fit(self, x):
        self.v = DictVectorizer(sparse=False).fit(x[["weather_main"]].to_dict(orient="records"))
        return self

    def transform(self, x):
        encoded = pd.DataFrame(
            self.v.transform(x[["weather_main"]].to_dict(orient="records")),
            columns=self.v.get_feature_names_out(),
            index=x.index,
        )
        return x.join(encoded).drop(columns=["weather_main"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--prefix", default="Metro_Interstate_Traffic_Volume")
    parser.add_argument("--years", default="2012-2016")
    parser.add_argument("--val-year", type=int, default=2016)
    parser.add_argument("--params", default="{}", help="JSON of XGBRegressor params, merged over the defaults")
    parser.add_argument("--nthread", type=int, default=1)
    parser.add_argument("--save-model", help="write the trained booster as XGBoost JSON here")
    args = parser.parse_args()

    df = clean(load(args.data_dir, args.prefix, parse_years(args.years)))
    year = df[DATE_TIME].dt.year
    train, val = df[year < args.val_year], df[year == args.val_year]
    x_train, y_train = train[COLUMNS + [DATE_TIME]], train[TARGET]
    x_val, y_val = val[COLUMNS + [DATE_TIME]], val[TARGET]

    vectorizer = Vectorizer().fit(engineer(x_train))
    f_train = vectorizer.transform(engineer(x_train))
    f_val = vectorizer.transform(engineer(x_val))

    params = {**DEFAULT_PARAMS, **json.loads(args.params)}
    params["n_estimators"] = int(params["n_estimators"])
    params["max_depth"] = int(params["max_depth"])
    fixed = {**FIXED_PARAMS, "n_jobs": args.nthread}
    if "seed" in params:
        fixed["random_state"] = int(params.pop("seed"))
    model = XGBRegressor(**params, **fixed)
    model.fit(f_train, y_train)
    pred = model.predict(f_val)
    if args.save_model:
        model.get_booster().save_model(args.save_model)

    err = y_val.to_numpy(dtype=np.float64) - pred.astype(np.float64)
    ss_tot = float(((y_val - y_val.mean()) ** 2).sum())
    json.dump(
        {
            "rmse": float(np.sqrt(np.mean(err**2))),
            "mae": float(np.mean(np.abs(err))),
            "r2": 1 - float((err**2).sum()) / ss_tot if ss_tot > 0 else 0.0,
            "trainRows": int(len(f_train)),
            "validationRows": int(len(f_val)),
            "featureNames": list(f_train.columns),
            "params": {**params, **fixed},
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
