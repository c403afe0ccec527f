/**
 * OpenTelemetry traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: one span per tool call
 * (`mcp.tool <name>`) and, inside it, one per use of a source's connection (`db <engine>`), exported over
 * OTLP/HTTP (JSON) in batches. Attributes name the tool, the source, the engine, the outcome and row
 * counts — never SQL text, parameters, keys or tokens (OpenTelemetry's database conventions make
 * `db.query.text` opt-in for this reason; Sequel does not send it).
 *
 * When tracing is off, `traced` calls the function directly: no tracer, no context, no cost.
 */
import { context, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

let tracer: Tracer | undefined;
let provider: BasicTracerProvider | undefined;

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string | undefined;
  /** OTEL_SERVICE_NAME, default `sequel`. */
  serviceName?: string | undefined;
  /** How long spans wait to be sent together (OTEL_BSP_SCHEDULE_DELAY, ms). */
  scheduleDelayMs?: number | undefined;
}

/** Starts exporting when an endpoint is configured; a no-op otherwise. Idempotent. */
export function initTracing(opts: TracingOptions): boolean {
  if (!opts.endpoint || provider) return provider !== undefined;
  const url = `${opts.endpoint.replace(/\/+$/, '')}/v1/traces`;
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName || 'sequel' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: opts.scheduleDelayMs ?? 1_000 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  tracer = provider.getTracer('sequel');
  return true;
}

/** Sends what is buffered and stops (shutdown). */
export async function shutdownTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  tracer = undefined;
  if (p) await p.shutdown().catch(() => undefined);
  trace.disable();
  context.disable();
}

export type Attributes = Record<string, string | number | boolean>;

/** Whether spans are being made: callers on the hot path skip building a span's name and attributes when not. */
export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/**
 * Runs `fn` inside a span named `name` when tracing is on (the span ends when `fn` settles; a thrown
 * error marks it failed with the error's code, not its message, which may quote a statement).
 */
export function traced<T>(name: string, attributes: Attributes, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  const t = tracer;
  if (!t) return fn(undefined);
  return t.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}
