/** The retraining schedule's defaults: plain values, so the CLI can show them without loading the SDK. */
export const RETRAIN_WORKFLOW_TYPE = 'retrainCheckWorkflow';
export const DEFAULT_SCHEDULE_ID = 'traffic-retrain-daily';
export const DEFAULT_CRON = '0 3 * * *';
export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_CATCHUP_WINDOW = '1 day';
