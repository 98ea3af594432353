/**
 * `GET /v1/docs`: the OpenAPI document as a page to read, built in the
 * browser from `/v1/openapi.json` by a few lines of script (nothing fetched
 * from elsewhere: the page works on an offline machine). Text goes in as
 * text, never as HTML.
 */
export const DOCS_PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";

export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>millrace HTTP API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; color: #1d232a; }
  h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; text-transform: capitalize; }
  .op { margin: 0.6rem 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.4rem 0.8rem; }
  .method { display: inline-block; min-width: 4.5rem; font-weight: 600; font-family: ui-monospace, monospace; }
  .path { font-family: ui-monospace, monospace; }
  .scope { float: right; font-size: 0.8rem; color: #57606a; }
  pre { background: #f6f8fa; padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }
  table { border-collapse: collapse; font-size: 0.9rem; }
  td, th { border: 1px solid #d0d7de; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1>millrace HTTP API</h1>
<p id="intro"></p>
<p>The machine-readable document: <a href="openapi.json">/v1/openapi.json</a> (OpenAPI 3.1).</p>
<main id="ops">Loading…</main>
<script>
const el = (tag, text, cls) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
};
const json = (value) => el('pre', JSON.stringify(value, null, 2));
function operation(path, method, op) {
  const box = el('details', undefined, 'op');
  const summary = el('summary');
  summary.append(el('span', method.toUpperCase(), 'method'), el('span', path, 'path'), ' ', op.summary);
  summary.append(el('span', op.security && op.security.length === 0 ? 'public' : 'API key', 'scope'));
  box.append(summary);
  if (op.description) box.append(el('p', op.description));
  if (op.parameters) {
    const table = el('table');
    table.append(Object.assign(el('tr'), { innerHTML: '<th>parameter</th><th>in</th><th>schema</th>' }));
    for (const p of op.parameters) {
      const row = el('tr');
      row.append(el('td', p.name + (p.required ? ' *' : '')), el('td', p.in), el('td', JSON.stringify(p.schema)));
      table.append(row);
    }
    box.append(table);
  }
  if (op.requestBody) box.append(el('h4', 'Body'), json(op.requestBody.content['application/json'].schema));
  for (const [status, response] of Object.entries(op.responses)) {
    box.append(el('h4', status + ': ' + response.description));
    const content = response.content && response.content['application/json'];
    if (content && !content.schema.$ref) box.append(json(content.schema));
  }
  return box;
}
fetch('openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('intro').textContent = doc.info.description + ' Version ' + doc.info.version + '.';
  const main = document.getElementById('ops');
  main.textContent = '';
  const byTag = new Map();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  }
  for (const [tag, ops] of byTag) main.append(el('h2', tag), ...ops);
  main.append(el('h2', 'Errors'), json(doc.components.schemas.Error));
});
</script>
</body>
</html>
`;
