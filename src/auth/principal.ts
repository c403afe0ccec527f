import type { PresetPolicy } from '../store/presets.js';

/** The policy preset a credential is narrowed to (src/store/presets.ts), as it was when the credential was read. */
export interface CredentialPreset {
  id: string;
  name: string;
  version: number;
  policy: PresetPolicy;
}

/** Who is calling, as every tool and the audit log see it. Either credential reaches exactly one org. */
export interface Principal {
  orgId: string;
  /** The user behind the credential: the key's creator, or the OAuth grant's user; null for CLI-made keys. */
  userId: string | null;
  credential:
    | { kind: 'api_key'; id: string; label: string }
    | { kind: 'oauth'; id: string; label: string; clientId: string }
    /** An admin's query in the dashboard's playground: audited like a model's call, marked as such. */
    | { kind: 'playground'; id: string; label: string };
  /** Source ids this credential may reach; null = all of the org's sources. */
  sourceIds: string[] | null;
  /** OAuth scopes granted; API keys carry the default scope. */
  scopes: string[];
  /**
   * The policy preset the key or authorization is narrowed to: every source's policy is intersected with
   * it (src/governance/presets.ts). Absent or null: the source policies alone.
   */
  preset?: CredentialPreset | null;
}

/** The scope that lets a credential use the MCP tools. */
export const MCP_SCOPE = 'mcp';
