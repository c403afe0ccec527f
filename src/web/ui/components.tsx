/**
 * The dashboard's design system: small server-rendered components on hono/jsx (which escapes every
 * value). No inline styles or scripts (the CSP forbids them): looks come from the stylesheet, behaviour
 * from the one static script, and each dialog has a page to fall back on without script.
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import { absoluteTime, relativeTime } from './time.js';

export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

export const PageHead: FC<PropsWithChildren<{ title: string; description?: Child; actions?: Child }>> = ({ title, description, actions }) => (
  <div class="page-head">
    <div>
      <h1>{title}</h1>
      {description ? <p>{description}</p> : null}
    </div>
    {actions ? <div class="row">{actions}</div> : null}
  </div>
);

export type NoticeKind = 'ok' | 'error' | 'warn' | 'info';

export const Notice: FC<PropsWithChildren<{ kind?: NoticeKind }>> = ({ kind = 'info', children }) => (
  <div class={`notice ${kind === 'info' ? '' : kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);

export const Empty: FC<PropsWithChildren<{ title: string; action?: Child }>> = ({ title, action, children }) => (
  <div class="empty">
    <h2>{title}</h2>
    <p>{children}</p>
    {action ?? null}
  </div>
);

export const Field: FC<{
  label: string;
  name: string;
  id?: string;
  type?: string;
  value?: string;
  hint?: Child;
  required?: boolean;
  autocomplete?: string;
  minlength?: number;
  maxlength?: number;
  placeholder?: string;
  readonly?: boolean;
  autofocus?: boolean;
}> = (p) => {
  const id = p.id ?? p.name;
  const hintId = p.hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value}
        required={p.required}
        autocomplete={p.autocomplete}
        minlength={p.minlength}
        maxlength={p.maxlength}
        placeholder={p.placeholder}
        readonly={p.readonly}
        autofocus={p.autofocus}
        aria-describedby={hintId}
      />
      {p.hint ? (
        <span class="hint" id={hintId}>
          {p.hint}
        </span>
      ) : null}
    </div>
  );
};

export const Select: FC<{ label: string; name: string; id?: string; options: Array<{ value: string; label: string }>; value?: string; hint?: Child }> = (p) => {
  const id = p.id ?? p.name;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-describedby={p.hint ? `${id}-hint` : undefined}>
        {p.options.map((o) => (
          <option value={o.value} selected={o.value === p.value}>
            {o.label}
          </option>
        ))}
      </select>
      {p.hint ? (
        <span class="hint" id={`${id}-hint`}>
          {p.hint}
        </span>
      ) : null}
    </div>
  );
};

/** A time shown relative to now, the absolute time on hover. */
export const Time: FC<{ iso: string | null | undefined; never?: string }> = ({ iso, never = 'never' }) =>
  iso ? (
    <time datetime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso)}
    </time>
  ) : (
    <span class="muted">{never}</span>
  );

/** A value to copy (a new key, a link): monospace, read-only, with one copy button. */
export const CopyField: FC<{ id: string; value: string; label: string }> = ({ id, value, label }) => (
  <div class="field">
    <label for={id}>{label}</label>
    <div class="secret">
      <input id={id} class="mono" readonly value={value} />
      <button type="button" class="secondary" data-copy={id}>
        Copy
      </button>
    </div>
  </div>
);

/** A block of code with one copy button. `template` (with the key placeholder) lets the script fill a key in. */
export const Snippet: FC<{ id: string; text: string; template?: string; label: string }> = ({ id, text, template, label }) => (
  <div class="snippet">
    <pre id={id} data-template={template} aria-label={label} tabindex={0}>
      {text}
    </pre>
    <button type="button" class="secondary small copy" data-copy={id}>
      Copy
    </button>
  </div>
);

/**
 * A confirmation: a native <dialog> opened in place by the script, and the same question as a page at
 * `fallbackHref` without script. The form inside posts the action.
 */
export const ConfirmDialog: FC<
  PropsWithChildren<{ id: string; title: string; action: string; csrf: string; submitLabel: string; trigger: string; fallbackHref: string; danger?: boolean; hidden?: Record<string, string> }>
> = (p) => (
  <>
    <a href={p.fallbackHref} class={`btn small ${p.danger === false ? 'secondary' : 'danger'}`} data-open-dialog={p.id}>
      {p.trigger}
    </a>
    <dialog id={p.id} aria-labelledby={`${p.id}-title`}>
      <form method="post" action={p.action}>
        <Csrf token={p.csrf} />
        {Object.entries(p.hidden ?? {}).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
        <div class="dialog-head">
          <h2 id={`${p.id}-title`}>{p.title}</h2>
        </div>
        <div class="dialog-body" tabindex={0}>{p.children}</div>
        <div class="dialog-foot">
          <button type="button" class="secondary" data-close-dialog="">
            Cancel
          </button>
          <button type="submit" class={p.danger === false ? '' : 'danger'}>
            {p.submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  </>
);

/** The same confirmation as a page (no script). */
export const ConfirmCard: FC<PropsWithChildren<{ title: string; action: string; csrf: string; submitLabel: string; cancelHref: string; danger?: boolean; hidden?: Record<string, string> }>> = (p) => (
  <div class="card">
    <form method="post" action={p.action}>
      <Csrf token={p.csrf} />
      {Object.entries(p.hidden ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <h2>{p.title}</h2>
      <div class="stack">{p.children}</div>
      <div class="row">
        <button type="submit" class={p.danger === false ? '' : 'danger'}>
          {p.submitLabel}
        </button>
        <a class="btn secondary" href={p.cancelHref}>
          Cancel
        </a>
      </div>
    </form>
  </div>
);
