/**
 * Who may see the dashboard (SPEC §6: it needs a token when its listen address is not a loopback
 * one). With a token, every request but the login form's carries it: `Authorization: Bearer
 * <token>` (scripts, the tests), or the cookie the login form sets, which holds an HMAC of the
 * token rather than the token itself. Without a token (loopback only), requests must also name a
 * loopback host, so that a web page elsewhere cannot reach the dashboard through a DNS name that
 * points at 127.0.0.1 (DNS rebinding).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { bearerCheck } from '../../agent/auth.js';

export const COOKIE = 'imagectl_dashboard';

/** Whether a listen host is a loopback one (only those may go without a token). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return /^::ffff:127\./.test(h);
}

/** The host part of a Host header (`127.0.0.1:8080`, `[::1]:8080`, `localhost`). */
function hostOf(header: string | undefined): string {
  const h = (header ?? '').trim();
  const m = /^\[([^\]]*)\]/.exec(h);
  if (m) return m[1]!;
  return h.split(':')[0] ?? '';
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function cookieValue(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return null;
}

export class DashboardAuth {
  private readonly bearer: ((h: string | undefined) => boolean) | null;
  private readonly session: Buffer | null;

  /** `token`: null for an open (loopback) dashboard. */
  constructor(private readonly token: string | null) {
    this.bearer = token === null ? null : bearerCheck(token);
    this.session = token === null ? null : createHmac('sha256', token).update('imagectl fleet dashboard session').digest();
  }

  get required(): boolean {
    return this.token !== null;
  }

  /** May this request see the dashboard? */
  allows(req: IncomingMessage): boolean {
    if (this.token === null) return isLoopbackHost(hostOf(req.headers.host));
    if (this.bearer!(req.headers.authorization)) return true;
    const c = cookieValue(req);
    if (c === null) return false;
    const got = digest(c);
    return timingSafeEqual(got, digest(this.session!.toString('base64url')));
  }

  /** Whether a token typed into the login form is the dashboard's. */
  tokenMatches(given: string): boolean {
    if (this.token === null) return true;
    return timingSafeEqual(digest(given.trim()), digest(this.token));
  }

  /** The Set-Cookie header of a successful login. */
  loginCookie(): string {
    return `${COOKIE}=${this.session!.toString('base64url')}; Path=/; HttpOnly; SameSite=Strict`;
  }
}
