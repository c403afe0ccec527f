/**
 * oidc-provider 9 ships no type declarations. These cover exactly the surface Sequel uses, so the rest
 * of the code is typed at the module boundary (no `any`).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type AdapterPayload = Record<string, unknown> & {
    jti?: string;
    grantId?: string;
    userCode?: string;
    uid?: string;
    consumed?: number;
    exp?: number;
    iat?: number;
  };

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ClientInstance {
    clientId: string;
    clientName?: string;
    clientUri?: string;
    redirectUris: string[];
    clientAuthMethod: string;
    applicationType?: string;
    grantTypeAllowed(type: string): boolean;
    /** Present (true) on clients resolved from a Client ID Metadata Document. */
    clientIdMetadataDocument?: boolean;
  }

  export interface GrantInstance {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface InteractionPrompt {
    name: string;
    reasons: string[];
    details: Record<string, unknown>;
  }

  export interface InteractionInstance {
    uid: string;
    exp: number;
    prompt: InteractionPrompt;
    params: Record<string, string | undefined>;
    session?: { accountId: string; uid?: string; cookie?: string };
    result?: Record<string, unknown>;
    lastSubmission?: Record<string, unknown>;
    returnTo: string;
    save(ttl: number): Promise<string>;
  }

  export interface SessionInstance {
    destroy(): Promise<void>;
  }

  export interface OidcContext {
    route?: string;
    client?: ClientInstance;
    result?: { login?: unknown; consent?: { grantId?: string } } & Record<string, unknown>;
    entities: Record<string, { jti?: string; grantId?: string } | undefined>;
    params?: Record<string, unknown>;
    requestParamScopes: Set<string>;
    provider: Provider;
  }

  /** The Koa context, as far as Sequel's middleware touches it. */
  export interface KoaContext {
    method: string;
    path: string;
    querystring: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    body: unknown;
    type: string;
    oidc?: OidcContext;
    get(field: string): string;
    set(field: string, value: string): void;
    vary(field: string): void;
    response: { get(field: string): string };
    /** Koa's per-request state bag. */
    state: Record<string, unknown>;
  }

  export type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface CheckResult {
    readonly REQUEST_PROMPT: true;
    readonly NO_NEED_TO_PROMPT: false;
  }

  export class Check {
    static readonly REQUEST_PROMPT: true;
    static readonly NO_NEED_TO_PROMPT: false;
    constructor(reason: string, description: string, check: (ctx: KoaContext) => boolean | Promise<boolean>);
  }

  export class Prompt {
    name: string;
    checks: { add(check: Check, index?: number): void };
  }

  export interface Policy extends Array<Prompt> {
    get(name: string): Prompt | undefined;
  }

  export const interactionPolicy: {
    base(): Policy;
    Check: typeof Check;
    Prompt: typeof Prompt;
  };

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    status: number;
    constructor(status: number, message: string);
  }

  export const errors: {
    OIDCProviderError: typeof OIDCProviderError;
    InvalidGrant: new (description?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
    InvalidClient: new (description?: string) => OIDCProviderError;
    InvalidRedirectUri: new (description?: string) => OIDCProviderError;
    AccessDenied: new (description?: string) => OIDCProviderError;
    SessionNotFound: new (description?: string) => OIDCProviderError;
  };

  export type Configuration = Record<string, unknown>;

  export class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    use(middleware: KoaMiddleware): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionInstance>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    readonly Grant: {
      new (init: { accountId: string; clientId: string }): GrantInstance;
      find(id: string): Promise<GrantInstance | undefined>;
    };
    readonly Client: { find(id: string): Promise<ClientInstance | undefined> };
    readonly Session: { findByUid(uid: string): Promise<SessionInstance | undefined> };
  }

  export default Provider;
}
