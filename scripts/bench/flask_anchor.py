"""The seed's kind of prediction service, as the anchor of `npm run bench:serve`.

Flask under gunicorn (sync workers, as the seed deployed it), answering POST /predict the seed's way per
request: the JSON rows into a pandas DataFrame, pd.to_datetime for the calendar features, a DictVectorizer-
style one-hot of weather_main, an xgboost DMatrix and Booster.predict. It loads the same model JSON and
feature pipeline JSON the TypeScript service serves, so both answer the same question.

    gunicorn -w 2 -b 127.0.0.1:PORT 'flask_anchor:create_app("model.json", "pipeline.json")'
"""
import json
import os

# One OpenMP thread per worker process, as gunicorn's one-process-per-core model intends (set before xgboost
# loads libgomp). With the default, a team of every core, each single-row DMatrix and predict woke the team in
# both workers on 2 shared cores: 11-13 ms of CPU per request instead of 2 ms, and far worse on a busy machine.
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np
import pandas as pd
import xgboost as xgb
from flask import Flask, jsonify, request


def create_app(model_path: str, pipeline_path: str) -> Flask:
    with open(pipeline_path, encoding="utf-8") as f:
        pipeline = json.load(f)
    booster = xgb.Booster()
    booster.load_model(model_path)
    names = pipeline["featureNames"]
    merge = pipeline.get("categoryMerge", {})
    app = Flask(__name__)

    @app.post("/predict")
    def predict():
        body = request.get_json(force=True)
        rows = body["inputs"] if isinstance(body, dict) else body
        df = pd.DataFrame(rows)
        for column in ("temp", "rain_1h", "snow_1h", "clouds_all"):
            df[column] = pd.to_numeric(df[column])
        df["holiday"] = df["holiday"].apply(lambda x: 0 if str(x) == "None" else 1)
        when = pd.to_datetime(df["date_time"], format="%Y-%m-%d %H:%M:%S")
        df["hour"] = when.dt.hour
        df["month"] = when.dt.month
        df["day_of_week"] = when.dt.dayofweek
        records = df.to_dict(orient="records")
        matrix = np.zeros((len(records), len(names)), dtype=np.float32)
        index = {name: i for i, name in enumerate(names)}
        for r, record in enumerate(records):
            for name, i in index.items():
                if "=" not in name:
                    matrix[r, i] = record[name]
            weather = f"weather_main={merge.get(record['weather_main'], record['weather_main'])}"
            if weather in index:
                matrix[r, index[weather]] = 1
        predictions = booster.predict(xgb.DMatrix(matrix, feature_names=names))
        return jsonify({"predictions": [max(0.0, round(float(p), 2)) for p in predictions]})

    return app
