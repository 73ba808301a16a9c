import { copyFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { makeDirectory } from '../../core/files.node.js';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import { COLLAPSE_METHODS, type CollapseMethod } from '../../fits/index.node.js';
import { loadModel } from '../../model/io.node.js';
import { classify } from '../../pipeline/classify.node.js';
import { writeCandidateFiles } from '../../pipeline/candidate-files.node.js';
import { numberListOption, numberOption } from '../options.js';
import { createProgressBar } from '../progress.js';

interface ClassifyFlags {
  model: string;
  threshold?: number;
  batchSize: number;
  maxSources: number;
  detectionThreshold: number;
  brightestOnly: boolean;
  copyPositives?: string;
  out: string;
  json: boolean;
  thumbnails: boolean;
  plane?: number[];
  collapse?: CollapseMethod;
}

/** Registers `classify`: score FITS files with a saved model. */
export function register(program: Command): void {
  program
    .command('classify')
    .description(
      'Score FITS files (or folders of them) with a saved model. Every object found in an image ' +
        'is scored and, when the header has a WCS, placed on the sky (RA/Dec in the header frame, ' +
        'object, beam, pixel scale) and measured (peak, integrated flux, robust rms, S/N); ' +
        'candidates.json lists them, highest score first, and beside it candidates.csv, ' +
        'candidates.vot (VOTable), candidates.reg (DS9) and candidates.crtf (CASA/CARTA) hold the ' +
        'same rows for TOPCAT, DS9, CARTA and astropy. An object whose model input is fainter or ' +
        'brighter at its centre than 99 % of the inputs the model trained on is flagged ' +
        '(outsideTraining, outside_training): its score is an extrapolation.',
    )
    .argument('<paths...>', 'FITS files or folders')
    .requiredOption('--model <dir>', 'model folder (from `train`)')
    .addOption(
      numberOption(
        '--threshold <t>',
        "score at or above which a candidate is positive (default: the profile's)",
        { min: 0, max: 1, noun: 'score' },
      ),
    )
    .addOption(
      numberOption('--batch-size <n>', 'images per forward pass', { integer: true, min: 1 }, 32),
    )
    .addOption(
      numberOption(
        '--max-sources <n>',
        'most objects scored per image',
        { integer: true, min: 1 },
        5,
      ),
    )
    .addOption(
      numberOption(
        '--detection-threshold <sigma>',
        'objects are found down to this many robust standard deviations (raise it to 10 to score only objects as bright as the default training disks)',
        { positive: true, noun: 'number of standard deviations' },
        5,
      ),
    )
    .option(
      '--brightest-only',
      'score only the brightest object of each image (as the original)',
      false,
    )
    .addOption(
      numberListOption(
        '--plane <i,j>',
        'for cubes: score this plane, one index per axis beyond the second, outermost first (ALMA: stokes,channel)',
        { integer: true, min: 0 },
      ),
    )
    .addOption(
      new Option(
        '--collapse <method>',
        'for cubes: score the cube collapsed along its spectral axis (NaN channels skipped): sum, or moment0 (sum × channel width)',
      )
        .choices(COLLAPSE_METHODS)
        .conflicts('plane'),
    )
    .option('--copy-positives <dir>', 'copy the files with a positive candidate into this folder')
    .option(
      '--out <file>',
      'where to write the candidates; the catalogues go beside it (.csv, .vot, .reg, .crtf)',
      'candidates.json',
    )
    .option('--json', 'print the candidates as JSON instead of a table', false)
    .option(
      '--no-thumbnails',
      'do not write thumbs/ (each candidate model input as PNG, its crop on the sky as FITS) for `report`',
    )
    .action(async (paths: string[], o: ClassifyFlags) => {
      const loaded = await loadModel(o.model);
      const bar = createProgressBar({ unit: 'files' });
      let skipped = 0;
      const candidates = await classify(loaded, paths, {
        ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
        batchSize: o.batchSize,
        maxSources: o.maxSources,
        detectionThreshold: o.detectionThreshold,
        allSources: !o.brightestOnly,
        keepInputs: o.thumbnails,
        ...(o.plane !== undefined ? { plane: o.plane } : {}),
        ...(o.collapse !== undefined ? { collapse: o.collapse } : {}),
        onWarning: (message, file) => {
          skipped++;
          process.stderr.write(`skipped ${file}: ${message}\n`);
        },
        onProgress: (p) => bar.update({ done: p.done, total: p.total ?? 0 }),
      });
      bar.stop();
      const target = loaded.meta.classNames[loaded.meta.classNames.length - 1];
      const written = await writeCandidateFiles(candidates, o.out, {
        thumbnails: o.thumbnails,
        positiveLabel: target,
        meta: {
          info: { model: o.model, threshold: String(o.threshold ?? loaded.meta.threshold ?? '') },
        },
      });
      for (const w of written.warnings) process.stderr.write(`alma-classifier: warning: ${w}\n`);
      const positives = [
        ...new Set(candidates.filter((c) => c.label === target).map((c) => c.file)),
      ];
      if (o.json) {
        // The records as written: the candidates without their pixels, with their thumbnails.
        console.log(JSON.stringify(JSON.parse(readFileSync(written.json, 'utf8'))));
      } else {
        for (const c of candidates) {
          const sky =
            c.raHms !== undefined
              ? ` ${c.raHms} ${c.decDms} ${c.frame}` +
                (c.snr !== undefined ? `, S/N ${c.snr.toFixed(1)}` : '')
              : '';
          const outside =
            c.outsideTraining !== undefined
              ? `  (input ${c.outsideTraining} than the training inputs')`
              : '';
          console.log(
            `${c.score.toFixed(4)}  ${c.label.padEnd(10)} ${c.file}  object ${c.sourceIndex} at [${c.peak.join(', ')}]${sky}${outside}`,
          );
        }
        const outside = candidates.filter((c) => c.outsideTraining !== undefined).length;
        if (outside > 0)
          console.log(
            `${outside} candidate${outside === 1 ? "'s" : "s'"} input${outside === 1 ? ' lies' : 's lie'} outside the range the model trained on ` +
              '(fainter or brighter at the centre than 99 % of its training inputs): their scores are extrapolations',
          );
        const paths = written.catalogues;
        console.log(
          `${candidates.length} candidates, ${positives.length} files with a ${target}` +
            (skipped > 0 ? `, ${skipped} files skipped` : '') +
            `; written to ${o.out}, ${paths.csv}, ${paths.votable}, ${paths.ds9}, ${paths.crtf}`,
        );
      }
      if (o.copyPositives !== undefined) {
        await makeDirectory(o.copyPositives);
        for (const f of positives) await copyFile(f, join(o.copyPositives, basename(f)));
      }
      if (skipped > 0) process.exitCode = 1;
    });
}
