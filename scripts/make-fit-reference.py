#!/usr/bin/python3
"""Reference fits of an elliptical Gaussian plus constant, for test/image-fit-gaussian.test.ts.

Fits the model of src/image/fit-gaussian.ts,

    f(r, c) = A exp(-(u^2 / sa^2 + v^2 / sb^2) / 2) + B,
    dx = c - c0, dy = r0 - r   (display "up" is -row),
    u = dx cos t + dy sin t,  v = -dx sin t + dy cos t,

with scipy.optimize.curve_fit (MINPACK Levenberg-Marquardt, tolerances 1e-14) on
  (a) seeded noisy elliptical Gaussians written as float32 .npy under test/fixtures/reference/fit/
      (one with NaN pixels and a weight map, one with a mask, one fitted in a window), and
  (b) a window around the brightest pixel of test/fixtures/fits/serpenssouthc7_2019_band6_0.fits
      (read with astropy),
and writes inputs, starting points and the fitted parameters (sigmaMajor >= sigmaMinor, angle in
degrees in (-90, 90], counter-clockwise from +column with row 0 at the top) plus curve_fit's
one-sigma errors (absolute_sigma=False) to test/fixtures/reference/fit-gaussian.json.

Run from the repository root:  /usr/bin/python3 scripts/make-fit-reference.py
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy.optimize import curve_fit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "reference")
NPY_DIR = os.path.join(OUT_DIR, "fit")
SERPENS = os.path.join(ROOT, "test", "fixtures", "fits", "serpenssouthc7_2019_band6_0.fits")
NAMES = ["amplitude", "row", "col", "sigmaMajor", "sigmaMinor", "angleDeg", "offset"]


def model(rc, a, r0, c0, sa, sb, t, b):
    r, c = rc
    dx = c - c0
    dy = r0 - r
    u = dx * np.cos(t) + dy * np.sin(t)
    v = -dx * np.sin(t) + dy * np.cos(t)
    return a * np.exp(-0.5 * (u * u / (sa * sa) + v * v / (sb * sb))) + b


def render(shape, p):
    r, c = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    t = np.deg2rad(p["angleDeg"])
    return model((r, c), p["amplitude"], p["row"], p["col"], p["sigmaMajor"], p["sigmaMinor"], t, p["offset"])


def canonical(x, err):
    a, r0, c0, sa, sb, t, b = x
    ea, er, ec, esa, esb, et, eb = err
    sa, sb = abs(sa), abs(sb)
    deg = np.rad2deg(t)
    if sa < sb:
        sa, sb, esa, esb = sb, sa, esb, esa
        deg += 90.0
    deg = deg - 180.0 * np.floor(deg / 180.0)
    if deg > 90:
        deg -= 180.0
    values = [a, r0, c0, sa, sb, deg, b]
    errors = [ea, er, ec, esa, esb, np.rad2deg(et), eb]
    return dict(zip(NAMES, map(float, values))), dict(zip(NAMES, map(float, errors)))


def window_of(image, side):
    """The window fitGaussian2D cuts: `side` square centred on the brightest pixel, clipped."""
    R, C = image.shape
    cr, cc = np.unravel_index(np.nanargmax(image), image.shape)
    r0 = max(0, cr - side // 2)
    c0 = max(0, cc - side // 2)
    r1 = min(R, cr - side // 2 + side)
    c1 = min(C, cc - side // 2 + side)
    return {"row": int(r0), "col": int(c0), "rows": int(r1 - r0), "cols": int(c1 - c0)}


def fit(image, p0, weights=None, mask=None, window=None):
    R, C = image.shape
    win = window or {"row": 0, "col": 0, "rows": R, "cols": C}
    r, c = np.mgrid[0:R, 0:C].astype(np.float64)
    use = np.zeros((R, C), bool)
    use[win["row"] : win["row"] + win["rows"], win["col"] : win["col"] + win["cols"]] = True
    use &= np.isfinite(image)
    w = np.ones((R, C)) if weights is None else weights.astype(np.float64)
    use &= np.isfinite(w) & (w > 0)
    if mask is not None:
        use &= mask != 0
    y = image.astype(np.float64)[use]
    sigma = 1.0 / np.sqrt(w[use])
    x0 = [p0[k] for k in NAMES]
    x0[5] = np.deg2rad(x0[5])
    popt, pcov = curve_fit(
        model,
        (r[use], c[use]),
        y,
        p0=x0,
        sigma=sigma,
        absolute_sigma=False,
        method="lm",
        ftol=1e-14,
        xtol=1e-14,
        gtol=1e-14,
        maxfev=20000,
    )
    resid = y - model((r[use], c[use]), *popt)
    params, errors = canonical(popt, np.sqrt(np.diag(pcov)))
    return {
        "params": params,
        "stderr": errors,
        "cost": float(np.sum(w[use] * resid**2)),
        "residualRms": float(np.sqrt(np.mean(resid**2))),
        "pixels": int(use.sum()),
        "window": win,
    }


def save(name, array):
    path = os.path.join(NPY_DIR, name)
    np.save(path, array)
    return "fit/" + name


def generated_cases(rng):
    cases = []

    # (a1) plain: the whole image, no weights.
    truth = dict(amplitude=3.0, row=30.3, col=25.7, sigmaMajor=6.0, sigmaMinor=2.5, angleDeg=30.0, offset=0.2)
    img = (render((60, 64), truth) + rng.normal(0, 0.05, (60, 64))).astype(np.float32)
    cases.append(dict(name="plain", image=img, truth=truth))

    # (a2) NaN pixels (scattered and a block) and a weight map (noise growing to the right).
    truth = dict(amplitude=1.5, row=22.4, col=26.1, sigmaMajor=4.0, sigmaMinor=1.5, angleDeg=-65.0, offset=-0.1)
    noise = 0.02 * (1 + np.arange(48)[None, :] / 48.0) * np.ones((48, 1))
    img = render((48, 48), truth) + rng.normal(0, 1, (48, 48)) * noise
    img[rng.random((48, 48)) < 0.05] = np.nan
    img[0:6, 30:40] = np.nan
    cases.append(dict(name="nan-weights", image=img.astype(np.float32), truth=truth,
                      weights=(1.0 / noise**2).astype(np.float32)))

    # (a3) nearly round, negative offset, a masked-out rectangle.
    truth = dict(amplitude=0.8, row=19.6, col=29.2, sigmaMajor=3.0, sigmaMinor=2.6, angleDeg=80.0, offset=-0.3)
    img = (render((40, 56), truth) + rng.normal(0, 0.01, (40, 56))).astype(np.float32)
    mask = np.ones((40, 56), np.uint8)
    mask[5:15, 40:52] = 0
    img[5:15, 40:52] += 5.0  # would spoil the fit if the mask were ignored
    cases.append(dict(name="round-mask", image=img, truth=truth, mask=mask))

    # (a4) a 31-pixel window around the brightest pixel of an image with a second source.
    truth = dict(amplitude=2.0, row=40.2, col=37.9, sigmaMajor=3.5, sigmaMinor=1.8, angleDeg=5.0, offset=0.05)
    other = dict(amplitude=1.0, row=10.0, col=70.0, sigmaMajor=3.0, sigmaMinor=3.0, angleDeg=0.0, offset=0.0)
    img = (render((80, 80), truth) + render((80, 80), other) + rng.normal(0, 0.03, (80, 80))).astype(np.float32)
    cases.append(dict(name="window", image=img, truth=truth, window=31))

    out = []
    for case in cases:
        entry = {"name": case["name"], "input": save(case["name"] + ".npy", case["image"]),
                 "shape": list(case["image"].shape), "truth": case["truth"]}
        weights = case.get("weights")
        mask = case.get("mask")
        window = window_of(case["image"], case["window"]) if "window" in case else None
        if weights is not None:
            entry["weights"] = save(case["name"] + "-weights.npy", weights)
        if mask is not None:
            entry["mask"] = save(case["name"] + "-mask.npy", mask)
        if "window" in case:
            entry["windowSide"] = case["window"]
        # Start a little away from the truth, as a moment guess would.
        p0 = dict(case["truth"])
        p0.update(amplitude=p0["amplitude"] * 0.9, row=p0["row"] + 0.4, col=p0["col"] - 0.3,
                  sigmaMajor=p0["sigmaMajor"] * 1.1, sigmaMinor=p0["sigmaMinor"] * 0.9,
                  angleDeg=p0["angleDeg"] + 4.0, offset=0.0)
        entry["p0"] = p0
        entry["reference"] = fit(case["image"], p0, weights, mask, window)
        entry["tolerance"] = "1e-6 relative (of max(|value|, 1)) for parameters; 1e-3 relative for stderr"
        out.append(entry)
    return out


def serpens_case():
    from astropy.io import fits

    with fits.open(SERPENS) as hdul:
        image = np.squeeze(hdul[0].data).astype(np.float32)
    side = 41
    win = window_of(image, side)
    sub = image[win["row"] : win["row"] + win["rows"], win["col"] : win["col"] + win["cols"]].astype(np.float64)
    # Start from background-subtracted moments of the window, as fitGaussian2D does.
    bg = float(np.nanmedian(sub))
    w = np.clip(np.nan_to_num(sub - bg), 0, None)
    w[sub - bg < 0.2 * (np.nanmax(sub) - bg)] = 0
    r, c = np.mgrid[0 : sub.shape[0], 0 : sub.shape[1]]
    mr, mc = (w * r).sum() / w.sum(), (w * c).sum() / w.sum()
    p0 = dict(amplitude=float(np.nanmax(sub) - bg), row=float(mr + win["row"]), col=float(mc + win["col"]),
              sigmaMajor=4.0, sigmaMinor=3.0, angleDeg=30.0, offset=bg)
    return {
        "name": "serpens",
        "fits": "serpenssouthc7_2019_band6_0.fits",
        "shape": list(image.shape),
        "windowSide": side,
        "p0": p0,
        "reference": fit(image, p0, window=win),
        "tolerance": "1e-4 relative (of max(|value|, 1e-3 for amplitude/offset, 1 otherwise)) for parameters",
    }


def main():
    os.makedirs(NPY_DIR, exist_ok=True)
    rng = np.random.default_rng(20240612)
    cases = generated_cases(rng)
    cases.append(serpens_case())
    doc = {
        "generator": "scripts/make-fit-reference.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "model": "A exp(-(u^2/sa^2 + v^2/sb^2)/2) + B; u = dx cos t + dy sin t, v = -dx sin t + dy cos t, dx = col - c0, dy = r0 - row",
        "fitter": "scipy.optimize.curve_fit(method='lm', ftol=xtol=gtol=1e-14, sigma=1/sqrt(weight), absolute_sigma=False)",
        "cases": cases,
    }
    with open(os.path.join(OUT_DIR, "fit-gaussian.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    for case in cases:
        print(case["name"], json.dumps(case["reference"]["params"]), file=sys.stderr)


if __name__ == "__main__":
    main()
