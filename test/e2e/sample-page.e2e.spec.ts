import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { PAGE_CSP, pageFolder } from '../../sample-app/page/page.controller.js';
import { ADAPTERS, expectCleanErrorBody, useSampleApp } from '../support/e2e.js';

const PUBLIC = join(process.cwd(), 'sample-app', 'public');
const file = (name: string): string => readFileSync(join(PUBLIC, name), 'utf8');

describe.each(ADAPTERS)('the sample page on %s', (adapter) => {
  const t = useSampleApp(`e2e-page-${adapter}`, { HTTP_ADAPTER: adapter });

  it('serves the page at GET / with a strict Content-Security-Policy, never cached', async () => {
    const res = await request(t.server).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; " +
        "base-uri 'none'; form-action 'self'",
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).toBe(file('index.html'));
  });

  it.each([
    ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
    ['/app.css', 'app.css', 'text/css; charset=utf-8'],
  ])('serves %s with its own Content-Type and nosniff', async (path, name, type) => {
    const res = await request(t.server).get(path).buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toBe(file(name));
  });

  it('answers the favicon request with an empty 204 (no 404 in the console)', async () => {
    const res = await request(t.server).get('/favicon.ico');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('keeps the page out of the OpenAPI document (it is not an API)', async () => {
    const res = await request(t.server).get('/openapi.json');
    expect(res.status).toBe(200);
    const paths = Object.keys((JSON.parse(res.text) as { paths: object }).paths);
    expect(paths).toContain('/me');
    for (const path of ['/', '/app.js', '/app.css', '/favicon.ico']) {
      expect(paths).not.toContain(path);
    }
  });

  it('keeps GET /public as it was', async () => {
    const res = await request(t.server).get('/public');
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 200,
      body: { ok: true },
    });
  });

  it.each([
    '/../package.json',
    '/..%2f..%2fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
    '/app.js/..%2f..%2fconfig.ts',
    '/app.js%00.html',
    '/index.html',
    '/public/index.html',
    '/public/app.js',
    '/page/page.controller.ts',
    '/sample-app/config.ts',
    '/app.ts',
    '/%5c..%5cpackage.json',
  ])('serves no other file: GET %s is a 404 error body', async (path) => {
    const res = await request(t.server).get(path);
    expect(res.status).toBe(404);
    expectCleanErrorBody(res);
    expect(res.text).not.toContain('"devDependencies"');
    expect(res.text).not.toContain('sampleOptionsFromEnv');
  });
});

describe('the sample page files', () => {
  it('have no inline script, style or event handler (the CSP would block them)', () => {
    const html = file('index.html');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(PAGE_CSP).not.toMatch(/unsafe/);
  });

  it('render dynamic text as text: the script never writes HTML', () => {
    const script = file('app.js');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  it("are what the README's recipe shows: its refresh snippet is the page's code", () => {
    const script = file('app.js');
    const start = script.indexOf('\n', script.indexOf('// ---- Session-aware fetch')) + 1;
    const end = script.indexOf('// ---- The page ----');
    const snippet = script.slice(start, end).trim();
    expect(snippet).toContain('async function sessionFetch(');
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${snippet}\n\`\`\``);
  });

  it('are found from the TypeScript sources and from the build (sample-app/dist/page)', () => {
    expect(pageFolder(join(process.cwd(), 'sample-app', 'page'))).toBe(PUBLIC);
    expect(pageFolder(join(process.cwd(), 'sample-app', 'dist', 'page'))).toBe(PUBLIC);
    expect(() => pageFolder('/nonexistent/page')).toThrow(/sample page's files are missing/);
  });
});
