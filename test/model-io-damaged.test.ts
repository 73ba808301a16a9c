/**
 * `loadModel` on damaged model folders: every one is a `ModelError` naming the file and the
 * problem, never a TensorFlow.js error, a model with NaN weights, or a read outside the folder.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../src/core/errors.js';
import { loadModel } from '../src/model/io.node.js';
import { saveTinyModel } from './helpers/products.js';

let base: string;
let good: string;
let modelJson: Record<string, unknown>;
beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'alma-damaged-'));
  good = join(base, 'good');
  await saveTinyModel(good);
  modelJson = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8')) as Record<string, unknown>;
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

type Json = Record<string, any>;

/** model.json changed by `edit` (on a deep copy). */
const editModel =
  (edit: (m: Json) => void) =>
  (d: string): void => {
    const m = JSON.parse(JSON.stringify(modelJson)) as Json;
    edit(m);
    writeFileSync(join(d, 'model.json'), JSON.stringify(m));
  };
/** meta.json changed by `edit`. */
const editMeta =
  (edit: (m: Json) => void) =>
  (d: string): void => {
    const m = JSON.parse(readFileSync(join(d, 'meta.json'), 'utf8')) as Json;
    edit(m);
    writeFileSync(join(d, 'meta.json'), JSON.stringify(m));
  };
const layers = (m: Json): Json[] => m.modelTopology.config.layers as Json[];
const weightsOf = (m: Json): Json[] => m.weightsManifest[0].weights as Json[];
const replaceWeights = (d: string, make: () => void): void => {
  rmSync(join(d, 'weights.bin'));
  make();
};
const mkfifo = (path: string): void => {
  execFileSync('mkfifo', [path]);
};

/** A damage, and what the error must say (the file it names, and the problem). */
const DAMAGES: [string, (dir: string) => void, RegExp][] = [
  [
    'meta.json is null',
    (d) => writeFileSync(join(d, 'meta.json'), 'null'),
    /meta\.json: .*got null/,
  ],
  ['meta.json is a list', (d) => writeFileSync(join(d, 'meta.json'), '[]'), /meta\.json: .*array/],
  [
    'meta.json is not JSON',
    (d) => writeFileSync(join(d, 'meta.json'), '{'),
    /meta\.json is not valid JSON/,
  ],
  ['meta.json is missing', (d) => rmSync(join(d, 'meta.json')), /meta\.json: no such file/],
  [
    'meta.json is a FIFO',
    (d) => (rmSync(join(d, 'meta.json')), mkfifo(join(d, 'meta.json'))),
    /meta\.json: not a regular file/,
  ],
  ['classNames missing', editMeta((m) => delete m.classNames), /meta\.json: .*classNames/],
  ['classNames is text', editMeta((m) => (m.classNames = 'ab')), /meta\.json: .*classNames/],
  ['classNames repeat', editMeta((m) => (m.classNames = ['a', 'a'])), /meta\.json: .*distinct/],
  [
    'classNames do not match the outputs',
    editMeta((m) => (m.classNames = ['a', 'b', 'c'])),
    /meta\.json: 3 classNames for a network with 2 outputs|meta\.json: .*3 classNames/,
  ],
  ['profileName missing', editMeta((m) => delete m.profileName), /meta\.json: .*profileName/],
  ['threshold is text', editMeta((m) => (m.threshold = 'high')), /meta\.json: .*threshold/],
  ['threshold above 1', editMeta((m) => (m.threshold = 7)), /meta\.json: .*threshold/],
  [
    'temperature 0',
    editMeta((m) => (m.calibration = { temperature: 0 })),
    /meta\.json: .*temperature/,
  ],
  [
    'profile is text',
    editMeta((m) => (m.profile = 'dust')),
    /meta\.json: .*profile must be an object/,
  ],
  [
    'model.json is null',
    (d) => writeFileSync(join(d, 'model.json'), 'null'),
    /model\.json is not a TensorFlow\.js layers model/,
  ],
  [
    'model.json is not JSON',
    (d) => writeFileSync(join(d, 'model.json'), 'x'),
    /model\.json is not valid JSON/,
  ],
  [
    'model.json is a folder',
    (d) => (rmSync(join(d, 'model.json')), mkdirSync(join(d, 'model.json'))),
    /model\.json: is a folder/,
  ],
  ['model.json is missing', (d) => rmSync(join(d, 'model.json')), /model\.json: no such file/],
  [
    'modelTopology is null',
    editModel((m) => (m.modelTopology = null)),
    /model\.json .*modelTopology/,
  ],
  [
    'weightsManifest is an object',
    editModel((m) => (m.weightsManifest = {})),
    /model\.json .*weightsManifest/,
  ],
  [
    'manifest paths null',
    editModel((m) => (m.weightsManifest[0].paths = null)),
    /model\.json .*weightsManifest group/,
  ],
  [
    'a weight without a name',
    editModel((m) => delete weightsOf(m)[0].name),
    /model\.json .*weight/,
  ],
  [
    'a weight of type string',
    editModel((m) => (weightsOf(m)[0].dtype = 'string')),
    /model\.json .*supported type/,
  ],
  [
    'a weight of a larger shape',
    editModel((m) => (weightsOf(m)[0].shape = [3, 3, 1, 5])),
    /weights\.bin: \d+ bytes, fewer than/,
  ],
  [
    'an unknown layer',
    editModel((m) => (layers(m)[1].class_name = 'Bogus')),
    /model\.json: cannot build the model/,
  ],
  [
    'a negative input size',
    editModel((m) => (layers(m)[0].config.batch_input_shape = [null, -5, 16, 1])),
    /model\.json: cannot build the model|weights\.bin: the network's input/,
  ],
  [
    'no layers',
    editModel((m) => (m.modelTopology.config.layers = null)),
    /model\.json: cannot build the model/,
  ],
  [
    'manifest path with ..',
    (d) => {
      writeFileSync(join(d, '..', 'outside.bin'), readFileSync(join(d, 'weights.bin')));
      editModel((m) => (m.weightsManifest[0].paths = ['../outside.bin']))(d);
    },
    /model\.json: weights path "\.\.\/outside\.bin" is not a file name inside the model folder/,
  ],
  [
    'manifest path /dev/zero',
    editModel((m) => (m.weightsManifest[0].paths = ['/dev/zero'])),
    /model\.json: weights path "\/dev\/zero" is not a file name inside/,
  ],
  [
    'weights.bin a link to /dev/zero',
    (d) => replaceWeights(d, () => symlinkSync('/dev/zero', join(d, 'weights.bin'))),
    /model\.json: weights path "weights\.bin" leads outside the model folder/,
  ],
  [
    'weights.bin a link out of the folder',
    (d) => {
      writeFileSync(join(d, '..', 'elsewhere.bin'), readFileSync(join(d, 'weights.bin')));
      replaceWeights(d, () => symlinkSync(join(d, '..', 'elsewhere.bin'), join(d, 'weights.bin')));
    },
    /leads outside the model folder/,
  ],
  [
    'weights.bin a FIFO',
    (d) => replaceWeights(d, () => mkfifo(join(d, 'weights.bin'))),
    /weights path "weights\.bin" is not a regular file/,
  ],
  [
    'weights.bin a folder',
    (d) => replaceWeights(d, () => mkdirSync(join(d, 'weights.bin'))),
    /weights path "weights\.bin" is not a regular file/,
  ],
  ['weights.bin missing', (d) => rmSync(join(d, 'weights.bin')), /weights\.bin: no such file/],
  [
    'weights.bin truncated',
    (d) =>
      writeFileSync(join(d, 'weights.bin'), readFileSync(join(d, 'weights.bin')).subarray(0, 100)),
    /weights\.bin: 100 bytes, fewer than the \d+ the manifest's weights need/,
  ],
  [
    'weights.bin longer than the manifest says',
    (d) =>
      writeFileSync(
        join(d, 'weights.bin'),
        Buffer.concat([readFileSync(join(d, 'weights.bin')), Buffer.alloc(4096)]),
      ),
    /weights\.bin: \d+ bytes, more than the \d+ the manifest's weights need/,
  ],
  [
    'NaN weights',
    (d) => {
      const b = readFileSync(join(d, 'weights.bin'));
      new Float32Array(b.buffer, b.byteOffset, b.length / 4).fill(NaN);
      writeFileSync(join(d, 'weights.bin'), b);
    },
    /weights\.bin: weight .* holds NaN/,
  ],
  [
    'an infinite weight',
    (d) => {
      const b = readFileSync(join(d, 'weights.bin'));
      b.writeFloatLE(Infinity, b.length - 4);
      writeFileSync(join(d, 'weights.bin'), b);
    },
    /weights\.bin: weight .* holds Infinity/,
  ],
  [
    'the folder is a file',
    (d) => (rmSync(d, { recursive: true }), writeFileSync(d, 'x')),
    /model\.json: a file is in the way/,
  ],
];

describe('loadModel refuses damaged model folders with a ModelError', () => {
  it.each(DAMAGES)('%s', async (name, damage, message) => {
    const dir = join(base, name.replace(/[^a-z0-9]+/gi, '-'));
    cpSync(good, dir, { recursive: true });
    damage(dir);
    const err = await loadModel(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, name).toBeInstanceOf(ModelError);
    expect((err as ModelError).message).toMatch(message);
    expect((err as ModelError).message).toContain(dir);
  });

  it('the undamaged folder loads', async () => {
    const { model, meta } = await loadModel(good);
    expect(meta.classNames).toHaveLength(2);
    model.dispose();
  });
});
