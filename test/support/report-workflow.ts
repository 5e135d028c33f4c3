/** A workflow for tests: buildRunReport alone, with the heartbeat timeout the test asks for and no retry. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../src/activities';
import type { BuildRunReportInput, BuildRunReportResult } from '../../src/contracts';

export async function buildReportOnce(
  input: BuildRunReportInput & { heartbeatTimeoutMs: number },
): Promise<BuildRunReportResult> {
  const { heartbeatTimeoutMs, ...report } = input;
  const { buildRunReport } = proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { maximumAttempts: 1 },
  });
  return buildRunReport(report);
}
