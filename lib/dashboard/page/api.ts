/// <reference lib="dom" />
/**
 * The page's calls to the API (same origin, relative to /dashboard) with the API key kept in sessionStorage, and
 * the small DOM helpers every part of the page uses.
 */

export const KEY = 'fm-api-key';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON call with the tab's API key; a non-2xx answer throws ApiError with the API's message. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await apiWithEtag<T>(path, init)).body;
}

/** Like `api`, with the answer's ETag (a case's version, to send back in If-Match). */
export async function apiWithEtag<T>(
  path: string,
  init: RequestInit = {},
): Promise<{ body: T; etag: string | null }> {
  const key = sessionStorage.getItem(KEY) ?? '';
  const response = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', 'x-api-key': key, ...(init.headers ?? {}) },
  });
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) throw new ApiError(response.status, body.error?.message ?? `HTTP ${response.status}`);
  return { body: body as T, etag: response.headers.get('etag') };
}

/** Who the key is: its person, role, and (for a lead) the people a case can be assigned to. */
export interface Me {
  name: string;
  role: 'viewer' | 'analyst' | 'lead';
  people: string[];
}

let me: { key: string; answer: Promise<Me> } | undefined;

/** GET dashboard/data/me, asked once per key. */
export function whoAmI(): Promise<Me> {
  const key = sessionStorage.getItem(KEY) ?? '';
  if (me?.key !== key) {
    const answer = api<Me>('dashboard/data/me');
    answer.catch(() => {
      if (me?.answer === answer) me = undefined;
    });
    me = { key, answer };
  }
  return me.answer;
}

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Shows a message in the page's live status line. */
export function say(message: string, error = false): void {
  const status = $<HTMLParagraphElement>('status');
  status.textContent = message;
  status.className = error ? 'error' : '';
}

export const fmt = new Intl.NumberFormat('en-GB');
