"""Make the tile-compressed FITS fixtures of test/fits-tiled.test.ts, with astropy's reading.

Run with a Python that has astropy (5.2 was used):

    /usr/bin/python3 scripts/make-tiled-fixtures.py

For every case, writes test/fixtures/tiled/<case>.fits (an empty primary HDU and a
CompImageHDU made by astropy's CompImageHDU, i.e. cfitsio's compressor) and <case>.npy: the
image astropy reads back from that file (`fits.open(f)[1].data`), which the reader must give
value for value. cases.json lists the cases with what each exercises. Also copies astropy's
own three compressed test files (comp.fits, compressed_image.fits,
compressed_float_bzero.fits) and records their data the same way.
"""
import hashlib
import json
import os
import shutil
import warnings

import numpy as np
from astropy.io import fits

warnings.simplefilter('ignore')
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'tiled')
os.makedirs(OUT, exist_ok=True)

ROWS, COLS = 21, 33
rng = np.random.default_rng(20240611)
y, x = np.mgrid[0:ROWS, 0:COLS]
blob = np.exp(-((x - 15) ** 2 + (y - 9) ** 2) / 30.0)


def floats(dtype='f4'):
    d = (100 * blob + rng.normal(0, 1.5, (ROWS, COLS))).astype(dtype)
    d[3, 4] = np.nan
    d[10, 0:3] = np.nan
    return d


def floats_with_zeros(dtype='f4'):
    d = floats(dtype)
    d[5, 5:12] = 0.0
    return d


def ints(dtype, lo, hi):
    d = (lo + (hi - lo) * blob + rng.integers(-3, 4, (ROWS, COLS))).clip(lo, hi)
    return d.astype(dtype)


CASES = {}


def case(name, data, what, **kw):
    CASES[name] = (data, what, kw)


case('rice_i16', ints('>i2', -200, 3000), 'RICE_1 int16, a tile per row')
case('rice_i16_tiles', ints('>i2', -200, 3000), 'RICE_1 int16, 8x5 tiles (edge tiles smaller)',
     tile_size=[5, 8])
case('rice_u8', ints('u1', 0, 255), 'RICE_1 uint8 (BITPIX 8, BYTEPIX 1)')
case('rice_i32', ints('>i4', -70000, 900000), 'RICE_1 int32')
case('rice_f32_dither1', floats(), 'RICE_1 float32 quantized, SUBTRACTIVE_DITHER_1, NaN',
     quantize_method=1, dither_seed=42)
case('rice_f32_dither2', floats_with_zeros(), 'RICE_1 float32, SUBTRACTIVE_DITHER_2 (zeros kept)',
     quantize_method=2, dither_seed=7)
case('rice_f32_nodither', floats(), 'RICE_1 float32 quantized, NO_DITHER', quantize_method=-1)
case('rice_f64_dither1', floats('f8'), 'RICE_1 float64 quantized, SUBTRACTIVE_DITHER_1',
     quantize_method=1, dither_seed=3, tile_size=[7, 11])
case('gzip1_i16', ints('>i2', -200, 3000), 'GZIP_1 int16', compression_type='GZIP_1')
case('gzip1_i32', ints('>i4', -70000, 900000), 'GZIP_1 int32', compression_type='GZIP_1')
case('gzip1_u8', ints('u1', 0, 255), 'GZIP_1 uint8', compression_type='GZIP_1')
case('gzip1_f32_dither1', floats(), 'GZIP_1 float32 quantized', compression_type='GZIP_1',
     quantize_method=1, dither_seed=11)
case('gzip1_f32_lossless', floats(), 'GZIP_1 float32 not quantized (quantize_level 0)',
     compression_type='GZIP_1', quantize_level=0.0)
case('gzip1_f64_lossless', floats('f8'), 'GZIP_1 float64 not quantized',
     compression_type='GZIP_1', quantize_level=0.0)
case('gzip2_i16', ints('>i2', -200, 3000), 'GZIP_2 int16 (shuffled bytes)', compression_type='GZIP_2')
case('gzip2_i32', ints('>i4', -70000, 900000), 'GZIP_2 int32', compression_type='GZIP_2',
     tile_size=[4, 16])
case('gzip2_f32_dither2', floats_with_zeros(), 'GZIP_2 float32, SUBTRACTIVE_DITHER_2',
     compression_type='GZIP_2', quantize_method=2, dither_seed=5)
case('gzip2_f32_lossless', floats(), 'GZIP_2 float32 not quantized', compression_type='GZIP_2',
     quantize_level=0.0)
case('plio_i16', ints('>i2', 0, 1000), 'PLIO_1 int16', compression_type='PLIO_1')
# (PLIO with square tiles crashes astropy 5.2's compressor: a tile per row.)
case('plio_i32', ints('>i4', 0, 70000), 'PLIO_1 int32', compression_type='PLIO_1')
case('hcomp_i16', ints('>i2', -200, 3000), 'HCOMPRESS_1 int16, lossless',
     compression_type='HCOMPRESS_1', tile_size=[ROWS, COLS])
case('hcomp_i32', ints('>i4', -70000, 900000), 'HCOMPRESS_1 int32, lossless, 8x16 tiles',
     compression_type='HCOMPRESS_1', tile_size=[8, 16])
case('hcomp_i16_scale', ints('>i2', -200, 3000), 'HCOMPRESS_1 int16, lossy (scale 4)',
     compression_type='HCOMPRESS_1', tile_size=[ROWS, COLS], hcomp_scale=4)
case('hcomp_i16_smooth', ints('>i2', -200, 3000), 'HCOMPRESS_1 int16, scale 4, smoothed',
     compression_type='HCOMPRESS_1', tile_size=[ROWS, COLS], hcomp_scale=4, hcomp_smooth=1)
case('hcomp_f32_dither1', floats(), 'HCOMPRESS_1 float32 quantized, 16x16 tiles',
     compression_type='HCOMPRESS_1', tile_size=[16, 16], quantize_method=1, dither_seed=9)
case('hcomp_f32_scale', floats(), 'HCOMPRESS_1 float32 quantized and lossy (scale 2.5)',
     compression_type='HCOMPRESS_1', tile_size=[ROWS, COLS], hcomp_scale=2.5,
     quantize_method=1, dither_seed=13)

cube = np.stack([floats() * (k + 1) for k in range(3)])
case('rice_cube_f32', cube, 'RICE_1 float32 cube [3, 21, 33], a tile per plane',
     tile_size=[1, ROWS, COLS], quantize_method=1, dither_seed=17)
case('gzip2_cube_i16', np.stack([ints('>i2', 0, 900) for _ in range(4)]),
     'GZIP_2 int16 cube [4, 21, 33], tiles of 2 planes', compression_type='GZIP_2',
     tile_size=[2, ROWS, COLS])

blank = ints('>i2', -200, 3000)
blank[2, 2:6] = -32768


def save(name, path, npy=True):
    """Record astropy's image: as .npy, or (for a large image) its float64 sum and SHA-256."""
    with fits.open(path) as hdul:
        data = np.ascontiguousarray(hdul[1].data)
        little = data.astype(data.dtype.newbyteorder('<'))
        if npy:
            # 16-bit integers as int32, which every .npy reader takes (values unchanged).
            kept = little.astype('<i4') if little.dtype.kind in 'iu' and little.itemsize == 2 else little
            np.save(os.path.join(OUT, f'{name}.npy'), kept)
        return {
            'dtype': str(data.dtype),
            'shape': list(data.shape),
            'sum': float(np.nansum(data.astype('f8'))),
            'sha256': hashlib.sha256(little.tobytes()).hexdigest(),
        }


index = {}
for name, (data, what, kw) in CASES.items():
    path = os.path.join(OUT, f'{name}.fits')
    hdu = fits.CompImageHDU(data, **kw)
    hdu.header['BUNIT'] = 'Jy/beam'
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)
    index[name] = {'what': what, **save(name, path)}

# An int16 image with BLANK, and uint16 through BZERO = 32768.
path = os.path.join(OUT, 'rice_i16_blank.fits')
hdu = fits.CompImageHDU(blank)
hdu.header['BLANK'] = -32768
fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)
index['rice_i16_blank'] = {'what': 'RICE_1 int16 with BLANK', **save('rice_i16_blank', path)}
path = os.path.join(OUT, 'rice_u16.fits')
fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(ints('u2', 0, 65000), uint=True)]).writeto(
    path, overwrite=True)
index['rice_u16'] = {'what': 'RICE_1 uint16 (int16 with BZERO 32768)', **save('rice_u16', path)}

ASTROPY_DATA = '/usr/lib/python3/dist-packages/astropy/io/fits/tests/data'
for f in ['comp.fits', 'compressed_image.fits', 'compressed_float_bzero.fits']:
    name = 'astropy_' + f[:-5]
    shutil.copy(os.path.join(ASTROPY_DATA, f), os.path.join(OUT, f'{name}.fits'))
    record = save(name, os.path.join(OUT, f'{name}.fits'), npy=f != 'comp.fits')
    index[name] = {'what': f"astropy's own test file {f}", **record}

with open(os.path.join(OUT, 'cases.json'), 'w') as fh:
    json.dump(index, fh, indent=1, sort_keys=True)
    fh.write('\n')
for k, v in index.items():
    print(k, v)
