/** Server-rendered HTML: escaping and the shared page frame. Every interpolated value goes through `esc`. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A tagged template that escapes every interpolation except values already wrapped by `raw`. */
export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export function raw(html: string): Raw {
  return new Raw(html);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (Array.isArray(v)) out += v.map((x) => (x instanceof Raw ? x.html : esc(x))).join('');
    else out += v instanceof Raw ? v.html : esc(v);
    out += strings[i + 1] ?? '';
  });
  return new Raw(out);
}

const STYLE = `
:root{--fg:#1d2330;--muted:#5b6477;--accent:#3451d1;--bg:#f6f7fb;--card:#fff;--border:#dde1ea;--danger:#b42318;--ok:#067647}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:560px;margin:48px auto;padding:0 16px}.card{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:28px;box-shadow:0 1px 2px rgba(16,24,40,.05)}
h1{font-size:22px;margin:0 0 4px}.brand{font-weight:700;color:var(--accent);letter-spacing:.02em;margin-bottom:18px}.muted{color:var(--muted)}
label{display:block;font-weight:600;margin:14px 0 6px}input,select{width:100%;padding:10px 12px;border:1px solid var(--border);border-radius:8px;font:inherit}
button{margin-top:20px;background:var(--accent);color:#fff;border:0;border-radius:8px;padding:10px 16px;font:inherit;font-weight:600;cursor:pointer}
button.secondary{background:#fff;color:var(--fg);border:1px solid var(--border)}.error{color:var(--danger);background:#fef3f2;border:1px solid #fecdca;padding:10px 12px;border-radius:8px}
.warn{background:#fffaeb;border:1px solid #fedf89;padding:10px 12px;border-radius:8px}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;background:#eef0f6;border-radius:6px}
code{padding:1px 5px}pre{padding:12px;overflow:auto}
`;

export function page(title: string, body: Raw): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Sequel</title><style>${STYLE}</style></head><body><main><div class="brand">Sequel</div>${body.html}</main></body></html>`;
}
