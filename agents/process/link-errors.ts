/** Why an agent's link to the server failed, in one line each. */

/** Exit code for a link that cannot work as configured (TLS mismatch, untrusted certificate): a restart would not help. */
export const EXIT_CONFIG = 2;

/**
 * The one line for a TLS problem, or null: a ws:// client of a TLS server (it answers 426), a
 * wss:// client of a plain server, a certificate this agent does not trust or made for another host.
 */
export function tlsMismatch(error: Error, url: string): string | null {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = error.message;
  if (/Unexpected server response: 426/.test(message)) return `${url}: the server speaks TLS: use wss:// instead of ws://`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) return `${url}: the server does not speak TLS: use ws:// instead of wss://`;
  if (UNTRUSTED_CERT_CODES.has(code)) return `${url}: certificate not trusted (${code}): pass --ca FILE with the server's certificate or its CA`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${url}: the server's certificate is not for this address (${message.replace(/^Hostname\/IP does not match certificate's altnames: /, '')}): connect to a name or IP in its subjectAltName`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `${url}: the server's certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}: make a new one`;
  return null;
}

const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A failed connect in words: 'connection refused', 'no such host', or the socket's own message. */
export function connectFailure(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'no such host';
  if (code === 'ETIMEDOUT') return 'connection timed out';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  return error.message;
}
