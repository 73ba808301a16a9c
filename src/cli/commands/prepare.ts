import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { COLLAPSE_METHODS, type CollapseMethod } from '../../fits/index.node.js';
import { writeReviewPage } from '../../report/report.node.js';
import type { ReviewItem } from '../../report/types.js';
import { loadProfile } from '../profile.js';
import { DatasetError } from '../../core/errors.js';
import {
  hardNegativeWeightOption,
  imagesOption,
  numberListOption,
  numberOption,
} from '../options.js';
import { createProgressBar } from '../progress.js';
import { createRng } from '../../core/random.js';
import { FitsHeader } from '../../fits/index.js';
import {
  buildNegativeSet,
  classCounts,
  concatDatasets,
  profileHash,
  sampleImage,
  skyScaleFromHeader,
  synthesize,
  synthesizeScene,
} from '../../dataset/index.js';
import type {
  BuildOptions,
  Dataset,
  SampleInfo,
  SourceImage,
  TargetProfile,
} from '../../dataset/index.js';
import {
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  planLabelledSources,
  readExcludeList,
  readLabels,
  saveDataset,
  type ReadSourceOptions,
} from '../../dataset/index.node.js';
import type { FileSource, LabelledSources } from '../../dataset/index.node.js';
import { listFitsFiles } from '../../fits/list.node.js';

/** Options of `alma-classifier prepare`, as commander parses them. */
interface PrepareFlags {
  positives?: string;
  negatives?: string;
  profile?: string;
  syntheticNegatives?: number;
  out: string;
  exclude?: string;
  labels?: string[];
  images?: string[];
  hardNegativeWeight: number;
  seed: number;
  review: boolean;
  plane?: number[];
  collapse?: CollapseMethod;
}

/**
 * Synthetic disks for `--synthetic-negatives`. For a profile whose crop is on the sky, each
 * image carries the pixel scale and beam of its scene's FITS cards (without them it would be
 * refused), drawn at the sampling of the profile's input (beams of `inputSize / width` pixels,
 * or `width / inputSize` arcsec per pixel), so the crop is at most `cropSize` pixels.
 */
function* syntheticNegatives(
  count: number,
  profile: TargetProfile,
  seed: number,
): Generator<SourceImage> {
  const rng = createRng(seed ^ 0x51a7);
  const { cropSize, inputSize, sky } = profile.preprocess;
  // Twice the crop so the crop sits inside the image, as it would in a real 1000 px product.
  const size = Math.max(128, 2 * cropSize);
  for (let i = 0; i < count; i++) {
    const source = `synthetic-disk-${i}`;
    if (sky === null) {
      yield { image: synthesize(rng.fork(), { kind: 'disk', size }), source };
      continue;
    }
    const scene = synthesizeScene(rng.fork(), {
      kind: 'disk',
      size,
      ...(sky.unit === 'beam'
        ? { beamMajor: inputSize / sky.width }
        : { pixelScale: sky.width / inputSize }),
      // As synthesize draws its disks: no primary-beam cut, no sidelobe stripes.
      primaryBeam: false,
      sidelobes: false,
    });
    const scale = skyScaleFromHeader(new FitsHeader(scene.cards));
    yield { image: scene.image, source, ...(scale ? { sky: scale } : {}) };
  }
}

/** The transform of an augmented sample, as its label names it (`flip-lr`, `linear-0`, `gm`). */
function sampleTransform(sample: SampleInfo): string | undefined {
  if (sample.parents !== undefined && sample.parents.length > 1) return 'gm';
  const last = sample.contentId?.split(':').pop();
  return sample.parents !== undefined && last !== undefined && !last.includes(',')
    ? last
    : undefined;
}

/**
 * One generated positive on the review page: named by its content id (what the label store
 * matches, whatever the folder), with lines telling it from the other samples of its file.
 */
function reviewItem(ds: Dataset, i: number): ReviewItem {
  const sample = ds.samples[i];
  const transform = sampleTransform(sample);
  const details = [
    transform === 'gm'
      ? `geometric mean of ${(sample.parents ?? []).join(' and ')}`
      : transform !== undefined
        ? `transform: ${transform}`
        : 'the image itself',
    ...(sample.peak ? [`object at row ${sample.peak[0]}, col ${sample.peak[1]}`] : []),
    ...(sample.hdu ? [`HDU ${sample.hdu}`] : []),
  ];
  const item: ReviewItem = {
    id: sample.contentId ?? sample.id,
    file: sample.source,
    image: sampleImage(ds, i),
    group: transform === 'gm' ? 'Geometric means' : 'Positives',
    details,
  };
  if (sample.hash !== undefined && sample.peak !== undefined) {
    item.object = {
      hash: sample.hash,
      hdu: sample.hdu ?? 0,
      peak: sample.peak,
      path: sample.source,
    };
  }
  if (transform !== undefined) item.transform = transform;
  return item;
}

/** Registers `alma-classifier prepare`: FITS folders → a labelled dataset directory. */
export function register(program: Command): void {
  program
    .command('prepare')
    .description(
      'Build a labelled dataset (images.npy, labels.npy, manifest.json) from folders of positive and negative FITS files.',
    )
    .option('--positives <dir>', 'folder of FITS images of the target phenomenon')
    .option('--negatives <dir>', 'folder of FITS images without it')
    .option('--profile <file.json>', 'target profile (JSON, fields over dust-in-wind)')
    .addOption(
      numberOption(
        '--synthetic-negatives <n>',
        'add N synthetic disk images as negatives (offline stand-in)',
        { integer: true, min: 0 },
      ),
    )
    .option(
      '--labels <labels.jsonl...>',
      'label stores (review decisions): kept candidates join the positives, rejected ones the negatives (weighted), rejected and unsure samples are left out',
    )
    .addOption(imagesOption())
    .addOption(hardNegativeWeightOption())
    .option(
      '--exclude <decisions.json>',
      'file names or sample ids rejected on review (older decisions.json)',
    )
    .addOption(
      numberListOption(
        '--plane <i,j>',
        'for cubes: use this plane, one index per axis beyond the second, outermost first (ALMA: stokes,channel)',
        { integer: true, min: 0 },
      ),
    )
    .addOption(
      new Option(
        '--collapse <method>',
        'for cubes: use the cube collapsed along its spectral axis (NaN channels skipped): sum, or moment0 (sum × channel width)',
      )
        .choices(COLLAPSE_METHODS)
        .conflicts('plane'),
    )
    .addOption(
      numberOption('--seed <n>', 'seed of augmentation and synthetic images', { integer: true }, 0),
    )
    .option(
      '--review',
      'also write OUT/review/review.html to keep, reject or mark unsure each generated positive (exports labels.jsonl lines for --labels)',
      false,
    )
    .requiredOption('--out <dir>', 'dataset directory to write')
    .action(async (flags: PrepareFlags) => {
      const profile = await loadProfile(flags.profile);
      const seed = flags.seed;
      const synthetic = flags.syntheticNegatives ?? 0;
      const labelFiles = flags.labels ?? [];
      if (
        flags.positives === undefined &&
        flags.negatives === undefined &&
        synthetic === 0 &&
        labelFiles.length === 0
      ) {
        throw new RangeError(
          'prepare needs --positives, --negatives, --synthetic-negatives or --labels',
        );
      }
      const exclude = flags.exclude ? await readExcludeList(flags.exclude) : [];
      let posPaths: (string | FileSource)[] = flags.positives
        ? await listFitsFiles(flags.positives)
        : [];
      let negPaths: (string | FileSource)[] = flags.negatives
        ? await listFitsFiles(flags.negatives)
        : [];
      // A folder given without FITS files in it is a mistake (a parent folder, a typo), not an
      // empty class: say so rather than prepare a dataset that train cannot learn from.
      for (const [flag, folder, paths] of [
        ['--positives', flags.positives, posPaths],
        ['--negatives', flags.negatives, negPaths],
      ] as const) {
        if (folder !== undefined && paths.length === 0) {
          throw new DatasetError(
            `${folder}: no FITS files (.fits, .fit, .fits.gz) directly in this folder (given as ${flag})`,
            folder,
          );
        }
      }
      let labelled: LabelledSources | undefined;
      if (labelFiles.length > 0) {
        const read = await readLabels(labelFiles);
        for (const t of read.torn)
          process.stderr.write(`warning: ${t}: its last line was cut short and is ignored\n`);
        labelled = await planLabelledSources(
          read.labels,
          { positives: posPaths as string[], negatives: negPaths as string[] },
          profile,
          {
            dirs: [
              ...(flags.images ?? []),
              ...[flags.positives, flags.negatives].filter((d): d is string => d !== undefined),
            ],
            base: dirname(resolve(labelFiles[0])),
            hardNegativeWeight: flags.hardNegativeWeight,
          },
        );
        posPaths = labelled.positives;
        negPaths = labelled.negatives;
        exclude.push(...labelled.exclude);
      }
      const total = posPaths.length + negPaths.length + synthetic;
      const bar = createProgressBar({ unit: 'files' });
      const warnings: string[] = [];
      let done = 0;
      const opts: BuildOptions & ReadSourceOptions = {
        ...(flags.plane !== undefined ? { plane: flags.plane } : {}),
        ...(flags.collapse !== undefined ? { collapse: flags.collapse } : {}),
        exclude,
        seed,
        onWarning: (message) => warnings.push(message),
        onProgress: () => bar.update({ done: ++done, total }),
      };
      const parts: Dataset[] = [];
      try {
        if (negPaths.length > 0)
          parts.push(await buildNegativeSetFromFiles(negPaths, profile, opts));
        if (synthetic > 0)
          parts.push(
            await buildNegativeSet(syntheticNegatives(synthetic, profile, seed), profile, opts),
          );
        if (posPaths.length > 0)
          parts.push(await buildPositiveSetFromFiles(posPaths, profile, opts));
      } finally {
        bar.stop();
      }
      const ds = concatDatasets(parts);
      if (ds.shape[0] === 0)
        throw new DatasetError(`no usable images: every one of the ${total} sources was skipped`);
      const counts = classCounts(ds);
      const positiveClass = profile.classes[profile.classes.length - 1];
      if (posPaths.length > 0 && (counts[positiveClass] ?? 0) === 0) {
        const why = ds.skipped.find((s) => posPaths.includes(s.source))?.reason;
        throw new DatasetError(
          `${flags.positives}: no usable positives: every one of the ${posPaths.length} FITS files was skipped` +
            (why ? ` (the first: ${why})` : ''),
          flags.positives,
        );
      }
      const missing = profile.classes.filter((c) => (counts[c] ?? 0) === 0);
      if (missing.length > 0) {
        warnings.unshift(
          `the dataset has no ${missing.join(' or ')} samples; train needs every class (add --positives, --negatives or --synthetic-negatives)`,
        );
      }
      await saveDataset(ds, flags.out);
      const out = process.stdout;
      out.write(
        `prepared ${ds.shape[0]} samples (${profile.name}, profile ${profileHash(profile)}) in ${flags.out}\n`,
      );
      for (const [name, count] of Object.entries(classCounts(ds)))
        out.write(`  ${name.padEnd(12)} ${count}\n`);
      const excluded = ds.skipped.filter((s) => s.excluded).length;
      const failed = ds.skipped.length - excluded;
      out.write(`  skipped ${failed} unusable file(s), excluded ${excluded} on review\n`);
      if (labelled !== undefined) {
        const kept = ds.samples.filter((s) => s.reviewed === 'keep' && !s.parents).length;
        const hard = ds.samples.filter((s) => s.reviewed === 'reject' && !s.parents).length;
        out.write(
          `  labels: ${kept} confirmed positive(s), ${hard} hard negative(s) (weight ${flags.hardNegativeWeight}), ` +
            `${labelled.exclude.length} sample(s) left out, ${labelled.unsure.length} unsure\n`,
        );
        for (const m of labelled.missing) {
          warnings.push(
            `label ${m.id} (${m.label}): its image (hash ${m.object.hash}${m.object.path ? `, last seen at ${m.object.path}` : ''}) was not found; pass its folder with --images`,
          );
        }
      }
      if (flags.review) {
        const target = ds.classNames.length - 1;
        const items: ReviewItem[] = ds.samples.flatMap((sample, i) =>
          ds.labels[i] === target ? [reviewItem(ds, i)] : [],
        );
        const page = await writeReviewPage(items, join(flags.out, 'review'), {
          images: 'files',
          title: `Review the generated positives of ${flags.out}`,
          exportFormat: 'labels',
          labelKind: 'sample',
        });
        out.write(`  review page: ${page}\n`);
      }
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    });
}
