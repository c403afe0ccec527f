/**
 * The OAuth sign-in and consent pages in a real browser (Debian's Chromium): a user signs in, sees the
 * client's name, its redirect host and the loopback warning, picks one of their organizations, allows
 * access, and the browser lands on the client's redirect URI with a code. Screenshots are kept in
 * test-results/screenshots/ for a person to look at.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, requireBrowser, screenshotPath } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizationUrl, createUser, PASSWORD, pkce, registerClient, startCallbackServer, type CallbackServer } from '../oauth/helpers.js';

const hasBrowser = requireBrowser('OAuth pages in Chromium');

let ts: TestServer;
let browser: Browser;
let callback: CallbackServer;

beforeAll(async () => {
  ts = await startTestServer({ demo: false });
  callback = await startCallbackServer();
  await createUser(ts, 'olive@example.com', [
    ['acme', 'owner'],
    ['globex', 'member'],
  ]);
  if (hasBrowser) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await callback?.close();
  await ts?.close();
});

describe.skipIf(!hasBrowser)('OAuth sign-in and consent pages', () => {
  it('signs in, shows the client and its redirect host, picks an organization, and returns a code', async () => {
    const reg = await registerClient(ts.url, { client_name: 'Inspector Gadget', redirect_uris: [callback.url] });
    expect(reg.status).toBe(201);
    const { challenge } = pkce();
    const page = await browser.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(
      authorizationUrl(ts.url, {
        client_id: String(reg.json.client_id),
        redirect_uri: callback.url,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'xyz',
        resource: `${ts.url}/mcp`,
        scope: 'mcp',
      }),
    );
    await page.screenshot({ path: screenshotPath('oauth-sign-in'), fullPage: true });
    await page.fill('#email', 'olive@example.com');
    await page.fill('#password', 'wrong password!!');
    await page.click('button[type=submit]:not(.secondary)');
    await page.screenshot({ path: screenshotPath('oauth-sign-in-wrong-password'), fullPage: true });
    expect(await page.content()).toMatch(/incorrect|invalid|wrong/i);
    await page.fill('#email', 'olive@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]:not(.secondary)');
    const consent = await page.content();
    expect(consent).toContain('Inspector Gadget');
    expect(consent).toContain('127.0.0.1');
    expect(consent).toMatch(/your own computer/i);
    const choices = await page.locator('input[name=org]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(choices).toHaveLength(2);
    await page.screenshot({ path: screenshotPath('oauth-consent'), fullPage: true });
    const globex = await ts.org('globex');
    await page.check(`input[name=org][value="${globex.id}"]`);
    await page.click('button[name=action][value=approve]');
    await page.waitForURL((u) => u.href.startsWith(callback.url));
    const back = new URL(page.url());
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(back.searchParams.get('iss')).toBe(ts.url);
    await page.close();
  });
});
