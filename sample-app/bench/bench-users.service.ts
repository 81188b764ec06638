import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { DemoUser } from '../users/users.service.js';

/** The password of every bench user. Not a secret: this store only exists with `BENCH=1`. */
export const BENCH_PASSWORD = 'bench-password-1';

const BENCH_USERNAME = /^bench-\d{1,6}$/;
const EXPECTED = Buffer.from(BENCH_PASSWORD);

/**
 * The user store of `npm run bench` (`BENCH=1` only): users `bench-0` … `bench-999999`, all with
 * `BENCH_PASSWORD`, compared without a password hash, so that the login row measures the session
 * module (one script, two signatures, two cookies) rather than scrypt's 50 ms.
 */
@Injectable()
export class BenchUsersService {
  /** The user whose username and password match, or `null`. Same shape as `UsersService`. */
  async verify(username: string, password: string): Promise<DemoUser | null> {
    const given = Buffer.from(password);
    const matches = given.length === EXPECTED.length && timingSafeEqual(given, EXPECTED);
    return matches && BENCH_USERNAME.test(username) ? { id: username, role: 'user' } : null;
  }
}
