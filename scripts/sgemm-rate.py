"""Native single-precision matrix-product rate of this machine: NumPy's sgemm (the BLAS Debian's
python3-numpy links, OpenBLAS or the reference BLAS) on square float32 matrices, best of several
runs, on all cores and on one. The physical-limit line of `npm run bench -- model` compares the
engine's training and prediction rates, as GFLOP/s of direct-convolution work, with it.

Run: /usr/bin/python3 scripts/sgemm-rate.py [--size N] [--reps R]
Prints one JSON line: {"sgemm_gflops": ..., "sgemm_gflops_1thread": ..., "blas": ...}."""
import argparse, json, os, subprocess, sys, time
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument('--size', type=int, default=1536)
ap.add_argument('--reps', type=int, default=12)
args = ap.parse_args()


def rate(n, reps):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = a @ b  # warm-up
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def blas_name():
    """The BLAS library loaded into this process (from its memory map)."""
    try:
        with open('/proc/self/maps') as f:
            libs = {os.path.basename(l.split()[-1]) for l in f if 'blas' in l.lower()}
        return ', '.join(sorted(libs)) or 'unknown'
    except OSError:
        return 'unknown'


if os.environ.get('SGEMM_ONE_THREAD'):
    print(json.dumps({'gflops': rate(args.size, args.reps)}))
    raise SystemExit
out = {'sgemm_gflops': round(rate(args.size, args.reps), 1), 'threads': os.cpu_count(),
       'blas': blas_name(), 'numpy': np.__version__}
# One thread: a fresh process with every BLAS thread count at 1 (read when the library loads).
env = dict(os.environ, SGEMM_ONE_THREAD='1', OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1',
           MKL_NUM_THREADS='1')
one = subprocess.run([sys.executable, __file__, '--size', str(args.size), '--reps', str(args.reps)],
                     env=env, capture_output=True, text=True, check=True)
out['sgemm_gflops_1thread'] = round(json.loads(one.stdout)['gflops'], 1)
print(json.dumps(out))
