#!/usr/bin/python3
"""Reference answers for measureSource (src/image/measure-source.ts) on a real ALMA image.

Run once from the repository root:  /usr/bin/python3 scripts/make-measure-reference.py
Writes test/fixtures/reference/measure-source.json.

The same procedure as measureSource, built independently from numpy, scipy.ndimage and
astropy.stats (numpy 1.24, scipy 1.10, astropy 5.2 when first made):
  - rms: astropy.stats.sigma_clipped_stats(sigma=3, maxiters=5)[2] or astropy.stats.mad_std
    over the finite pixels (inside the annulus when one is given), leaving out every pixel
    within `margin` of the object (scipy.ndimage.distance_transform_edt(~object) <= margin);
  - object: the scipy.ndimage.label component (8- or 4-connected) of finite pixels within
    maxRadius of the peak and above detection * rms that holds the peak;
  - rounds: round 0 takes the rms unmasked; each later round masks the previous object; stop
    when a round finds the object of the round before, or after maxIterations rounds;
  - flux: sum over the object grown by `grow` (finite, within maxRadius), / beam area.
The pixels are cast to float64 first, as measureSource computes in float64.
"""
import json
import math

import astropy
import numpy as np
import scipy
from astropy.io import fits
from astropy.stats import mad_std, sigma_clipped_stats
from scipy import ndimage

FILE = 'serpenssouthc7_2019_band6_0.fits'
PATH = f'test/fixtures/fits/{FILE}'
OUT = 'test/fixtures/reference/measure-source.json'
PEAK = (241, 242)


def beam_area_pixels(header):
    pix = abs(header['CDELT1'] * header['CDELT2'])
    return math.pi * header['BMAJ'] * header['BMIN'] / (4 * math.log(2)) / pix


def measure(d, peak, beam=None, detection=3.0, connectivity=8, max_radius=math.inf,
            margin=None, grow=None, method='sigma-clip', annulus=None, max_iterations=10):
    fwhm = None if beam is None else math.sqrt(4 * math.log(2) * beam / math.pi)
    if margin is None:
        margin = 5.0 if fwhm is None else 2 * fwhm
    if grow is None:
        grow = 0.0 if fwhm is None else fwhm
    finite = np.isfinite(d)
    rows, cols = np.indices(d.shape)
    dist = np.hypot(rows - peak[0], cols - peak[1])
    reach = finite & (dist <= max_radius)
    candidates = finite.copy()
    if annulus is not None:
        candidates &= (dist >= annulus[0]) & (dist <= annulus[1])
    structure = np.ones((3, 3), bool) if connectivity == 8 else ndimage.generate_binary_structure(2, 1)

    def noise(masked):
        values = d[candidates & ~masked]
        if method == 'mad':
            return float(mad_std(values)), float(np.median(values)), int(values.size)
        _, median, std = sigma_clipped_stats(values, sigma=3, maxiters=5)
        return float(std), float(median), int(values.size)

    def object_at(rms):
        above = reach & (d > detection * rms)
        if not above[peak]:
            return np.zeros(d.shape, bool)
        labels, _ = ndimage.label(above, structure=structure)
        return labels == labels[peak]

    def dilate(region, radius):
        return ndimage.distance_transform_edt(~region) <= radius

    rms, bg, count = noise(np.zeros(d.shape, bool))
    obj = object_at(rms)
    iterations = 0
    converged = False
    while not converged and iterations < max_iterations:
        iterations += 1
        seed = obj if obj.any() else (rows == peak[0]) & (cols == peak[1])
        rms, bg, count = noise(dilate(seed, margin))
        nxt = object_at(rms)
        converged = bool(np.array_equal(nxt, obj))
        obj = nxt
    detected = bool(obj.any())
    out = {
        'rmsJyBeam': rms,
        'backgroundJyBeam': bg,
        'rmsPixels': count,
        'detected': detected,
        'detectedPixels': int(obj.sum()),
        'iterations': iterations,
        'converged': converged,
    }
    if detected:
        values = np.where(obj, d, 0.0)
        at = np.unravel_index(np.argmax(np.where(obj, d, -np.inf)), d.shape)
        summed = dilate(obj, grow) & reach
        total = float(d[summed].sum())
        out.update({
            'peak': [int(at[0]), int(at[1])],
            'peakJyBeam': float(d[at]),
            'snr': float(d[at] / rms),
            'pixels': int(summed.sum()),
            'sumJyBeam': total,
            'centroid': [float((values * rows).sum() / values.sum()),
                         float((values * cols).sum() / values.sum())],
        })
        if beam is not None:
            out['integratedJy'] = total / beam
            out['integratedErrJy'] = rms * math.sqrt(summed.sum() / beam)
    return out


def main():
    with fits.open(PATH) as hdul:
        header = hdul[0].header
        d = np.squeeze(hdul[0].data).astype(np.float64)
    beam = beam_area_pixels(header)
    finite = d[np.isfinite(d)]
    mean, median, std = sigma_clipped_stats(finite, sigma=3, maxiters=5)
    cases = [
        {'name': 'defaults with the beam area',
         'options': {'beamAreaPixels': beam},
         'kwargs': {'beam': beam}},
        {'name': 'no beam area, MAD, 5 sigma, 4-connected, no growth',
         'options': {'rmsMethod': 'mad', 'detection': 5, 'connectivity': 4, 'grow': 0},
         'kwargs': {'method': 'mad', 'detection': 5.0, 'connectivity': 4, 'grow': 0.0}},
        {'name': 'rms in an annulus of 40-120 px, object within 40 px',
         'options': {'beamAreaPixels': beam, 'annulus': [40, 120], 'maxRadius': 40},
         'kwargs': {'beam': beam, 'annulus': (40, 120), 'max_radius': 40}},
    ]
    reference = {
        'source': 'scripts/make-measure-reference.py (numpy %s, scipy %s, astropy %s)' % (
            np.__version__, scipy.__version__, astropy.__version__),
        'file': FILE,
        'peak': list(PEAK),
        'beamAreaPixels': beam,
        'wholeImage': {
            'finitePixels': int(finite.size),
            'sigmaClipped': {'mean': float(mean), 'median': float(median), 'std': float(std)},
            'madStd': float(mad_std(finite)),
        },
        'cases': [{'name': c['name'], 'options': c['options'],
                   'expected': measure(d, PEAK, **c['kwargs'])} for c in cases],
    }
    with open(OUT, 'w') as fh:
        json.dump(reference, fh, indent=1)
        fh.write('\n')


if __name__ == '__main__':
    main()
