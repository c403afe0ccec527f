import type { Hono } from 'hono';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { placeholderPage } from './placeholder.js';

export function appsPage(_rt: Runtime): Hono<DashEnv> {
  return placeholderPage('apps', 'Coming next.');
}
