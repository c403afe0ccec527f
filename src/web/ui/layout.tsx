/**
 * The page frames: `Document` (head, stylesheet, the one script), `AuthLayout` (sign-in, invitations,
 * setup) and `AppLayout` — left navigation, the organization switcher, the "Connect a client" button
 * and the user menu, the install dialog.
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { UserActor } from '../../ops/permissions.js';
import { can } from '../../ops/permissions.js';
import type { Organization } from '../../store/orgs.js';
import type { Membership, PublicUser } from '../../store/users.js';
import { ConnectDialog } from '../connect/panel.js';
import { CSS_PATH, JS_PATH } from './assets.js';
import { Csrf } from './components.js';

/** What every dashboard page knows about the request: who, in which organization, and the CSRF token. */
export interface PageCtx {
  org: Organization;
  actor: UserActor;
  user: PublicUser;
  memberships: Membership[];
  csrf: string;
  /** `/app/<org-slug>`: every dashboard URL starts with it. */
  base: string;
  /** The request path, for the navigation's current item. */
  path: string;
  mcpUrl: string;
}

export const Document: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width,initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <title>{`${title} · Sequel`}</title>
      <link rel="stylesheet" href={CSS_PATH} />
      <script src={JS_PATH} defer></script>
    </head>
    <body>{children}</body>
  </html>
);

const Brand: FC<{ href: string }> = ({ href }) => (
  <a class="brand" href={href}>
    <span class="brand-mark" aria-hidden="true">
      S
    </span>
    Sequel
  </a>
);

export const AuthLayout: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <Document title={title}>
    <main class="auth" id="main">
      <Brand href="/app" />
      {children}
    </main>
  </Document>
);

interface NavItem {
  href: string;
  label: string;
  /** Current when the path equals the href or starts with it + '/'. */
  exact?: boolean;
}

function navItems(ctx: PageCtx): Array<{ group?: string; items: NavItem[] }> {
  const b = ctx.base;
  const main: NavItem[] = [{ href: b, label: 'Overview', exact: true }, { href: `${b}/sources`, label: 'Data sources' }];
  if (can(ctx.actor, 'playground.run')) main.push({ href: `${b}/playground`, label: 'Playground' });
  main.push({ href: `${b}/activity`, label: 'Activity' });
  return [
    { items: main },
    {
      group: 'Settings',
      items: [
        { href: `${b}/settings/keys`, label: 'API keys' },
        { href: `${b}/settings/apps`, label: 'Connected apps' },
        { href: `${b}/settings/presets`, label: 'Policy presets' },
        { href: `${b}/settings/members`, label: 'Members' },
        { href: `${b}/settings/organization`, label: 'Organization' },
      ],
    },
  ];
}

function isCurrent(item: NavItem, path: string): boolean {
  return item.exact ? path === item.href || path === `${item.href}/` : path === item.href || path.startsWith(`${item.href}/`);
}

const OrgSwitcher: FC<{ ctx: PageCtx }> = ({ ctx }) => (
  <details class="menu">
    <summary class="org-switch">
      <span>
        <span class="visually-hidden">Organization: </span>
        {ctx.org.name}
      </span>
      <span class="role">{ctx.actor.role}</span>
    </summary>
    <div class="menu-panel">
      <div class="label">Your organizations</div>
      {ctx.memberships.map((m) => (
        <a href={`/app/${m.org_slug}`} aria-current={m.org_id === ctx.org.id ? 'true' : undefined}>
          {m.org_name} <span class="muted small">· {m.role}</span>
        </a>
      ))}
      <hr />
      <a href="/app/new">Create organization</a>
    </div>
  </details>
);

const UserMenu: FC<{ ctx: PageCtx }> = ({ ctx }) => (
  <details class="menu">
    <summary class="btn secondary small account-menu">
      <span class="hide-phone">{ctx.user.name ?? ctx.user.email}</span>
      <span class="visually-hidden"> account menu</span>
      <span aria-hidden="true">▾</span>
    </summary>
    <div class="menu-panel right">
      <div class="label">{ctx.user.email}</div>
      <a href={`${ctx.base}/account`}>Account and password</a>
      <button type="button" data-theme-toggle="">
        Switch light / dark
      </button>
      <hr />
      <form method="post" action="/signout">
        <Csrf token={ctx.csrf} />
        <button type="submit">Sign out</button>
      </form>
      <form method="post" action="/signout?everywhere=1">
        <Csrf token={ctx.csrf} />
        <button type="submit">Sign out everywhere</button>
      </form>
    </div>
  </details>
);

export const AppLayout: FC<PropsWithChildren<{ ctx: PageCtx; title: string; flash?: Child }>> = ({ ctx, title, flash, children }) => (
  <Document title={`${title} · ${ctx.org.name}`}>
    <a class="skip" href="#main">
      Skip to content
    </a>
    <div class="shell">
      <aside class="sidebar">
        <Brand href={ctx.base} />
        <OrgSwitcher ctx={ctx} />
        <nav aria-label="Main">
          {navItems(ctx).map((section) => (
            <div class="nav">
              {section.group ? <div class="nav-group">{section.group}</div> : null}
              {section.items.map((item) => (
                <a href={item.href} aria-current={isCurrent(item, ctx.path) ? 'page' : undefined}>
                  {item.label}
                </a>
              ))}
            </div>
          ))}
        </nav>
      </aside>
      <div>
        <header class="topbar">
          <div class="topbar-actions">
            <a class="btn" href={`${ctx.base}/connect`} data-open-dialog="connect-dialog">
              Connect a client
            </a>
            <UserMenu ctx={ctx} />
          </div>
        </header>
        <main class="content" id="main">
          {flash ?? null}
          {children}
        </main>
      </div>
    </div>
    <ConnectDialog mcpUrl={ctx.mcpUrl} base={ctx.base} csrf={ctx.csrf} />
  </Document>
);
