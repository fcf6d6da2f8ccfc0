/**
 * Throwaway certificates for a TLS-only test engine, made with openssl in the stack's temp dir:
 * a CA that signs the engine's certificate (for 127.0.0.1) and a client certificate, and a
 * second, unrelated CA with a client certificate of its own. Each client directory is laid out
 * as the docker CLI reads DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface TlsMaterial {
  /** what dockerd is started with: --tlscacert, --tlscert, --tlskey */
  server: { ca: string; cert: string; key: string };
  /** DOCKER_CERT_PATH values */
  certPaths: {
    /** the right CA and a client certificate it signed: works */
    good: string;
    /** a CA that did not sign the engine's certificate, with the good client certificate */
    wrongCa: string;
    /** the right CA, but a client certificate signed by the other CA: the engine refuses it */
    foreignClient: string;
    /** no files at all */
    empty: string;
  };
}

const DAYS = '7';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(dir: string, ...args: string[]): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd: dir });
  } catch (e: any) {
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e}`);
  }
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, 'req', '-x509', ...EC, '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', DAYS, '-subj', `/CN=imagectl test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

/** A certificate `name` signed by `ca`, with the extensions given (one per line). */
async function makeCert(dir: string, name: string, ca: string, cn: string, extensions: string[]): Promise<void> {
  await fs.writeFile(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  await openssl(dir, 'req', ...EC, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  await openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', DAYS, '-extfile', `${name}.ext`);
}

async function certPath(dir: string, name: string, files: { ca: string; cert: string; key: string }): Promise<string> {
  const d = path.join(dir, name);
  await fs.mkdir(d, { mode: 0o700 });
  await fs.copyFile(path.join(dir, files.ca), path.join(d, 'ca.pem'));
  await fs.copyFile(path.join(dir, files.cert), path.join(d, 'cert.pem'));
  await fs.copyFile(path.join(dir, files.key), path.join(d, 'key.pem'));
  return d;
}

export async function makeTlsMaterial(dir: string): Promise<TlsMaterial> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await makeCa(dir, 'ca');
  await makeCa(dir, 'other-ca');
  const client = ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];
  await makeCert(dir, 'server', 'ca', '127.0.0.1', ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth']);
  await makeCert(dir, 'client', 'ca', 'imagectl-agent', client);
  await makeCert(dir, 'foreign-client', 'other-ca', 'imagectl-agent', client);
  const empty = path.join(dir, 'empty');
  await fs.mkdir(empty);
  return {
    server: { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server-key.pem') },
    certPaths: {
      good: await certPath(dir, 'good', { ca: 'ca.pem', cert: 'client.pem', key: 'client-key.pem' }),
      wrongCa: await certPath(dir, 'wrong-ca', { ca: 'other-ca.pem', cert: 'client.pem', key: 'client-key.pem' }),
      foreignClient: await certPath(dir, 'foreign-client', { ca: 'ca.pem', cert: 'foreign-client.pem', key: 'foreign-client-key.pem' }),
      empty,
    },
  };
}
