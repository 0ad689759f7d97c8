// A readable API reference rendered on the server from the OpenAPI document: no scripts and no CDN (the gateway may
// run offline, and the CSP forbids inline scripts anyway).
import { escapeHtml as esc } from '../pages/escape-html';
import type { JsonObject } from './registry';

const pretty = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;

type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
};

export function renderDocsPage(doc: JsonObject, openapiUrl: string): string {
  const info = (doc.info ?? {}) as { title?: string; version?: string; description?: string };
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation>>;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}) ${esc(p.description)}</li>`,
        )
        .join('');
      const body = Object.entries(op.requestBody?.content ?? {})
        .map(([type, m]) => `<details><summary>Body: ${esc(type)}</summary>${pretty(m.schema)}</details>`)
        .join('');
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><code>${esc(status)}</code> ${esc(r.description)}</li>`)
        .join('');
      const html = `<section class="op">
  <h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
  <p>${esc(op.summary)}${op.security && op.security.length === 0 ? '' : ' <em>(authenticated)</em>'}</p>
  ${op.description ? `<p>${esc(op.description)}</p>` : ''}
  ${params ? `<ul>${params}</ul>` : ''}${body}
  <ul class="r">${responses}</ul>
</section>`;
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag]
    .map(([tag, ops]) => `<h2 id="${esc(tag)}">${esc(tag)}</h2>\n${ops.join('\n')}`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace}pre{background:#f5f5f5;padding:.5rem;overflow:auto}
.op{border-top:1px solid #ddd;padding:.25rem 0}.m{display:inline-block;min-width:4.5rem;font-size:.8em;padding:.1rem .3rem;border-radius:3px;color:#fff;background:#555;text-align:center}
.get{background:#2a7ab0}.post{background:#2e8b57}.delete{background:#b03a2e}.put,.patch{background:#b07a2a}
</style></head><body>
<h1>${esc(info.title)} <small>${esc(info.version)}</small></h1>
<p>${esc(info.description)} Machine-readable: <a href="${esc(openapiUrl)}">${esc(openapiUrl)}</a> (OpenAPI 3.1).</p>
<nav>${[...byTag.keys()].map((t) => `<a href="#${esc(t)}">${esc(t)}</a>`).join(' · ')}</nav>
${sections}
</body></html>`;
}
