// Imported first by every CLI (no imports of its own, so it runs before lib/config.ts reads the environment).
process.env.FM_CLI = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? 'WARN';
