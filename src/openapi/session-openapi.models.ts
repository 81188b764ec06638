import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/* Schemas of the session routes' bodies, for the OpenAPI document only (never instantiated). */

/** The one error body of the module: `{ statusCode, message }`. */
export class SessionErrorBody {
  @ApiProperty({ type: 'integer', example: 401 })
  statusCode!: number;

  @ApiProperty({ type: 'string', example: 'Unauthorized' })
  message!: string;
}

/** Body of `POST <prefix>/refresh`, read only when `refreshToken.acceptFromBody` is on. */
export class SessionRefreshBody {
  @ApiPropertyOptional({
    type: 'string',
    description:
      'The refresh token, for clients without cookies. Read only when the app sets ' +
      '`refreshToken.acceptFromBody`; otherwise the refresh cookie is the only source.',
  })
  refreshToken?: string;
}

/** Answer of `POST <prefix>/refresh` (`RefreshResponse`). */
export class SessionRefreshResponse {
  @ApiProperty({ type: 'string', description: 'The new access token (a JWT).' })
  accessToken!: string;

  @ApiProperty({ type: 'string', format: 'date-time' })
  accessTokenExpiresAt!: string;

  @ApiProperty({ type: 'string' })
  sessionId!: string;

  @ApiPropertyOptional({
    type: 'string',
    description: 'The new refresh token; only when the app sets `refreshToken.acceptFromBody`.',
  })
  refreshToken?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description: 'Only when the app sets `refreshToken.acceptFromBody`.',
  })
  refreshTokenExpiresAt?: string;
}

/** One entry of `GET <prefix>/sessions` (`SessionListItem`). */
export class SessionListItemBody {
  @ApiProperty({ type: 'string' })
  id!: string;

  @ApiProperty({ type: 'string', format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: 'string', format: 'date-time' })
  lastSeenAt!: string;

  @ApiProperty({ type: 'string', format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ type: 'string', nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: 'string', nullable: true })
  ip!: string | null;

  @ApiProperty({ type: 'boolean', description: 'Whether this is the session making the request.' })
  current!: boolean;
}

/** Answer of `GET <prefix>/sessions`. */
export class SessionListBody {
  @ApiProperty({ type: () => SessionListItemBody, isArray: true })
  sessions!: SessionListItemBody[];
}
