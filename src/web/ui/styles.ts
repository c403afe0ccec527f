/**
 * The dashboard's one stylesheet, served as a static file (the CSP allows styles from 'self' only).
 * Design tokens: one accent, the system font stack, an 8 px grid, light and dark from the system (or the
 * toggle, which sets data-theme on <html>), contrast at least WCAG AA.
 */
export const STYLES = `
:root{color-scheme:light;--bg:#f6f7f9;--surface:#fff;--surface-2:#f0f2f5;--fg:#14171f;--muted:#545d6e;--border:#d9dde4;
--accent:#2f4fd8;--accent-fg:#fff;--accent-soft:#e8ecfd;--danger:#b42318;--danger-soft:#fef3f2;--ok:#067647;--ok-soft:#ecfdf3;
--warn:#8a5300;--warn-soft:#fffaeb;--code:#eef0f5;--focus:#2f4fd8;--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);
--radius:8px;--font:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
:root[data-theme=dark]{color-scheme:dark;--bg:#0f1116;--surface:#171a21;--surface-2:#1f232c;--fg:#e8eaf0;--muted:#a3abbb;--border:#2e3440;
--accent:#8ea2ff;--accent-fg:#0b0d12;--accent-soft:#23294a;--danger:#ff8f86;--danger-soft:#3a1a19;--ok:#6fdca0;--ok-soft:#13301f;
--warn:#f5c56b;--warn-soft:#33280f;--code:#232733;--focus:#8ea2ff;--shadow:none}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]){color-scheme:dark;--bg:#0f1116;--surface:#171a21;--surface-2:#1f232c;--fg:#e8eaf0;--muted:#a3abbb;--border:#2e3440;
--accent:#8ea2ff;--accent-fg:#0b0d12;--accent-soft:#23294a;--danger:#ff8f86;--danger-soft:#3a1a19;--ok:#6fdca0;--ok-soft:#13301f;
--warn:#f5c56b;--warn-soft:#33280f;--code:#232733;--focus:#8ea2ff;--shadow:none}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 var(--font);color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:2px solid var(--focus);outline-offset:2px;border-radius:4px}
h1{font-size:24px;line-height:32px;margin:0}h2{font-size:18px;line-height:24px;margin:0 0 8px}h3{font-size:15px;margin:0 0 8px}
p{margin:0 0 16px}
code,pre,kbd,.mono{font-family:var(--mono);font-size:13px}
code{background:var(--code);padding:1px 6px;border-radius:4px;overflow-wrap:anywhere}
pre{background:var(--code);padding:16px;border-radius:var(--radius);overflow:auto;margin:0;white-space:pre-wrap;word-break:break-all}
.skip{position:absolute;left:-9999px;top:8px;background:var(--surface);padding:8px 16px;z-index:10}.skip:focus{left:8px}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
/* Frame */
.shell{display:grid;grid-template-columns:240px minmax(0,1fr);min-height:100vh}
.shell>div{min-width:0}
.sidebar{background:var(--surface);border-right:1px solid var(--border);padding:16px;display:flex;flex-direction:column;gap:16px}
.brand{font-weight:700;letter-spacing:.02em;color:var(--fg);text-decoration:none;font-size:17px;display:flex;align-items:center;gap:8px}
.brand-mark{display:inline-grid;place-items:center;width:28px;height:28px;border-radius:8px;background:var(--accent);color:var(--accent-fg);font-size:14px}
.nav{display:flex;flex-direction:column;gap:2px}
.nav a{display:block;padding:8px 12px;border-radius:6px;color:var(--fg);text-decoration:none}
.nav a:hover{background:var(--surface-2)}
.nav a[aria-current=page]{background:var(--accent-soft);color:var(--accent);font-weight:600}
.nav-group{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);padding:16px 12px 4px;font-weight:600}
.topbar{display:flex;align-items:center;justify-content:space-between;gap:16px;padding:12px 32px;border-bottom:1px solid var(--border);background:var(--surface)}
.topbar-actions{display:flex;align-items:center;gap:8px;margin-left:auto}
.content{padding:32px;max-width:1120px;width:100%}
.page-head{display:flex;flex-wrap:wrap;align-items:flex-end;justify-content:space-between;gap:16px;margin-bottom:24px}
.page-head p{margin:4px 0 0;color:var(--muted)}
.menu{position:relative}
.menu>summary{list-style:none;cursor:pointer}.menu>summary::-webkit-details-marker{display:none}
.menu-panel{position:absolute;z-index:20;min-width:240px;background:var(--surface);border:1px solid var(--border);border-radius:var(--radius);box-shadow:var(--shadow);padding:8px;margin-top:4px}
.menu-panel.right{right:0}
.menu-panel a,.menu-panel button{display:block;width:100%;text-align:left;padding:8px 12px;border-radius:6px;color:var(--fg);text-decoration:none;background:none;border:0;font:inherit;cursor:pointer}
.menu-panel a:hover,.menu-panel button:hover{background:var(--surface-2)}
.menu-panel hr{border:0;border-top:1px solid var(--border);margin:8px 0}
.menu-panel .label{padding:4px 12px;color:var(--muted);font-size:13px}
.org-switch{display:flex;align-items:center;justify-content:space-between;gap:8px;width:100%;padding:8px 12px;border:1px solid var(--border);border-radius:var(--radius);background:var(--surface);font-weight:600}
.org-switch .role,.pill{font-weight:500;font-size:12px;color:var(--muted);background:var(--surface-2);border-radius:999px;padding:2px 8px;white-space:nowrap}
.pill.ok{color:var(--ok);background:var(--ok-soft)}.pill.danger{color:var(--danger);background:var(--danger-soft)}.pill.accent{color:var(--accent);background:var(--accent-soft)}
/* Surfaces */
.card{background:var(--surface);border:1px solid var(--border);border-radius:12px;padding:24px;box-shadow:var(--shadow);margin-bottom:24px}
.card>h2:first-child{margin-bottom:16px}
.auth{max-width:440px;margin:64px auto;padding:0 16px}
.auth .brand{margin-bottom:24px;justify-content:center}
.muted{color:var(--muted)}.small{font-size:13px}
.stack>*+*{margin-top:16px}
.row{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.grid-2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
/* Buttons */
.btn,button{display:inline-flex;align-items:center;justify-content:center;gap:8px;min-height:40px;padding:8px 16px;border-radius:var(--radius);border:1px solid transparent;font:inherit;font-weight:600;cursor:pointer;text-decoration:none;background:var(--accent);color:var(--accent-fg);white-space:nowrap}
.btn:hover,button:hover{filter:brightness(1.07)}
.btn.secondary,button.secondary{background:var(--surface);color:var(--fg);border-color:var(--border)}
.btn.danger,button.danger{background:var(--danger);color:#fff}
:root[data-theme=dark] .btn.danger,:root[data-theme=dark] button.danger{color:#1a0b0a}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]) .btn.danger,:root:not([data-theme=light]) button.danger{color:#1a0b0a}}
.btn.ghost,button.ghost{background:none;color:var(--fg);border-color:transparent}
.btn.small,button.small{min-height:32px;padding:4px 12px;font-size:14px}
button[disabled]{opacity:.6;cursor:not-allowed}
.inline{display:inline}
/* Forms */
form.stack{max-width:560px}
label,.label{display:block;font-weight:600;margin:0 0 8px}
.field{margin-bottom:16px}
.hint{display:block;font-weight:400;color:var(--muted);font-size:13px;margin-top:4px}
input,select,textarea{width:100%;min-height:40px;padding:8px 12px;border:1px solid var(--border);border-radius:var(--radius);font:inherit;color:var(--fg);background:var(--surface)}
input[type=checkbox],input[type=radio]{width:auto;min-height:0;accent-color:var(--accent)}
fieldset{border:0;padding:0;margin:0 0 16px}legend{font-weight:600;margin-bottom:8px;padding:0}
.choice{display:flex;gap:8px;align-items:center;font-weight:400;margin:0 0 8px}
/* Notices */
.notice{border-radius:var(--radius);padding:12px 16px;margin-bottom:16px;border:1px solid var(--border);background:var(--surface-2)}
.notice.error{background:var(--danger-soft);border-color:transparent;color:var(--danger)}
.notice.ok{background:var(--ok-soft);border-color:transparent;color:var(--ok)}
.notice.warn{background:var(--warn-soft);border-color:transparent;color:var(--warn)}
/* Tables */
.table-wrap{position:relative;overflow-x:auto;border:1px solid var(--border);border-radius:12px;background:var(--surface)}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:12px 16px;border-bottom:1px solid var(--border);vertical-align:middle}
th{font-size:13px;color:var(--muted);font-weight:600;background:var(--surface-2)}
tr:last-child td{border-bottom:0}
td.actions{text-align:right;white-space:nowrap}
td code{white-space:nowrap;overflow-wrap:normal}
.empty{text-align:center;padding:48px 24px;border:1px dashed var(--border);border-radius:12px;background:var(--surface)}
.empty h2{margin-bottom:8px}.empty p{color:var(--muted);max-width:480px;margin:0 auto 16px}
/* Secrets and snippets */
.secret{display:flex;gap:8px;align-items:stretch}
.secret code,.secret input{flex:1;padding:8px 12px;font-family:var(--mono);font-size:14px;overflow-wrap:anywhere}
.snippet{position:relative}
.snippet pre{padding-right:88px}
.snippet .copy{position:absolute;top:8px;right:8px}
/* Dialogs */
dialog{border:1px solid var(--border);border-radius:12px;padding:0;background:var(--surface);color:var(--fg);box-shadow:0 20px 50px rgba(0,0,0,.3);width:min(560px,calc(100vw - 32px));max-height:calc(100vh - 32px)}
dialog.wide{width:min(960px,calc(100vw - 32px))}
dialog[open]{display:flex;flex-direction:column}
dialog>form{display:flex;flex-direction:column;min-height:0;flex:1}
.dialog-body{flex:1;min-height:0}
dialog::backdrop{background:rgba(10,12,18,.55)}
.dialog-head{display:flex;justify-content:space-between;align-items:center;gap:16px;padding:16px 24px;border-bottom:1px solid var(--border)}
.dialog-body{padding:24px;overflow:auto}
.dialog-foot{display:flex;justify-content:flex-end;gap:8px;padding:16px 24px;border-top:1px solid var(--border)}
/* Install dialog */
.connect{display:grid;grid-template-columns:200px 1fr;gap:24px}
.client-list{display:flex;flex-direction:column;gap:2px}
.client-list a{display:block;padding:8px 12px;border-radius:6px;color:var(--fg);text-decoration:none}
.client-list a[aria-selected=true]{background:var(--accent-soft);color:var(--accent);font-weight:600}
.client-list .nav-group{padding:8px 12px 4px}
.steps{padding-left:20px;margin:0 0 16px}.steps li{margin-bottom:8px}
/* Checklist */
.checklist{list-style:none;padding:0;margin:0}.checklist li{display:flex;gap:12px;align-items:flex-start;padding:12px 0;border-bottom:1px solid var(--border)}
.checklist li:last-child{border-bottom:0}.tick{flex:none;display:inline-grid;place-items:center;width:24px;height:24px;border-radius:50%;border:2px solid var(--border);font-size:13px}
.tick.done{background:var(--ok);border-color:var(--ok);color:var(--surface)}
h2.section-title{margin:32px 0 16px}
/* Phone */
@media (max-width:760px){
.shell{grid-template-columns:minmax(0,1fr)}
.sidebar{border-right:0;border-bottom:1px solid var(--border);padding:12px 16px}
.sidebar .nav{flex-direction:row;flex-wrap:wrap;gap:4px}
.sidebar .nav-group{display:none}
.nav a{padding:6px 10px}
.topbar{padding:12px 16px}
.content{padding:16px}
.connect{grid-template-columns:1fr}
.client-list{flex-direction:row;flex-wrap:wrap}
.client-list .nav-group{flex-basis:100%}
.client-list a{padding:6px 10px}
.grid-2{grid-template-columns:1fr}
th,td{padding:8px 12px}
.hide-phone{display:none}
.auth{margin:24px auto}
}
/* Data sources, schema, activity, playground */
.engine{display:inline-grid;place-items:center;width:28px;height:22px;border-radius:6px;font-size:11px;font-weight:700;font-family:var(--mono);background:var(--surface-2);color:var(--fg);vertical-align:middle}
.engine-postgres{background:#dbe6f6;color:#1d3f73}.engine-mysql{background:#e3f1f1;color:#0b5257}.engine-sqlite{background:#e8eefc;color:#22367a}.engine-duckdb{background:#fff4c2;color:#5c4700}
:root[data-theme=dark] .engine{filter:brightness(.85) saturate(.8)}
a.strong,.strong{font-weight:600}
.error-text{color:var(--danger)}
.nowrap{white-space:nowrap}.num{text-align:right;font-variant-numeric:tabular-nums}
.grid-3{display:grid;grid-template-columns:repeat(3,1fr);gap:0 16px}
.grow{flex:1;min-width:200px;margin-bottom:0}
.engine-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:16px}
.engine-card{display:flex;flex-direction:column;gap:8px;text-decoration:none;color:var(--fg);margin:0}
.engine-card:hover{border-color:var(--accent)}
details.advanced{margin:8px 0 16px}details.advanced>summary{cursor:pointer;font-weight:600;margin-bottom:16px}
textarea{min-height:0;resize:vertical}
.tabs{display:flex;gap:4px;border-bottom:1px solid var(--border);margin:0 0 24px;overflow-x:auto}
.tabs a{padding:8px 16px;color:var(--muted);text-decoration:none;border-bottom:2px solid transparent;margin-bottom:-1px;white-space:nowrap}
.tabs a[aria-current=page]{color:var(--accent);border-bottom-color:var(--accent);font-weight:600}
.search{margin-bottom:24px;flex-wrap:nowrap}.search input{flex:1}
.schema{margin-bottom:32px}.schema>h2{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.table-card{background:var(--surface);border:1px solid var(--border);border-radius:12px;margin-bottom:8px}
.table-card>summary{cursor:pointer;padding:12px 16px;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:baseline}
.table-card>summary .mono{font-weight:600}
.summary-desc{flex-basis:100%;color:var(--muted);font-size:13px}
.table-body{padding:0 16px 16px}
.table-body .table-wrap{border-radius:8px}
.describe{display:flex;gap:8px;align-items:center;margin:0 0 12px}
td .describe{margin:0}.describe input{min-height:32px;padding:4px 8px;font-size:14px}
.indexes code{margin-right:8px}
.policy-table{border-top:1px solid var(--border);padding:8px 0}.policy-table>summary{cursor:pointer;padding:4px 0}
.policy-table .columns{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:0 16px;margin:8px 0 0 24px}
.danger-zone{border-color:var(--danger)}
pre.sql{white-space:pre-wrap;word-break:break-word;margin:8px 0 0;max-height:320px}
.charts{display:grid;grid-template-columns:2fr 1fr;gap:24px}
.sparks{display:flex;flex-direction:column;gap:16px}
.chart{margin:0}.chart figcaption{font-size:13px;color:var(--muted);margin-bottom:8px}.chart figcaption strong{color:var(--fg);font-size:15px;margin-left:4px}
.chart svg{width:100%;height:136px;display:block}.small-chart svg{height:60px}
.chart .axis{stroke:var(--border);stroke-width:1}
.s0{fill:var(--accent);background:var(--accent)}.s1{fill:#0e9384;background:#0e9384}.s2{fill:#dc6803;background:#dc6803}.s3{fill:#7a5af8;background:#7a5af8}.s4{fill:#dd2590;background:#dd2590}.s5{fill:var(--muted);background:var(--muted)}
svg.errors rect{fill:var(--danger)}svg.p95 rect{fill:var(--accent)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;padding:0;margin:8px 0 0;font-size:13px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:0 16px;align-items:end;padding:16px 24px}
.filter-actions{margin-bottom:16px}
table.activity td{vertical-align:top}
.call details{margin-top:4px}.call summary{cursor:pointer;color:var(--muted);max-width:420px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.pager{margin-top:16px;justify-content:flex-end}
.pg-controls{align-items:flex-end;gap:16px}.pg-controls .field{min-width:200px}
.editor{display:flex;border:1px solid var(--border);border-radius:var(--radius);background:var(--surface);overflow:hidden}
.editor:focus-within{outline:2px solid var(--focus);outline-offset:2px}
.editor .gutter{margin:0;padding:8px 8px 8px 12px;background:var(--surface-2);color:var(--muted);text-align:right;border-radius:0;user-select:none;line-height:20px;font-size:13px;white-space:pre;overflow:hidden}
.editor textarea{border:0;border-radius:0;line-height:20px;font-size:13px;padding:8px 12px;flex:1;outline:none}
.result-table{max-height:480px;overflow:auto}
.result-table td{white-space:nowrap;max-width:420px;overflow:hidden;text-overflow:ellipsis}
.model-view{margin-top:16px}.model-view>summary{cursor:pointer;font-weight:600}
/* Without script: the radio picks which half of the connection form shows. */
.source-form fieldset:has(input[name=mode][value=url]:checked) .dsn-fields{display:none}
.source-form fieldset:has(input[name=mode][value=fields]:checked) .dsn-url{display:none}
@media (max-width:760px){
.grid-3{grid-template-columns:1fr 1fr}
.charts{grid-template-columns:1fr}
.filters{grid-template-columns:1fr 1fr;padding:16px}
.call summary{max-width:160px}
.policy-table .columns{margin-left:0}
}
`;
