/**
 * The first-run page in a real browser: the one-time link creates the owner account and then stops
 * working.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/passwords.js';
import { issueSetupToken } from '../../src/runtime.js';
import { launchBrowser, requireBrowser, screenshotPath } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasBrowser = requireBrowser('first-run page in Chromium');

let ts: TestServer;
let browser: Browser;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  if (hasBrowser) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await ts?.close();
});

describe.skipIf(!hasBrowser)('first-run setup page', () => {
  it('creates the owner account once, then the link is dead', async () => {
    const token = (await issueSetupToken(ts.rt))!;
    expect(token).toBeTruthy();
    const page = await browser.newPage();
    await page.goto(`${ts.url}/setup?token=${token}`);
    await page.screenshot({ path: screenshotPath('setup-form'), fullPage: true });
    await page.fill('#email', 'Owner@Example.com');
    await page.fill('#name', 'Olive Owner');
    await page.fill('#password', 'a long enough passphrase');
    await page.fill('#confirm', 'a different passphrase!!');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('do not match');
    await page.fill('#password', 'a long enough passphrase');
    await page.fill('#confirm', 'a long enough passphrase');
    await page.click('button[type=submit]');
    // The owner lands signed in on the dashboard.
    await page.waitForURL(/\/app\/default/);
    await expect(page.locator('[role=status]').first().textContent()).resolves.toContain("You're set up");
    await page.screenshot({ path: screenshotPath('setup-done'), fullPage: true });
    expect(await page.locator('#mcp-url').inputValue()).toBe(`${ts.url}/mcp`);

    const user = await ts.rt.store.users.byEmailWithHash('owner@example.com');
    expect(user).toBeDefined();
    expect(await verifyPassword('a long enough passphrase', user!.password_hash!)).toBe(true);
    const org = await ts.rt.store.orgs.requireBySlug('default');
    expect(await ts.rt.store.users.membership(org.id, user!.id)).toBe('owner');

    const again = await page.goto(`${ts.url}/setup?token=${token}`);
    expect(again?.status()).toBe(404);
    expect(await issueSetupToken(ts.rt)).toBeNull();
    await page.close();
  });

  it('refuses a wrong token', async () => {
    const res = await fetch(`${ts.url}/setup?token=not-the-token`);
    expect(res.status).toBe(404);
    const post = await fetch(`${ts.url}/setup`, { method: 'POST', body: new URLSearchParams({ token: 'nope', email: 'x@example.com', password: 'aaaaaaaaaaaa', confirm: 'aaaaaaaaaaaa' }) });
    expect(post.status).toBe(404);
  });
});
