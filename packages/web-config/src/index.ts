export { WebConfigError, WebConfigFileError } from './errors.js';
export type { WebConfigErrorReason } from './errors.js';
export { CONFIGURABLE_HEADERS, parseWebConfig } from './parse.js';
export type { ParseWebConfigOptions, PemSource, TlsServerConfig, WebConfig } from './parse.js';
export { loadWebConfig, MAX_WEB_CONFIG_FILE_BYTES, nodeWebConfigIo } from './load.js';
export type { LoadedWebConfig, LoadWebConfigOptions, TlsMaterial, WebConfigIo } from './load.js';
export {
  checkClientCertificate,
  clientCertificatePolicy,
  createHttpsServerOptions,
  createSecureContextOptions,
  enforceClientCertificates,
  subjectAltNames,
} from './tls.js';
export { CLIENT_AUTH_TYPES, NODE_TLS_VERSIONS, OPENSSL_CIPHER_SUITES, OPENSSL_CURVES, opensslCipherList } from './tls-names.js';
export type { ClientAuthType, CurveName, TlsVersionName } from './tls-names.js';
export { createWebConfigReloader } from './reloader.js';
export type { WebConfigReloader, WebConfigReloaderOptions, WebConfigReloadOutcome } from './reloader.js';
export { basicAuthMiddleware, createBasicAuthVerifier, currentWebConfig, dummyBcryptHash, parseBasicAuthorization } from './basic-auth.js';
export type { BasicAuthOptions, BasicAuthVerifier, WebConfigSource } from './basic-auth.js';
export { headersMiddleware } from './headers.js';
export { webConfigMiddleware } from './middleware.js';
export { createTokenBucket, parseGoDurationMs, rateLimitMiddleware } from './rate-limit.js';
export type { RateLimitConfig, TokenBucket } from './rate-limit.js';
