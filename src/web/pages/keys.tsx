/**
 * Settings → API keys. Members see and revoke their own keys, admins everyone's (ops/keys.ts decides).
 * A new key is shown once, on the page that answers the create form; afterwards only its prefix.
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { AppError, httpStatusOf, NotFoundError, ValidationError } from '../../errors.js';
import { createKey, keyPresetChoices, keySourceChoices, listKeys, revokeKey, setKeyPreset, type KeyView } from '../../ops/keys.js';
import { can } from '../../ops/permissions.js';
import type { Runtime } from '../../runtime.js';
import type { DashEnv } from '../env.js';
import { ConfirmCard, ConfirmDialog, CopyField, Csrf, Empty, Field, Notice, PageHead, Time } from '../ui/components.js';
import { AppLayout, type PageCtx } from '../ui/layout.js';
import { render } from '../ui/render.js';
import { flash } from './flash.js';

const DAY_MS = 86_400_000;

/** The expiry the form asks for: never, 7/30/90 days, or a date (end of that day, UTC). */
export function expiryFromForm(choice: string, date: string, nowMs = Date.now()): string | null {
  if (choice === '' || choice === 'never') return null;
  if (choice === 'date') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ValidationError('Pick the date the key expires.');
    const at = Date.parse(`${date}T23:59:59.999Z`);
    if (Number.isNaN(at) || at <= nowMs) throw new ValidationError('The expiry date must be in the future.');
    return new Date(at).toISOString();
  }
  const days = Number(choice);
  if (![7, 30, 90].includes(days)) throw new ValidationError('Pick an expiry.');
  return new Date(nowMs + days * DAY_MS).toISOString();
}

type PresetChoice = { name: string; description: string };

const CreateForm: FC<{ ctx: PageCtx; sources: string[]; presets: PresetChoice[]; error?: string; name?: string; inDialog?: boolean }> = ({ ctx, sources, presets, error, name, inDialog }) => {
  const p = inDialog ? 'dlg-' : '';
  return (
    <form method="post" action={`${ctx.base}/settings/keys`}>
      <Csrf token={ctx.csrf} />
      {inDialog ? (
        <div class="dialog-head">
          <h2 id="create-key-title">Create API key</h2>
        </div>
      ) : null}
      <div class={inDialog ? 'dialog-body' : ''} tabindex={inDialog ? 0 : undefined}>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <Field label="Name" name="name" id={`${p}key-name`} required maxlength={100} value={name} hint="Where it will be used, e.g. “Cursor on my laptop”." />
        <div class="field">
          <label for={`${p}key-expires`}>Expires</label>
          <select id={`${p}key-expires`} name="expires">
            <option value="never">Never</option>
            <option value="7">In 7 days</option>
            <option value="30">In 30 days</option>
            <option value="90">In 90 days</option>
            <option value="date">On a date…</option>
          </select>
        </div>
        <Field label="Expiry date (when “On a date”)" name="expires_on" id={`${p}key-expires-on`} type="date" />
        <fieldset>
          <legend>Sources</legend>
          <p class="muted small">Leave all unticked to allow every data source of the organization, now and later.</p>
          {sources.length === 0 ? <p class="muted small">No data sources yet.</p> : null}
          {sources.map((s) => (
            <label class="choice">
              <input type="checkbox" name="sources" value={s} /> {s}
            </label>
          ))}
        </fieldset>
        {presets.length ? (
          <div class="field">
            <label for={`${p}key-preset`}>Policy preset</label>
            <select id={`${p}key-preset`} name="preset" aria-describedby={`${p}key-preset-hint`}>
              <option value="">None: what each source’s policy allows</option>
              {presets.map((x) => (
                <option value={x.name}>
                  {x.name}
                  {x.description ? ` — ${x.description}` : ''}
                </option>
              ))}
            </select>
            <span class="hint" id={`${p}key-preset-hint`}>
              Narrows the key below each source’s policy (see <a href={`${ctx.base}/settings/presets`}>Policy presets</a>).
            </span>
          </div>
        ) : null}
      </div>
      <div class={inDialog ? 'dialog-foot' : 'row'}>
        {inDialog ? (
          <button type="button" class="secondary" data-close-dialog="">
            Cancel
          </button>
        ) : (
          <a class="btn secondary" href={`${ctx.base}/settings/keys`}>
            Cancel
          </a>
        )}
        <button type="submit">Create key</button>
      </div>
    </form>
  );
};

const KeysTable: FC<{ ctx: PageCtx; keys: KeyView[]; all: boolean }> = ({ ctx, keys, all }) => (
  <div class="table-wrap">
    <table>
      <caption class="visually-hidden">{all ? 'API keys of the organization' : 'Your API keys'}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Key</th>
          <th scope="col" class="hide-phone">Created by</th>
          <th scope="col" class="hide-phone">Created</th>
          <th scope="col">Last used</th>
          <th scope="col" class="hide-phone">Expires</th>
          <th scope="col" class="hide-phone">Sources</th>
          <th scope="col" class="hide-phone">Preset</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr>
            <td>{k.name}</td>
            <td>
              <code>{k.prefix}…</code>
            </td>
            <td class="hide-phone">{k.created_by}</td>
            <td class="hide-phone">
              <Time iso={k.created_at} />
            </td>
            <td>
              <Time iso={k.last_used_at} />
            </td>
            <td class="hide-phone">
              <Time iso={k.expires_at} never="Never" />
            </td>
            <td class="hide-phone">{k.sources ? k.sources.join(', ') : 'All'}</td>
            <td class="hide-phone">
              {k.preset ?? 'None'}{' '}
              <a class="small" href={`${ctx.base}/settings/keys/${k.id}/preset`} aria-label={`Change the policy preset of ${k.name}`}>
                Change
              </a>
            </td>
            <td class="actions">
              <ConfirmDialog
                id={`revoke-${k.id}`}
                title={`Revoke ${k.name}?`}
                trigger="Revoke"
                submitLabel="Revoke key"
                action={`${ctx.base}/settings/keys/${k.id}/revoke`}
                fallbackHref={`${ctx.base}/settings/keys/${k.id}/revoke`}
                csrf={ctx.csrf}
              >
                <p>
                  <strong>{k.name}</strong> (<code>{k.prefix}…</code>) was last used {k.last_used_at ? <Time iso={k.last_used_at} /> : 'never'}.
                </p>
                <p>Clients using it get “401 Unauthorized” from their next request. This cannot be undone.</p>
              </ConfirmDialog>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export function keysPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  const list = async (c: Context<DashEnv>) => {
    const ctx = c.get('ctx');
    const keys = await listKeys(rt, ctx.actor);
    const all = can(ctx.actor, 'keys.see_all');
    const sources = await keySourceChoices(rt, ctx.actor);
    const presets = await keyPresetChoices(rt, ctx.actor);
    return render(
      c,
      <AppLayout ctx={ctx} title="API keys" flash={flash(c)}>
        <PageHead
          title="API keys"
          description={all ? 'Every key of the organization. Clients send one as “Authorization: Bearer sql_…”.' : 'Your keys. Clients send one as “Authorization: Bearer sql_…”.'}
          actions={
            <a class="btn" href={`${ctx.base}/settings/keys/new`} data-open-dialog="create-key">
              Create key
            </a>
          }
        />
        {keys.length === 0 ? (
          <Empty
            title="No API keys yet"
            action={
              <div class="row">
                <a class="btn" href={`${ctx.base}/settings/keys/new`} data-open-dialog="create-key">
                  Create key
                </a>
                <a class="btn secondary" href={`${ctx.base}/connect`} data-open-dialog="connect-dialog">
                  Connect a client
                </a>
              </div>
            }
          >
            A key lets an MCP client query this organization’s data sources, read-only. Create one, or connect a client and we’ll make one for you.
          </Empty>
        ) : (
          <KeysTable ctx={ctx} keys={keys} all={all} />
        )}
        <dialog id="create-key" aria-labelledby="create-key-title">
          <CreateForm ctx={ctx} sources={sources} presets={presets} inDialog />
        </dialog>
      </AppLayout>,
    );
  };

  const createPage = async (c: Context<DashEnv>, opts: { error?: string; name?: string; status?: 200 | 400 | 409 } = {}) => {
    const ctx = c.get('ctx');
    return render(
      c,
      <AppLayout ctx={ctx} title="Create API key">
        <PageHead title="Create API key" />
        <div class="card">
          <CreateForm ctx={ctx} sources={await keySourceChoices(rt, ctx.actor)} presets={await keyPresetChoices(rt, ctx.actor)} error={opts.error} name={opts.name} />
        </div>
      </AppLayout>,
      opts.status ?? 200,
    );
  };

  app.get('/', list);
  app.get('/new', (c) => createPage(c));

  app.post('/', async (c) => {
    const ctx = c.get('ctx');
    const form = await c.req.parseBody({ all: true });
    const name = String(form.name ?? '');
    const chosen = form.sources === undefined ? [] : (Array.isArray(form.sources) ? form.sources : [form.sources]).map(String);
    try {
      const created = await createKey(rt, ctx.actor, {
        name,
        expiresAt: expiryFromForm(String(form.expires ?? 'never'), String(form.expires_on ?? '')),
        sources: chosen,
        preset: typeof form.preset === 'string' ? form.preset : null,
      });
      return render(
        c,
        <AppLayout ctx={ctx} title="Key created">
          <PageHead title="Key created" />
          <div class="card">
            <Notice kind="warn">
              <strong>Copy this key now. You won’t be able to see it again.</strong>
            </Notice>
            <CopyField id="new-key" label={`${created.view.name} (${created.view.sources ? created.view.sources.join(', ') : 'all sources'}${created.view.preset ? `; preset ${created.view.preset}` : ''})`} value={created.key} />
            <p class="muted small">Send it as “Authorization: Bearer …”. Anyone holding it can query this organization’s data sources read-only until it is revoked or expires.</p>
            <div class="row">
              <a class="btn secondary" href={`${ctx.base}/settings/keys`}>
                Done
              </a>
            </div>
          </div>
        </AppLayout>,
        201,
      );
    } catch (err) {
      if (err instanceof AppError && httpStatusOf(err) === 400) return createPage(c, { error: err.message, name, status: 400 });
      throw err;
    }
  });

  /** Narrowing a key to another preset (or none) later: counts from the key's next request. */
  app.get('/:id/preset', async (c) => {
    const ctx = c.get('ctx');
    const key = (await listKeys(rt, ctx.actor)).find((k) => k.id === c.req.param('id'));
    if (!key) throw new NotFoundError('No such key.');
    const presets = await keyPresetChoices(rt, ctx.actor);
    return render(
      c,
      <AppLayout ctx={ctx} title="Key preset">
        <PageHead title={`Policy preset of ${key.name}`} description="The key's next request is judged by every source's policy intersected with the preset chosen here." />
        <div class="card">
          <form method="post" action={`${ctx.base}/settings/keys/${key.id}/preset`}>
            <Csrf token={ctx.csrf} />
            <div class="field">
              <label for="key-preset">Policy preset</label>
              <select id="key-preset" name="preset">
                <option value="" selected={key.preset === null}>
                  None: what each source’s policy allows
                </option>
                {presets.map((x) => (
                  <option value={x.name} selected={key.preset === x.name}>
                    {x.name}
                    {x.description ? ` — ${x.description}` : ''}
                  </option>
                ))}
              </select>
            </div>
            <div class="row">
              <a class="btn secondary" href={`${ctx.base}/settings/keys`}>
                Cancel
              </a>
              <button type="submit">Save</button>
            </div>
          </form>
        </div>
      </AppLayout>,
    );
  });

  app.post('/:id/preset', async (c) => {
    const ctx = c.get('ctx');
    const form = await c.req.parseBody();
    await setKeyPreset(rt, ctx.actor, c.req.param('id'), typeof form.preset === 'string' && form.preset ? form.preset : null);
    return c.redirect(`${ctx.base}/settings/keys?ok=key-preset`, 303);
  });

  app.get('/:id/revoke', async (c) => {
    const ctx = c.get('ctx');
    const key = (await listKeys(rt, ctx.actor)).find((k) => k.id === c.req.param('id'));
    if (!key) throw new NotFoundError('No such key.');
    return render(
      c,
      <AppLayout ctx={ctx} title="Revoke key">
        <ConfirmCard title={`Revoke ${key.name}?`} action={`${ctx.base}/settings/keys/${key.id}/revoke`} csrf={ctx.csrf} submitLabel="Revoke key" cancelHref={`${ctx.base}/settings/keys`}>
          <p>
            <code>{key.prefix}…</code> was last used <Time iso={key.last_used_at} />. Clients using it get “401 Unauthorized” from their next request.
          </p>
        </ConfirmCard>
      </AppLayout>,
    );
  });

  app.post('/:id/revoke', async (c) => {
    const ctx = c.get('ctx');
    await revokeKey(rt, ctx.actor, c.req.param('id'));
    return c.redirect(`${ctx.base}/settings/keys?ok=key-revoked`, 303);
  });

  return app;
}
