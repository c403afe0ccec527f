/**
 * The dashboard journey in Debian's Chromium: first-run setup → sign in → create a key (shown once) →
 * the install dialog for Claude Code and Cursor provisions `sequel_mcp` → that key, taken out of the
 * snippet, runs a query through the official MCP SDK client → revoked in the dashboard → 401; a member
 * invited by link signs up and can neither see the owner's keys nor do an admin's action; an OAuth
 * authorization made by the SDK client is revoked from Connected apps.
 */
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSetupToken } from '../../src/runtime.js';
import { launchBrowser, requireBrowser, screenshotPath } from '../helpers/browser.js';
import { connectClient, INITIALIZE, rpc, startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeInBrowser, MemoryOAuthProvider, startCallbackServer, type CallbackServer } from '../oauth/helpers.js';

const hasBrowser = requireBrowser('dashboard journey in Chromium');
const OWNER = { email: 'olive@example.com', password: 'owner passphrase 123' };
const MEMBER = { email: 'mia@example.com', password: 'member passphrase 456' };

let ts: TestServer;
let browser: Browser;
let cb: CallbackServer;

beforeAll(async () => {
  ts = await startTestServer();
  cb = await startCallbackServer();
  if (hasBrowser) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await cb?.close();
  await ts?.close();
});

describe.skipIf(!hasBrowser)('dashboard journey', () => {
  it('setup → keys → install dialog → SDK query → revoke → 401 → member → connected apps', { timeout: 300_000 }, async () => {
    const page = await browser.newPage();
    // First run: the owner lands signed in on the dashboard.
    const token = (await issueSetupToken(ts.rt))!;
    await page.goto(`${ts.url}/setup?token=${token}`);
    await page.fill('#email', OWNER.email);
    await page.fill('#name', 'Olive Owner');
    await page.fill('#password', OWNER.password);
    await page.fill('#confirm', OWNER.password);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/app\/default\?ok=welcome$/);
    await expect(page.locator('h1').textContent()).resolves.toBe('Default organization');

    // Sign out, a wrong password, then sign in.
    await page.click('summary.account-menu');
    await page.click('text=Sign out >> nth=0');
    await page.waitForURL(/\/signin$/);
    expect((await page.goto(`${ts.url}/app/default/settings/keys`))?.url()).toContain('/signin?next=');
    await page.fill('#email', OWNER.email);
    await page.fill('#password', 'not the password');
    await page.click('form button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('Wrong email or password');
    await page.fill('#password', OWNER.password);
    await page.click('form button[type=submit]');
    await page.waitForURL(/\/app\/default\/settings\/keys$/);

    // Create a key in the dialog: shown once, then only its prefix.
    await expect(page.locator('.empty h2').textContent()).resolves.toBe('No API keys yet');
    await page.click('.page-head >> text=Create key');
    await page.locator('#create-key').waitFor({ state: 'visible' });
    await page.fill('#dlg-key-name', 'laptop');
    await page.selectOption('#dlg-key-expires', '30');
    await page.click('#create-key button[type=submit]');
    await expect(page.locator('h1').textContent()).resolves.toBe('Key created');
    const laptopKey = await page.locator('#new-key').inputValue();
    expect(laptopKey).toMatch(/^sql_[0-9A-Za-z]{43}$/);
    await page.goto(`${ts.url}/app/default/settings/keys`);
    const listed = await page.content();
    expect(listed).toContain(`${laptopKey.slice(0, 10)}…`);
    expect(listed).not.toContain(laptopKey);

    // The install dialog: Claude Code provisions sequel_mcp and puts it in the exact command.
    await page.click('header >> text=Connect a client');
    const dialog = page.locator('#connect-dialog');
    await dialog.waitFor({ state: 'visible' });
    const claude = page.locator('#snippet-dialog-claude-code');
    await page.waitForFunction(() => /sql_[0-9A-Za-z]{43}/.test(document.querySelector('#snippet-dialog-claude-code')?.textContent ?? ''));
    const command = (await claude.textContent())!;
    const key = /Bearer (sql_[0-9A-Za-z]{43})/.exec(command)![1]!;
    expect(command).toBe(`claude mcp add --transport http --scope user sequel ${ts.mcpUrl} --header "Authorization: Bearer ${key}"`);
    await page.screenshot({ path: screenshotPath('journey-connect-claude-code') });
    // Cursor reuses the same key while the dialog is open, with its JSON and its install link.
    await dialog.locator('[data-client-tab=cursor]').click();
    const cursorJson = JSON.parse((await page.locator('#snippet-dialog-cursor').textContent())!) as { mcpServers: { sequel: { url: string; headers: { Authorization: string } } } };
    expect(cursorJson).toEqual({ mcpServers: { sequel: { url: ts.mcpUrl, headers: { Authorization: `Bearer ${key}` } } } });
    const link = (await dialog.locator('[data-client-panel=cursor] a[data-deeplink]').getAttribute('href'))!;
    const u = new URL(link);
    expect(u.protocol).toBe('cursor:');
    expect(u.searchParams.get('name')).toBe('sequel');
    expect(JSON.parse(Buffer.from(u.searchParams.get('config')!, 'base64').toString('utf8'))).toEqual({ url: ts.mcpUrl, headers: { Authorization: `Bearer ${key}` } });
    await page.screenshot({ path: screenshotPath('journey-connect-cursor') });
    await dialog.locator('button[data-close-dialog]').first().click();
    await dialog.waitFor({ state: 'hidden' });
    // Closing forgets it: the snippet no longer holds the key.
    expect(await page.locator('#snippet-dialog-cursor').textContent()).not.toContain(key);

    // The key from the snippet works with the official SDK client.
    const client = await connectClient(ts.mcpUrl, key);
    const r = (await client.callTool({ name: 'run_query', arguments: { source: 'demo', sql: 'select count(*) as n from customers' } })) as {
      isError?: boolean;
      structuredContent: { row_count: number; rows: unknown[][] };
    };
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent.row_count).toBe(1);
    expect(Number(r.structuredContent.rows[0]![0])).toBeGreaterThan(0);

    // Revoke sequel_mcp (it belongs to the owner) with the confirmation dialog.
    await page.reload();
    const row = page.locator('tr', { hasText: 'sequel_mcp' });
    await expect(row.locator('td').nth(2).textContent()).resolves.toBe(OWNER.email);
    await row.locator('a', { hasText: 'Revoke' }).click();
    const confirm = page.locator('dialog[open]');
    await confirm.waitFor({ state: 'visible' });
    expect(await confirm.textContent()).toContain('sequel_mcp');
    await confirm.locator('button[type=submit]').click();
    await page.waitForURL(/ok=key-revoked/);
    expect(await page.content()).not.toContain(key.slice(0, 10));
    // The next request with it is refused.
    const refused = await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${key}` });
    expect(refused.status).toBe(401);
    await expect(client.callTool({ name: 'list_sources', arguments: {} })).rejects.toThrow();
    await client.close().catch(() => undefined);

    // Invite a member by link; they sign up in another browser.
    await page.goto(`${ts.url}/app/default/settings/members`);
    await page.click('.page-head >> text=Invite');
    await page.fill('#dlg-invite-email', MEMBER.email);
    await page.selectOption('#dlg-invite-role', 'member');
    await page.click('#invite button[type=submit]');
    const inviteLink = await page.locator('#invite-link').inputValue();
    expect(inviteLink).toContain(`${ts.url}/invite/`);
    const memberCtx = await browser.newContext();
    const m = await memberCtx.newPage();
    await m.goto(inviteLink);
    await expect(m.locator('h1').textContent()).resolves.toContain('Join Default organization');
    await m.fill('#name', 'Mia Member');
    await m.fill('#password', MEMBER.password);
    await m.click('button[type=submit]');
    await m.waitForURL(/\/app\/default\?ok=joined$/);
    // The link worked once.
    expect((await (await memberCtx.newPage()).goto(inviteLink))?.status()).toBe(404);
    // The member sees none of the owner's keys, and no admin controls.
    await m.goto(`${ts.url}/app/default/settings/keys`);
    expect(await m.content()).not.toContain(laptopKey.slice(0, 10));
    await expect(m.locator('.empty h2').textContent()).resolves.toBe('No API keys yet');
    await m.goto(`${ts.url}/app/default/settings/members`);
    expect(await m.locator('.page-head >> text=Invite').count()).toBe(0);
    expect(await m.locator('select[name=role]').count()).toBe(0);
    expect(await m.locator('nav >> text=Playground').count()).toBe(0);
    // An admin's action sent anyway, with the member's own valid CSRF token, is refused.
    const csrf = await m.locator('input[name=_csrf]').first().inputValue();
    const forged = await m.evaluate(
      async ({ csrf }) => (await fetch('/app/default/settings/members/invite', { method: 'POST', body: new URLSearchParams({ _csrf: csrf, email: 'x@example.com', role: 'admin' }) })).status,
      { csrf },
    );
    expect(forged).toBe(403);
    const ownerKeyId = (await ts.rt.store.apiKeys.list((await ts.org('default')).id)).find((k) => k.name === 'laptop')!.id;
    const steal = await m.evaluate(
      async ({ csrf, id }) => (await fetch(`/app/default/settings/keys/${id}/revoke`, { method: 'POST', body: new URLSearchParams({ _csrf: csrf }) })).status,
      { csrf, id: ownerKeyId },
    );
    expect(steal).toBe(404);
    await memberCtx.close();

    // An OAuth authorization made by the SDK client, revoked from Connected apps.
    const provider = new MemoryOAuthProvider(cb.url);
    const first = new Client({ name: 'oauth-journey', version: '1.0.0' });
    await expect(first.connect(new StreamableHTTPClientTransport(new URL(ts.mcpUrl), { authProvider: provider }))).rejects.toThrow(UnauthorizedError);
    const back = await authorizeInBrowser(ts.url, provider.authorizationUrl!.href, { email: OWNER.email, password: OWNER.password });
    await new StreamableHTTPClientTransport(new URL(ts.mcpUrl), { authProvider: provider }).finishAuth(back.searchParams);
    const oauthClient = new Client({ name: 'oauth-journey', version: '1.0.0' });
    await oauthClient.connect(new StreamableHTTPClientTransport(new URL(ts.mcpUrl), { authProvider: provider }));
    await oauthClient.callTool({ name: 'list_sources', arguments: {} });
    await page.goto(`${ts.url}/app/default/settings/apps`);
    const appRow = page.locator('tr', { hasText: 'Sequel test client' });
    expect(await appRow.textContent()).toContain(OWNER.email);
    await page.screenshot({ path: screenshotPath('journey-connected-apps'), fullPage: true });
    await appRow.locator('a', { hasText: 'Revoke' }).click();
    await page.locator('dialog[open] button[type=submit]').click();
    await page.waitForURL(/ok=app-revoked/);
    const afterRevoke = await rpc(ts.mcpUrl, INITIALIZE, { authorization: `Bearer ${provider.savedTokens!.access_token}` });
    expect(afterRevoke.status).toBe(401);
    await oauthClient.close().catch(() => undefined);
    await page.close();
  });
});
