/**
 * The `MLmodel` file that makes a directory holding an XGBoost JSON model an MLflow Model with the
 * `xgboost` flavour, so `mlflow.xgboost.load_model("models:/<name>@champion")` loads it as a Booster.
 * Written as MLflow's own `mlflow.xgboost.save_model(..., model_format="json")` writes it (flavour keys
 * read by mlflow/xgboost/__init__.py `_load_model`: `data`, `model_class`).
 */

export const XGBOOST_MODEL_FILE = 'model.json';

export function xgboostMlmodel(input: {
  artifactPath: string;
  xgbVersion: string;
  createdAt: string;
  modelUuid: string;
}): string {
  const utc = input.createdAt.replace('T', ' ').replace('Z', '');
  return [
    `artifact_path: ${input.artifactPath}`,
    'flavors:',
    '  python_function:',
    `    data: ${XGBOOST_MODEL_FILE}`,
    '    loader_module: mlflow.xgboost',
    "    python_version: '3'",
    '  xgboost:',
    '    code: null',
    `    data: ${XGBOOST_MODEL_FILE}`,
    '    model_class: xgboost.core.Booster',
    '    model_format: json',
    `    xgb_version: '${input.xgbVersion}'`,
    `model_uuid: ${input.modelUuid}`,
    `utc_time_created: '${utc}'`,
    '',
  ].join('\n');
}
