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
 *
 * With several replicas (a PostgreSQL store or SEQUEL_REDIS_URL) the three back-offs live in the shared
 * counters (src/limits/shared.ts) with the same semantics — each charge is one atomic check-and-count,
 * made before the password is verified — so failures spread over replicas add up to one budget. The
 * concurrent-verification caps stay per process: they bound this process's memory and CPU. A shared
 * store that cannot be reached refuses the attempt (fail closed).
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { User } from '../store/users.js';
import { addressKey } from './clientAddress.js';
import type { BackOffPolicy, SharedCounters } from '../limits/shared.js';
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
  private readonly policies: { pair: BackOffPolicy; account: BackOffPolicy; address: BackOffPolicy };

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
    /** Counters shared by all replicas; without them the back-offs are in this process's memory. */
    private readonly shared?: SharedCounters,
  ) {
    this.policies = {
      pair: { ...limits.addressAccount, maxMs: WINDOW_MS, windowMs: WINDOW_MS },
      account: { ...limits.account, maxMs: WINDOW_MS, windowMs: WINDOW_MS },
      address: { ...limits.address, windowMs: WINDOW_MS },
    };
    this.perAddressAccount = new BackOff(this.policies.pair);
    this.perAccount = new BackOff(this.policies.account);
    this.perAddress = new BackOff(this.policies.address);
    this.busyAddress = new InFlight(limits.inFlight.address);
    this.busyAccount = new InFlight(limits.inFlight.account);
    this.busyTotal = new InFlight(limits.inFlight.total);
  }

  async attempt(input: SignInInput): Promise<SignInResult> {
    const email = input.email.trim().toLowerCase().slice(0, 254);
    const password = input.password.slice(0, 1024);
    const address = addressKey(input.client);
    const pairKey = `${address}\u0000${email}`;
    if (this.shared) return this.attemptShared(this.shared, input, email, password, address, pairKey);

    // Everything from here to the charges is synchronous: no concurrent attempt can interleave between
    // the check and the count.
    const wait = Math.max(this.perAddressAccount.waitFor(pairKey), this.perAccount.waitFor(email), this.perAddress.waitFor(address));
    if (wait > 0) return throttled(wait);
    if (!this.enterBusy(address, email)) return throttled(1000);
    this.perAddressAccount.charge(pairKey);
    this.perAccount.charge(email);
    this.perAddress.charge(address);
    let user: User | undefined;
    let ok = false;
    try {
      ({ user, ok } = await this.check(email, password));
    } finally {
      this.leaveBusy(address, email);
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

  /** Takes a slot in each concurrent-verification cap (total, address, account), or none. */
  private enterBusy(address: string, email: string): boolean {
    if (!this.busyTotal.enter('*')) return false;
    if (!this.busyAddress.enter(address)) {
      this.busyTotal.leave('*');
      return false;
    }
    if (!this.busyAccount.enter(email)) {
      this.busyAddress.leave(address);
      this.busyTotal.leave('*');
      return false;
    }
    return true;
  }

  private leaveBusy(address: string, email: string): void {
    this.busyAccount.leave(email);
    this.busyAddress.leave(address);
    this.busyTotal.leave('*');
  }

  /** The password check, with the same scrypt work whether or not the account exists (timing reveals nothing). */
  private async check(email: string, password: string): Promise<{ user: User | undefined; ok: boolean }> {
    const user = email ? await this.store.users.byEmailWithHash(email) : undefined;
    const ok = (await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()))) && !!user?.password_hash;
    return { user, ok };
  }

  /** `attempt` with the back-offs in the shared counters (several replicas). */
  private async attemptShared(shared: SharedCounters, input: SignInInput, email: string, password: string, address: string, pairKey: string): Promise<SignInResult> {
    if (!this.enterBusy(address, email)) return throttled(1000);
    const charges: Array<[string, string, BackOffPolicy]> = [
      ['signin_pair', pairKey, this.policies.pair],
      ['signin_account', email, this.policies.account],
      ['signin_address', address, this.policies.address],
    ];
    let user: User | undefined;
    let ok = false;
    try {
      // Each charge is an atomic check-and-count across replicas; one refused takes back the others.
      const charged: Array<[string, string]> = [];
      for (const [name, key, policy] of charges) {
        let wait: number;
        try {
          wait = await shared.charge(name, key, policy);
        } catch (err) {
          this.log.warn('sign-in refused: shared limit store unreachable', { backend: shared.kind, error: err instanceof Error ? err.message : String(err) });
          wait = 5000;
        }
        if (wait > 0) {
          await Promise.all(charged.map(([n, k]) => shared.refund(n, k).catch(() => undefined)));
          return throttled(wait);
        }
        charged.push([name, key]);
      }
      ({ user, ok } = await this.check(email, password));
    } finally {
      this.leaveBusy(address, email);
    }
    if (!ok || !user) {
      this.log.info('sign-in failed', { surface: input.surface, client: input.client });
      return { ok: false, reason: 'invalid', message: 'Wrong email or password.' };
    }
    await Promise.all([shared.reset('signin_pair', pairKey), shared.refund('signin_account', email), shared.refund('signin_address', address)]).catch((err: unknown) => {
      this.log.warn('could not refund sign-in charges', { error: err instanceof Error ? err.message : String(err) });
    });
    this.log.info('sign-in', { surface: input.surface, userId: user.id });
    return { ok: true, user };
  }
}

function throttled(waitMs: number): SignInResult {
  const wait = Math.max(1000, waitMs);
  const when = wait < MINUTE ? `${Math.ceil(wait / 1000)} second(s)` : `${Math.ceil(wait / MINUTE)} minute(s)`;
  return { ok: false, reason: 'throttled', retryAfterMs: wait, message: `Too many sign-in attempts. Try again in ${when}.` };
}
