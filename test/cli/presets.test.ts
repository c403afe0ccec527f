/** `sequel presets` and `sequel keys create --preset`: help, the happy path, and the main errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCli } from './helpers.js';

const cli = makeCli();

beforeAll(async () => {
  for (const slug of ['acme', 'beta']) await cli.json(['orgs', 'create', slug]);
}, 300_000);
afterAll(() => cli.cleanup());

type Preset = { id: string; name: string; description: string; policy: { allowedSchemas: string[]; hiddenColumns: string[]; maskedColumns: Array<{ column: string; mode: string }> }; used_by: { keys: number } };

describe('sequel presets', () => {
  it('has help, listed in the overview', { timeout: 120_000 }, async () => {
    const page = await cli.run(['help', 'presets']);
    expect(page.code).toBe(0);
    expect(page.stdout).toContain('sequel presets create --org <slug> --name <preset>');
    expect(page.stdout).toMatch(/stricter of both/);
    expect((await cli.run(['presets', '--help'])).stdout).toBe(page.stdout);
    expect((await cli.run(['help'])).stdout).toMatch(/presets +policy presets/);
    expect((await cli.run(['help', 'keys'])).stdout).toContain('--preset <name>');
  });

  it('creates, lists, shows, updates and removes presets; keys are narrowed to one', { timeout: 300_000 }, async () => {
    const p = await cli.json<Preset>(['presets', 'create', '--org', 'acme', '--name', 'no-pii', '--description', 'No personal data', '--hide-columns', '*email*, *ssn*']);
    expect(p).toMatchObject({ name: 'no-pii', description: 'No personal data', policy: { hiddenColumns: ['*email*', '*ssn*'], allowedSchemas: [], maskedColumns: [] } });
    const text = await cli.run(['presets', 'create', '--org', 'acme', '--name', 'analytics-only', '--allowed-schemas', 'analytics']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('allowed schemas: analytics');

    const updated = await cli.run(['presets', 'update', '--org', 'acme', '--name', 'no-pii', '--mask', 'customers.phone:mask']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain('masked columns:  customers.phone:mask');
    expect(updated.stdout).toContain('hidden columns:  *email*, *ssn*');
    expect(updated.stdout).toContain('next request');

    const key = await cli.json<{ key: string; preset: string | null }>(['keys', 'create', '--org', 'acme', '--name', 'bi', '--preset', 'no-pii']);
    expect(key.preset).toBe('no-pii');
    const created = await cli.run(['keys', 'create', '--org', 'acme', '--name', 'bi2', '--preset', 'analytics-only']);
    expect(created.stdout).toContain('narrowed to preset analytics-only');
    const keys = await cli.run(['keys', 'list', '--org', 'acme']);
    expect(keys.stdout).toMatch(/PRESET/);
    expect(keys.stdout).toMatch(/bi .*no-pii/);

    const list = await cli.json<Preset[]>(['presets', 'list', '--org', 'acme']);
    expect(list.map((x) => [x.name, x.used_by.keys])).toEqual([
      ['analytics-only', 1],
      ['no-pii', 1],
    ]);
    const shown = await cli.json<Preset>(['presets', 'show', '--org', 'acme', '--name', 'no-pii']);
    expect(shown.policy.maskedColumns).toEqual([{ column: 'customers.phone', mode: 'mask' }]);

    const moved = await cli.run(['keys', 'preset', '--org', 'acme', 'bi2', '--preset', 'no-pii']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/bi2 \(sql_\w+…\) is narrowed to preset no-pii from its next request/);
    expect((await cli.json<{ preset: string | null }>(['keys', 'preset', '--org', 'acme', 'bi2', '--no-preset'])).preset).toBeNull();
    expect((await cli.json<{ preset: string | null }>(['keys', 'preset', '--org', 'acme', 'bi2', '--preset', 'analytics-only'])).preset).toBe('analytics-only');
    expect((await cli.run(['keys', 'preset', '--org', 'acme', 'bi2'])).code).toBe(2);
    expect((await cli.run(['keys', 'preset', '--org', 'acme', 'bi2', '--preset', 'x', '--no-preset'])).code).toBe(2);
    const unknownKey = await cli.run(['keys', 'preset', '--org', 'acme', 'nokey', '--preset', 'no-pii']);
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toContain('no active key "nokey"');

    const inUse = await cli.run(['presets', 'remove', '--org', 'acme', '--name', 'no-pii']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('in use by 1 API key');
    expect((await cli.run(['keys', 'revoke', '--org', 'acme', 'bi'])).code).toBe(0);
    const removed = await cli.run(['presets', 'remove', '--org', 'acme', '--name', 'no-pii']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('removed preset no-pii');
    const renamed = await cli.json<Preset>(['presets', 'update', '--org', 'acme', '--name', 'analytics-only', '--new-name', 'analytics']);
    expect(renamed.name).toBe('analytics');
    expect((await cli.run(['presets', 'list', '--org', 'beta'])).stdout).toContain('beta has no policy presets');
  });

  it('says what is wrong', { timeout: 300_000 }, async () => {
    await cli.json(['presets', 'create', '--org', 'acme', '--name', 'mine']);
    const cases: Array<[string[], number, RegExp]> = [
      [['presets', 'create', '--org', 'acme'], 2, /--name is required/],
      [['presets', 'create', '--org', 'acme', '--name', 'mine'], 1, /already exists/],
      [['presets', 'create', '--org', 'acme', '--name', 'Bad Name'], 1, /preset name "Bad Name" must be/],
      [['presets', 'create', '--org', 'acme', '--name', 'm', '--mask', 'customers.phone'], 1, /a mask is column:mode/],
      [['presets', 'create', '--org', 'acme', '--name', 'm', '--identity-roles', 'a@b.c=r'], 2, /identity roles belong to a source/],
      [['presets', 'update', '--org', 'acme', '--name', 'mine'], 2, /presets update needs/],
      [['presets', 'update', '--org', 'acme', '--name', 'nope', '--description', 'x'], 1, /no policy preset "nope"/],
      [['presets', 'remove', '--org', 'acme', '--name', 'nope'], 1, /no policy preset "nope"/],
      [['presets', 'frobnicate', '--org', 'acme'], 2, /unknown command: presets frobnicate/],
      [['presets', 'list', '--org', 'nope'], 1, /nope/],
      [['keys', 'create', '--org', 'acme', '--name', 'x', '--preset', 'nope'], 1, /no policy preset "nope" in this organization \(presets: /],
      [['keys', 'create', '--org', 'acme', '--name', 'x', '--preset', ''], 2, /--preset names no preset/],
      // Another organization's preset, by name or id, is not found.
      [['keys', 'create', '--org', 'beta', '--name', 'x', '--preset', 'mine'], 1, /no policy preset "mine" in this organization/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli.run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const mine = await cli.json<Preset>(['presets', 'show', '--org', 'acme', '--name', 'mine']);
    const byId = await cli.run(['keys', 'create', '--org', 'beta', '--name', 'x', '--preset', mine.id]);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toContain('no policy preset');
  });
});
