/**
 * "Connect a client": the clients on the left, the steps on the right. As a <dialog> (in every page's
 * frame) the script switches clients in place and fills in a `sequel_mcp` key it provisions the first
 * time a header-based client is picked; as a page (without script) each client is a link and a button
 * provisions the key and renders the snippets with it.
 */
import type { FC } from 'hono/jsx';
import { Csrf, Snippet } from '../ui/components.js';
import { clients, deepLinkHref, KEY_PLACEHOLDER, type HeaderClient, type McpClient, type OAuthClient } from './clients.js';

export interface ConnectProps {
  mcpUrl: string;
  base: string;
  csrf: string;
  mode: 'dialog' | 'page';
  selected?: string;
  /** The provisioned key (page mode, after the button): filled into the snippets. */
  apiKey?: string;
}

const KeyNote: FC<{ apiKey?: string; base: string; mode: 'dialog' | 'page' }> = ({ apiKey, base, mode }) => (
  <p class="notice ok small" data-key-note="" hidden={mode === 'dialog' || !apiKey}>
    A key named <strong>sequel_mcp</strong> (<span class="mono" data-key-prefix="">{apiKey ? `${apiKey.slice(0, 10)}…` : ''}</span>) was created for you. It is shown only
    {mode === 'dialog' ? ' while this dialog is open' : ' on this page'}; revoke it any time in <a href={`${base}/settings/keys`}>Settings → API keys</a>.
  </p>
);

const HeaderPanel: FC<{ client: HeaderClient; props: ConnectProps; keyed?: HeaderClient }> = ({ client, props, keyed }) => {
  const snippetId = `snippet-${props.mode}-${client.id}`;
  const shown = keyed ?? client;
  const placeholderText = client.snippet.text.split(KEY_PLACEHOLDER).join('sql_…');
  return (
    <div class="stack">
      <p>{client.intro}</p>
      {client.deepLink ? (
        props.mode === 'dialog' ? (
          <a class="btn" data-deeplink={client.deepLink.kind} data-config={client.deepLink.config} hidden>
            {client.deepLink.label}
          </a>
        ) : keyed?.deepLink ? (
          <a class="btn" href={deepLinkHref(keyed.deepLink.kind, keyed.deepLink.config)}>
            {keyed.deepLink.label}
          </a>
        ) : null
      ) : null}
      <Snippet
        id={snippetId}
        label={`${client.name} ${client.snippet.language.toLowerCase()}`}
        text={keyed ? shown.snippet.text : placeholderText}
        template={props.mode === 'dialog' ? client.snippet.text : undefined}
      />
      <p class="muted small">{client.where}</p>
      {(client.notes ?? []).map((n) => (
        <p class="muted small">{n}</p>
      ))}
      <KeyNote apiKey={props.apiKey} base={props.base} mode={props.mode} />
      {props.mode === 'dialog' ? (
        <p class="muted small" data-provision-status="" aria-live="polite"></p>
      ) : !keyed ? (
        <form method="post" action={`${props.base}/connect?client=${client.id}`}>
          <Csrf token={props.csrf} />
          <button type="submit">Create a key and fill it in</button>
          <p class="muted small">Creates a key named sequel_mcp for you, shown once.</p>
        </form>
      ) : null}
    </div>
  );
};

const OAuthPanel: FC<{ client: OAuthClient; props: ConnectProps }> = ({ client, props }) => {
  const urlId = `url-${props.mode}-${client.id}`;
  return (
    <div class="stack">
      <p>{client.name} signs in with your Sequel account (OAuth); no key to paste.</p>
      <ol class="steps">
        {client.steps.map((s) => (
          <li>{s}</li>
        ))}
      </ol>
      <div class="field">
        <label for={urlId}>MCP server URL</label>
        <div class="secret">
          <input id={urlId} class="mono" readonly value={props.mcpUrl} />
          <button type="button" class="secondary" data-copy={urlId}>
            Copy
          </button>
        </div>
      </div>
      {(client.notes ?? []).map((n) => (
        <p class="muted small">{n}</p>
      ))}
      <p class="muted small">
        The app then appears under <a href={`${props.base}/settings/apps`}>Connected apps</a>, where you can revoke it.
      </p>
    </div>
  );
};

function group(list: McpClient[], g: McpClient['group']): McpClient[] {
  return list.filter((c) => c.group === g);
}

export const ConnectPanel: FC<ConnectProps> = (props) => {
  const list = clients(props.mcpUrl);
  const keyedList = props.apiKey ? clients(props.mcpUrl, props.apiKey) : undefined;
  const selected = list.find((c) => c.id === props.selected)?.id ?? list[0]!.id;
  const tab = (c: McpClient) => (
    <a
      href={`${props.base}/connect?client=${c.id}`}
      role="tab"
      id={`tab-${props.mode}-${c.id}`}
      aria-selected={c.id === selected ? 'true' : 'false'}
      aria-controls={`panel-${props.mode}-${c.id}`}
      data-client-tab={c.id}
    >
      {c.name}
    </a>
  );
  const panels = props.mode === 'dialog' ? list : list.filter((c) => c.id === selected);
  return (
    <div class="connect">
      <div class="client-list" role="tablist" aria-label="Clients" aria-orientation="vertical">
        {group(list, 'apps').map(tab)}
        <div class="nav-group" role="presentation">
          Code
        </div>
        {group(list, 'code').map(tab)}
      </div>
      <div>
        {panels.map((c) => (
          <section
            id={`panel-${props.mode}-${c.id}`}
            role="tabpanel"
            aria-labelledby={`tab-${props.mode}-${c.id}`}
            data-client-panel={c.id}
            data-needs-key={c.kind === 'header' ? 'true' : 'false'}
            hidden={c.id !== selected}
          >
            <h3>{c.name}</h3>
            {c.kind === 'header' ? (
              <HeaderPanel client={c} props={props} keyed={keyedList?.find((k): k is HeaderClient => k.id === c.id && k.kind === 'header')} />
            ) : (
              <OAuthPanel client={c} props={props} />
            )}
          </section>
        ))}
      </div>
    </div>
  );
};

/** The dialog every page carries; opened by the "Connect a client" button. */
export const ConnectDialog: FC<{ mcpUrl: string; base: string; csrf: string }> = ({ mcpUrl, base, csrf }) => (
  <dialog id="connect-dialog" class="wide" aria-labelledby="connect-title" data-connect="" data-provision-url={`${base}/connect/key`} data-csrf={csrf}>
    <div class="dialog-head">
      <h2 id="connect-title">Connect a client</h2>
      <button type="button" class="ghost small" data-close-dialog="" aria-label="Close">
        Close
      </button>
    </div>
    <div class="dialog-body" tabindex={0}>
      <ConnectPanel mcpUrl={mcpUrl} base={base} csrf={csrf} mode="dialog" />
    </div>
  </dialog>
);
