/** The variables every dashboard handler can read (set by the session and organization middleware). */
import type { Session } from '../ops/account.js';
import type { PageCtx } from './ui/layout.js';

export interface DashEnv {
  Variables: {
    session: Session;
    csrf: string;
    ctx: PageCtx;
  };
}
