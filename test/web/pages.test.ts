/**
 * Every dashboard page in Chromium: screenshots at desktop and phone widths in light and dark (written to
 * test-results/screenshots/, not committed, for a person to look at), an axe-core check with no serious
 * or critical violations, no Content-Security-Policy violation (nothing inline), and the whole page —
 * HTML, stylesheet and script — under 100 KB.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/ops/keys.js';
import { createMember, inviteMember, INVITE_PATH } from '../../src/ops/members.js';
import { createResetLink, RESET_PATH } from '../../src/ops/passwordReset.js';
import { createPreset } from '../../src/ops/presets.js';
import { updatePolicy } from '../../src/ops/schema.js';
import { launchBrowser, requireBrowser, screenshotPath } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasBrowser = requireBrowser('dashboard pages in Chromium');
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const OWNER = { email: 'olive@example.com', password: 'owner passphrase 123' };

let ts: TestServer;
let browser: Browser;
let inviteLink: string;
let resetPath: string;
let policyPath: string;

beforeAll(async () => {
  ts = await startTestServer();
  const org = await ts.org('default');
  const owner = await createMember(ts.rt, { kind: 'operator', orgId: org.id }, { ...OWNER, name: 'Olive Owner', role: 'owner' });
  const ada = await createMember(ts.rt, { kind: 'operator', orgId: org.id }, { email: 'ada@example.com', name: 'Ada Admin', password: 'admin passphrase 123', role: 'admin' });
  const actor = { kind: 'user', userId: owner.id, orgId: org.id, role: 'owner' } as const;
  await createKey(ts.rt, actor, { name: 'Cursor on my laptop' });
  await createPreset(ts.rt, actor, { name: 'no-pii', description: 'No personal data', policy: { hiddenColumns: ['*email*', '*ssn*'], maskedColumns: [{ column: 'customers.phone', mode: 'mask' }] } });
  await createKey(ts.rt, actor, { name: 'CI reporting', sources: ['demo'], expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), preset: 'no-pii' });
  resetPath = `${RESET_PATH}${(await createResetLink(ts.rt, actor, ada.id)).token}`;
  // The demo source's Policy tab with rules that are not checkboxes (patterns, a table the catalog lacks, a mask).
  const demo = (await ts.rt.store.sources.list(org.id)).find((s) => s.name === 'demo')!;
  await updatePolicy(ts.rt, actor, demo.id, { hiddenTables: ['audit_*'], hiddenColumns: ['*ssn*', 'customers.email', 'archive.notes'], maskedColumns: [{ column: '*phone*', mode: 'mask' }] });
  policyPath = `/app/default/sources/${demo.id}/policy`;
  inviteLink = `${ts.url}${INVITE_PATH}${(await inviteMember(ts.rt, actor, { email: 'new.person@example.com', role: 'member' })).token}`;
  if (hasBrowser) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await ts?.close();
});

type Variant = { name: string; viewport: { width: number; height: number }; colorScheme: 'light' | 'dark' };
const VARIANTS: Variant[] = [
  { name: 'desktop-light', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { name: 'desktop-dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
  { name: 'phone-light', viewport: { width: 375, height: 760 }, colorScheme: 'light' },
  { name: 'phone-dark', viewport: { width: 375, height: 760 }, colorScheme: 'dark' },
];

/** A page to visit: where, whether signed in, and what to do once there. */
interface Visit {
  name: string;
  path: string;
  signedIn: boolean;
  then?: (page: Page) => Promise<void>;
}

const VISITS: Visit[] = [
  { name: 'signin', path: '/signin', signedIn: false },
  { name: 'invite-accept', path: '', signedIn: false },
  { name: 'reset-password', path: 'reset', signedIn: false },
  { name: 'reset-link-unknown', path: '/reset/not-a-live-link', signedIn: false },
  { name: 'overview', path: '/app/default', signedIn: true },
  { name: 'keys', path: '/app/default/settings/keys', signedIn: true },
  { name: 'keys-create-dialog', path: '/app/default/settings/keys', signedIn: true, then: async (p) => p.click('.page-head >> text=Create key') },
  {
    name: 'key-created',
    path: '/app/default/settings/keys/new',
    signedIn: true,
    then: async (p) => {
      await p.fill('#key-name', 'Screenshot key');
      await p.click('main form button[type=submit]');
      await p.waitForSelector('#new-key');
    },
  },
  { name: 'keys-revoke-dialog', path: '/app/default/settings/keys', signedIn: true, then: async (p) => p.click('tbody tr >> nth=0 >> text=Revoke') },
  {
    name: 'connect-dialog',
    path: '/app/default',
    signedIn: true,
    then: async (p) => {
      await p.click('header >> text=Connect a client');
      await p.waitForFunction(() => /sql_[0-9A-Za-z]{43}/.test(document.querySelector('#snippet-dialog-claude-code')?.textContent ?? ''));
    },
  },
  { name: 'connect-page-chatgpt', path: '/app/default/connect?client=chatgpt', signedIn: true },
  { name: 'connect-page-vscode', path: '/app/default/connect?client=vscode', signedIn: true },
  { name: 'members', path: '/app/default/settings/members', signedIn: true },
  { name: 'members-invite-dialog', path: '/app/default/settings/members', signedIn: true, then: async (p) => p.click('.page-head >> text=Invite') },
  { name: 'apps-empty', path: '/app/default/settings/apps', signedIn: true },
  { name: 'presets', path: '/app/default/settings/presets', signedIn: true },
  { name: 'presets-remove-dialog', path: '/app/default/settings/presets', signedIn: true, then: async (p) => p.click('tbody tr >> nth=0 >> text=Remove') },
  { name: 'organization', path: '/app/default/settings/organization', signedIn: true },
  { name: 'account', path: '/app/default/account', signedIn: true },
  { name: 'org-switcher', path: '/app/default', signedIn: true, then: async (p) => p.click('summary.org-switch') },
  { name: 'user-menu', path: '/app/default', signedIn: true, then: async (p) => p.click('summary.account-menu') },
  { name: 'create-org', path: '/app/new', signedIn: true },
  { name: 'not-found', path: '/app/default/settings/keys/nope/revoke', signedIn: true },
  { name: 'sources-placeholder', path: '/app/default/sources', signedIn: true },
  { name: 'source-policy', path: 'policy', signedIn: true },
];

async function signedInContext(v: Variant): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: v.viewport, colorScheme: v.colorScheme });
  const page = await ctx.newPage();
  await page.goto(`${ts.url}/signin`);
  await page.fill('#email', OWNER.email);
  await page.fill('#password', OWNER.password);
  await page.click('form button[type=submit]');
  await page.waitForURL(/\/app\/default/);
  await page.close();
  return ctx;
}

describe.skipIf(!hasBrowser)('every dashboard page', () => {
  it('renders at desktop and phone widths, light and dark, with no serious accessibility violations', { timeout: 1_500_000 }, async () => {
    const problems: string[] = [];
    // SEQUEL_SCREEN_VARIANTS=desktop-light,… narrows the run while working on one look.
    const only = process.env.SEQUEL_SCREEN_VARIANTS?.split(',');
    for (const v of VARIANTS.filter((x) => !only || only.includes(x.name))) {
      const signedIn = await signedInContext(v);
      const anonymous = await browser.newContext({ viewport: v.viewport, colorScheme: v.colorScheme });
      for (const visit of VISITS) {
        const page = await (visit.signedIn ? signedIn : anonymous).newPage();
        const cspViolations: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
        });
        let bytes = 0;
        page.on('response', (r) => {
          void r.body().then(
            (b) => (bytes += b.length),
            () => undefined,
          );
        });
        const where = visit.path === 'reset' ? resetPath : visit.path === 'policy' ? policyPath : visit.path;
        await page.goto(where ? `${ts.url}${where}` : inviteLink);
        await visit.then?.(page);
        await page.screenshot({ path: screenshotPath(`page-${visit.name}-${v.name}`), fullPage: true });
        if (cspViolations.length) problems.push(`${visit.name}: CSP violation ${cspViolations[0]}`);
        // axe on desktop, both themes (contrast differs); phone layouts reuse the same markup.
        if (v.name.startsWith('desktop')) {
          await page.evaluate(AXE);
          const result = (await page.evaluate(() =>
            (window as unknown as { axe: { run(o: unknown): Promise<unknown> } }).axe.run({ resultTypes: ['violations'] }),
          )) as { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown }> }> };
          for (const viol of result.violations) {
            if (viol.impact === 'serious' || viol.impact === 'critical') {
              problems.push(`${visit.name} (${v.name}): ${viol.id} — ${viol.help} at ${JSON.stringify(viol.nodes.slice(0, 3).map((n) => n.target))}`);
            }
          }
        }
        if (v.name === 'desktop-light' && bytes > 100 * 1024) problems.push(`${visit.name}: ${bytes} bytes`);
        await page.close();
      }
      await signedIn.close();
      await anonymous.close();
    }
    if (problems.length) console.log(problems.join('\n'));
    expect(problems).toEqual([]);
  });

  it('works by keyboard: skip link, menus and dialogs open and close without a mouse', { timeout: 120_000 }, async () => {
    const ctx = await signedInContext(VARIANTS[0]!);
    const page = await ctx.newPage();
    await page.goto(`${ts.url}/app/default/settings/keys`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // The "Create key" button opens its dialog from the keyboard, focus moves into it, Escape closes it.
    await page.focus('.page-head a.btn');
    await page.keyboard.press('Enter');
    await page.locator('#create-key').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => !!document.activeElement?.closest('#create-key'))).toBe(true);
    await page.keyboard.press('Escape');
    await page.locator('#create-key').waitFor({ state: 'hidden' });
    // The organization switcher is a <details>: Enter opens it.
    await page.focus('summary.org-switch');
    await page.keyboard.press('Enter');
    expect(await page.locator('details.menu[open]').count()).toBe(1);
    await ctx.close();
  });
});
