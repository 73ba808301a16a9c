/**
 * The engine's kernel interface: the functions `engine.c` exports, as TypeScript sees them, and
 * their instantiation on a memory. Pointers are byte offsets into that memory.
 *
 * Browser-safe and free of TensorFlow.js.
 */
/** The kernels `engine.c` exports (pointers are byte offsets into the shared memory). */
export interface EngineKernels {
  conv_fwd(
    x: number,
    H: number,
    W: number,
    Ci: number,
    w: number,
    K: number,
    Co: number,
    bias: number,
    out: number,
    oh0: number,
    oh1: number,
  ): void;
  conv_flip(w: number, K: number, Ci: number, Co: number, wt: number): void;
  wino_filter(w: number, Ci: number, Co: number, u: number): void;
  conv3_wino_dw(
    x: number,
    H: number,
    W: number,
    Ci: number,
    dy: number,
    rows: number,
    cols: number,
    rs: number,
    Co: number,
    S: number,
    V: number,
    M: number,
  ): void;
  wino_dw_out(S: number, Ci: number, Co: number, dw: number): void;
  conv3_wino4_dw(
    x: number,
    H: number,
    W: number,
    Ci: number,
    dy: number,
    rows: number,
    cols: number,
    rs: number,
    Co: number,
    S: number,
    V: number,
    M: number,
  ): void;
  wino4_dw_out(S: number, Ci: number, Co: number, dw: number): void;
  softmax_ch(x: number, pixels: number, C: number, creal: number): void;
  softmax_bwd(
    g: number,
    rows: number,
    cols: number,
    rs: number,
    S: number,
    srs: number,
    C: number,
    db: number,
  ): void;
  conv3_wino4(
    x: number,
    H: number,
    W: number,
    Ci: number,
    u: number,
    Co: number,
    bias: number,
    out: number,
    oh1: number,
    V: number,
    M: number,
  ): void;
  conv3_wino(
    x: number,
    H: number,
    W: number,
    Ci: number,
    u: number,
    Co: number,
    bias: number,
    out: number,
    oh1: number,
    V: number,
    M: number,
  ): void;
  conv1_pool(
    x: number,
    H: number,
    W: number,
    w: number,
    K: number,
    Co: number,
    bias: number,
    P: number,
    relu: number,
    out: number,
    band: number,
    idx: number,
  ): void;
  wino4_filter(w: number, Ci: number, Co: number, u: number): void;
  conv3_wino4_pool(
    x: number,
    H: number,
    W: number,
    Ci: number,
    u: number,
    Co: number,
    bias: number,
    P: number,
    relu: number,
    out: number,
    V: number,
    M: number,
  ): void;
  pool_fwd(
    conv: number,
    OH: number,
    OW: number,
    C: number,
    P: number,
    relu: number,
    a: number,
    idx: number,
  ): void;
  pool_bwd(
    da: number,
    a: number,
    idx: number,
    PH: number,
    PW: number,
    C: number,
    P: number,
    relu: number,
    dpre: number,
    rs: number,
    db: number,
  ): void;
  conv_dw(
    x: number,
    W: number,
    Ci: number,
    dy: number,
    rows: number,
    cols: number,
    rs: number,
    Co: number,
    off: number,
    Rp: number,
    dw: number,
    band: number,
  ): void;
  dense_fwd(
    X: number,
    ldx: number,
    m: number,
    K: number,
    W: number,
    U: number,
    b: number,
    out: number,
    relu: number,
  ): void;
  dense_bwd_x(
    dY: number,
    m: number,
    U: number,
    W: number,
    K: number,
    dX: number,
    ldx: number,
  ): void;
  dense_grad(
    X: number,
    ldx: number,
    dY: number,
    m: number,
    U: number,
    k0: number,
    k1: number,
    g: number,
  ): void;
  col_sum(dY: number, m: number, U: number, g: number): void;
  relu_bwd(g: number, y: number, n: number): void;
  zero(p: number, n: number): void;
  sum_parts(src: number, stride: number, T: number, n: number, g: number): void;
  dropout(x: number, n: number, seed: number, threshold: number, scale: number, out: number): void;
  opt_sgd(w: number, g: number, n: number, neglr: number): void;
  opt_adam(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    omb1: number,
    b2: number,
    omb2: number,
    c1: number,
    c2: number,
    eps: number,
    neglr: number,
  ): void;
  opt_rmsprop(
    w: number,
    g: number,
    ms: number,
    mom: number,
    n: number,
    decay: number,
    omdecay: number,
    momentum: number,
    lr: number,
    eps: number,
  ): void;
  opt_adagrad(w: number, g: number, acc: number, n: number, eps: number, neglr: number): void;
  opt_adadelta(
    w: number,
    g: number,
    ag: number,
    au: number,
    n: number,
    rho: number,
    omrho: number,
    eps: number,
    neglr: number,
  ): void;
  opt_adamax(
    w: number,
    g: number,
    m: number,
    u: number,
    n: number,
    b1: number,
    omb1: number,
    b2: number,
    eps: number,
    lrc: number,
  ): void;
}

/** Instantiates the engine module on `memory`. */
export function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): EngineKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as EngineKernels;
}
