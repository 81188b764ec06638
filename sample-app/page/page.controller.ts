import { Controller, Get, Header, HttpCode, HttpStatus } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page's Content-Security-Policy: its own script and style files only (nothing inline), no
 * framing, no `<base>`, forms only to this origin.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'; form-action 'self'";

/** The files of the page, the only ones ever served from `sample-app/public/`. */
const PAGE_FILES = ['index.html', 'app.js', 'app.css'] as const;
type PageFile = (typeof PAGE_FILES)[number];

/**
 * `sample-app/public/`: next to this file's folder when run from the TypeScript sources
 * (`sample-app/page/`), two levels up when run from the build (`sample-app/dist/page/`); tsc
 * does not copy the page's files.
 */
export function pageFolder(from: string = dirname(fileURLToPath(import.meta.url))): string {
  const candidates = [join(from, '..', 'public'), join(from, '..', '..', 'public')];
  const found = candidates.find((folder) => existsSync(join(folder, 'index.html')));
  if (!found)
    throw new Error(`The sample page's files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * The sample page at `GET /`: plain HTML, CSS and one script, read once at start-up and served
 * from memory. Only the three fixed routes below exist, so no request path ever reaches the file
 * system. Works on every HTTP adapter: the headers are set with `@Header()`. Not an API, so not
 * in the OpenAPI document.
 */
@ApiExcludeController()
@Controller()
export class PageController {
  private readonly files: Record<PageFile, string>;

  constructor() {
    const folder = pageFolder();
    this.files = Object.fromEntries(
      PAGE_FILES.map((name) => [name, readFileSync(join(folder, name), 'utf8')]),
    ) as Record<PageFile, string>;
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', PAGE_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Frame-Options', 'DENY')
  index(): string {
    return this.files['index.html'];
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  script(): string {
    return this.files['app.js'];
  }

  @Get('app.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  style(): string {
    return this.files['app.css'];
  }

  /** Browsers ask for it on their own; an empty answer keeps their console free of 404s. */
  @Get('favicon.ico')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Header('Cache-Control', 'max-age=86400')
  favicon(): void {}
}
