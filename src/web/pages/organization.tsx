import type { Hono } from 'hono';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { placeholderPage } from './placeholder.js';

export function organizationPage(_rt: Runtime): Hono<DashEnv> {
  return placeholderPage('organization', 'Coming next.');
}
