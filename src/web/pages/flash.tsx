/**
 * One-line confirmations after a redirect (`?ok=<code>`): only known codes are shown, so a crafted
 * link cannot put words on the page.
 */
import type { Context } from 'hono';
import { Notice } from '../ui/components.js';

const MESSAGES: Record<string, string> = {
  welcome: "You're set up. Connect a client to start querying.",
  joined: 'Welcome! You joined the organization.',
  'org-created': 'Organization created. You are its owner.',
  'key-revoked': 'The key was revoked. Clients using it get 401 from their next request.',
  'key-preset': 'The key’s policy preset was changed. It counts from the key’s next request.',
  'app-revoked': 'The app was disconnected. Its next request fails.',
  'role-changed': 'Role changed.',
  'member-removed': 'Member removed.',
  'invite-revoked': 'Invitation revoked; the link no longer works.',
  'password-changed': 'Password changed. Your other sessions were signed out.',
  'org-updated': 'Organization updated.',
};

export function flash(c: Context, extra?: string) {
  const code = c.req.query('ok');
  const text = extra ?? (code ? MESSAGES[code] : undefined);
  return text ? <Notice kind="ok">{text}</Notice> : null;
}
