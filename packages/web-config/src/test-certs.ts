// Test support (not exported): a CA, server and client certificates made with the openssl command line, in a
// scratch directory, so the TLS tests run against real certificates and keys.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key pair and certificate on disk. */
export interface IssuedCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A scratch directory of certificates; `remove()` deletes it. */
export interface CertWorkshop {
  readonly dir: string;
  /** A self-signed CA. */
  ca(name: string): IssuedCert;
  /** A leaf certificate signed by `ca` (self-signed without one), for a server or a client, with these SANs. */
  leaf(name: string, options: { ca?: IssuedCert; cn: string; sans: string[]; usage: 'serverAuth' | 'clientAuth' }): IssuedCert;
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a scratch directory for certificates. */
export function createCertWorkshop(): CertWorkshop {
  const dir = mkdtempSync(join(tmpdir(), 'web-config-certs-'));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const issued = (name: string): IssuedCert => {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
  };
  return {
    dir,
    ca(name) {
      openssl(['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
      return issued(name);
    },
    leaf(name, { ca, cn, sans, usage }) {
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `subjectAltName=${sans.join(',')}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
      if (ca === undefined) {
        openssl(['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`, '-extensions', 'v3', '-config', writeReqConfig(dir, name, sans, usage)]);
      } else {
        openssl(['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
        openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext]);
      }
      return issued(name);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function writeReqConfig(dir: string, name: string, sans: string[], usage: string): string {
  const file = join(dir, `${name}.cnf`);
  writeFileSync(file, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\nsubjectAltName=${sans.join(',')}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
  return file;
}
