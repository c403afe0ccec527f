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
}

/** The scope that lets a credential use the MCP tools. */
export const MCP_SCOPE = 'mcp';
