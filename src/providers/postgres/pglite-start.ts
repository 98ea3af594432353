/**
 * How millrace's own PGlite instance comes to be: a new data directory
 * starts from the prepared image when there is one for the schema about to
 * be migrated (initdb otherwise), and each step is logged as it begins, so
 * a server starting says what it is doing.
 */
import { rmSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { defaultLogger, errorFields, type Logger } from '../../core/logger.js';
import {
  BUNDLED_IMAGE,
  isNewDataDir,
  readImageTar,
  unpackImage,
  usableImage,
  type PgliteImage,
  type PgliteImageManifest,
} from './pglite-image.js';

export interface PgliteStartOptions {
  /** A directory for the data, or `memory://` (the default) for none. */
  dataDir?: string;
  /**
   * The schema that will be migrated right after: a new data directory then
   * starts from the image when it holds that schema. Unset: initdb.
   */
  migratedSchema?: string;
  /** @defaultValue the image built beside this module, if any */
  image?: PgliteImage;
  /** Where the steps are told, at info. @defaultValue millrace's default logger */
  logger?: Logger;
}

/**
 * PostgreSQL's 128 MB of shared buffers live inside the WASM memory, which
 * never shrinks, and every start zeroes them first (about 0.4 s of a start
 * here at 128 MB, 0.05 s at 16 MB). With 16 MB the embedded drain is as
 * fast as with 128 MB: the pages PostgreSQL does not keep are in the
 * operating system's cache a read away.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

function create(dataDir: string, loadDataDir?: Blob): Promise<PGlite> {
  return PGlite.create(dataDir, { startParams: START_PARAMS, loadDataDir });
}

/** The ledger says when this data directory got its schema, as a migrated one's would. */
async function stampLedger(db: PGlite, manifest: PgliteImageManifest): Promise<void> {
  await db.query(`UPDATE "${manifest.schema}".migrations SET applied_at = now()`);
}

async function fromImage(
  dataDir: string,
  manifest: PgliteImageManifest,
  loadDataDir?: Blob,
): Promise<PGlite> {
  const db = await create(dataDir, loadDataDir);
  try {
    await stampLedger(db, manifest);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

function imageFor(options: PgliteStartOptions): PgliteImageManifest | undefined {
  const schema = options.migratedSchema;
  return schema === undefined ? undefined : usableImage(options.image ?? BUNDLED_IMAGE, schema);
}

export async function startPglite(options: PgliteStartOptions): Promise<PGlite> {
  const logger = options.logger ?? defaultLogger();
  const dataDir = options.dataDir ?? 'memory://';
  const image = options.image ?? BUNDLED_IMAGE;
  if (dataDir.startsWith('memory://')) {
    const manifest = imageFor(options);
    if (manifest === undefined) return create(dataDir);
    return fromImage(dataDir, manifest, new Blob([readImageTar(image)]));
  }
  if (!isNewDataDir(dataDir)) {
    logger.info({ dataDir }, 'opening the data directory');
    return create(dataDir);
  }
  const manifest = imageFor(options);
  if (manifest === undefined) {
    logger.info({ dataDir }, 'creating the data directory (initdb: a few seconds)');
    return create(dataDir);
  }
  logger.info({ dataDir }, 'creating the data directory from the prepared image');
  try {
    await unpackImage(image, dataDir);
    return await fromImage(dataDir, manifest);
  } catch (error) {
    // What came from the image holds nothing of the user's yet: start it over the slow way.
    logger.warn(
      { dataDir, ...errorFields(error) },
      'the prepared image did not open; creating the data directory with initdb',
    );
    rmSync(dataDir, { recursive: true, force: true });
    return create(dataDir);
  }
}
