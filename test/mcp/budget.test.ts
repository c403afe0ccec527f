/**
 * What a model receives from run_query, measured on the bundled demo: the default answer must fit a
 * client's usual tool-output budget (Claude Code warns above 10,000 tokens of tool output and cuts at
 * 25,000). Tokens are estimated without a tokenizer as ⌈bytes / 3⌉ — conservative for JSON-heavy rows
 * (English prose runs nearer 4 bytes per token; digits, quotes and commas nearer 2–3).
 * The figures are printed so the README's table can be checked against a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/store/sources.js';
import { rpc, startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let key: string;

beforeAll(async () => {
  ts = await startTestServer({ demo: true });
  key = (await ts.key('default')).key;
}, 120_000);

afterAll(async () => {
  await ts?.close();
});

const tokens = (bytes: number) => Math.ceil(bytes / 3);

/** One tools/call as it travels (2025-11-25, after initialize): the raw response body and its result. */
async function runQuery(args: Record<string, unknown>) {
  const res = await rpc(
    ts.mcpUrl,
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'run_query', arguments: { source: 'demo', ...args } } },
    { authorization: `Bearer ${key}`, 'mcp-protocol-version': '2025-11-25' },
  );
  expect(res.status).toBe(200);
  const result = (res.json as { result: { content: Array<{ text: string }>; structuredContent: { row_count: number; truncated: boolean; rows: unknown[] } } }).result;
  const textBytes = Buffer.byteLength(result.content[0]!.text);
  // Clients that give the model structuredContent when present (Claude Code, Codex, OpenCode) pass it as
  // its JSON text, so that is the other size a model may pay.
  const structuredBytes = Buffer.byteLength(JSON.stringify(result.structuredContent));
  return { result, textBytes, structuredBytes, wireBytes: Buffer.byteLength(res.text) };
}

describe('result size as a model meets it', () => {
  it('a default answer on the demo’s largest and widest tables stays under ~10,000 tokens', async () => {
    const figures: string[] = [];
    // order_items has the most rows (25,139); support_tickets the widest rows (free-text subjects).
    for (const [table, args] of [
      ['order_items', {}],
      ['support_tickets', {}],
      ['orders', {}],
      ['order_items', { max_rows: 5000 }],
      ['support_tickets', { max_rows: 5000 }],
    ] as const) {
      const { result, textBytes, structuredBytes, wireBytes } = await runQuery({ sql: `select * from ${table}`, ...args });
      const sc = result.structuredContent;
      figures.push(
        `${table} ${JSON.stringify(args)}: ${sc.row_count} rows, text ${textBytes} B ≈ ${tokens(textBytes)} tokens, ` +
          `structuredContent ${structuredBytes} B ≈ ${tokens(structuredBytes)} tokens, wire ${wireBytes} B`,
      );
      expect(sc.truncated).toBe(true);
      // Whichever copy a client gives the model, it fits the budget.
      expect(tokens(textBytes), figures.at(-1)).toBeLessThan(10_000);
      expect(tokens(structuredBytes), figures.at(-1)).toBeLessThan(10_000);
      // Both copies (text for models, structuredContent for programs) are bounded by the same cap; the
      // text's quotes travel escaped (\"), hence a little more than twice the cap.
      expect(wireBytes).toBeLessThan(2.5 * DEFAULT_POLICY.maxBytes);
    }
    console.log(`run_query on the demo (byte cap ${DEFAULT_POLICY.maxBytes}, default ${DEFAULT_POLICY.maxRows} rows):\n  ${figures.join('\n  ')}`);
  });

  it('asking for more than the cap gets a hint naming the cap and what to do instead', async () => {
    const { result } = await runQuery({ sql: 'select * from support_tickets', max_rows: 5000 });
    expect(result.content[0]!.text).toMatch(new RegExp(`reached this source's ${DEFAULT_POLICY.maxBytes}-byte cap\\. Select fewer columns, aggregate, or page`));
    // An aggregate answers the same question in a few hundred bytes.
    const agg = await runQuery({ sql: 'select category, count(*) as n from support_tickets group by category order by n desc' });
    expect(agg.result.structuredContent.truncated).toBe(false);
    expect(agg.textBytes).toBeLessThan(600);
  });
});
