import cluster, { type Worker } from 'node:cluster';

/**
 * Runs `processes` copies of the service sharing one port (node cluster: the primary accepts connections and
 * hands them to the workers in turn), so both cores answer requests. Each worker is a whole service with its
 * own champion watcher, prediction log (own batch keys) and metrics. SIGTERM/SIGINT reach every worker,
 * which finish and flush as a single process does; the primary exits when they have. A worker that exits
 * on its own (a failed start, a crash) stops the others and the primary exits with an error.
 */
export function runServiceProcesses(processes: number): void {
  const workers: Worker[] = [];
  let stopping = false;
  let failed = false;
  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const w of workers) if (!w.isDead()) w.process.kill(signal);
  };
  for (let i = 0; i < processes; i++) {
    const worker = cluster.fork({ SERVE_WORKER_INDEX: String(i) });
    workers.push(worker);
    worker.on('exit', (code, signal) => {
      if (!stopping) {
        failed = true;
        process.stderr.write(
          `serve: process ${i + 1} of ${processes} exited (${signal ?? `code ${code}`}): stopping the others\n`,
        );
        stopAll('SIGTERM');
      } else if (code !== 0) failed = true;
      if (workers.every((w) => w.isDead())) process.exit(failed ? 1 : 0);
    });
  }
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  process.once('SIGINT', () => stopAll('SIGTERM'));
  process.stderr.write(`serve: ${processes} processes sharing the port\n`);
}

/** In a worker of runServiceProcesses: its index (0-based); undefined in a single process. */
export function serviceWorkerIndex(): number | undefined {
  const index = process.env.SERVE_WORKER_INDEX;
  return cluster.isWorker && index !== undefined ? Number(index) : undefined;
}
