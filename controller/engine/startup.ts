/**
 * The agent's first contact with the engine. A setting that can never work is a configuration
 * error and stops the start (the agent exits non-zero with the reason): an address or TLS files
 * that cannot be read (host.ts), a TLS handshake that fails (the engine's certificate is not signed
 * by ca.pem, the engine refuses our client certificate, TLS against a plain port), plain HTTP
 * against a TLS port, an ssh-agent whose keys the remote refuses. An engine that is merely not
 * there (a refused connection, a socket not yet created, no answer in time) is an outage: the agent
 * starts, serves its API, says the engine is unreachable and reconnects, as for an engine that goes
 * away later.
 */
import { EngineClient } from './client.js';
import { dockerFromHost } from './docker.js';
import { errorText, statusOf } from './errors.js';
import { EngineConfigError } from './host.js';

const PROBE_TIMEOUT_MS = 5_000;

/** OpenSSL and Node codes of a failed handshake or certificate check. */
const TLS_CODE = /^ERR_(SSL|TLS)_|CERT|ISSUER|SIGNATURE|SELF_SIGNED|HOSTNAME|UNABLE_TO_VERIFY/;

function hintFor(code: string): string {
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE)/.test(code)) return 'the engine refused the client certificate (cert.pem, key.pem in DOCKER_CERT_PATH)';
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER/.test(code)) return 'the engine does not speak TLS on this port: unset DOCKER_TLS_VERIFY, or point DOCKER_HOST at its TLS port';
  if (/HOSTNAME|ALTNAME/.test(code)) return "the engine's certificate is not issued for this host name or address";
  if (/SELF_SIGNED|ISSUER|UNABLE_TO_VERIFY|SIGNATURE/.test(code)) return "the engine's certificate is not signed by ca.pem in DOCKER_CERT_PATH";
  if (/EXPIRED|NOT_YET_VALID/.test(code)) return "a certificate is outside its validity period (check the clocks)";
  return 'check the certificates in DOCKER_CERT_PATH';
}

/** OpenSSL's own words (`sslv3 alert bad certificate`) rather than its error-queue line. */
function tlsReason(err: unknown): string {
  const reason = (err as { reason?: unknown })?.reason;
  if (typeof reason === 'string' && reason) return reason;
  const text = errorText(err);
  return /:SSL routines:[^:]*:([^:]+):/.exec(text)?.[1] ?? text.trim().split('\n')[0]!;
}

/** The reason `err` at first contact is a configuration error, or null when it is an outage. */
export function configProblem(client: EngineClient, err: unknown): string | null {
  const { address, transport } = client.target;
  let code = String((err as { code?: unknown })?.code ?? '');
  // TLS against a plain port: Node reports EPROTO with OpenSSL's "wrong version number"
  if (transport === 'tls' && code === 'EPROTO' && /wrong version number/i.test(errorText(err))) code = 'ERR_SSL_WRONG_VERSION_NUMBER';
  if (TLS_CODE.test(code)) return `the TLS connection to the Docker engine at ${address} failed: ${tlsReason(err)} (${code}); ${hintFor(code)}`;
  if (statusOf(err) === 400 && /HTTP request to an HTTPS server/i.test(errorText(err))) {
    return `the Docker engine at ${address} speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)`;
  }
  if (transport === 'ssh' && (err as { level?: unknown })?.level === 'client-authentication') {
    return `ssh to ${address} refused every key of the ssh-agent at SSH_AUTH_SOCK: ${errorText(err)}`;
  }
  return null;
}

/**
 * The agent's engine client for `host` (default DOCKER_HOST), after one ping. Throws
 * EngineConfigError for a configuration error; an engine that is down is left to the reconciler.
 */
export async function openEngine(host?: string): Promise<EngineClient> {
  const client = dockerFromHost(host);
  try {
    await client.ping({ signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (err) {
    const problem = configProblem(client, err);
    if (problem) {
      client.close();
      throw new EngineConfigError(problem);
    }
  }
  return client;
}
