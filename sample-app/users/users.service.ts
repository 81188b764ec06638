import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** A demo user as the rest of the app sees it: no password material. */
export interface DemoUser {
  id: string;
  role: string;
}

interface StoredUser extends DemoUser {
  salt: Buffer;
  hash: Buffer;
}

const KEY_LENGTH = 32; // bytes
const SALT_LENGTH = 16; // bytes
// scrypt cost: N = 2^14 (OWASP's minimum for scrypt), r = 8, p = 1; about 16 MiB and 50 ms.
const SCRYPT_OPTIONS = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

const DEMO_USERS: ReadonlyArray<DemoUser & { username: string; password: string }> = [
  { username: 'alice', password: 'alice-password-1', id: 'alice', role: 'user' },
  { username: 'bob', password: 'bob-password-1', id: 'bob', role: 'user' },
  { username: 'admin', password: 'admin-password-1', id: 'admin', role: 'admin' },
];

function hashPassword(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, SCRYPT_OPTIONS, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * The sample's user store: three demo users whose passwords are hashed with scrypt and a random
 * salt when the app starts, so that no hash is ever written in the source.
 */
@Injectable()
export class UsersService implements OnModuleInit {
  private readonly users = new Map<string, StoredUser>();
  /** Checked when the username is unknown, so that both failures take the same time. */
  private dummy: StoredUser | undefined;

  async onModuleInit(): Promise<void> {
    const stored = await Promise.all(
      DEMO_USERS.map(async ({ username, password, id, role }) => {
        const salt = randomBytes(SALT_LENGTH);
        return [username, { id, role, salt, hash: await hashPassword(password, salt) }] as const;
      }),
    );
    for (const [username, user] of stored) this.users.set(username, user);
    const salt = randomBytes(SALT_LENGTH);
    this.dummy = {
      id: '',
      role: '',
      salt,
      hash: await hashPassword(randomBytes(32).toString('hex'), salt),
    };
  }

  /**
   * Whether `password` is the password of the user with id `userId` (a re-authentication: the
   * caller is already logged in). Same cost whether or not the id is known.
   */
  async verifyPassword(userId: string, password: string): Promise<boolean> {
    const username = [...this.users.entries()].find(([, user]) => user.id === userId)?.[0];
    const user = await this.verify(username ?? '', password);
    return user !== null && user.id === userId;
  }

  /** The user whose username and password match, or `null` (same cost either way). */
  async verify(username: string, password: string): Promise<DemoUser | null> {
    const known = this.users.get(username);
    const user = known ?? this.dummy;
    if (!user) throw new Error('UsersService is not initialised');
    const hash = await hashPassword(password, user.salt);
    const matches = timingSafeEqual(hash, user.hash);
    return known && matches ? { id: known.id, role: known.role } : null;
  }
}
