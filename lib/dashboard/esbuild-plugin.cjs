/**
 * Builds the dashboard's browser code (lib/dashboard/page/main.ts: the page script with ECharts and the map
 * geometry, all from npm — no CDN) with esbuild, and hands it to the `dashboard` function:
 *  - at bundle time (serverless package / offline / deploy): serverless.yml's `custom.esbuild.plugins` points here;
 *    the plugin replaces lib/dashboard/page-script.ts with a module holding the built script as a string;
 *  - in-process (tests, tsx): page-script.ts calls buildPageScript() once and caches the result.
 * CommonJS because serverless-esbuild loads its plugin file with require().
 */
const path = require('node:path');

const ENTRY = path.join(__dirname, 'page', 'main.ts');

/** The page script, minified, as one self-contained IIFE. */
async function buildPageScript() {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    write: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild produced no dashboard page script');
  return file.text;
}

const dashboardPagePlugin = {
  name: 'fm-dashboard-page',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]dashboard[\\/]page-script\.ts$/ }, async () => ({
      contents: `export const pageScript = async () => ${JSON.stringify(await buildPageScript())};\n`,
      loader: 'js',
    }));
  },
};

module.exports = Object.assign(() => [dashboardPagePlugin], { buildPageScript, dashboardPagePlugin });
