/** Small numeric and /proc helpers shared by the benchmark modules. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const round = (value: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export const mb = (bytes: number): number => round(bytes / 2 ** 20);

/** Progress goes to stderr, so `--json` keeps stdout clean. */
export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** A field of /proc/<pid>/status in MiB (VmHWM = peak resident set, VmRSS = current); undefined when unreadable. */
export function procStatusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;

/** CPU time (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}

/** CPU time per thread of a process (tid → command name and ms), from /proc/<pid>/task/<tid>/stat. */
export function threadCpuMs(pid: number): Map<number, { comm: string; ms: number }> {
  const threads = new Map<number, { comm: string; ms: number }>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
      threads.set(Number(tid), { comm, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks });
    } catch {
      // The thread ended while we looked.
    }
  }
  return threads;
}

export interface ThreadCpuBreakdown {
  /** The busiest `trainingThreads` plain Node threads: the trial pool's threads. */
  training: number;
  /** The JS main thread: activities, Temporal SDK, model hashing and writing. */
  main: number;
  /** Temporal's Rust core (tokio threads) and the workflow thread. */
  temporalCore: number;
  workflowThread: number;
  /** Everything else: V8 garbage collection and compiler threads, libuv. */
  other: number;
}

/** Splits the CPU a process used between two snapshots by what its threads do (by name, see above). */
export function breakdownCpu(
  pid: number,
  before: Map<number, { comm: string; ms: number }>,
  after: Map<number, { comm: string; ms: number }>,
  trainingThreads: number,
): ThreadCpuBreakdown {
  const result: ThreadCpuBreakdown = { training: 0, main: 0, temporalCore: 0, workflowThread: 0, other: 0 };
  const plain: number[] = [];
  for (const [tid, { comm, ms }] of after) {
    const used = ms - (before.get(tid)?.ms ?? 0);
    if (tid === pid) result.main += used;
    else if (comm.startsWith('tokio')) result.temporalCore += used;
    else if (comm.startsWith('workflow')) result.workflowThread += used;
    else if (comm === 'node') plain.push(used);
    else result.other += used;
  }
  plain.sort((a, b) => b - a);
  plain.forEach((used, i) => {
    if (i < trainingThreads) result.training += used;
    else result.other += used;
  });
  for (const key of Object.keys(result) as (keyof ThreadCpuBreakdown)[]) result[key] = round(result[key]);
  return result;
}

/** Busy CPU time of the whole machine so far (all cores, ms), from /proc/stat; steal is the hypervisor's share. */
export function machineCpuMs(): { busy: number; steal: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const ms = (ticks: number): number => (ticks * 1000) / (clockTicks as number);
    return { busy: ms(user + nice + system + irq + softirq), steal: ms(steal) };
  } catch {
    return undefined;
  }
}

/** CPU that other processes on the machine used while `ours` ms were ours: how disturbed a measurement was. */
export function foreignCpuMs(
  before: ReturnType<typeof machineCpuMs>,
  after: ReturnType<typeof machineCpuMs>,
  ours: number,
): { foreign: number; steal: number } | undefined {
  if (!before || !after) return undefined;
  return {
    foreign: round(Math.max(0, after.busy - before.busy - ours)),
    steal: round(after.steal - before.steal),
  };
}
