/** Something the retraining check saw that is not in the day's record. */
export type CheckEvent =
  | { kind: 'decay'; rmse: number; validationRmse: number; ratio: number }
  | { kind: 'check-failed'; checkId: string; error: string }
  | { kind: 'promoted'; version: number; previousVersion?: number; checkId: string }
  | { kind: 'deferred'; version?: number; reason: string; checkId: string };

export interface DeliveryOutcome {
  cause: string;
  day: string;
  status: 'sent' | 'already-sent' | 'failed';
  attempts: number;
  error?: string;
}
