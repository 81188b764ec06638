import {
  BadRequestException,
  Controller,
  Get,
  HttpException,
  Param,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { SafeErrorFilter } from 'nest-redis-sessions';

/**
 * Nest 11 turns body-parser's JSON error and Express's undecodable route parameter into
 * `new BadRequestException(error.message)`, without the cause that Nest 12 keeps, and the message
 * quotes the body or the path. These routes throw exactly that, with messages from the real
 * `JSON.parse`, so the filter's Nest 11 path is tested here on any Nest (and for real by
 * `npm run test:nest11`).
 */
function parseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as SyntaxError).message;
  }
  throw new Error(`${text} parsed`);
}

const PARSE_ERRORS = [
  // body-parser's strict mode on a bare JSON string, as Nest 11 answered it without the filter's
  // rule (seen in the Nest 11 run of test/e2e/login.e2e.spec.ts)
  `Unexpected token '"', ""secret-pass-xyz"" is not valid JSON`,
  ...[
    '{"username":"alice","password":"secret-pass-xyz',
    'secret-pass-xyz',
    '{"password":"secret-pass-xyz"} trailing',
    '{"password":"secret-pass-xyz",}',
    '',
  ].map(parseError),
];

@Controller()
class Nest11ErrorsController {
  @Get('json/:index')
  json(@Param('index') index: string): never {
    throw new BadRequestException(PARSE_ERRORS[Number(index)]);
  }

  @Get('param')
  param(): never {
    throw new BadRequestException("Failed to decode param '%E0%A4%Asecret-pass-xyz'");
  }

  @Get('own')
  own(): never {
    throw new BadRequestException('the filter field is not valid: expected JSON');
  }

  @Get('unprocessable')
  unprocessable(): never {
    throw new HttpException(parseError('secret-pass-xyz'), 422);
  }
}

describe('SafeErrorFilter on the errors Nest 11 maps without their cause', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [Nest11ErrorsController],
      providers: [{ provide: APP_FILTER, useClass: SafeErrorFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => app.close());

  it.each(PARSE_ERRORS.map((message, index) => [index, message]))(
    'answers Malformed JSON body for parse error %i (%s)',
    async (index) => {
      const res = await request(app.getHttpServer()).get(`/json/${index}`);
      expect(res.status).toBe(400);
      expect(res.text).toBe(JSON.stringify({ statusCode: 400, message: 'Malformed JSON body' }));
    },
  );

  it('answers Malformed URL for an undecodable route parameter, never quoting it', async () => {
    const res = await request(app.getHttpServer()).get('/param');
    expect(res.text).toBe(JSON.stringify({ statusCode: 400, message: 'Malformed URL' }));
  });

  it("keeps the app's own 400 message, even when it speaks of JSON", async () => {
    const res = await request(app.getHttpServer()).get('/own');
    expect(res.body).toEqual({
      statusCode: 400,
      message: 'the filter field is not valid: expected JSON',
    });
  });

  it('rewrites only 400s: another status keeps its message', async () => {
    const res = await request(app.getHttpServer()).get('/unprocessable');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ statusCode: 422, message: parseError('secret-pass-xyz') });
  });
});
