/**
 * HTML escaping for text put into markup, shared by the server-rendered pages (the dashboard shell, the analytics
 * report) and the dashboard's browser code (bundled by lib/dashboard/esbuild-plugin.cjs): plain TypeScript, no
 * Node or DOM imports.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * `value` as text safe inside an element or a quoted attribute; null and undefined become ''.
 *
 * @example escapeHtml(`<b title="x">Tom & Jerry's</b>`) // '&lt;b title=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;'
 */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
