/**
 * Outbound fetches the authorization server makes on a client's say-so — above all Client ID Metadata
 * Documents (draft-ietf-oauth-client-id-metadata-document: the client_id is an https URL the server
 * dereferences). Whoever registers a client chooses that URL, so the fetch is an SSRF vector:
 *
 * - https only, no redirects followed (a 3xx is returned as is and oidc-provider rejects non-200);
 * - the host must not be, or resolve to, a loopback, private, link-local or otherwise special-use
 *   address — checked on the literal, on every DNS answer (all of them, so a mixed answer cannot slip a
 *   private address through), and again on the connected socket's peer address;
 * - a short timeout and a response-size cap.
 *
 * Tests and local development serve documents from 127.0.0.1; they name those `host[:port]` values
 * explicitly (`SEQUEL_OAUTH_CIMD_ALLOW_PRIVATE`, off by default) and may add a CA to trust.
 * Caching per HTTP cache headers is oidc-provider's (Cache-Control max-age / Expires, bounded).
 */
import dns from 'node:dns';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

const BLOCKED = new net.BlockList();
for (const [addr, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(addr, prefix, 'ipv4');
}
for (const [addr, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(addr, prefix, 'ipv6');
}

/** Whether an IP address is loopback, private, link-local or otherwise not a public unicast address. */
export function isSpecialUseAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isSpecialUseAddress(mapped[1]!);
    return BLOCKED.check(address, 'ipv6');
  }
  return BLOCKED.check(address, 'ipv4');
}

export interface GuardedFetchOptions {
  /** `host` or `host:port` values exempt from the private-address rule (tests, development). */
  allowPrivate: string[];
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  extraCa?: string | undefined;
  timeoutMs?: number;
  maxBytes?: number;
  /**
   * Ignore the caller's abort signal and rely on `timeoutMs` alone: oidc-provider aborts every fetch
   * after a fixed 2.5 s, which SEQUEL_OAUTH_CIMD_TIMEOUT_MS replaces when set.
   */
  ownDeadline?: boolean;
}

export class FetchRefused extends Error {}

function hostKey(url: URL): { host: string; hostPort: string } {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || '443';
  return { host, hostPort: `${url.hostname.toLowerCase()}:${port}` };
}

/** Whether a URL may be fetched at all, before any DNS lookup (also used as oidc-provider's `allowFetch`). */
export function fetchAllowedByName(raw: string, opts: Pick<GuardedFetchOptions, 'allowPrivate'>): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username || url.password) return false;
  const { host, hostPort } = hostKey(url);
  if (opts.allowPrivate.includes(hostPort) || opts.allowPrivate.includes(url.hostname.toLowerCase())) return true;
  if (net.isIP(host)) return !isSpecialUseAddress(host);
  return host !== 'localhost' && !host.endsWith('.localhost') && !host.endsWith('.local') && !host.endsWith('.internal') && host.includes('.');
}

/**
 * A `lookup` for sockets that refuses a name if any of its addresses is special-use (all answers are
 * checked, so a mixed answer cannot slip a private address through), unless `privateOk`.
 */
export function guardedLookup(privateOk: boolean): net.LookupFunction {
  return (hostname, options, cb) => {
    dns.lookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return cb(err, '', 4);
      const list = addresses as dns.LookupAddress[];
      if (!privateOk && list.some((a) => isSpecialUseAddress(a.address))) {
        return cb(new FetchRefused(`${hostname} resolves to a private or special-use address`), '', 4);
      }
      const first = list[0];
      if (!first) return cb(new Error(`${hostname} did not resolve`), '', 4);
      if ((options as { all?: boolean }).all) return (cb as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      cb(null, first.address, first.family);
    });
  };
}

type FetchInit = { method?: string; headers?: HeadersInit; signal?: AbortSignal | null | undefined };

/**
 * A `fetch`-shaped function (what oidc-provider's `fetch` option takes) with the rules above.
 */
export function guardedFetch(opts: GuardedFetchOptions): (input: string | URL, init?: FetchInit) => Promise<Response> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  const ca = opts.extraCa ? [...tls.rootCertificates, opts.extraCa] : undefined;

  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      if (!fetchAllowedByName(url.href, opts)) {
        reject(new FetchRefused(`refusing to fetch ${url.origin}: not a public https address`));
        return;
      }
      const { hostPort } = hostKey(url);
      const privateOk = opts.allowPrivate.includes(hostPort) || opts.allowPrivate.includes(url.hostname.toLowerCase());
      const lookup = guardedLookup(privateOk);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => (headers[k] = v));
      const req = https.request(
        url,
        // agent: false — a pooled socket must not be reused past the peer-address check below.
        { method: init.method ?? 'GET', headers, lookup, agent: false, ...(ca ? { ca } : {}), timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let tooLarge = false;
          res.on('data', (chunk: Buffer) => {
            if (tooLarge) return;
            size += chunk.length;
            if (size > maxBytes) {
              tooLarge = true;
              reject(new FetchRefused(`response larger than ${maxBytes} bytes`));
              res.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (tooLarge) return;
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
              else if (v !== undefined) h.set(k, v);
            }
            const status = res.statusCode ?? 502;
            // A Response cannot carry a body with a null-body status.
            const body = [101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers: h }));
          });
          res.on('error', reject);
        },
      );
      req.on('socket', (socket) => {
        socket.once('connect', () => {
          const peer = socket.remoteAddress;
          if (!privateOk && (!peer || isSpecialUseAddress(peer))) req.destroy(new FetchRefused('connected to a private or special-use address'));
        });
      });
      req.on('timeout', () => req.destroy(new FetchRefused(`no response within ${timeoutMs} ms`)));
      req.on('error', reject);
      const signal = opts.ownDeadline ? undefined : init.signal;
      if (opts.ownDeadline) {
        // An overall deadline (the socket timeout above only measures silences).
        const timer = setTimeout(() => req.destroy(new FetchRefused(`no response within ${timeoutMs} ms`)), timeoutMs);
        req.once('close', () => clearTimeout(timer));
      }
      if (signal) {
        if (signal.aborted) req.destroy(new FetchRefused('aborted'));
        else signal.addEventListener('abort', () => req.destroy(new FetchRefused('aborted')), { once: true });
      }
      req.end();
    });
}
