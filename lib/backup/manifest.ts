/**
 * The manifest written next to every completed dump (`<key>.manifest.json`). S3 object metadata is fixed when an
 * upload starts, but the sha256, sizes and duration are only known at its end — so they live here. A dump without a
 * manifest is not a good backup: restore refuses it and the prune does not count it as one.
 */
import { z } from 'zod';

export const tableStatsSchema = z.object({
  name: z.string(),
  rows: z.number().int().nonnegative(),
  /** CHECKSUM TABLE in the snapshot taken beside mysqldump's; null when the engine gives none. */
  checksum: z.number().int().nullable(),
});
export type TableStats = z.infer<typeof tableStatsSchema>;

export const objectInventorySchema = z.object({
  views: z.array(z.string()),
  triggers: z.array(z.string()),
  procedures: z.array(z.string()),
  functions: z.array(z.string()),
  events: z.array(z.string()),
});
export type ObjectInventory = z.infer<typeof objectInventorySchema>;

export const manifestSchema = z.object({
  formatVersion: z.literal(1),
  key: z.string(),
  bucket: z.string(),
  database: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().int().nonnegative(),
  /** sha256 (hex) of the stored .sql.gz object, as uploaded. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Size of the stored object. */
  bytes: z.number().int().nonnegative(),
  /** Size of mysqldump's (uncompressed) output. */
  dumpBytes: z.number().int().nonnegative(),
  gzipLevel: z.number().int().min(1).max(9),
  server: z.object({ version: z.string(), flavour: z.enum(['mysql', 'mariadb']) }),
  client: z.object({ flavour: z.enum(['mysql', 'mariadb']), version: z.string() }),
  /** mysqldump's flags (the options file with the credentials is not among them). */
  mysqldumpArgs: z.array(z.string()),
  tables: z.array(tableStatsSchema),
  objects: objectInventorySchema,
});
export type BackupManifest = z.infer<typeof manifestSchema>;
