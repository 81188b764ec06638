import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Response } from 'supertest';
import request from 'supertest';

/** The Nest HTTP platforms an app of these tests runs on. */
export type Platform = 'express' | 'fastify';
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

/** What supertest's `request()` accepts: the app's HTTP server. */
export type HttpServer = Parameters<typeof request>[0];

/** A started (not listening) app and its HTTP server; close it with `app.close()`. */
export interface PlatformApp {
  app: INestApplication;
  server: HttpServer;
}

/**
 * Starts an app made of `metadata` (imports, controllers, providers) on Express or Fastify, as an
 * app author would (`createNestApplication`, then `init`), quietly.
 */
export async function startPlatformApp(
  platform: Platform,
  metadata: ModuleMetadata,
): Promise<PlatformApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  if (platform === 'fastify') {
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return { app, server: app.getHttpServer() as HttpServer };
  }
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, server: app.getHttpServer() as HttpServer };
}

/** The host the tests' requests name, and a browser page on it (plain http: insecure cookies). */
export const APP_HOST = 'app.test';
export const APP_ORIGIN = `http://${APP_HOST}`;

/** Headers a browser sends with a request from the app's own page. */
export const SAME_ORIGIN: Readonly<Record<string, string>> = {
  Host: APP_HOST,
  Origin: APP_ORIGIN,
  'Sec-Fetch-Site': 'same-origin',
};

/** Headers a browser sends with a request that a page on another site makes. */
export const CROSS_SITE: Readonly<Record<string, string>> = {
  Host: APP_HOST,
  Origin: 'https://evil.example',
  'Sec-Fetch-Site': 'cross-site',
};

/** The value of the cookie `name` set by a response (`undefined` when it set none). */
export function setCookieValue(res: Response, name: string): string | undefined {
  const header: unknown = res.headers['set-cookie'];
  const lines = Array.isArray(header) ? header.map(String) : header ? [String(header)] : [];
  const line = lines.filter((c) => c.startsWith(`${name}=`)).pop();
  return line?.split(';')[0].slice(name.length + 1);
}

/** The value of the cookie `name` set by a response; fails the test when it set none or cleared it. */
export function requireCookie(res: Response, name: string): string {
  const value = setCookieValue(res, name);
  if (!value) {
    throw new Error(`the ${res.status} answer set no ${name} cookie: ${res.text.slice(0, 200)}`);
  }
  return value;
}

/** A `Cookie` request header carrying one cookie. */
export function cookie(name: string, value: string): Record<string, string> {
  return { Cookie: `${name}=${value}` };
}
