#!/usr/bin/python3
"""Reference answers for the WCS module (src/wcs/) from astropy.wcs (WCSLIB).

Run once from the repository root:  /usr/bin/python3 scripts/make-wcs-reference.py
Writes test/fixtures/wcs/fixtures.json (the real ALMA images in test/fixtures/fits/) and
test/fixtures/wcs/generated.json (a table of made-up headers: every projection, rotated PC and
CD matrices, CROTA2, NCP, slant SIN, non-square pixels, a reference pixel off the image, poles,
RA wrap-around, swapped axes, galactic and FK4/FK5 frames, CUNIT arcsec, LONPOLE/LATPOLE).

For each header it records what astropy (5.2, WCSLIB 7) answers, pixels 0-based in numpy order
([row, col], i.e. FITS y - 1 and x - 1):
  - world: WCS(header).celestial.wcs_pix2world for a set of sample pixels (corners, centre,
    the reference pixel, the peak for real images, random pixels on and off the image,
    fractional ones); NaN (JSON null) where WCSLIB says the pixel has no sky position;
  - pixel: wcs_world2pix of those world positions (the round trip through astropy);
  - scales: proj_plane_pixel_scales (arcsec, [col axis, row axis]), proj_plane_pixel_area;
  - the celestial frame WCSLIB settles on (radesys, equinox), lonpole and latpole after wcsset,
    and the ctype after astropy's fixes (NCP becomes SIN with PV2_2 = cot(CRVAL2)).
"""
import json
import math
import warnings

import astropy
import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_area, proj_plane_pixel_scales

FIXTURES = [
    'b335_2017_band6_0.fits',
    'serpenssouthc7_2019_band6_0.fits',
    'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits',
]
OUT_DIR = 'test/fixtures/wcs'
RNG = np.random.default_rng(13)


def num(v):
    """A float for JSON: None for NaN/inf (JSON has no NaN)."""
    v = float(v)
    return v if math.isfinite(v) else None


def base(ctype1, ctype2, crval1, crval2, cdelt1, cdelt2, shape=(200, 200), crpix=None, **extra):
    """Cards of a 2-axis image header."""
    rows, cols = shape
    cards = [
        ('NAXIS', 2),
        ('NAXIS1', cols),
        ('NAXIS2', rows),
        ('CTYPE1', ctype1),
        ('CTYPE2', ctype2),
        ('CRVAL1', crval1),
        ('CRVAL2', crval2),
        ('CRPIX1', (cols / 2 + 0.5) if crpix is None else crpix[0]),
        ('CRPIX2', (rows / 2 + 0.5) if crpix is None else crpix[1]),
    ]
    if cdelt1 is not None:
        cards += [('CDELT1', cdelt1), ('CDELT2', cdelt2)]
    cards += list(extra.items())
    return cards


def rot_pc(deg):
    t = math.radians(deg)
    return {'PC1_1': math.cos(t), 'PC1_2': -math.sin(t), 'PC2_1': math.sin(t), 'PC2_2': math.cos(t)}


ARCSEC = 1 / 3600
ALMA = 0.1 * ARCSEC

# name, cards
GENERATED = [
    # Every projection at ALMA's scale: 0.1"/px, 200 px.
    *[(f'{p.lower()}-alma', base(f'RA---{p}', f'DEC--{p}', 83.822083, -5.391111, -ALMA, ALMA,
                                 RADESYS='ICRS'))
      for p in ['SIN', 'TAN', 'ARC', 'ZEA', 'STG']],
    # Zenithal projections over a wide field, where they differ (and SIN runs off the sphere).
    *[(f'{p.lower()}-wide', base(f'RA---{p}', f'DEC--{p}', 150.0, 35.0, -0.6, 0.6))
      for p in ['SIN', 'TAN', 'ARC', 'ZEA', 'STG']],
    # Cylindrical and pseudo-cylindrical all-sky maps, 1 deg/px.
    *[(f'{p.lower()}-allsky', base(f'RA---{p}', f'DEC--{p}', 0.0, 0.0, -1.0, 1.0,
                                   shape=(180, 360)))
      for p in ['CAR', 'AIT', 'MOL']],
    # All-sky maps whose reference point is not on the equator (an oblique pole from LATPOLE).
    ('car-oblique', base('RA---CAR', 'DEC--CAR', 120.0, 30.0, -0.5, 0.5, shape=(120, 160))),
    ('ait-oblique', base('GLON-AIT', 'GLAT-AIT', 30.0, -40.0, -0.8, 0.8, shape=(150, 200),
                         LATPOLE=-20.0)),
    ('mol-offset-ref', base('RA---MOL', 'DEC--MOL', 200.0, 0.0, -1.0, 1.0, shape=(180, 360),
                            crpix=(100.5, 70.5))),
    # Rotated pixel grids.
    ('tan-pc-rot30', base('RA---TAN', 'DEC--TAN', 277.5172, -2.0507, -0.05 * ARCSEC * 10,
                          0.05 * ARCSEC * 10, **rot_pc(30.0))),
    ('sin-pc-rot-137', base('RA---SIN', 'DEC--SIN', 10.0, 60.0, -2 * ARCSEC, 2 * ARCSEC,
                            **rot_pc(-137.0))),
    ('tan-cd-skew', base('RA---TAN', 'DEC--TAN', 45.0, -30.0, None, None,
                         CD1_1=-2.1e-4, CD1_2=0.6e-4, CD2_1=0.5e-4, CD2_2=1.9e-4)),
    ('sin-crota2', base('RA---SIN', 'DEC--SIN', 294.253725, 7.5693, -0.05 * ARCSEC,
                        0.05 * ARCSEC, CROTA2=25.0)),
    ('tan-crota2-nonsquare', base('RA---TAN', 'DEC--TAN', 180.0, -60.0, -3e-3, 5e-3,
                                  CROTA2=-70.0)),
    # NCP (WSRT/old VLA): SIN with PV2_2 = cot(dec0).
    ('ncp', base('RA---NCP', 'DEC--NCP', 202.4842, 47.2306, -4e-3, 4e-3, EQUINOX=2000.0)),
    ('ncp-south', base('RA---NCP', 'DEC--NCP', 10.0, -30.0, -2e-3, 2e-3)),
    # Slant orthographic with explicit PV2_1/PV2_2.
    ('sin-slant', base('RA---SIN', 'DEC--SIN', 60.0, 20.0, -5e-3, 5e-3, PV2_1=0.2,
                       PV2_2=-0.15)),
    # Non-square pixels.
    ('sin-nonsquare', base('RA---SIN', 'DEC--SIN', 246.7, -24.5, -0.1 * ARCSEC, 0.25 * ARCSEC,
                           shape=(120, 300))),
    # Reference pixel far off the image (a mosaic tile).
    ('tan-ref-off-image', base('RA---TAN', 'DEC--TAN', 53.1, -27.8, -1e-4, 1e-4,
                               crpix=(-2500.0, 3200.5))),
    ('sin-ref-off-image', base('RA---SIN', 'DEC--SIN', 150.1, 2.2, -ALMA * 10, ALMA * 10,
                               crpix=(900.0, -650.0))),
    # Near the poles and across RA = 0.
    ('sin-near-north-pole', base('RA---SIN', 'DEC--SIN', 45.0, 89.99, -ARCSEC, ARCSEC)),
    ('tan-south-pole', base('RA---TAN', 'DEC--TAN', 0.0, -90.0, -0.01, 0.01)),
    ('sin-ra-wrap', base('RA---SIN', 'DEC--SIN', 359.99, 10.0, -0.5 * ARCSEC, 0.5 * ARCSEC)),
    # Celestial axes swapped (latitude on FITS axis 1).
    ('tan-swapped-axes', base('DEC--TAN', 'RA---TAN', -12.0, 210.0, 1e-3, -1e-3)),
    # LONPOLE given for a zenithal projection (rotates the sky about the reference point).
    ('zea-lonpole', base('RA---ZEA', 'DEC--ZEA', 300.0, 40.0, -0.02, 0.02, LONPOLE=150.0)),
    # Frames and units.
    ('sin-fk5-j2000', base('RA---SIN', 'DEC--SIN', 266.4, -28.9, -ALMA, ALMA, RADESYS='FK5',
                           EQUINOX=2000.0)),
    ('tan-fk4-b1950', base('RA---TAN', 'DEC--TAN', 83.0, 22.0, -1e-3, 1e-3, RADESYS='FK4',
                           EQUINOX=1950.0)),
    ('tan-equinox-only-1950', base('RA---TAN', 'DEC--TAN', 83.0, 22.0, -1e-3, 1e-3,
                                   EQUINOX=1950.0)),
    ('sin-galactic', base('GLON-SIN', 'GLAT-SIN', 359.94, -0.05, -0.2 * ARCSEC, 0.2 * ARCSEC)),
    ('sin-cunit-arcsec', base('RA---SIN', 'DEC--SIN', 83.822083 * 3600, -5.391111 * 3600,
                              -0.1, 0.1, CUNIT1='arcsec', CUNIT2='arcsec')),
    # An ALMA-style four-axis header: frequency and Stokes linear, PC matrix over all axes.
    ('alma-4axis', [
        ('NAXIS', 4), ('NAXIS1', 240), ('NAXIS2', 200), ('NAXIS3', 1), ('NAXIS4', 1),
        ('CTYPE1', 'RA---SIN'), ('CRVAL1', 248.0954), ('CDELT1', -0.03 * ARCSEC),
        ('CRPIX1', 121.0), ('CUNIT1', 'deg'),
        ('CTYPE2', 'DEC--SIN'), ('CRVAL2', -24.3765), ('CDELT2', 0.03 * ARCSEC),
        ('CRPIX2', 101.0), ('CUNIT2', 'deg'),
        ('CTYPE3', 'FREQ'), ('CRVAL3', 2.3e11), ('CDELT3', 2e9), ('CRPIX3', 1.0),
        ('CUNIT3', 'Hz'),
        ('CTYPE4', 'STOKES'), ('CRVAL4', 1.0), ('CDELT4', 1.0), ('CRPIX4', 1.0), ('CUNIT4', ''),
        ('PC1_1', 1.0), ('PC1_2', 0.0), ('PC2_1', 0.0), ('PC2_2', 1.0), ('PC3_3', 1.0),
        ('PC4_4', 1.0), ('LONPOLE', 180.0), ('LATPOLE', -24.3765), ('RADESYS', 'ICRS'),
        ('PV2_1', 0.0), ('PV2_2', 0.0),
    ]),
]


def header_of(cards):
    h = fits.Header()
    for k, v in cards:
        h[k] = v
    return h


def sample_pixels(rows, cols, extra=()):
    """[row, col] samples: corners, centre, extras, random on and off the image, fractions."""
    pix = [(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1),
           ((rows - 1) / 2, (cols - 1) / 2), (-0.5, -0.5), (rows - 0.5, cols - 0.5)]
    pix += list(extra)
    for _ in range(16):
        pix.append((float(RNG.uniform(0, rows - 1)), float(RNG.uniform(0, cols - 1))))
    for _ in range(8):
        pix.append((float(RNG.uniform(-0.5 * rows, 1.5 * rows)),
                    float(RNG.uniform(-0.5 * cols, 1.5 * cols))))
    for _ in range(8):
        pix.append((float(RNG.integers(0, rows)), float(RNG.integers(0, cols))))
    return [[float(r), float(c)] for r, c in pix]


def answers(cards, rows, cols, extra=()):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', AstropyWarning)
        w = WCS(header_of(cards)).celestial
    lon_axis = w.wcs.lng  # 0 = FITS axis 1 holds longitude
    crpix = w.wcs.crpix
    ref = (crpix[1] - 1, crpix[0] - 1)
    pixels = sample_pixels(rows, cols, [ref, *extra])
    xy = np.array([[c, r] for r, c in pixels], dtype=float)
    with np.errstate(invalid='ignore'):
        world = w.wcs_pix2world(xy, 0)
    # Longitude first, whatever the axis order.
    lonlat = world[:, [lon_axis, 1 - lon_axis]]
    good = np.all(np.isfinite(world), axis=1)
    back = np.full_like(xy, np.nan)
    if good.any():
        back[good] = w.wcs_world2pix(world[good], 0)
    scales = proj_plane_pixel_scales(w) * 3600
    return {
        'ctype': list(w.wcs.ctype),
        'radesys': w.wcs.radesys or None,
        'equinox': num(w.wcs.equinox),
        'lonpole': num(w.wcs.lonpole),
        'latpole': num(w.wcs.latpole),
        'scalesArcsec': [num(s) for s in scales],
        'pixelAreaArcsec2': num(proj_plane_pixel_area(w) * 3600 * 3600),
        'samples': [
            {
                'pixel': p,
                'world': [num(lonlat[i, 0]), num(lonlat[i, 1])],
                'back': [num(back[i, 1]), num(back[i, 0])],
            }
            for i, p in enumerate(pixels)
        ],
    }


def main():
    meta = {'astropy': astropy.__version__, 'numpy': np.__version__,
            'script': 'scripts/make-wcs-reference.py'}
    fixtures = []
    for name in FIXTURES:
        with fits.open(f'test/fixtures/fits/{name}') as hdul:
            h = hdul[0].header
            d = np.squeeze(hdul[0].data).astype(np.float64)
        peak = np.unravel_index(np.nanargmax(d), d.shape)
        rows, cols = d.shape
        entry = {'file': name, 'shape': [rows, cols], 'peak': [int(peak[0]), int(peak[1])]}
        entry.update(answers(list(h.items()), rows, cols, [tuple(float(v) for v in peak)]))
        fixtures.append(entry)
    generated = []
    for name, cards in GENERATED:
        h = header_of(cards)
        rows, cols = h['NAXIS2'], h['NAXIS1']
        entry = {'name': name, 'shape': [rows, cols],
                 'cards': [[k, v] for k, v in cards]}
        entry.update(answers(cards, rows, cols))
        generated.append(entry)
    for file, data in [('fixtures.json', fixtures), ('generated.json', generated)]:
        with open(f'{OUT_DIR}/{file}', 'w') as f:
            json.dump({'meta': meta, 'headers': data}, f, indent=1, allow_nan=False)
            f.write('\n')
    print(f'wrote {len(fixtures)} fixture and {len(generated)} generated headers to {OUT_DIR}')


if __name__ == '__main__':
    main()
