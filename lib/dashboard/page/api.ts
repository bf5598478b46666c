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
  const key = sessionStorage.getItem(KEY) ?? '';
  const response = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', 'x-api-key': key, ...(init.headers ?? {}) },
  });
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) throw new ApiError(response.status, body.error?.message ?? `HTTP ${response.status}`);
  return body as T;
}

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Shows a message in the page's live status line. */
export function say(message: string, error = false): void {
  const status = $<HTMLParagraphElement>('status');
  status.textContent = message;
  status.className = error ? 'error' : '';
}

export const fmt = new Intl.NumberFormat('en-GB');
