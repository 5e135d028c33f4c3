/** The contracts every layer may import: workflow and activity inputs and results, by domain. Types only (and
 * constant defaults), no I/O: workflows, activities and the ML core all depend on these and on nothing above. */
export * from './domain';
export * from './dataset';
export * from './comparison';
export * from './search';
export * from './mlflow-mirror';
export * from './training';
export * from './reporting';
export * from './backtest';
export * from './prediction';
export * from './retraining';
export * from './alerts';
export * from './batch-prediction';
export * from './monitoring';
export * from './search-attributes';
export * from './activities';
