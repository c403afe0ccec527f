/**
 * Organizations: create (the creator becomes its owner), list (the operator sees all, a person their
 * own), and resolve the actor a signed-in person is in an organization named by its slug — a slug they
 * are not a member of is "not found", never "forbidden", so slugs cannot be probed.
 */
import { NotFoundError, ValidationError } from '../errors.js';
import type { Organization } from '../store/orgs.js';
import type { Membership, PublicUser } from '../store/users.js';
import type { OpsDeps } from './deps.js';
import type { Person, UserActor } from './permissions.js';

/** Slugs the dashboard's own URLs use (`/app/new`). */
const RESERVED_SLUGS = new Set(['new', 'app', 'api', 'assets', 'signin', 'signout', 'setup', 'invite']);

export async function createOrg(deps: OpsDeps, person: Person, input: { slug: string; name?: string }): Promise<Organization> {
  const slug = input.slug.trim().toLowerCase();
  if (RESERVED_SLUGS.has(slug)) throw new ValidationError(`"${slug}" is reserved; pick another slug`);
  const org = await deps.store.orgs.create(slug, input.name);
  if (person.kind === 'user') await deps.store.users.addMembership(org.id, person.userId, 'owner');
  deps.log.info('organization created', { orgId: org.id, by: person.kind === 'user' ? person.userId : 'cli' });
  return org;
}

/** Every organization (the operator). */
export async function listAllOrgs(deps: OpsDeps, person: Person): Promise<Organization[]> {
  if (person.kind !== 'operator') throw new NotFoundError('not available');
  return deps.store.orgs.list();
}

/** The organizations a person belongs to, with their role. */
export async function myOrgs(deps: OpsDeps, userId: string): Promise<Membership[]> {
  return deps.store.users.membershipsOf(userId);
}

/**
 * The organizations of a person named by email (`sequel users orgs`): the operator may ask about anyone,
 * a signed-in person only about themselves (anyone else is "no account", so emails cannot be probed).
 */
export async function orgsOfPerson(deps: OpsDeps, person: Person, email: string): Promise<{ user: PublicUser; memberships: Membership[] }> {
  const user = await deps.store.users.byEmail(email.trim().toLowerCase());
  if (!user || (person.kind === 'user' && person.userId !== user.id)) throw new ValidationError(`no account ${email}`);
  return { user, memberships: await myOrgs(deps, user.id) };
}

/** The operator's handle on an organization named by slug (CLI). */
export async function orgBySlug(deps: OpsDeps, slug: string): Promise<Organization> {
  return deps.store.orgs.requireBySlug(slug);
}

/** The actor a person is in the organization with this slug, with their current role. */
export async function actorIn(deps: OpsDeps, userId: string, slug: string): Promise<{ actor: UserActor; org: Organization }> {
  const org = await deps.store.orgs.bySlug(slug);
  const role = org && (await deps.store.users.membership(org.id, userId));
  if (!org || !role) throw new NotFoundError('No such page.');
  return { actor: { kind: 'user', userId, orgId: org.id, role }, org };
}
