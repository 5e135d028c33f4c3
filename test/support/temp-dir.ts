import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];

process.on('exit', () => {
  for (const dir of created) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a child process may still hold a file open; the OS's tmp cleaning takes what is left
    }
  }
});

/** A fresh directory under the OS's tmp dir, removed when the test process exits. */
export function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  created.push(dir);
  return dir;
}
