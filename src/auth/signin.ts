/**
 * Password sign-in, shared by every page that signs a person in (the OAuth sign-in page and the
 * dashboard): one account store, one set of throttles, so an attacker gains nothing by switching pages.
 *
 * `attempt` is the only way to check a password. Every attempt is counted *before* the password is
 * verified (and refunded when it turns out right), so a burst of concurrent guesses is judged against
 * the limits as a whole, not each against the count before the burst. Three back-offs (see `BackOff`:
 * a few free failures, then one try per doubling delay):
 *
 * - per (client address, account): the tight one — a person mistyping from their own machine;
 * - per account, from any address: guesses spread over many addresses still slow down;
 * - per client address, over all accounts: one address spraying many accounts slows down.
 *
 * They slow attempts down instead of locking a key out for a fixed term, and the address is the real
 * client's behind a trusted proxy (SEQUEL_TRUST_PROXY, ./clientAddress.ts), so one attacker cannot lock
 * everyone behind the same proxy out. Concurrent verifications are capped per address, per account and
 * overall (scrypt takes 32 MiB each). An unknown email costs the same scrypt verification as a wrong
 * password, so timing does not reveal which accounts exist.
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { User } from '../store/users.js';
import { addressKey } from './clientAddress.js';
import { BackOff, InFlight } from './oauth/throttle.js';
import { dummyPasswordHash, verifyPassword } from './passwords.js';

const MINUTE = 60_000;
const WINDOW_MS = 15 * MINUTE;

export interface SignInLimits {
  /** Failures per (address, account) before back-off; then from `baseMs`, doubling, up to 15 minutes. */
  addressAccount: { free: number; baseMs: number };
  /** Failures per account from all addresses before back-off. */
  account: { free: number; baseMs: number };
  /** Failures per address over all accounts before back-off; capped lower, as it also slows bystanders on a shared address. */
  address: { free: number; baseMs: number; maxMs: number };
  /** Password verifications running at once per address, per account and in total. */
  inFlight: { address: number; account: number; total: number };
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  addressAccount: { free: 5, baseMs: MINUTE },
  account: { free: 10, baseMs: 30_000 },
  address: { free: 30, baseMs: 2_000, maxMs: MINUTE },
  inFlight: { address: 4, account: 2, total: 16 },
};

export interface SignInInput {
  email: string;
  password: string;
  /** The caller's address (see `clientIp`); throttles key IPv6 by /64. */
  client: string;
  /** Where the attempt came from, for logs: `oauth`, `dashboard`. */
  surface: string;
}

export type SignInResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid'; message: string }
  | { ok: false; reason: 'throttled'; retryAfterMs: number; message: string };

export class SignIn {
  private readonly perAddressAccount: BackOff;
  private readonly perAccount: BackOff;
  private readonly perAddress: BackOff;
  private readonly busyAddress: InFlight;
  private readonly busyAccount: InFlight;
  private readonly busyTotal: InFlight;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
  ) {
    this.perAddressAccount = new BackOff({ ...limits.addressAccount, maxMs: WINDOW_MS, windowMs: WINDOW_MS });
    this.perAccount = new BackOff({ ...limits.account, maxMs: WINDOW_MS, windowMs: WINDOW_MS });
    this.perAddress = new BackOff({ ...limits.address, windowMs: WINDOW_MS });
    this.busyAddress = new InFlight(limits.inFlight.address);
    this.busyAccount = new InFlight(limits.inFlight.account);
    this.busyTotal = new InFlight(limits.inFlight.total);
  }

  async attempt(input: SignInInput): Promise<SignInResult> {
    const email = input.email.trim().toLowerCase().slice(0, 254);
    const password = input.password.slice(0, 1024);
    const address = addressKey(input.client);
    const pairKey = `${address}\u0000${email}`;

    // Everything from here to the charges is synchronous: no concurrent attempt can interleave between
    // the check and the count.
    const wait = Math.max(this.perAddressAccount.waitFor(pairKey), this.perAccount.waitFor(email), this.perAddress.waitFor(address));
    if (wait > 0) return throttled(wait);
    if (!this.busyTotal.enter('*')) return throttled(1000);
    if (!this.busyAddress.enter(address)) {
      this.busyTotal.leave('*');
      return throttled(1000);
    }
    if (!this.busyAccount.enter(email)) {
      this.busyAddress.leave(address);
      this.busyTotal.leave('*');
      return throttled(1000);
    }
    this.perAddressAccount.charge(pairKey);
    this.perAccount.charge(email);
    this.perAddress.charge(address);
    let user: User | undefined;
    let ok = false;
    try {
      user = email ? await this.store.users.byEmailWithHash(email) : undefined;
      // The same scrypt work whether or not the account exists, so timing does not reveal which do.
      ok = (await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()))) && !!user?.password_hash;
    } finally {
      this.busyAccount.leave(email);
      this.busyAddress.leave(address);
      this.busyTotal.leave('*');
    }
    if (!ok || !user) {
      this.log.info('sign-in failed', { surface: input.surface, client: input.client });
      return { ok: false, reason: 'invalid', message: 'Wrong email or password.' };
    }
    this.perAddressAccount.reset(pairKey);
    this.perAccount.refund(email);
    this.perAddress.refund(address);
    this.log.info('sign-in', { surface: input.surface, userId: user.id });
    return { ok: true, user };
  }
}

function throttled(waitMs: number): SignInResult {
  const wait = Math.max(1000, waitMs);
  const when = wait < MINUTE ? `${Math.ceil(wait / 1000)} second(s)` : `${Math.ceil(wait / MINUTE)} minute(s)`;
  return { ok: false, reason: 'throttled', retryAfterMs: wait, message: `Too many sign-in attempts. Try again in ${when}.` };
}
