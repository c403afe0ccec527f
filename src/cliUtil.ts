/** Small helpers every `sequel` command shares: options, stdin, output. */

/** A mistake in how the command was called (exit status 2, with the command's help). */
export class UsageError extends Error {}

/** Parsed options (`node:util` parseArgs values). */
export type Values = { [name: string]: string | boolean | undefined };

export function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function intOption(values: Values, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('pipe the password on stdin, e.g. `printf %s "$PASSWORD" | sequel users create …`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the shell's, not the password's.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function print(values: Values, data: unknown, text: string): void {
  process.stdout.write(values.json ? JSON.stringify(data, null, 2) + '\n' : text + '\n');
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** A duration (`30m`, `12h`, `7d`) before now, or an ISO date/time, as an ISO time. */
export function parseSince(v: string, now = Date.now()): string {
  const m = /^(\d+)\s*(m|h|d)$/.exec(v.trim());
  if (m) return new Date(now - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--since takes 30m, 12h, 7d or a date such as 2026-01-31, not "${v}"`);
  return new Date(t).toISOString();
}
