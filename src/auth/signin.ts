/**
 * Password sign-in, shared by every page that signs a person in (the OAuth sign-in page and the
 * dashboard): one account store, one set of throttles, so an attacker gains nothing by switching pages.
 *
 * `attempt` is the only way to check a password. Throttles: failures per (client address, email) and per
 * client address within a window; an unknown email costs the same scrypt verification as a wrong
 * password, so timing does not reveal which accounts exist.
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { User } from '../store/users.js';
import { Throttle } from './oauth/throttle.js';
import { dummyPasswordHash, verifyPassword } from './passwords.js';

/** Wrong passwords per (address, email) and per address within the window before sign-in is refused for a while. */
const PER_ACCOUNT_FAILURES = 5;
const PER_ADDRESS_FAILURES = 30;
const FAILURE_WINDOW_MS = 15 * 60_000;

export interface SignInInput {
  email: string;
  password: string;
  /** The caller's address as the throttles key it (see `clientIp`). */
  client: string;
  /** Where the attempt came from, for logs: `oauth`, `dashboard`. */
  surface: string;
}

export type SignInResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid'; message: string }
  | { ok: false; reason: 'throttled'; retryAfterMs: number; message: string };

export class SignIn {
  private readonly perAccount = new Throttle(PER_ACCOUNT_FAILURES, FAILURE_WINDOW_MS);
  private readonly perAddress = new Throttle(PER_ADDRESS_FAILURES, FAILURE_WINDOW_MS);

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  async attempt(input: SignInInput): Promise<SignInResult> {
    const email = input.email.trim().toLowerCase().slice(0, 254);
    const password = input.password.slice(0, 1024);
    const accountKey = `${input.client}\u0000${email}`;
    const wait = Math.max(this.perAccount.blockedFor(accountKey), this.perAddress.blockedFor(input.client));
    if (wait > 0) {
      return { ok: false, reason: 'throttled', retryAfterMs: wait, message: `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60_000)} minute(s).` };
    }
    const user = email ? await this.store.users.byEmailWithHash(email) : undefined;
    // The same scrypt work whether or not the account exists, so timing does not reveal which do.
    const ok = (await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()))) && !!user?.password_hash;
    if (!ok || !user) {
      this.perAccount.hit(accountKey);
      this.perAddress.hit(input.client);
      this.log.info('sign-in failed', { surface: input.surface, client: input.client });
      return { ok: false, reason: 'invalid', message: 'Wrong email or password.' };
    }
    this.perAccount.reset(accountKey);
    this.log.info('sign-in', { surface: input.surface, userId: user.id });
    return { ok: true, user };
  }
}
