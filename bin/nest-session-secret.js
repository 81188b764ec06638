#!/usr/bin/env node
// Prints a strong random secret for accessToken.secret / refreshToken.secret: 48 random bytes,
// base64url (64 characters).
import { randomBytes } from 'node:crypto';

process.stdout.write(`${randomBytes(48).toString('base64url')}\n`);
