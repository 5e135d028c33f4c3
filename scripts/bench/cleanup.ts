/**
 * Everything the benchmark starts (dev server, worker processes, temp directories) registers its teardown
 * here, so that an error, Ctrl-C or SIGTERM still stops it.
 */
import type { ChildProcess } from 'node:child_process';

type Teardown = () => Promise<void> | void;

const teardowns = new Map<number, { what: string; run: Teardown }>();
const children = new Set<ChildProcess>();
let nextId = 0;

/** Registers a teardown; the returned function runs it (once) and unregisters it. */
export function onCleanup(what: string, run: Teardown): () => Promise<void> {
  const id = nextId++;
  teardowns.set(id, { what, run });
  return async () => {
    const entry = teardowns.get(id);
    if (!entry) return;
    teardowns.delete(id);
    await entry.run();
  };
}

/** A child process killed with SIGKILL at the latest when this process exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Runs every pending teardown, newest first; errors are reported, not thrown. */
export async function cleanupAll(): Promise<void> {
  for (const [id, { what, run }] of [...teardowns].reverse()) {
    teardowns.delete(id);
    try {
      await run();
    } catch (err) {
      process.stderr.write(`[bench] cleanup of ${what} failed: ${(err as Error).message}\n`);
    }
  }
  killChildren();
}

function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

let installed = false;

/** Ctrl-C / SIGTERM: clean up, then exit; a plain exit still kills the children synchronously. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[bench] ${signal}: cleaning up\n`);
    const force = setTimeout(() => process.exit(130), 20_000);
    force.unref();
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killChildren);
}
