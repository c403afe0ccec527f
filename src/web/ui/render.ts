/** Sends a hono/jsx page as a complete HTML document. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export async function render(c: Context, node: unknown, status: ContentfulStatusCode = 200): Promise<Response> {
  const body = String(await node);
  return c.html(`<!doctype html>${body}`, status);
}
