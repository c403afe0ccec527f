#!/usr/bin/env node
/**
 * Builds dist/ only when it is missing or older than the sources, so that `npm start` (and `npx sequel`,
 * which runs `prepare` when it links the project) start in about a second from a built tree instead of
 * recompiling TypeScript every time (about 30 s on a 2-core machine).
 *
 * Stale means: some file under src/, or tsconfig.json / tsconfig.build.json / package.json, was modified
 * after dist/cli.js was written (tsc rewrites every output file on each build, so dist/cli.js carries the
 * time of the last build). Usage: `node scripts/build-if-stale.js [--quiet]`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');

/**
 * The newest modification time (ms) of a file or of any file below a directory.
 * @param {string} p
 * @returns {number}
 */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, entry)));
  return max;
}

/**
 * Why dist/ must be rebuilt, or null when it is up to date.
 * @returns {string | null}
 */
export function staleReason() {
  const built = newest(path.join(root, 'dist', 'cli.js'));
  if (built === 0) return 'dist/ has not been built yet';
  const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
  const changed = inputs.filter((p) => newest(path.join(root, p)) > built);
  return changed.length ? `changed since the last build: ${changed.join(', ')}` : null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const reason = staleReason();
  if (reason === null) {
    if (!quiet) console.error('sequel: dist/ is up to date, not rebuilding');
  } else {
    console.error(`sequel: building (${reason})…`);
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    if (!fs.existsSync(tsc)) {
      console.error('sequel: TypeScript is not installed; run `npm install` first (it builds once, in `prepare`).');
      process.exit(1);
    }
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
