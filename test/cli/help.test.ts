/** Every command's help: bare `sequel`, --help, `help <command>`, `<command> --help`, usage errors. */
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cliHelp.js';
import { makeCli } from './helpers.js';

const cli = makeCli();
afterAll(() => cli.cleanup());

describe('sequel help', () => {
  it('bare `sequel`, --help and `help` print the overview and start no server', { timeout: 300_000 }, async () => {
    const [bare, flag, word] = await Promise.all([cli.run([]), cli.run(['--help']), cli.run(['help'])]);
    for (const r of [bare, flag, word]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: sequel <command> \[options\]/);
      for (const c of ['serve', 'users', 'keys', 'sources', 'describe', 'descriptions', 'audit']) expect(r.stdout).toContain(`  ${c} `);
      expect(r.stdout).not.toContain('Sequel is running');
    }
  });

  it('every command has a page with usage and examples, by `help <command>` and `<command> --help`', { timeout: 300_000 }, async () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(['serve', 'migrate', 'orgs', 'users', 'keys', 'authorizations', 'sources', 'describe', 'descriptions', 'audit', 'help']));
    const pages = await Promise.all(COMMANDS.map((c) => cli.run(['help', c])));
    COMMANDS.forEach((c, i) => {
      const r = pages[i]!;
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/^Usage:/);
      expect(r.stdout, c).toContain(`sequel ${c}`);
      expect(r.stdout, c).toContain('Examples:');
    });
    const [keys, sub] = await Promise.all([cli.run(['keys', '--help']), cli.run(['sources', 'update', '-h'])]);
    expect(keys.stdout).toBe(pages[COMMANDS.indexOf('keys')]!.stdout);
    expect(sub.stdout).toContain('sequel sources update --org <slug> --name <slug>');
    const users = pages[COMMANDS.indexOf('users')]!.stdout;
    expect(users).toContain('sequel users reset-password <email> --org <slug> [--json]');
    expect(users).toContain('sequel users reset-password bob@example.com --org acme');
    expect(users).not.toContain('no reset link');
  });

  it('a usage mistake exits 2 with that command’s page; an unknown command or page is named', { timeout: 300_000 }, async () => {
    const [unknownSub, unknownCmd, unknownPage, badFlag] = await Promise.all([
      cli.run(['orgs', 'frobnicate']),
      cli.run(['frobnicate']),
      cli.run(['help', 'frobnicate']),
      cli.run(['sources', 'list', '--bogus']),
    ]);
    expect(unknownSub.code).toBe(2);
    expect(unknownSub.stderr).toContain('unknown command: orgs frobnicate');
    expect(unknownSub.stderr).toContain('sequel orgs create <slug>');
    expect(unknownCmd.code).toBe(2);
    expect(unknownCmd.stderr).toContain('unknown command: frobnicate');
    expect(unknownPage.code).toBe(2);
    expect(unknownPage.stderr).toContain('there is no command "frobnicate"');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--bogus/);
  });
});
