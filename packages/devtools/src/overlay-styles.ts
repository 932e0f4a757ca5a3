// The overlay's styles, scoped by its shadow root so neither the app's CSS nor this leaks across.
export const OVERLAY_STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
.root { position: fixed; z-index: 2147483000; display: flex; flex-direction: column; gap: 6px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; color: #e6e6e6; }
.root[data-position$="right"] { right: 12px; align-items: flex-end; }
.root[data-position$="left"] { left: 12px; align-items: flex-start; }
/* At the top the toggle stays in the corner and the panel opens below it. */
.root[data-position^="top"] { flex-direction: column-reverse; }
.root[data-position^="bottom"] { bottom: 12px; }
.root[data-position^="top"] { top: 12px; }
button { font: inherit; color: inherit; background: #2a2f3a; border: 1px solid #4a5263; border-radius: 4px; padding: 3px 8px; cursor: pointer; }
button:focus-visible, [tabindex]:focus-visible { outline: 2px solid #7cb7ff; outline-offset: 1px; }
.toggle { display: inline-flex; align-items: center; gap: 6px; background: #1b1f27; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: #888; }
.dot[data-status="open"] { background: #3fb950; }
.dot[data-status="connecting"], .dot[data-status="reconnecting"] { background: #d29922; }
.dot[data-status="offline"], .dot[data-status="closed"] { background: #f85149; }
.panel { width: min(720px, calc(100vw - 24px)); height: min(420px, calc(100vh - 60px)); display: flex; flex-direction: column; background: #1b1f27; border: 1px solid #4a5263; border-radius: 6px; box-shadow: 0 6px 24px rgba(0,0,0,.4); }
.panel[hidden] { display: none; }
header { display: flex; align-items: center; gap: 8px; padding: 6px 8px; border-bottom: 1px solid #333a47; }
header h2 { font-size: 12px; margin: 0; flex: 1; }
[role="tablist"] { display: flex; gap: 4px; padding: 6px 8px 0; }
[role="tab"][aria-selected="true"] { background: #3b4456; border-color: #7cb7ff; }
[role="tabpanel"] { flex: 1; overflow: auto; padding: 8px; }
h3 { font-size: 12px; margin: 8px 0 4px; color: #9ecbff; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid #2c323d; white-space: nowrap; max-width: 220px; overflow: hidden; text-overflow: ellipsis; }
/* Payloads are cut to one line; the full text is the cell's title. */
td.wide { max-width: 360px; }
tr[data-type="resync"] td, tr[data-outcome^="error"] td, td.error { color: #ffa198; }
.empty { color: #8b949e; }
`
