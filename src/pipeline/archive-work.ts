/**
 * The work list of `classifyArchive`: the products of a search (through DataLink) or a given
 * list, each once, cut to this run's shard.
 */
import type { SearchCriteria } from '../archive/adql.js';
import type { AlmaArchive } from '../archive/archive.js';
import type { DataProduct, DataProductOptions } from '../archive/datalink.js';
import type { Observation } from '../archive/observation.js';
import { selectShard, shardFromEnv, type ShardSpec } from './shard.js';

/** @internal What {@link archiveWorkList} found. */
export interface ArchiveWorkList {
  /** This run's share of the products, each URL once. */
  products: DataProduct[];
  /** Products the search (or the list given) held, each URL once, before sharding. */
  listed: number;
  /** The shard, when the list is split (a shard of one is the whole list: undefined). */
  shard: ShardSpec | undefined;
  /** The observations of a search by `obs_id`, which give products their target and project. */
  observations: ReadonlyMap<string, Observation>;
}

/** @internal How {@link archiveWorkList} searches and shards. */
export interface ArchiveWorkListOptions {
  /** The client a search goes through. */
  archive: AlmaArchive;
  /** DataLink options (`include`, `fitsOnly`, ...); the archive's defaults otherwise. */
  dataProducts?: DataProductOptions;
  /** The share; default from the Slurm array variables, `null` for the whole list. */
  shard?: ShardSpec | null;
  /** Receives the search's and DataLink's warnings. */
  onWarning: (message: string, source?: string) => void;
}

/**
 * @internal The products `source` names (searched with `opts.archive` and listed through
 * DataLink, or given), each URL once in first-seen order, and this run's shard of them.
 *
 * @throws ArchiveError when the search or DataLink fails
 */
export async function archiveWorkList(
  source: SearchCriteria | readonly DataProduct[],
  opts: ArchiveWorkListOptions,
): Promise<ArchiveWorkList> {
  let products: readonly DataProduct[];
  const observations = new Map<string, Observation>();
  if (Array.isArray(source)) {
    products = source as readonly DataProduct[];
  } else {
    const found = await opts.archive.search(source as SearchCriteria);
    for (const w of found.warnings) opts.onWarning(w);
    for (const ob of found.observations) observations.set(ob.obsId, ob);
    const list = await opts.archive.dataProducts(found.observations, opts.dataProducts);
    for (const w of list.warnings) opts.onWarning(w);
    products = list.products;
  }
  const unique = new Map<string, DataProduct>();
  for (const p of products) if (!unique.has(p.url)) unique.set(p.url, p);
  const asked = opts.shard === null ? undefined : (opts.shard ?? shardFromEnv());
  // One shard of one is the whole list; naming it so keeps resumes of either form compatible.
  const shard = asked && asked.count > 1 ? asked : undefined;
  const all = [...unique.values()];
  return {
    products: shard ? selectShard(all, shard) : all,
    listed: unique.size,
    shard,
    observations,
  };
}
