// A static page that classifies a dropped FITS file with a saved model, without Node APIs or a
// server: bytes of a FITS file -> Image2D -> preprocessed crop -> score. Build it with
//   npx tsx examples/browser/build.ts
// then serve examples/browser/ over HTTP (the WASM backend fetches its .wasm files) and open it.
// In your own code, import from 'alma-classifier' instead of '../../src/index.js'.
import {
  applyTemperature,
  dustInWind,
  loadModelFromFiles,
  preprocess,
  readFits,
  renderPng,
  requireImage,
  resolveSavedProfile,
  scoreWithModel,
  skyScaleFromHeader,
  toContiguous,
  useFastBackend,
  type LoadedModel,
  type TargetProfile,
} from '../../src/index.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

// TensorFlow.js's WASM binaries sit beside the bundle (build.ts copies them there).
const backend = useFastBackend({ wasmPaths: new URL('./', import.meta.url).href });

let loaded: LoadedModel | undefined;
let lastFile: File | undefined;
let profile: TargetProfile = dustInWind;

function pngUrl(bytes: Uint8Array): string {
  return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
}

function showError(err: unknown): void {
  $('error').textContent = err instanceof Error ? err.message : String(err);
}

async function onModelFiles(files: File[]): Promise<void> {
  $('error').textContent = '';
  await backend;
  loaded = await loadModelFromFiles(files);
  // Preprocess exactly as the model's training data was: the profile travels in meta.json.
  profile = resolveSavedProfile(loaded.meta.profile);
  $('model-status').textContent =
    `Model for "${loaded.meta.profileName}" loaded (classes: ${loaded.meta.classNames.join(', ')}).`;
  // An image shown before the model arrived is scored now.
  if (lastFile) await onFitsFile(lastFile);
}

async function onFitsFile(file: File): Promise<void> {
  $('error').textContent = '';
  lastFile = file;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const fits = readFits(bytes, { name: file.name });
  const image = requireImage(fits);
  // A profile that crops on the sky (the default spans 24 beams) needs the header's pixel scale
  // and beam; a file without them is refused with a message saying so.
  const sky = skyScaleFromHeader(fits.header);
  const prepared = preprocess(image, profile, { source: file.name, ...(sky ? { sky } : {}) });

  const [rows, cols] = image.shape;
  $<HTMLImageElement>('full').src = pngUrl(renderPng(image, { stretch: 'asinh' }));
  $('full-caption').textContent =
    `${file.name}: ${cols} × ${rows} pixels, peak at row ${prepared.peak[0]}, column ${prepared.peak[1]}`;
  $<HTMLImageElement>('crop').src = pngUrl(renderPng(prepared.input));
  $('result').hidden = false;

  if (!loaded) {
    $('score').textContent = '–';
    $('label').textContent = 'load a model to score this image';
    return;
  }
  // Scored as the model was when its threshold was chosen: averaged over the symmetries its
  // meta.json names (test-time augmentation) and calibrated with its temperature.
  const raw = await scoreWithModel(loaded, Float32Array.from(toContiguous(prepared.input)));
  const [score] = applyTemperature(raw, loaded.meta.calibration?.temperature ?? 1);
  const threshold = loaded.meta.threshold ?? profile.threshold;
  const classes = loaded.meta.classNames;
  $('score').textContent = score.toFixed(3);
  $('label').textContent =
    score >= threshold ? classes[classes.length - 1] : `not ${classes[classes.length - 1]}`;
}

$<HTMLInputElement>('model-files').addEventListener('change', (ev) => {
  const files = Array.from((ev.target as HTMLInputElement).files ?? []);
  onModelFiles(files).catch(showError);
});
$<HTMLInputElement>('fits-file').addEventListener('change', (ev) => {
  const input = ev.target as HTMLInputElement;
  const file = input.files?.[0];
  if (file) onFitsFile(file).catch(showError);
  // Let picking the same file again fire 'change' again.
  input.value = '';
});
const drop = $('drop');
drop.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  const file = ev.dataTransfer?.files[0];
  if (file) onFitsFile(file).catch(showError);
});
