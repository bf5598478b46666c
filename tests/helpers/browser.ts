/**
 * The headless Chromium every browser test drives with playwright-core, found without a system install:
 * `CHROMIUM_PATH` when set, else Debian's /usr/bin/chromium when installed, else the Chromium build of the
 * `@sparticuz/chromium` dev dependency (brotli-packed in node_modules, unpacked into the temp directory on first
 * use, a second or two). So `npm install` is all the browser tests need.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { type Browser, chromium } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags that run in containers as root and keep the browser off the network (the page under test is local). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumBinary {
  path: string;
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

const isExecutable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

let found: Promise<ChromiumBinary> | undefined;

/** Where the Chromium comes from; a `CHROMIUM_PATH` that is not an executable is an error, not a fallback. */
export function findChromium(): Promise<ChromiumBinary> {
  found ??= (async (): Promise<ChromiumBinary> => {
    const configured = process.env.CHROMIUM_PATH;
    if (configured) {
      if (!(await isExecutable(configured)))
        throw new Error(`CHROMIUM_PATH=${configured} is not an executable file`);
      return { path: configured, source: 'CHROMIUM_PATH' };
    }
    if (await isExecutable(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: 'system' };
    const { default: packed } = await import('@sparticuz/chromium');
    return { path: await packed.executablePath(), source: '@sparticuz/chromium' };
  })();
  return found;
}

/** Launches the Chromium `findChromium` picks, headless. */
export async function launchChromium(): Promise<Browser> {
  const { path } = await findChromium();
  return chromium.launch({ executablePath: path, args: ARGS });
}
