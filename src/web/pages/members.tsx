/**
 * Settings → Members: the members with their role (changed inline by admins; owners by owners), pending
 * invitations, "Invite" (a one-time link to copy), "Reset password" (a one-time link to copy), remove
 * (saying what stops working), leave.
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { AppError, httpStatusOf, NotFoundError } from '../../errors.js';
import { listAuthorizations } from '../../ops/authorizations.js';
import { listKeys } from '../../ops/keys.js';
import { changeRole, INVITE_PATH, inviteMember, listInvitations, listMembers, removeMember, revokeInvitation } from '../../ops/members.js';
import { createResetLink, RESET_PATH } from '../../ops/passwordReset.js';
import { assertCan, can } from '../../ops/permissions.js';
import type { Runtime } from '../../runtime.js';
import type { Role } from '../../store/db.js';
import type { Member } from '../../store/users.js';
import type { DashEnv } from '../env.js';
import { ConfirmCard, ConfirmDialog, CopyField, Csrf, Field, Notice, PageHead, Time } from '../ui/components.js';
import { AppLayout, type PageCtx } from '../ui/layout.js';
import { render } from '../ui/render.js';
import { flash } from './flash.js';

const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

function grantable(ctx: PageCtx): Role[] {
  return can(ctx.actor, 'members.manage_owners') ? ['owner', 'admin', 'member'] : ['admin', 'member'];
}

const RoleCell: FC<{ ctx: PageCtx; m: Member }> = ({ ctx, m }) => {
  const mayEdit = can(ctx.actor, 'members.change_role') && (m.role !== 'owner' || can(ctx.actor, 'members.manage_owners'));
  if (!mayEdit) return <span class="pill">{ROLE_LABEL[m.role]}</span>;
  return (
    <form method="post" action={`${ctx.base}/settings/members/${m.id}/role`} class="row">
      <Csrf token={ctx.csrf} />
      <label class="visually-hidden" for={`role-${m.id}`}>
        Role of {m.email}
      </label>
      <select id={`role-${m.id}`} name="role">
        {grantable(ctx).map((r) => (
          <option value={r} selected={r === m.role}>
            {ROLE_LABEL[r]}
          </option>
        ))}
      </select>
      <button type="submit" class="secondary small">
        Save
      </button>
    </form>
  );
};

const InviteForm: FC<{ ctx: PageCtx; error?: string; inDialog?: boolean }> = ({ ctx, error, inDialog }) => (
  <form method="post" action={`${ctx.base}/settings/members/invite`}>
    <Csrf token={ctx.csrf} />
    {inDialog ? (
      <div class="dialog-head">
        <h2 id="invite-title">Invite a member</h2>
      </div>
    ) : null}
    <div class={inDialog ? 'dialog-body' : ''} tabindex={inDialog ? 0 : undefined}>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <Field label="Email" name="email" id={inDialog ? 'dlg-invite-email' : 'invite-email'} type="email" required autocomplete="off" />
      <div class="field">
        <label for={inDialog ? 'dlg-invite-role' : 'invite-role'}>Role</label>
        <select id={inDialog ? 'dlg-invite-role' : 'invite-role'} name="role">
          {grantable(ctx)
            .slice()
            .reverse()
            .map((r) => (
              <option value={r}>{ROLE_LABEL[r]}</option>
            ))}
        </select>
        <span class="hint">Members query and manage their own keys; admins also manage sources, keys and members; owners manage owners.</span>
      </div>
      <p class="muted small">You get a one-time link to send them. It expires in 7 days.</p>
    </div>
    <div class={inDialog ? 'dialog-foot' : 'row'}>
      {inDialog ? (
        <button type="button" class="secondary" data-close-dialog="">
          Cancel
        </button>
      ) : null}
      <button type="submit">Create invitation link</button>
    </div>
  </form>
);

export function membersPage(rt: Runtime): Hono<DashEnv> {
  const app = new Hono<DashEnv>();

  const page = async (c: Context<DashEnv>, opts: { error?: string; status?: 200 | 400 | 403 | 409 } = {}) => {
    const ctx = c.get('ctx');
    const members = await listMembers(rt, ctx.actor);
    const invites = can(ctx.actor, 'members.invite') ? await listInvitations(rt, ctx.actor) : [];
    const admin = can(ctx.actor, 'members.remove');
    return render(
      c,
      <AppLayout ctx={ctx} title="Members" flash={opts.error ? <Notice kind="error">{opts.error}</Notice> : flash(c)}>
        <PageHead
          title="Members"
          description="People who can sign in to this organization and connect clients to it."
          actions={
            can(ctx.actor, 'members.invite') ? (
              <a class="btn" href={`${ctx.base}/settings/members/invite`} data-open-dialog="invite">
                Invite
              </a>
            ) : undefined
          }
        />
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Members</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                <th scope="col" class="hide-phone">Joined</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.map((m) => {
                const self = m.id === ctx.user.id;
                const managed = m.role !== 'owner' || can(ctx.actor, 'members.manage_owners');
                const mayRemove = self || (admin && managed);
                // Their own password people change in Account settings, with the current one.
                const mayReset = !self && can(ctx.actor, 'members.reset_password') && managed;
                return (
                  <tr>
                    <td>
                      <div>{m.name ?? m.email}</div>
                      {m.name ? <div class="muted small">{m.email}</div> : null}
                      {self ? <span class="pill accent">You</span> : null}
                    </td>
                    <td>
                      <RoleCell ctx={ctx} m={m} />
                    </td>
                    <td class="hide-phone">
                      <Time iso={m.joined_at} />
                    </td>
                    <td class="actions">
                      {mayReset ? (
                        <form method="post" action={`${ctx.base}/settings/members/${m.id}/reset-password`} class="inline">
                          <Csrf token={ctx.csrf} />
                          <button type="submit" class="secondary small" aria-label={`Reset password for ${m.email}`}>
                            Reset password
                          </button>
                        </form>
                      ) : null}
                      {mayRemove ? (
                        <ConfirmDialog
                          id={`remove-${m.id}`}
                          title={self ? 'Leave this organization?' : `Remove ${m.email}?`}
                          trigger={self ? 'Leave' : 'Remove'}
                          submitLabel={self ? 'Leave' : 'Remove member'}
                          action={`${ctx.base}/settings/members/${m.id}/remove`}
                          fallbackHref={`${ctx.base}/settings/members/${m.id}/remove`}
                          csrf={ctx.csrf}
                        >
                          <p>
                            {self ? 'You' : m.email} will lose access to {ctx.org.name}. Their API keys in it are revoked and their connected apps disconnected, from their next request.
                          </p>
                        </ConfirmDialog>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {can(ctx.actor, 'members.invite') ? (
          <>
            <h2 class="section-title">Pending invitations</h2>
            {invites.length === 0 ? (
              <p class="muted">No pending invitations.</p>
            ) : (
              <div class="table-wrap">
                <table>
                  <caption class="visually-hidden">Pending invitations</caption>
                  <thead>
                    <tr>
                      <th scope="col">Email</th>
                      <th scope="col">Role</th>
                      <th scope="col" class="hide-phone">Invited by</th>
                      <th scope="col">Expires</th>
                      <th scope="col">
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {invites.map((i) => (
                      <tr>
                        <td>{i.email}</td>
                        <td>{ROLE_LABEL[i.role]}</td>
                        <td class="hide-phone">{i.invited_by}</td>
                        <td>
                          <Time iso={i.expires_at} />
                        </td>
                        <td class="actions">
                          <form method="post" action={`${ctx.base}/settings/members/invitations/${i.id}/revoke`} class="inline">
                            <Csrf token={ctx.csrf} />
                            <button type="submit" class="secondary small" aria-label={`Revoke the invitation for ${i.email}`}>
                              Revoke
                            </button>
                          </form>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <dialog id="invite" aria-labelledby="invite-title">
              <InviteForm ctx={ctx} inDialog />
            </dialog>
          </>
        ) : null}
      </AppLayout>,
      opts.status ?? 200,
    );
  };

  app.get('/', (c) => page(c));

  app.get('/invite', (c) => {
    const ctx = c.get('ctx');
    assertCan(ctx.actor, 'members.invite');
    return render(
      c,
      <AppLayout ctx={ctx} title="Invite a member">
        <PageHead title="Invite a member" />
        <div class="card">
          <InviteForm ctx={ctx} />
        </div>
      </AppLayout>,
    );
  });

  app.post('/invite', async (c) => {
    const ctx = c.get('ctx');
    const form = await c.req.parseBody();
    try {
      const { invitation, token } = await inviteMember(rt, ctx.actor, { email: String(form.email ?? ''), role: String(form.role ?? 'member') });
      const link = `${rt.config.publicUrl}${INVITE_PATH}${token}`;
      return render(
        c,
        <AppLayout ctx={ctx} title="Invitation link">
          <PageHead title="Invitation link" />
          <div class="card">
            <p>
              Send this link to <strong>{invitation.email}</strong>. It makes them {invitation.role === 'admin' ? 'an' : 'a'} {invitation.role} of {ctx.org.name}, works once, and expires{' '}
              <Time iso={invitation.expires_at} />.
            </p>
            <CopyField id="invite-link" label="One-time invitation link" value={link} />
            <Notice kind="warn">Anyone with this link can join as {invitation.email}; it is shown only now.</Notice>
            <a class="btn secondary" href={`${ctx.base}/settings/members`}>
              Done
            </a>
          </div>
        </AppLayout>,
        201,
      );
    } catch (err) {
      if (err instanceof AppError && [400, 409].includes(httpStatusOf(err))) return page(c, { error: err.message, status: httpStatusOf(err) as 400 | 409 });
      throw err;
    }
  });

  app.post('/invitations/:id/revoke', async (c) => {
    const ctx = c.get('ctx');
    await revokeInvitation(rt, ctx.actor, c.req.param('id'));
    return c.redirect(`${ctx.base}/settings/members?ok=invite-revoked`, 303);
  });

  app.post('/:id/role', async (c) => {
    const ctx = c.get('ctx');
    const form = await c.req.parseBody();
    try {
      await changeRole(rt, ctx.actor, { userId: c.req.param('id'), role: String(form.role ?? '') });
    } catch (err) {
      if (err instanceof AppError && httpStatusOf(err) === 400) return page(c, { error: err.message, status: 400 });
      throw err;
    }
    return c.redirect(`${ctx.base}/settings/members?ok=role-changed`, 303);
  });

  app.post('/:id/reset-password', async (c) => {
    const ctx = c.get('ctx');
    let created;
    try {
      created = await createResetLink(rt, ctx.actor, c.req.param('id'));
    } catch (err) {
      // Refused because the person belongs elsewhere too: say so on the Members page.
      if (err instanceof AppError && httpStatusOf(err) === 403 && can(ctx.actor, 'members.reset_password')) return page(c, { error: err.message, status: 403 });
      throw err;
    }
    const link = `${rt.config.publicUrl}${RESET_PATH}${created.token}`;
    return render(
      c,
      <AppLayout ctx={ctx} title="Password reset link">
        <PageHead title="Password reset link" />
        <div class="card">
          <p>
            Send this link to <strong>{created.email}</strong>. It lets them choose a new password, works once, and expires <Time iso={created.link.expires_at} />. Setting
            the password signs them out everywhere.
          </p>
          {created.superseded ? <p class="muted small">The earlier reset link for {created.email} no longer works.</p> : null}
          <CopyField id="reset-link" label="One-time password reset link" value={link} />
          <Notice kind="warn">Anyone with this link can take over {created.email}'s account until it is used; it is shown only now.</Notice>
          <a class="btn secondary" href={`${ctx.base}/settings/members`}>
            Done
          </a>
        </div>
      </AppLayout>,
      201,
    );
  });

  app.get('/:id/remove', async (c) => {
    const ctx = c.get('ctx');
    const m = (await listMembers(rt, ctx.actor)).find((x) => x.id === c.req.param('id'));
    if (!m) throw new NotFoundError('No such member.');
    const self = m.id === ctx.user.id;
    // What stops working, as far as the person asking may see it.
    const keys = (await listKeys(rt, ctx.actor)).filter((k) => k.created_by_user_id === m.id).length;
    const apps = (await listAuthorizations(rt, ctx.actor)).filter((a) => a.user_id === m.id).length;
    return render(
      c,
      <AppLayout ctx={ctx} title="Remove member">
        <ConfirmCard
          title={self ? 'Leave this organization?' : `Remove ${m.email}?`}
          action={`${ctx.base}/settings/members/${m.id}/remove`}
          csrf={ctx.csrf}
          submitLabel={self ? 'Leave' : 'Remove member'}
          cancelHref={`${ctx.base}/settings/members`}
        >
          <p>
            {keys} API key(s) and {apps} connected app(s) stop working at their next request.
          </p>
        </ConfirmCard>
      </AppLayout>,
    );
  });

  app.post('/:id/remove', async (c) => {
    const ctx = c.get('ctx');
    let r;
    try {
      r = await removeMember(rt, ctx.actor, c.req.param('id'));
    } catch (err) {
      if (err instanceof AppError && httpStatusOf(err) === 400) return page(c, { error: err.message, status: 400 });
      throw err;
    }
    if (r.email === ctx.user.email) return c.redirect('/app', 303);
    return render(
      c,
      <AppLayout ctx={ctx} title="Member removed">
        <PageHead title="Member removed" />
        <div class="card">
          <Notice kind="ok">
            Removed {r.email}: revoked {r.keysRevoked} API key(s) and disconnected {r.authorizationsRevoked} app(s).
          </Notice>
          <a class="btn secondary" href={`${ctx.base}/settings/members`}>
            Back to members
          </a>
        </div>
      </AppLayout>,
    );
  });

  return app;
}
