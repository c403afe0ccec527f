/**
 * Settings → Policy presets: named policies an API key (the keys page) or an OAuth app (the consent page)
 * is narrowed to, on top of each source's policy (README "Governance"). Every member sees them (they pick
 * one for their keys); admins and owners create, edit and remove them (ops/presets.ts decides).
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { AppError, httpStatusOf, NotFoundError } from '../../errors.js';
import { can } from '../../ops/permissions.js';
import { createPreset, getPreset, listPresets, presetPolicyFromText, removePreset, updatePreset, type PresetView } from '../../ops/presets.js';
import type { Runtime } from '../../runtime.js';
import type { PresetPolicy } from '../../store/presets.js';
import type { DashEnv } from '../env.js';
import { ConfirmCard, ConfirmDialog, Csrf, Empty, Field, Notice, PageHead, Time } from '../ui/components.js';
import { AppLayout, type PageCtx } from '../ui/layout.js';
import { render } from '../ui/render.js';

interface FormValues {
  name: string;
  description: string;
  allowedSchemas: string;
  hiddenTables: string;
  hiddenColumns: string;
  masks: string;
}

const EMPTY: FormValues = { name: '', description: '', allowedSchemas: '', hiddenTables: '', hiddenColumns: '', masks: '' };

function valuesOf(p: PresetView): FormValues {
  return {
    name: p.name,
    description: p.description,
    allowedSchemas: p.policy.allowedSchemas.join(', '),
    hiddenTables: p.policy.hiddenTables.join(', '),
    hiddenColumns: p.policy.hiddenColumns.join(', '),
    masks: p.policy.maskedColumns.map((m) => `${m.column}:${m.mode}`).join(', '),
  };
}

const summary = (q: PresetPolicy) => [
  q.allowedSchemas.length ? `schemas ${q.allowedSchemas.join(', ')}` : null,
  q.hiddenTables.length ? `hides tables ${q.hiddenTables.join(', ')}` : null,
  q.hiddenColumns.length ? `hides columns ${q.hiddenColumns.join(', ')}` : null,
  q.maskedColumns.length ? `masks ${q.maskedColumns.map((m) => `${m.column} (${m.mode})`).join(', ')}` : null,
];

const PresetForm: FC<{ ctx: PageCtx; action: string; values: FormValues; submit: string; error?: string | undefined }> = ({ ctx, action, values, submit, error }) => (
  <form method="post" action={action}>
    <Csrf token={ctx.csrf} />
    {error ? <Notice kind="error">{error}</Notice> : null}
    <Field label="Name" name="name" id="preset-name" required maxlength={63} value={values.name} hint="Lower-case letters, digits and hyphens, e.g. no-pii." />
    <Field label="Description" name="description" id="preset-description" maxlength={500} value={values.description} hint="What it is for, shown where people pick a preset." />
    <Field
      label="Allowed schemas"
      name="allowedSchemas"
      id="preset-schemas"
      value={values.allowedSchemas}
      hint="Comma-separated; empty: whatever each source allows. Intersected with each source's allowed schemas."
    />
    <Field label="Hidden tables" name="hiddenTables" id="preset-tables" value={values.hiddenTables} hint="schema.table or table, comma-separated; * matches any run of characters." />
    <Field
      label="Hidden columns"
      name="hiddenColumns"
      id="preset-columns"
      value={values.hiddenColumns}
      hint="schema.table.column, table.column, or a name or pattern for every table: *email*, *ssn*."
    />
    <Field label="Masked columns" name="masks" id="preset-masks" value={values.masks} hint="column:mode, comma-separated; mode mask, hash or null (customers.phone:mask, *email*:hash)." />
    <div class="row">
      <a class="btn secondary" href={`${ctx.base}/settings/presets`}>
        Cancel
      </a>
      <button type="submit">{submit}</button>
    </div>
  </form>
);

const PresetsTable: FC<{ ctx: PageCtx; presets: PresetView[] }> = ({ ctx, presets }) => {
  const admin = can(ctx.actor, 'presets.write');
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Policy presets of the organization</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Narrows to</th>
            <th scope="col" class="hide-phone">Used by</th>
            <th scope="col" class="hide-phone">Changed</th>
            {admin ? (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {presets.map((p) => (
            <tr>
              <td>
                <div class="mono">{p.name}</div>
                {p.description ? <div class="muted small">{p.description}</div> : null}
              </td>
              <td class="small">{summary(p.policy).filter(Boolean).join('; ') || 'nothing (same as no preset)'}</td>
              <td class="hide-phone">
                {p.used_by.keys} key{p.used_by.keys === 1 ? '' : 's'}, {p.used_by.authorizations} app{p.used_by.authorizations === 1 ? '' : 's'}
              </td>
              <td class="hide-phone">
                <Time iso={p.updated_at} />
              </td>
              {admin ? (
                <td class="actions">
                  <a class="btn small secondary" href={`${ctx.base}/settings/presets/${p.id}/edit`}>
                    Edit
                  </a>{' '}
                  <ConfirmDialog
                    id={`remove-${p.id}`}
                    title={`Remove ${p.name}?`}
                    trigger="Remove"
                    submitLabel="Remove preset"
                    action={`${ctx.base}/settings/presets/${p.id}/remove`}
                    fallbackHref={`${ctx.base}/settings/presets/${p.id}/remove`}
                    csrf={ctx.csrf}
                  >
                    <p>
                      {p.used_by.keys || p.used_by.authorizations
                        ? `It is in use by ${p.used_by.keys} key(s) and ${p.used_by.authorizations} app(s): revoke those first, or removal is refused.`
                        : 'No key or app uses it.'}
                    </p>
                  </ConfirmDialog>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

const MESSAGES: Record<string, string> = {
  created: 'Preset created. Pick it when creating a key, or on an app’s consent page.',
  saved: 'Preset saved. Keys and apps that use it see the change from their next request.',
  removed: 'Preset removed.',
};

function formValues(form: Record<string, unknown>): FormValues {
  const get = (k: keyof FormValues) => (typeof form[k] === 'string' ? (form[k] as string) : '');
  return { name: get('name'), description: get('description'), allowedSchemas: get('allowedSchemas'), hiddenTables: get('hiddenTables'), hiddenColumns: get('hiddenColumns'), masks: get('masks') };
}

/** A mistake in the form (400) or a name taken (409) is shown on the form; anything else propagates. */
function formError(err: unknown): { message: string; status: 400 | 409 } | undefined {
  if (!(err instanceof AppError)) return undefined;
  const status = httpStatusOf(err);
  return status === 400 || status === 409 ? { message: err.message, status } : undefined;
}

export function presetsPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  const list = async (c: Context<DashEnv>, opts: { error?: string | undefined; status?: 200 | 400 | 409; values?: FormValues } = {}) => {
    const ctx = c.get('ctx');
    const presets = await listPresets(rt, ctx.actor);
    const admin = can(ctx.actor, 'presets.write');
    const ok = c.req.query('ok');
    return render(
      c,
      <AppLayout ctx={ctx} title="Policy presets" flash={ok && MESSAGES[ok] ? <Notice kind="ok">{MESSAGES[ok]}</Notice> : null}>
        <PageHead
          title="Policy presets"
          description="A preset narrows an API key or a connected app below what each source’s policy allows: the stricter of both applies, in every tool."
        />
        {opts.error && !opts.values ? <Notice kind="error">{opts.error}</Notice> : null}
        {presets.length === 0 ? (
          <Empty title="No presets yet">
            {admin ? 'Create one below, e.g. “no-pii” hiding *email* and *ssn* columns.' : 'Admins and owners create presets; you can then pick one for your keys.'}
          </Empty>
        ) : (
          <PresetsTable ctx={ctx} presets={presets} />
        )}
        {admin ? (
          <>
            <h2 class="section-title">Create a preset</h2>
            <div class="card">
              <PresetForm ctx={ctx} action={`${ctx.base}/settings/presets`} values={opts.values ?? EMPTY} submit="Create preset" error={opts.values ? opts.error : undefined} />
            </div>
          </>
        ) : null}
      </AppLayout>,
      opts.status ?? 200,
    );
  };

  const editPage = async (c: Context<DashEnv>, id: string, opts: { error?: string; status?: 200 | 400 | 409; values?: FormValues } = {}) => {
    const ctx = c.get('ctx');
    const p = await getPreset(rt, ctx.actor, id).catch(() => {
      throw new NotFoundError('No such preset.');
    });
    if (p.id !== id) throw new NotFoundError('No such preset.');
    return render(
      c,
      <AppLayout ctx={ctx} title={`Edit ${p.name}`}>
        <PageHead title={`Edit preset ${p.name}`} description={`Used by ${p.used_by.keys} key(s) and ${p.used_by.authorizations} app(s); a change counts from their next request.`} />
        <div class="card">
          <PresetForm ctx={ctx} action={`${ctx.base}/settings/presets/${p.id}`} values={opts.values ?? valuesOf(p)} submit="Save preset" error={opts.error} />
        </div>
      </AppLayout>,
      opts.status ?? 200,
    );
  };

  app.get('/', (c) => list(c));

  app.post('/', async (c) => {
    const ctx = c.get('ctx');
    const values = formValues(await c.req.parseBody());
    try {
      await createPreset(rt, ctx.actor, { name: values.name, description: values.description, policy: presetPolicyFromText(values) });
    } catch (err) {
      const e = formError(err);
      if (e) return list(c, { error: e.message, status: e.status, values });
      throw err;
    }
    return c.redirect(`${ctx.base}/settings/presets?ok=created`, 303);
  });

  app.get('/:id/edit', (c) => editPage(c, c.req.param('id')));

  app.post('/:id', async (c) => {
    const ctx = c.get('ctx');
    const id = c.req.param('id');
    const values = formValues(await c.req.parseBody());
    try {
      await updatePreset(rt, ctx.actor, id, { name: values.name, description: values.description, policy: presetPolicyFromText(values) });
    } catch (err) {
      const e = formError(err);
      if (e) return editPage(c, id, { error: e.message, status: e.status, values });
      throw err;
    }
    return c.redirect(`${ctx.base}/settings/presets?ok=saved`, 303);
  });

  app.get('/:id/remove', async (c) => {
    const ctx = c.get('ctx');
    const p = await getPreset(rt, ctx.actor, c.req.param('id')).catch(() => {
      throw new NotFoundError('No such preset.');
    });
    return render(
      c,
      <AppLayout ctx={ctx} title="Remove preset">
        <ConfirmCard title={`Remove ${p.name}?`} action={`${ctx.base}/settings/presets/${p.id}/remove`} csrf={ctx.csrf} submitLabel="Remove preset" cancelHref={`${ctx.base}/settings/presets`}>
          <p>A preset a live key or app uses cannot be removed; revoke those first.</p>
        </ConfirmCard>
      </AppLayout>,
    );
  });

  app.post('/:id/remove', async (c) => {
    const ctx = c.get('ctx');
    try {
      await removePreset(rt, ctx.actor, c.req.param('id'));
    } catch (err) {
      const e = formError(err);
      if (e) return list(c, { error: e.message, status: e.status });
      throw err;
    }
    return c.redirect(`${ctx.base}/settings/presets?ok=removed`, 303);
  });

  return app;
}
