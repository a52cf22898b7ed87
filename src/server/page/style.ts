// The page's one stylesheet (inline, allowed by its hash in the CSP). The
// deploy states have one colour each, shared by the table's badges, the
// release view and the dependency picture.
export const STYLE = String.raw`
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
button{font:inherit;cursor:pointer;border:1px solid #c5cad3;background:#fff;border-radius:5px;padding:3px 10px}
button:hover{background:#eef4ff}
button.primary{background:#1f5fd6;border-color:#1f5fd6;color:#fff}
button.danger{background:#b3261e;border-color:#b3261e;color:#fff}
button[aria-pressed=true]{background:#1d2330;color:#fff}
input,select{font:inherit;padding:3px 6px;border:1px solid #c5cad3;border-radius:5px;background:#fff}
header{height:46px;padding:0 20px;background:#1d2330;color:#fff;display:flex;gap:16px;align-items:center;white-space:nowrap;overflow:hidden;position:sticky;top:0;z-index:4}
header h1{font-size:18px;margin:0}
header .meta{opacity:.85;font-family:ui-monospace,monospace;font-size:12px;overflow:hidden;text-overflow:ellipsis;min-width:0}
header .spacer{flex:1}
header .conn,header #who,header #observed,header button{flex-shrink:0}
header #source{flex-shrink:4}
header button{background:transparent;color:#fff;border-color:#5b6475}
.conn{font-size:12px}.conn:not(:empty)::before{content:"● "}
.conn.live{color:#7ee2a0}.conn.down{color:#ffb4a9}
main{padding:12px 20px;display:grid;grid-template-columns:minmax(0,1fr);gap:12px}
#login{max-width:420px;margin:60px auto;background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:20px}
#login label{display:block;margin:10px 0}
#login input{width:100%;margin-top:4px}
.banner{padding:8px 12px;border-radius:6px;background:#fde2e1;color:#7a1c17;margin-bottom:6px}
.note{padding:6px 10px;border-radius:6px;background:#eef0f4;color:#3b4252}
.toolbar{display:flex;gap:14px;align-items:center;flex-wrap:wrap}
.toolbar input[type=search]{min-width:280px}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #e1e4ea;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4;font-weight:600;position:sticky;top:0}
#grid th{top:46px}
td.cell{cursor:pointer}
td.cell:hover,td.cell.sel{background:#eef4ff}
tr.app td{font-weight:600;background:#fafbfc}
.applink{border:0;background:none;padding:0;font-weight:600;color:#1f5fd6;text-decoration:underline}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600}
.st-succeeded,.ob-ready{background:#d8f3dc;color:#1b5e20}
.st-failed,.ob-failed,.ob-missing{background:#fde2e1;color:#7a1c17}
.st-deploying,.ob-progressing{background:#dbe8ff;color:#123c8c}
.st-blocked{background:#fff1c2;color:#6b4f00}
.st-stopped,.ob-exists,.ob-unknown,.st-none{background:#eceff1;color:#455a64}
.ev-Warning{color:#7a1c17;font-weight:600}
.ver{font-family:ui-monospace,monospace}
.small{font-size:12px;color:#5b6475}
.err{color:#7a1c17}
[hidden]{display:none!important}
#detail{position:fixed;top:46px;right:0;bottom:0;width:min(1000px,94vw);overflow:auto;background:#fff;border-left:1px solid #c5cad3;box-shadow:-8px 0 24px rgba(29,35,48,.18);padding:14px 18px;z-index:3}
#detail h2{margin:0 0 4px;font-size:18px}
#detail h3{margin:16px 0 6px;font-size:15px}
.titlebar{display:flex;gap:10px;align-items:center;flex-wrap:wrap;position:sticky;top:-14px;margin:-14px -18px 0;padding:12px 18px 8px;background:#fff;border-bottom:1px solid #e1e4ea;z-index:1}
.titlebar .spacer{flex:1}
.actions{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0}
.confirm{padding:8px 10px;border:1px solid #e0b000;background:#fff8e0;border-radius:6px;display:flex;gap:8px;align-items:center}
.result{padding:6px 10px;border-radius:6px}
.result.ok{background:#d8f3dc;color:#1b5e20}.result.bad{background:#fde2e1;color:#7a1c17}
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px}
pre{white-space:pre-wrap;margin:4px 0;background:#f6f7f9;padding:6px;overflow-wrap:anywhere}
pre.log{background:#11151c;color:#d8dee9;max-height:320px;overflow:auto;min-height:60px;font-size:12px}
.logbar{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.logbar input[type=number]{width:80px}
tr.pod{cursor:pointer}tr.pod:hover{background:#eef4ff}
.graph h4{margin:10px 0 4px;font-size:13px}
svg.dag{background:#fafbfc;border:1px solid #e1e4ea;border-radius:6px;max-width:100%;height:auto}
svg.dag rect{stroke:#8a93a6;stroke-width:1}
svg.dag .st-succeeded{fill:#d8f3dc}svg.dag .st-failed{fill:#fde2e1}svg.dag .st-deploying{fill:#dbe8ff}
svg.dag .st-blocked{fill:#fff1c2}svg.dag .st-stopped,svg.dag .st-none{fill:#eceff1}
svg.dag .node{cursor:pointer}
svg.dag .ext rect{stroke-dasharray:4 3}
svg.dag .here rect{stroke:#1f5fd6;stroke-width:3}
svg.dag text{font:12px system-ui,sans-serif;fill:#1d2330}
svg.dag text.lvl{fill:#5b6475;font-size:11px}
svg.dag path{fill:none;stroke:#8a93a6;stroke-width:1.4}
svg.dag marker path{fill:#8a93a6;stroke:none}
`;
