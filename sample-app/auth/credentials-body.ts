import type { IncomingHttpHeaders } from 'node:http';
import { BadRequestException, HttpStatus } from '@nestjs/common';

const MAX_FIELD_LENGTH = 256; // characters
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Whether the request has a body declared as `application/json` (parameters such as a charset
 * aside), as Express's `req.is('application/json')` answers it, on any platform.
 */
export function isJsonBody(headers: IncomingHttpHeaders): boolean {
  const hasBody =
    headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;
  const type = headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
  return hasBody && type === 'application/json';
}

/** The problem of one credential field of a body (own properties only), if it has one. */
function fieldProblem(body: object, field: string): string | undefined {
  const value: unknown = Object.hasOwn(body, field)
    ? (body as Record<string, unknown>)[field]
    : undefined;
  if (typeof value !== 'string') return `${field} must be a string`;
  if (value.length === 0) return `${field} must not be empty`;
  if (value.length > MAX_FIELD_LENGTH) {
    return `${field} must be at most ${MAX_FIELD_LENGTH} characters`;
  }
  // scrypt pads a short password with zero bytes (HMAC), so "pw" and "pw\0" hash alike.
  if (CONTROL_CHARACTERS.test(value)) return `${field} must not contain control characters`;
  return undefined;
}

/**
 * The credentials of a request (`fields`, each a non-empty string of at most 256 characters
 * without control characters); else a 400 with every problem, one message each.
 */
export function requireCredentials<Field extends string>(
  headers: IncomingHttpHeaders,
  body: unknown,
  fields: readonly Field[],
): Record<Field, string> {
  // JSON only: a cross-site page can post a form (urlencoded) without a preflight, and would
  // then log the victim's browser into the attacker's account.
  const problems =
    !isJsonBody(headers) || typeof body !== 'object' || body === null || Array.isArray(body)
      ? [`body must be a JSON object with ${fields.join(' and ')}`]
      : fields.flatMap((field) => fieldProblem(body, field) ?? []);
  if (problems.length > 0) {
    throw new BadRequestException({ statusCode: HttpStatus.BAD_REQUEST, message: problems });
  }
  return body as Record<Field, string>;
}
