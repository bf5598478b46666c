/**
 * The dashboard page's script (lib/dashboard/page/, bundled by esbuild). In a deployed or offline bundle this whole
 * module is replaced at build time by the pre-built script (./esbuild-plugin.cjs); run in-process (tests, tsx) it
 * builds the script once on first use.
 */
import { createRequire } from 'node:module';

let cached: Promise<string> | undefined;

export function pageScript(): Promise<string> {
  cached ??= (
    createRequire(import.meta.url)('./esbuild-plugin.cjs') as { buildPageScript(): Promise<string> }
  ).buildPageScript();
  return cached;
}
