// @ts-check
/**
 * The dashboard's only script (served from 'self'; the CSP allows no inline script). Pages work
 * without it except for what it adds: native <dialog>s opened in place of their fallback pages, copy
 * buttons, the theme toggle, and the install dialog (tabs, and the `sequel_mcp` key provisioned the first
 * time a header-based client is picked, kept only while the dialog is open).
 */
(function () {
  const PLACEHOLDER = '__SEQUEL_KEY__';
  const root = document.documentElement;

  // Theme: follows the system unless the person picked one.
  const stored = localStorage.getItem('sequel-theme');
  if (stored === 'light' || stored === 'dark') root.dataset.theme = stored;

  /** @param {string} text */
  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      const ok = document.execCommand('copy');
      area.remove();
      return ok;
    }
  }

  /** @param {string} s */
  function b64(s) {
    return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
  }

  /** @param {string} kind @param {string} config */
  function deepLink(kind, config) {
    if (kind === 'cursor') return 'cursor://anysphere.cursor-deeplink/mcp/install?name=sequel&config=' + encodeURIComponent(b64(config));
    if (kind === 'vscode') return 'vscode:mcp/install?' + encodeURIComponent(config);
    return '#';
  }

  // --- install dialog ---
  /** @type {string | null} */
  let installKey = null;
  /** @type {Promise<string> | null} */
  let provisioning = null;
  // Bumped each time the dialog forgets its key, so a provisioning answer that arrives after the
  // dialog closed is dropped instead of writing the key into a closed dialog.
  let generation = 0;

  /** @param {HTMLElement} dialog */
  function forget(dialog) {
    generation += 1;
    installKey = null;
    provisioning = null;
    fill(dialog, null);
  }

  /** @param {HTMLElement} scope @param {string | null} key */
  function fill(scope, key) {
    scope.querySelectorAll('[data-template]').forEach((el) => {
      const t = el.getAttribute('data-template') || '';
      el.textContent = key ? t.split(PLACEHOLDER).join(key) : t.split(PLACEHOLDER).join('sql_…');
    });
    scope.querySelectorAll('[data-deeplink]').forEach((el) => {
      const a = /** @type {HTMLAnchorElement} */ (el);
      if (key) {
        a.href = deepLink(a.dataset.deeplink || '', (a.dataset.config || '').split(PLACEHOLDER).join(key));
        a.removeAttribute('aria-disabled');
        a.hidden = false;
      } else {
        a.removeAttribute('href');
        a.hidden = true;
      }
    });
    scope.querySelectorAll('[data-key-note]').forEach((el) => {
      /** @type {HTMLElement} */ (el).hidden = !key;
    });
    scope.querySelectorAll('[data-key-prefix]').forEach((el) => {
      el.textContent = key ? key.slice(0, 10) + '…' : '';
    });
  }

  /** @param {HTMLElement} dialog */
  function provision(dialog) {
    if (installKey) return Promise.resolve(installKey);
    if (!provisioning) {
      const status = dialog.querySelector('[data-provision-status]');
      if (status) status.textContent = 'Creating a key named sequel_mcp…';
      const asked = generation;
      provisioning = fetch(dialog.dataset.provisionUrl || '', {
        method: 'POST',
        headers: { 'x-csrf-token': dialog.dataset.csrf || '', accept: 'application/json' },
        credentials: 'same-origin',
      })
        .then(async (res) => {
          const body = await res.json();
          if (!res.ok) throw new Error(body.message || 'Could not create a key.');
          if (asked !== generation) throw new Error('The dialog was closed.');
          installKey = String(body.key);
          if (status) status.textContent = '';
          return installKey;
        })
        .catch((err) => {
          if (asked !== generation) throw err;
          provisioning = null;
          if (status) status.textContent = String(err.message || err);
          throw err;
        });
    }
    return provisioning;
  }

  /** @param {HTMLElement} dialog @param {string} id */
  function selectClient(dialog, id) {
    dialog.querySelectorAll('[data-client-tab]').forEach((t) => t.setAttribute('aria-selected', String(t.getAttribute('data-client-tab') === id)));
    /** @type {HTMLElement | null} */
    let panel = null;
    dialog.querySelectorAll('[data-client-panel]').forEach((p) => {
      const el = /** @type {HTMLElement} */ (p);
      el.hidden = el.dataset.clientPanel !== id;
      if (!el.hidden) panel = el;
    });
    if (!panel) return;
    const chosen = /** @type {HTMLElement} */ (panel);
    if (chosen.dataset.needsKey === 'true') {
      const asked = generation;
      provision(dialog).then(
        (key) => {
          if (asked === generation) fill(chosen, key);
        },
        () => {
          if (asked === generation) fill(chosen, null);
        },
      );
    }
  }

  document.addEventListener('click', (ev) => {
    const target = /** @type {Element | null} */ (ev.target instanceof Element ? ev.target : null);
    if (!target) return;
    const opener = target.closest('[data-open-dialog]');
    if (opener) {
      const dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById(opener.getAttribute('data-open-dialog') || ''));
      if (dialog && typeof dialog.showModal === 'function') {
        ev.preventDefault();
        document.querySelectorAll('details.menu[open]').forEach((d) => d.removeAttribute('open'));
        dialog.showModal();
        const first = dialog.querySelector('[data-client-tab][aria-selected=true]');
        if (first && dialog.dataset.provisionUrl) selectClient(dialog, first.getAttribute('data-client-tab') || '');
        return;
      }
    }
    const closer = target.closest('[data-close-dialog]');
    if (closer) {
      const dialog = closer.closest('dialog');
      if (dialog) {
        ev.preventDefault();
        // The 'close' event fires in a later task; forget the key now, so it is gone the moment
        // the dialog is.
        if (dialog.hasAttribute('data-connect')) forget(dialog);
        dialog.close();
        return;
      }
    }
    const tab = target.closest('[data-client-tab]');
    if (tab) {
      const dialog = /** @type {HTMLElement | null} */ (tab.closest('[data-connect]'));
      if (dialog && dialog.tagName === 'DIALOG') {
        ev.preventDefault();
        selectClient(dialog, tab.getAttribute('data-client-tab') || '');
        return;
      }
    }
    const copier = target.closest('[data-copy]');
    if (copier) {
      ev.preventDefault();
      const source = document.getElementById(copier.getAttribute('data-copy') || '');
      if (!source) return;
      const text = source instanceof HTMLInputElement ? source.value : source.textContent || '';
      copy(text).then((ok) => {
        const label = copier.textContent;
        copier.textContent = ok ? 'Copied' : 'Copy failed';
        setTimeout(() => (copier.textContent = label), 1500);
      });
      return;
    }
    const toggle = target.closest('[data-theme-toggle]');
    if (toggle) {
      ev.preventDefault();
      const dark = root.dataset.theme ? root.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
      root.dataset.theme = dark ? 'light' : 'dark';
      localStorage.setItem('sequel-theme', root.dataset.theme);
    }
  });

  // Closing the install dialog any other way (Escape, a form) forgets the key too: it is never shown again.
  document.querySelectorAll('dialog[data-connect]').forEach((d) => {
    d.addEventListener('close', () => forget(/** @type {HTMLElement} */ (d)));
  });

  // Escape closes open menus; a click outside closes them too.
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') document.querySelectorAll('details.menu[open]').forEach((d) => d.removeAttribute('open'));
  });
  document.addEventListener('click', (ev) => {
    document.querySelectorAll('details.menu[open]').forEach((d) => {
      if (!(ev.target instanceof Node) || !d.contains(ev.target)) d.removeAttribute('open');
    });
  });
})();
