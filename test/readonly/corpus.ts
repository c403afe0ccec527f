/**
 * The hostile corpus: statements that must never change anything, run through every engine's connector
 * while it is connected as the most privileged user (`readonly.test.ts`). Shared entries live here;
 * engine-specific ones in `corpus-<engine>.ts`. The legitimate set must all pass (no false refusals).
 */
import type { Engine } from '../../src/connectors/types.js';
import type { ToolErrorCode } from '../../src/errors.js';

export interface HostileCase {
  sql: string;
  /** What the statement tries (DML, writable CTE, comment trick…), for the test name. */
  why: string;
  /** Engines it applies to; all when absent. */
  engines?: Engine[];
  /** The refusal expected; NOT_READ_ONLY when absent. SYNTAX_ERROR only where the text cannot parse. */
  expect?: ToolErrorCode | ToolErrorCode[];
  params?: unknown[];
}

export interface LegitCase {
  sql: string;
  why: string;
  engines?: Engine[];
  params?: unknown[];
}
