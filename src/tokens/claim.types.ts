/** A value allowed in a custom claim: small, flat, and never personal data. */
export type ClaimValue = string | number | boolean;

/** Custom claims by name: what a session stores and an access token carries. */
export type SessionClaims = Record<string, ClaimValue>;
