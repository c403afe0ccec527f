/**
 * Who may do what, as a table: every action × every role, the operator allowed everything; plus the
 * install dialog's snippets for the formats clients document, and the key form's expiry choices.
 */
import { describe, expect, it } from 'vitest';
import { assertCan, can, MIN_ROLE, type Action, type UserActor } from '../../src/ops/permissions.js';
import type { Role } from '../../src/store/db.js';
import { clients, deepLinkHref } from '../../src/web/connect/clients.js';
import { expiryFromForm } from '../../src/web/pages/keys.js';

const user = (role: Role): UserActor => ({ kind: 'user', userId: 'u', orgId: 'o', role });

const EXPECTED: Record<Action, [owner: boolean, admin: boolean, member: boolean]> = {
  'keys.create': [true, true, true],
  'keys.see_all': [true, true, false],
  'keys.revoke_any': [true, true, false],
  'members.list': [true, true, true],
  'members.invite': [true, true, false],
  'members.change_role': [true, true, false],
  'members.remove': [true, true, false],
  'members.reset_password': [true, true, false],
  'members.manage_owners': [true, false, false],
  'authorizations.see_all': [true, true, false],
  'authorizations.revoke_any': [true, true, false],
  'sources.read': [true, true, true],
  'sources.write': [true, true, false],
  'presets.write': [true, true, false],
  'audit.read': [true, true, true],
  'audit.see_all': [true, true, false],
  'playground.run': [true, true, false],
  'org.update': [true, false, false],
  'org.delete': [true, false, false],
};

describe('permissions table', () => {
  it.each(Object.keys(MIN_ROLE) as Action[])('%s', (action) => {
    const [owner, admin, member] = EXPECTED[action];
    expect([can(user('owner'), action), can(user('admin'), action), can(user('member'), action)]).toEqual([owner, admin, member]);
    expect(can({ kind: 'operator', orgId: 'o' }, action)).toBe(true);
    if (!member) expect(() => assertCan(user('member'), action)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
  it('covers every action', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(MIN_ROLE).sort());
  });
});

describe('install snippets', () => {
  const url = 'https://sequel.example.com/mcp';
  const byId = new Map(clients(url, 'sql_XXXX').map((c) => [c.id, c]));
  const snippet = (id: string) => {
    const c = byId.get(id);
    if (!c || c.kind !== 'header') throw new Error(`${id} is not header-based`);
    return c;
  };
  it('match the formats the clients document', () => {
    expect(snippet('claude-code').snippet.text).toBe(`claude mcp add --transport http --scope user sequel ${url} --header "Authorization: Bearer sql_XXXX"`);
    expect(JSON.parse(snippet('cursor').snippet.text)).toEqual({ mcpServers: { sequel: { url, headers: { Authorization: 'Bearer sql_XXXX' } } } });
    expect(JSON.parse(snippet('vscode').snippet.text)).toEqual({ servers: { sequel: { type: 'http', url, headers: { Authorization: 'Bearer sql_XXXX' } } } });
    expect(JSON.parse(snippet('windsurf').snippet.text)).toEqual({ mcpServers: { sequel: { serverUrl: url, headers: { Authorization: 'Bearer sql_XXXX' } } } });
    expect(JSON.parse(snippet('zed').snippet.text)).toEqual({ context_servers: { sequel: { url, headers: { Authorization: 'Bearer sql_XXXX' } } } });
    expect(snippet('codex').snippet.text).toBe(`export SEQUEL_API_KEY=sql_XXXX\ncodex mcp add sequel --url ${url} --bearer-token-env-var SEQUEL_API_KEY`);
    expect(snippet('gemini-cli').snippet.text).toBe(`gemini mcp add --scope user --transport http sequel ${url} --header "Authorization: Bearer sql_XXXX"`);
    for (const id of ['chatgpt', 'claude-ai', 'claude-desktop']) expect(byId.get(id)?.kind).toBe('oauth');
  });
  it('builds the Cursor and VS Code install links', () => {
    // The Cursor example from its install-link docs, as reference/mcp-clients.md quotes it.
    expect(deepLinkHref('cursor', snippet('cursor').deepLink!.config)).toBe(
      'cursor://anysphere.cursor-deeplink/mcp/install?name=sequel&config=eyJ1cmwiOiJodHRwczovL3NlcXVlbC5leGFtcGxlLmNvbS9tY3AiLCJoZWFkZXJzIjp7IkF1dGhvcml6YXRpb24iOiJCZWFyZXIgc3FsX1hYWFgifX0%3D',
    );
    const vscode = deepLinkHref('vscode', snippet('vscode').deepLink!.config);
    expect(vscode.startsWith('vscode:mcp/install?')).toBe(true);
    expect(JSON.parse(decodeURIComponent(vscode.slice('vscode:mcp/install?'.length)))).toEqual({ name: 'sequel', type: 'http', url, headers: { Authorization: 'Bearer sql_XXXX' } });
  });
});

describe('key expiry choices', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('never, 7/30/90 days, or the end of a chosen day', () => {
    expect(expiryFromForm('never', '', now)).toBeNull();
    expect(expiryFromForm('30', '', now)).toBe('2026-01-31T12:00:00.000Z');
    expect(expiryFromForm('date', '2026-02-01', now)).toBe('2026-02-01T23:59:59.999Z');
    expect(() => expiryFromForm('date', '2025-12-31', now)).toThrow(/future/);
    expect(() => expiryFromForm('12', '', now)).toThrow();
  });
});
