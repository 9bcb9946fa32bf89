/**
 * Following HTTP redirects by hand, so that a health check cannot be passed by another host:
 * a check of http://app:8081/healthz that is redirected to https://login.example/ would prove
 * nothing about the app. Redirects stay within the first URL's origin unless the check says
 * `follow: any`, and every failure names the URL it happened at.
 */
import { MAX_REDIRECTS } from '../runbooks/model.js';

/** How far a check follows redirects. */
export type RedirectPolicy = 'same-origin' | 'any';

export { MAX_REDIRECTS };

/** A redirect the check may not follow, or a chain that does not end. */
export class RedirectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedirectError';
  }
}

/** A response and the URL it came from (the last one of a redirect chain). */
export interface Followed {
  res: Response;
  url: URL;
  /** The URLs before `url`, first one first; empty when nothing redirected. */
  chain: URL[];
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Where a fetch is: the URL being asked now and the one that redirected there, if any. */
export interface Whereabouts {
  url: URL;
  from?: URL;
}

/**
 * Fetch `first`, following redirects by `policy`. `where` is kept up to date as it goes, so a
 * caller whose fetch fails or times out can name the URL that failed and who sent it there.
 */
export async function fetchFollowing(first: URL, init: RequestInit, policy: RedirectPolicy, where: Whereabouts = { url: first }): Promise<Followed> {
  const chain: URL[] = [];
  let url = first;
  for (;;) {
    where.url = url;
    const res = await fetch(url, { ...init, redirect: 'manual' });
    const location = res.headers.get('location');
    if (!REDIRECT_STATUSES.has(res.status) || location === null) return { res, url, chain };
    // The body of a redirect is not read; drop it so the connection can be reused or closed.
    await res.body?.cancel().catch(() => undefined);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new RedirectError(`${url.href} redirected (${res.status}) to "${location}", which is not a URL`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new RedirectError(`${url.href} redirected (${res.status}) to ${next.href}: refused, only http and https are followed`);
    }
    if (policy !== 'any' && next.origin !== first.origin) {
      throw new RedirectError(
        // Short: an exported document carries the same words in its shell (fleet/step-shell.ts).
        `${url.href} redirected (${res.status}) to ${next.href}: refused, another origin than ${first.origin} (add follow: any to the check to allow it)`,
      );
    }
    chain.push(url);
    where.from = url;
    if (chain.length > MAX_REDIRECTS) {
      throw new RedirectError(`too many redirects (more than ${MAX_REDIRECTS}) from ${first.href}; the last one went to ${next.href}`);
    }
    url = next;
  }
}
