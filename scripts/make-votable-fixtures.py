"""Make the VOTable fixtures of test/archive-votable-astropy.test.ts and record astropy's reading.

Run with a Python that has astropy (5.2 was used):

    /usr/bin/python3 scripts/make-votable-fixtures.py

- varray.{tabledata,binary,binary2}.xml: a table with multi-dimensional variable-length arrays
  (arraysize "2x*", "2x3x*"), written by astropy in each serialisation;
- regression.astropy.json and varray.astropy.json: every cell as astropy reads it (masked → null,
  arrays flattened in file order, complex as [re, im], NaN/Inf as strings).

regression.xml is astropy's own test file (astropy/io/votable/tests/data), copied unchanged.
"""
import json
import os
import warnings

import numpy as np
from astropy.io.votable import parse

warnings.simplefilter('ignore')
DIR = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'votable')

VARRAY = """<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
<RESOURCE type="results"><TABLE ID="t">
<FIELD name="id" datatype="int"/>
<FIELD name="pairs" datatype="double" arraysize="2x*"/>
<FIELD name="grid" datatype="short" arraysize="2x3x*"/>
<FIELD name="tail" datatype="long"/>
<DATA><TABLEDATA>
<TR><TD>1</TD><TD>1.5 2.5 3.5 4.5</TD><TD>1 2 3 4 5 6</TD><TD>10</TD></TR>
<TR><TD>2</TD><TD></TD><TD>7 8 9 10 11 12 13 14 15 16 17 18</TD><TD>20</TD></TR>
<TR><TD>3</TD><TD>-1 -2</TD><TD></TD><TD>30</TD></TR>
</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>
"""


def cell(d, m, i):
    val = d.data[i]
    mask = m[i]
    if isinstance(val, (bytes, str)):
        return None if (np.ndim(mask) == 0 and bool(mask)) else (
            val.decode() if isinstance(val, bytes) else val)
    arr = val if isinstance(val, np.ma.MaskedArray) else np.ma.array(
        val, mask=mask if np.ndim(mask) == np.ndim(val) else False)
    if arr.ndim == 0:
        if arr.mask is not np.ma.nomask and bool(arr.mask):
            return None
        return scalar(arr.item())
    out = []
    for x, mm in zip(np.asarray(arr.ravel().data), np.ma.getmaskarray(arr.ravel())):
        if mm:
            out.append(None)
        else:
            v = scalar(x.item() if hasattr(x, 'item') else x)
            out.extend(v if isinstance(v, list) else [v])
    return out


def scalar(x):
    if isinstance(x, complex):
        return [scalar(x.real), scalar(x.imag)]
    if isinstance(x, float) and not np.isfinite(x):
        return 'NaN' if np.isnan(x) else ('Inf' if x > 0 else '-Inf')
    return x


def dump(path):
    tables = []
    for t in parse(path).iter_tables():
        a = t.array
        rows = [[cell(a[f.name], a[f.name].mask, i) for f in t.fields] for i in range(len(a))]
        tables.append({'id': t.ID, 'fields': [f.name for f in t.fields], 'rows': rows})
    return tables


def save(name, obj):
    with open(os.path.join(DIR, name), 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')


save('regression.astropy.json', dump(os.path.join(DIR, 'regression.xml')))

src = os.path.join(DIR, 'varray.tabledata.xml')
with open(src, 'w') as f:
    f.write(VARRAY)
for fmt in ('binary', 'binary2'):
    vot = parse(src)
    vot.get_first_table().format = fmt
    vot.to_xml(os.path.join(DIR, f'varray.{fmt}.xml'))
answers = {fmt: dump(os.path.join(DIR, f'varray.{fmt}.xml'))
           for fmt in ('tabledata', 'binary', 'binary2')}
save('varray.astropy.json', answers)
print(json.dumps(answers['binary2'][0]['rows']))
