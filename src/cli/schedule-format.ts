import type { RetrainScheduleView } from '../scheduling/retrain-schedule';

function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export function formatRetrainSchedule(v: RetrainScheduleView, limit = 5): string {
  const lines = [
    `schedule ${v.scheduleId}: ${v.paused ? 'PAUSED' : 'active'}${v.note ? ` (${v.note})` : ''}`,
    `  when:     ${v.cron.join('; ') || '(no calendar)'} ${v.timezone}`,
    `  action:   ${v.workflowType} on ${v.taskQueue}, ids ${v.workflowId}-<time>${v.modelName ? `, model ${v.modelName}` : ''}`,
    `  policies: overlap ${v.overlap}, catch-up window ${formatDuration(v.catchupWindowMs)}, pause on failure ${v.pauseOnFailure ? 'yes' : 'no'}`,
    `  counts:   ${v.actionsTaken} taken, ${v.skippedOverlap} skipped (overlap), ${v.missedCatchupWindow} missed (catch-up window)`,
    `  next:     ${v.nextActionTimes.slice(0, limit).join(', ') || (v.paused ? '(paused)' : 'none')}`,
  ];
  if (v.runningWorkflowIds.length > 0) lines.push(`  running:  ${v.runningWorkflowIds.join(', ')}`);
  if (v.recentActions.length === 0) lines.push('  recent:   none');
  else {
    lines.push('  recent:');
    for (const a of v.recentActions.slice(-limit).reverse()) lines.push(`    ${a.takenAt}  ${a.workflowId}`);
  }
  return lines.join('\n');
}
