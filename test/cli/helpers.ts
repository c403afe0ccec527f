/** The built `sequel` bin in a child process, with a data directory of its own per test file. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../dist/cli.js');

export interface Cli {
  dataDir: string;
  run(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs and parses --json output, failing with stderr when the command failed. */
  json<T = unknown>(args: string[], input?: string): Promise<T>;
  cleanup(): void;
}

export function makeCli(): Cli {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` (npm test does it in pretest)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sequel-cli-'));
  const env: NodeJS.ProcessEnv = { ...process.env, SEQUEL_DATA_DIR: dataDir, SEQUEL_LOG_LEVEL: 'warn', SEQUEL_DEMO: '0' };
  delete env.SEQUEL_DATABASE_URL;
  const run: Cli['run'] = (args, input) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  return {
    dataDir,
    run,
    async json<T>(args: string[], input?: string) {
      const r = await run([...args, '--json'], input);
      if (r.code !== 0) throw new Error(`sequel ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
}
