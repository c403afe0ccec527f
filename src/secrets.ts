/**
 * The server key and what is derived from it. One 32-byte root key, either `SEQUEL_SECRET_KEY` or a file
 * generated on first run (`<dataDir>/server.key`, mode 0600), plus — while a rotation is under way — the
 * previous keys (`SEQUEL_SECRET_KEY_PREVIOUS`), which read what was stored under them and write nothing.
 * Purpose-specific keys are derived with HKDF-SHA-256 (RFC 5869) so that the credential-encryption key,
 * the API-key HMAC key and the cookie keys never coincide.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, ValidationError } from './errors.js';

const KEY_FILE = 'server.key';

export type HashPurpose = 'api-keys' | 'oauth-tokens' | 'sessions';

export type KeyPurpose = 'credentials' | 'api-keys' | 'oauth-cookies' | 'oauth-tokens' | 'sessions' | 'key-check' | 'masking';

/** One root key and the purpose keys derived from it. */
class RootKey {
  private readonly derived = new Map<KeyPurpose, Buffer>();
  /** The fingerprint (see `ServerKeys.fingerprint`); its first 8 characters are the key id. */
  readonly fingerprint: string;
  readonly id: string;
  /** The lookup keys as KeyObjects: an HMAC with a Buffer key imports the key again on every call (every request). */
  private readonly hmacKeys = new Map<KeyPurpose, KeyObject>();

  constructor(private readonly root: Buffer) {
    if (root.length !== 32) throw new ValidationError('the server key must be 32 bytes');
    this.fingerprint = createHmac('sha256', this.key('key-check')).update('sequel key check v1').digest('hex').slice(0, 32);
    this.id = this.fingerprint.slice(0, KEY_ID_CHARS);
  }

  key(purpose: KeyPurpose): Buffer {
    let k = this.derived.get(purpose);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', this.root, Buffer.alloc(0), `sequel/${purpose}`, 32));
      this.derived.set(purpose, k);
    }
    return k;
  }

  /** The purpose key for HMAC lookups, imported once. */
  hmacKey(purpose: KeyPurpose): KeyObject {
    let k = this.hmacKeys.get(purpose);
    if (!k) {
      k = createSecretKey(this.key(purpose));
      this.hmacKeys.set(purpose, k);
    }
    return k;
  }
}

/** Characters of the fingerprint that name a key in ciphertexts and in the store (not secret: an HMAC output). */
const KEY_ID_CHARS = 8;

/**
 * The server's key ring: the current key, which encrypts and hashes everything new, and the previous
 * keys (`SEQUEL_SECRET_KEY_PREVIOUS`), which are only used to read what was stored under them — during a
 * rotation (docs/deploy.md, "Rotating the server key").
 */
export class ServerKeys {
  private readonly current: RootKey;
  private readonly previous: RootKey[];

  constructor(root: Buffer, previous: Buffer[] = []) {
    this.current = new RootKey(root);
    const seen = new Set([this.current.id]);
    this.previous = [];
    // The current key listed again among the previous ones (a half-edited environment) is harmless.
    for (const p of previous.map((b) => new RootKey(b))) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      this.previous.push(p);
    }
  }

  /** The current key's id (8 hex characters of its fingerprint). */
  get id(): string {
    return this.current.id;
  }

  /** Ids of every key in the ring, the current one first. */
  ids(): string[] {
    return [this.current.id, ...this.previous.map((k) => k.id)];
  }

  /** Whether the ring holds keys besides the current one. */
  get rotating(): boolean {
    return this.previous.length > 0;
  }

  /** The current key's purpose key. */
  key(purpose: KeyPurpose): Buffer {
    return this.current.key(purpose);
  }

  /** The purpose key of every key in the ring, current first (e.g. cookie keys: the first signs, all verify). */
  allKeys(purpose: KeyPurpose): Buffer[] {
    return [this.current, ...this.previous].map((k) => k.key(purpose));
  }

  /** Keyed hash (HMAC-SHA-256, hex) for looking up API keys and tokens that are stored only as hashes. */
  hash(purpose: HashPurpose, value: string): string {
    return createHmac('sha256', this.current.hmacKey(purpose)).update(value).digest('hex');
  }

  /**
   * The value's hash under every key in the ring, current first: lookups of something stored before a
   * rotation try these in turn (a hash cannot be re-computed without the value, so nothing re-hashes
   * them in bulk).
   */
  hashes(purpose: HashPurpose, value: string): Array<{ keyId: string; hash: string }> {
    return [this.current, ...this.previous].map((k) => ({ keyId: k.id, hash: createHmac('sha256', k.hmacKey(purpose)).update(value).digest('hex') }));
  }

  /**
   * Looks up something stored only as a keyed hash of `value`: under the current key, then — during a
   * rotation — under each previous key in turn (what was stored before it keeps the old key's hash until
   * it is used or expires). The first hit and the hash it was found under; undefined when none matches.
   */
  async findByHash<T>(purpose: HashPurpose, value: string, find: (hash: string) => Promise<T | null | undefined>): Promise<{ found: T; hash: string } | undefined> {
    for (const k of [this.current, ...this.previous]) {
      const hash = createHmac('sha256', k.hmacKey(purpose)).update(value).digest('hex');
      const found = await find(hash);
      if (found !== undefined && found !== null) return { found, hash };
    }
    return undefined;
  }

  /**
   * A short fingerprint of the current root key, kept in the store: a replica started with keys that do
   * not cover what the store holds refuses to run instead of failing to decrypt credentials one by one.
   */
  fingerprint(): string {
    return this.current.fingerprint;
  }

  /** Fingerprints of every key in the ring, current first. */
  fingerprints(): string[] {
    return [this.current, ...this.previous].map((k) => k.fingerprint);
  }

  /**
   * AES-256-GCM with a random 96-bit nonce under the current key; output
   * `v2.<key id>.<nonce>.<ciphertext>.<tag>` (base64url). `v1.…` values (no key id, written before key
   * rings) are still read.
   */
  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key('credentials'), iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v2', this.current.id, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The id of the key a value was encrypted under; undefined for `v1` values (which do not say). */
  static keyIdOf(box: string): string | undefined {
    const parts = box.split('.');
    return parts[0] === 'v2' && parts.length === 5 ? parts[1] : undefined;
  }

  /** Whether a value is encrypted under the current key (a rotation leaves those alone). */
  isCurrent(box: string): boolean {
    return ServerKeys.keyIdOf(box) === this.current.id;
  }

  /**
   * Decrypts what `encrypt` produced under the same associated data (the owning row's id, so a ciphertext
   * copied onto another row does not decrypt), with whichever key of the ring it names; a `v1` value is
   * tried under each key (the GCM tag tells which one is right).
   */
  decrypt(box: string, associatedData: string): string {
    const parts = box.split('.');
    let candidates: RootKey[];
    let body: [string, string, string];
    if (parts.length === 4 && parts[0] === 'v1') {
      candidates = [this.current, ...this.previous];
      body = [parts[1]!, parts[2]!, parts[3]!];
    } else if (parts.length === 5 && parts[0] === 'v2') {
      const k = [this.current, ...this.previous].find((r) => r.id === parts[1]);
      if (!k) {
        throw new AppError(
          'DECRYPT_FAILED',
          `an encrypted credential could not be decrypted: it is under server key ${parts[1]}, which is not in this server's key ring (${this.ids().join(', ')}); add that key to SEQUEL_SECRET_KEY_PREVIOUS`,
        );
      }
      candidates = [k];
      body = [parts[2]!, parts[3]!, parts[4]!];
    } else {
      throw new AppError('DECRYPT_FAILED', 'malformed encrypted value');
    }
    const [iv, ct, tag] = body;
    for (const k of candidates) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', k.key('credentials'), Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(associatedData));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // the next key of the ring, if any
      }
    }
    throw new AppError('DECRYPT_FAILED', 'an encrypted credential could not be decrypted with this server key');
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

/** A new random server key, as `SEQUEL_SECRET_KEY` takes it (`sequel rotate-server-key --generate`). */
export function generateServerKey(): string {
  return randomBytes(32).toString('base64');
}

/** `SEQUEL_SECRET_KEY_PREVIOUS`: comma-separated keys, each base64 or hex of 32 bytes. */
function parsePrevious(text: string | undefined): Buffer[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((k, i) => parseKey(k, `key ${i + 1} of SEQUEL_SECRET_KEY_PREVIOUS`));
}

/**
 * Loads the key ring: the current key from `SEQUEL_SECRET_KEY` when set, else from
 * `<dataDir>/server.key`, generating the file (mode 0600, exclusive create so two processes starting at
 * once agree) when it does not exist; the previous keys from `SEQUEL_SECRET_KEY_PREVIOUS`.
 */
export function loadServerKeys(
  dataDir: string,
  fromEnv: string | undefined,
  previousFromEnv?: string | undefined,
): { keys: ServerKeys; generated: boolean; file?: string } {
  const previous = parsePrevious(previousFromEnv);
  if (fromEnv) return { keys: new ServerKeys(parseKey(fromEnv, 'SEQUEL_SECRET_KEY'), previous), generated: false };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, KEY_FILE);
  let generated = false;
  try {
    fs.writeFileSync(file, generateServerKey() + '\n', { mode: 0o600, flag: 'wx' });
    generated = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new ValidationError(`${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`);
  }
  return { keys: new ServerKeys(parseKey(fs.readFileSync(file, 'utf8'), file), previous), generated, file };
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
