#!/usr/bin/env node
// Prints a strong random secret for accessToken.secret / refreshToken.secret: 48 random bytes,
// base64url (64 characters). With --ed25519: a new Ed25519 key pair for accessToken.keys, as two
// .env lines (ACCESS_PRIVATE_KEY, ACCESS_PUBLIC_KEY; PEM with \n escapes, as the sample app reads).
import { generateKeyPairSync, randomBytes } from 'node:crypto';

if (process.argv.includes('--ed25519')) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const line = (name, pem) => `${name}="${pem.trim().replace(/\n/g, '\\n')}"\n`;
  process.stdout.write(
    line('ACCESS_PRIVATE_KEY', privateKey.export({ format: 'pem', type: 'pkcs8' })) +
      line('ACCESS_PUBLIC_KEY', publicKey.export({ format: 'pem', type: 'spki' })),
  );
} else {
  process.stdout.write(`${randomBytes(48).toString('base64url')}\n`);
}
