/**
 * The install dialog's clients and the exact configuration each one takes for a remote MCP server with a
 * bearer key (formats checked against each vendor's documentation; see the team's
 * reference/mcp-clients.md, which cites them). Header-based clients get the key inserted; OAuth-only
 * clients (ChatGPT, Claude.ai, Claude Desktop's connectors) get the URL and their steps.
 */

/** Stands for the key in templates; the script (or the server, without script) puts the real key there. */
export const KEY_PLACEHOLDER = '__SEQUEL_KEY__';
export const SERVER_NAME = 'sequel';

export type ClientGroup = 'apps' | 'code';

export interface ClientSnippet {
  /** What the block is: `Command`, `JSON`, `TOML`, `TypeScript`. */
  language: string;
  text: string;
}

export interface HeaderClient {
  id: string;
  name: string;
  group: ClientGroup;
  kind: 'header';
  /** Where the snippet goes, for the steps. */
  where: string;
  intro: string;
  snippet: ClientSnippet;
  /** A one-click install link (Cursor, VS Code): the kind and the server object it encodes. */
  deepLink?: { kind: 'cursor' | 'vscode'; label: string; config: string };
  notes?: string[];
}

export interface OAuthClient {
  id: string;
  name: string;
  group: ClientGroup;
  kind: 'oauth';
  steps: string[];
  notes?: string[];
}

export type McpClient = HeaderClient | OAuthClient;

const json = (v: unknown) => JSON.stringify(v, null, 2);

/** Every client, in the dialog's order, for an MCP endpoint URL and a key (or the placeholder). */
export function clients(mcpUrl: string, key: string = KEY_PLACEHOLDER): McpClient[] {
  const bearer = `Bearer ${key}`;
  const headers = { Authorization: bearer };
  return [
    {
      id: 'claude-code',
      name: 'Claude Code',
      group: 'apps',
      kind: 'header',
      where: 'Run in a terminal. It writes ~/.claude.json (user scope).',
      intro: 'Add Sequel to Claude Code for every project:',
      snippet: { language: 'Command', text: `claude mcp add --transport http --scope user ${SERVER_NAME} ${mcpUrl} --header "Authorization: ${bearer}"` },
      notes: ['Keep --header after the name and URL: it takes several values and would swallow them.'],
    },
    {
      id: 'cursor',
      name: 'Cursor',
      group: 'apps',
      kind: 'header',
      where: '~/.cursor/mcp.json (all projects) or .cursor/mcp.json (one project).',
      intro: 'Install with one click, or add this to your Cursor MCP configuration:',
      snippet: { language: 'JSON', text: json({ mcpServers: { [SERVER_NAME]: { url: mcpUrl, headers } } }) },
      deepLink: { kind: 'cursor', label: 'Add to Cursor', config: JSON.stringify({ url: mcpUrl, headers }) },
    },
    {
      id: 'vscode',
      name: 'VS Code',
      group: 'apps',
      kind: 'header',
      where: '.vscode/mcp.json, or the user file ("MCP: Open User Configuration").',
      intro: 'Install with one click, or add this to your VS Code MCP configuration:',
      snippet: { language: 'JSON', text: json({ servers: { [SERVER_NAME]: { type: 'http', url: mcpUrl, headers } } }) },
      deepLink: { kind: 'vscode', label: 'Add to VS Code', config: JSON.stringify({ name: SERVER_NAME, type: 'http', url: mcpUrl, headers }) },
    },
    {
      id: 'windsurf',
      name: 'Windsurf',
      group: 'apps',
      kind: 'header',
      where: '~/.codeium/windsurf/mcp_config.json',
      intro: 'Add this to your Windsurf MCP configuration, then refresh the MCP servers:',
      snippet: { language: 'JSON', text: json({ mcpServers: { [SERVER_NAME]: { serverUrl: mcpUrl, headers } } }) },
    },
    {
      id: 'zed',
      name: 'Zed',
      group: 'apps',
      kind: 'header',
      where: '~/.config/zed/settings.json (or .zed/settings.json in a project).',
      intro: 'Merge this into your Zed settings:',
      snippet: { language: 'JSON', text: json({ context_servers: { [SERVER_NAME]: { url: mcpUrl, headers } } }) },
    },
    {
      id: 'codex',
      name: 'Codex',
      group: 'apps',
      kind: 'header',
      where: 'Codex reads the key from its own environment; the command writes ~/.codex/config.toml.',
      intro: 'Put the key in your environment (e.g. your shell profile) and add the server:',
      snippet: { language: 'Command', text: `export SEQUEL_API_KEY=${key}\ncodex mcp add ${SERVER_NAME} --url ${mcpUrl} --bearer-token-env-var SEQUEL_API_KEY` },
      notes: [`The command adds [mcp_servers.${SERVER_NAME}] with url and bearer_token_env_var = "SEQUEL_API_KEY" to config.toml. Codex has no inline key setting.`],
    },
    {
      id: 'gemini-cli',
      name: 'Gemini CLI',
      group: 'apps',
      kind: 'header',
      where: 'Run in a terminal. It writes ~/.gemini/settings.json (user scope).',
      intro: 'Add Sequel to Gemini CLI:',
      snippet: { language: 'Command', text: `gemini mcp add --scope user --transport http ${SERVER_NAME} ${mcpUrl} --header "Authorization: ${bearer}"` },
    },
    {
      id: 'claude-desktop',
      name: 'Claude Desktop',
      group: 'apps',
      kind: 'oauth',
      steps: [
        'Open Settings → Connectors (Customize → Connectors in newer versions) and choose "Add custom connector".',
        'Name it Sequel and paste the URL below.',
        'Click Connect: a Sequel sign-in page opens. Sign in, pick the organization and choose "Allow access".',
      ],
      notes: ['Claude Desktop does not read remote servers from claude_desktop_config.json; connectors are the supported way.'],
    },
    {
      id: 'chatgpt',
      name: 'ChatGPT',
      group: 'apps',
      kind: 'oauth',
      steps: [
        'Turn on developer mode: Settings → Apps → Advanced settings → Developer mode.',
        'Settings → Apps → Create app: name it Sequel, paste the URL below as the MCP Server URL, choose OAuth.',
        'ChatGPT opens a Sequel sign-in page. Sign in, pick the organization and choose "Allow access".',
      ],
      notes: ['ChatGPT connects from its cloud: the URL must be public HTTPS.'],
    },
    {
      id: 'claude-ai',
      name: 'Claude.ai',
      group: 'apps',
      kind: 'oauth',
      steps: [
        'Open Customize → Connectors and choose "Add custom connector".',
        'Name it Sequel and paste the URL below.',
        'Click Connect, sign in to Sequel, pick the organization and choose "Allow access".',
      ],
      notes: ['Claude.ai connects from Anthropic\u2019s cloud: the URL must be public HTTPS.'],
    },
    {
      id: 'vercel-ai-sdk',
      name: 'Vercel AI SDK',
      group: 'code',
      kind: 'header',
      where: 'Set SEQUEL_API_KEY in your environment (e.g. .env).',
      intro: 'AI SDK 6 (in AI SDK 5 the function is experimental_createMCPClient):',
      snippet: {
        language: 'TypeScript',
        text: `// .env: SEQUEL_API_KEY=${key}
import { createMCPClient } from '@ai-sdk/mcp';

const mcp = await createMCPClient({
  transport: {
    type: 'http',
    url: '${mcpUrl}',
    headers: { Authorization: \`Bearer \${process.env.SEQUEL_API_KEY}\` },
  },
});
const tools = await mcp.tools();
// … generateText({ model, tools, prompt }) …
await mcp.close();`,
      },
    },
    {
      id: 'claude-agent-sdk',
      name: 'Claude Agent SDK',
      group: 'code',
      kind: 'header',
      where: 'Set SEQUEL_API_KEY in your environment (e.g. .env). Tools are named mcp__sequel__<tool>.',
      intro: 'TypeScript:',
      snippet: {
        language: 'TypeScript',
        text: `// .env: SEQUEL_API_KEY=${key}
import { query } from '@anthropic-ai/claude-agent-sdk';

for await (const message of query({
  prompt: 'Which customers ordered the most last month?',
  options: {
    mcpServers: {
      ${SERVER_NAME}: {
        type: 'http',
        url: '${mcpUrl}',
        headers: { Authorization: \`Bearer \${process.env.SEQUEL_API_KEY}\` },
      },
    },
  },
})) console.log(message);`,
      },
    },
    {
      id: 'openai-agents-sdk',
      name: 'OpenAI Agents SDK',
      group: 'code',
      kind: 'header',
      where: 'Set SEQUEL_API_KEY in your environment (e.g. .env).',
      intro: 'TypeScript:',
      snippet: {
        language: 'TypeScript',
        text: `// .env: SEQUEL_API_KEY=${key}
import { Agent, MCPServerStreamableHttp, run } from '@openai/agents';

const sequel = new MCPServerStreamableHttp({
  name: '${SERVER_NAME}',
  url: '${mcpUrl}',
  requestInit: { headers: { Authorization: \`Bearer \${process.env.SEQUEL_API_KEY}\` } },
});
await sequel.connect();
const agent = new Agent({ name: 'analyst', mcpServers: [sequel] });
console.log((await run(agent, 'How many orders shipped today?')).finalOutput);
await sequel.close();`,
      },
    },
  ];
}

/** The one-click install link for a client that has one (Cursor, VS Code install-link formats). */
export function deepLinkHref(kind: 'cursor' | 'vscode', config: string): string {
  if (kind === 'cursor') return `cursor://anysphere.cursor-deeplink/mcp/install?name=${SERVER_NAME}&config=${encodeURIComponent(Buffer.from(config, 'utf8').toString('base64'))}`;
  return `vscode:mcp/install?${encodeURIComponent(config)}`;
}
