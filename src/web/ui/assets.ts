/**
 * Static assets of the dashboard: the stylesheet and the one script, served from this server (the CSP
 * is 'self'; no CDN) under content-hashed names so they can be cached for good.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Hono } from 'hono';
import { STYLES } from './styles.js';

const SCRIPT = fs.readFileSync(new URL('./client.js', import.meta.url), 'utf8');

function hashed(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 12);
}

export const CSS_PATH = `/assets/sequel.${hashed(STYLES)}.css`;
export const JS_PATH = `/assets/sequel.${hashed(SCRIPT)}.js`;

export function assetRoutes(): Hono {
  const app = new Hono();
  const headers = (type: string) => ({
    'content-type': type,
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
  });
  app.get(CSS_PATH, (c) => c.body(STYLES, 200, headers('text/css; charset=utf-8')));
  app.get(JS_PATH, (c) => c.body(SCRIPT, 200, headers('text/javascript; charset=utf-8')));
  return app;
}
