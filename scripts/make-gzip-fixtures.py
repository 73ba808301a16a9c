"""Make the .fits.gz fixtures of test/fits-gzip.test.ts and record how astropy reads each.

Run with a Python that has astropy (5.2 was used):

    /usr/bin/python3 scripts/make-gzip-fixtures.py

Writes test/fixtures/gzip/<case>.fits.gz and test/fixtures/gzip/astropy.json, which holds, per
case, either the image astropy reads (shape, nansum, first and last pixel) or the type and
message of the error it raises. The cases are the ways a .fits.gz goes wrong in the wild
(issue 15): compressed twice, a corrupted trailer, a stream cut short, several members, bytes
after the last member.
"""
import gzip
import io
import json
import os
import warnings

import numpy as np
from astropy.io import fits

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'gzip')
os.makedirs(OUT, exist_ok=True)

# A small image with structure, so a wrong byte anywhere shows in the sum.
rows, cols = 40, 48
y, x = np.mgrid[0:rows, 0:cols]
data = (np.sin(x / 5.0) * np.cos(y / 7.0) + 0.01 * x * y).astype('>f4')
data[3, 4] = np.nan
hdu = fits.PrimaryHDU(data)
hdu.header['BUNIT'] = 'Jy/beam'
buf = io.BytesIO()
hdu.writeto(buf)
plain = buf.getvalue()


def gz(b):
    # mtime 0 keeps the fixtures byte-identical from run to run.
    return gzip.compress(b, compresslevel=9, mtime=0)


single = gz(plain)
half = len(plain) // 2
third = len(plain) // 3


def with_byte(b, at, xor):
    c = bytearray(b)
    c[at] ^= xor
    return bytes(c)


cases = {
    'single': single,
    'double': gz(single),
    'two-members': gz(plain[:half]) + gz(plain[half:]),
    'three-members': gz(plain[:third]) + gz(plain[third:2 * third]) + gz(plain[2 * third:]),
    'trailing-zeros': single + b'\0' * 512,
    'trailing-junk': single + b'not gzip at all',
    'bad-crc': with_byte(single, len(single) - 8, 0xFF),
    'bad-isize': with_byte(single, len(single) - 1, 0x01),
    'truncated-half': single[: len(single) // 2],
    'truncated-trailer': single[:-8],
    'header-only': single[:10],
    'bad-method': with_byte(single, 2, 0x01),
}

answers = {}
for name, blob in cases.items():
    path = os.path.join(OUT, f'{name}.fits.gz')
    with open(path, 'wb') as f:
        f.write(blob)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            with fits.open(path) as hdul:
                d = hdul[0].data
                if d is None:
                    raise OSError('no data')
                d = np.asarray(d, dtype='f8')
                answers[name] = {
                    'ok': True,
                    'shape': list(d.shape),
                    'nansum': float(np.nansum(d)),
                    'first': float(d.flat[0]),
                    'last': float(d.flat[-1]),
                }
    except Exception as e:  # noqa: BLE001 - the answer is the error
        answers[name] = {'ok': False, 'error': f'{type(e).__name__}: {e}'}

with open(os.path.join(OUT, 'astropy.json'), 'w') as f:
    json.dump(answers, f, indent=2, sort_keys=True)
    f.write('\n')
for k, v in answers.items():
    print(k, v)
