/** What operations need: the store, the server keys (hashes of keys, tokens, sessions) and the log. */
import type { Logger } from '../log.js';
import type { ServerKeys } from '../secrets.js';
import type { Store } from '../store/index.js';

export interface OpsDeps {
  store: Store;
  keys: ServerKeys;
  log: Logger;
}
