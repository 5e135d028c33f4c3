#!/usr/bin/env node
/**
 * Builds dist/ with an incremental `tsc` and stamps it; `ensureBuilt()` does so only when a source is newer
 * than the stamp. Plain JavaScript: it must run before anything is compiled.
 *
 *   node bin/build.js            build now (what `npm run build` does)
 *   node bin/build.js --if-stale build only when sources changed since the last build
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp');
const BUILD_INFO = path.join(DIST, '.tsbuildinfo');
/** What tsconfig.json compiles, plus the files that change how it compiles. */
const SOURCE_DIRS = ['src', 'scripts', 'test'];
const SOURCE_FILES = ['tsconfig.json', 'package.json'];

/** Newest modification time (ms) of the sources; directories count too, so a deleted file makes it stale. */
function newestSourceMtime() {
  let newest = 0;
  const visit = (p) => {
    let stat;
    try {
      stat = fs.statSync(p);
    } catch {
      return;
    }
    newest = Math.max(newest, stat.mtimeMs);
    if (!stat.isDirectory()) return;
    for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
      if (entry.isDirectory() || entry.name.endsWith('.ts')) visit(path.join(p, entry.name));
    }
  };
  for (const dir of SOURCE_DIRS) visit(path.join(ROOT, dir));
  for (const file of SOURCE_FILES) visit(path.join(ROOT, file));
  return newest;
}

/** The newest source time the last successful build saw; undefined when there is no build. */
function builtFrom() {
  try {
    return JSON.parse(fs.readFileSync(STAMP, 'utf8')).sourcesMtimeMs;
  } catch {
    return undefined;
  }
}

function findTsc() {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    return undefined;
  }
}

/** Runs the incremental compile; returns false (after tsc printed its errors) when it fails. */
function build() {
  const tsc = findTsc();
  if (!tsc) {
    process.stderr.write('traffic-ml: typescript is not installed; run `npm ci` then `npm run build`\n');
    return false;
  }
  // Taken before compiling: a source saved while tsc runs is newer, so the next start rebuilds it.
  const sourcesMtimeMs = newestSourceMtime();
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', path.join(ROOT, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', BUILD_INFO],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (result.status !== 0) return false;
  fs.writeFileSync(STAMP, JSON.stringify({ sourcesMtimeMs, builtAt: new Date().toISOString() }));
  return true;
}

/**
 * Makes sure `entry` (a path under dist/) is built from the current sources. Without a compiler (a
 * production install) an existing build is used as it is; a missing one is a one-line error.
 */
function ensureBuilt(entry) {
  const entryPath = path.join(DIST, entry);
  const stamp = builtFrom();
  const built = typeof stamp === 'number' && fs.existsSync(entryPath);
  if (built && stamp >= newestSourceMtime()) return true;
  if (built && !findTsc()) return true;
  // Outputs deleted under an intact build info would not be re-emitted by an incremental tsc.
  if (!built) fs.rmSync(BUILD_INFO, { force: true });
  process.stderr.write(
    built ? 'traffic-ml: sources changed, rebuilding dist/…\n' : 'traffic-ml: building dist/ (first run)…\n',
  );
  if (build() && fs.existsSync(entryPath)) return true;
  process.stderr.write(
    built
      ? 'traffic-ml: the build failed; fix the errors above (dist/ still holds the previous build)\n'
      : `traffic-ml: dist/${entry} is missing; fix the errors above and run \`npm run build\`\n`,
  );
  return false;
}

module.exports = { ensureBuilt };

if (require.main === module) {
  const ok = process.argv.includes('--if-stale') ? ensureBuilt('src/client.js') : build();
  process.exitCode = ok ? 0 : 1;
}
