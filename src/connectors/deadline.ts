import { ToolError } from '../errors.js';

/**
 * Runs one statement under its deadline. When `timeoutMs` passes or `signal` aborts, `stop` is called —
 * it must really stop the work (kill the SQLite reader, interrupt DuckDB) and make `work` settle — and
 * the call answers QUERY_TIMEOUT; any other failure goes through `mapError`. `stopped` says how it was
 * stopped (the caller decides whether the connection may be reused).
 */
export async function withDeadline<T>(opts: {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  stop: () => void;
  /** How the statement was stopped, in the past tense: "stopped", "interrupted". */
  stopped: string;
  mapError: (err: unknown) => unknown;
  work: () => Promise<T>;
}): Promise<T> {
  if (opts.signal?.aborted) throw new ToolError('QUERY_TIMEOUT', 'The call was cancelled before it started.');
  let why: 'timeout' | 'abort' | undefined;
  const halt = (reason: 'timeout' | 'abort') => {
    why ??= reason;
    opts.stop();
  };
  const timer = setTimeout(() => halt('timeout'), opts.timeoutMs);
  const onAbort = () => halt('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await opts.work();
  } catch (err) {
    if (why === 'timeout') {
      throw new ToolError('QUERY_TIMEOUT', `The statement ran longer than ${opts.timeoutMs} ms and was ${opts.stopped}; narrow it (WHERE, LIMIT) or aggregate.`);
    }
    if (why === 'abort') throw new ToolError('QUERY_TIMEOUT', `The call was cancelled and the statement ${opts.stopped}.`);
    throw opts.mapError(err);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
