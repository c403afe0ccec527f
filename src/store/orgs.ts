import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { now, type DB, type OrganizationsTable } from './db.js';
import { isUniqueViolation } from './errors.js';

export type Organization = Selectable<OrganizationsTable>;

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function assertSlug(slug: string, what = 'slug'): void {
  if (!SLUG.test(slug)) {
    throw new ValidationError(`${what} "${slug}" must be 1-63 lower-case letters, digits or hyphens, starting and ending with a letter or digit`);
  }
}

export class Organizations {
  constructor(private readonly db: Kysely<DB>) {}

  async create(slug: string, name?: string): Promise<Organization> {
    assertSlug(slug, 'organization slug');
    const row: Organization = { id: randomUUID(), slug, name: name?.trim() || slug, created_at: now() };
    try {
      await this.db.insertInto('organizations').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`an organization "${slug}" already exists`);
      throw err;
    }
    return row;
  }

  async bySlug(slug: string): Promise<Organization | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  async get(id: string): Promise<Organization | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async requireBySlug(slug: string): Promise<Organization> {
    const org = await this.bySlug(slug);
    if (!org) throw new NotFoundError(`no organization "${slug}"`);
    return org;
  }

  async list(): Promise<Organization[]> {
    return this.db.selectFrom('organizations').selectAll().orderBy('slug').execute();
  }
}
