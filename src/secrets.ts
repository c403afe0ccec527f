/**
 * The server key and what is derived from it. One 32-byte root key, either `SEQUEL_SECRET_KEY` or a file
 * generated on first run (`<dataDir>/server.key`, mode 0600). Purpose-specific keys are derived with
 * HKDF-SHA-256 (RFC 5869) so that the credential-encryption key, the API-key HMAC key and the cookie
 * keys never coincide.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, ValidationError } from './errors.js';

const KEY_FILE = 'server.key';

export type KeyPurpose = 'credentials' | 'api-keys' | 'oauth-cookies' | 'oauth-tokens' | 'sessions' | 'key-check' | 'masking';

export class ServerKeys {
  private readonly derived = new Map<KeyPurpose, Buffer>();

  constructor(private readonly root: Buffer) {
    if (root.length !== 32) throw new ValidationError('the server key must be 32 bytes');
  }

  key(purpose: KeyPurpose): Buffer {
    let k = this.derived.get(purpose);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', this.root, Buffer.alloc(0), `sequel/${purpose}`, 32));
      this.derived.set(purpose, k);
    }
    return k;
  }

  /** Keyed hash (HMAC-SHA-256, hex) for looking up API keys and tokens that are stored only as hashes. */
  hash(purpose: 'api-keys' | 'oauth-tokens' | 'sessions', value: string): string {
    return createHmac('sha256', this.key(purpose)).update(value).digest('hex');
  }

  /**
   * A short fingerprint of the root key, kept in the store: a replica started with a different key
   * refuses to run instead of failing to decrypt credentials one by one.
   */
  fingerprint(): string {
    return createHmac('sha256', this.key('key-check')).update('sequel key check v1').digest('hex').slice(0, 32);
  }

  /** AES-256-GCM with a random 96-bit nonce; output `v1.<nonce>.<ciphertext>.<tag>` in base64url. */
  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key('credentials'), iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /**
   * Decrypts what `encrypt` produced under the same associated data (the owning row's id, so a ciphertext
   * copied onto another row does not decrypt).
   */
  decrypt(box: string, associatedData: string): string {
    const parts = box.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') throw new AppError('DECRYPT_FAILED', 'malformed encrypted value');
    const [, iv, ct, tag] = parts as [string, string, string, string];
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key('credentials'), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new AppError('DECRYPT_FAILED', 'an encrypted credential could not be decrypted with this server key');
    }
  }
}

function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const buf = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (buf.length !== 32) {
    throw new ValidationError(`${where} must be 32 bytes, base64 or hex encoded (e.g. \`openssl rand -base64 32\`)`);
  }
  return buf;
}

/**
 * Loads the root key: from `SEQUEL_SECRET_KEY` when set, else from `<dataDir>/server.key`, generating
 * the file (mode 0600, exclusive create so two processes starting at once agree) when it does not exist.
 */
export function loadServerKeys(dataDir: string, fromEnv: string | undefined): { keys: ServerKeys; generated: boolean; file?: string } {
  if (fromEnv) return { keys: new ServerKeys(parseKey(fromEnv, 'SEQUEL_SECRET_KEY')), generated: false };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, KEY_FILE);
  let generated = false;
  try {
    fs.writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    generated = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new ValidationError(`${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  return { keys: new ServerKeys(parseKey(fs.readFileSync(file, 'utf8'), file)), generated, file };
}

/** Constant-time comparison of two strings (e.g. CSRF tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` base62 characters from a CSPRNG, without modulo bias (rejection sampling). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}
