// Test support (not exported): the certificate workshop the exporters' and the stack's TLS tests share.
export { createCertWorkshop } from '@proj/fixtures';
export type { CertWorkshop, IssuedCert } from '@proj/fixtures';
