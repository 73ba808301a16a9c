// Minimal typing of the parts of fitsjs 0.6.6 that src/fits/fitsjs-adapter.ts uses.
declare module 'fitsjs' {
  /** fitsjs's header object: parsed cards plus the raw header text it was built from. */
  interface FitsjsHeader {
    block: string;
    get(key: string): unknown;
    getDataType(): string | null;
    hasDataUnit(): boolean;
  }
  interface FitsjsHdu {
    header: FitsjsHeader;
    data?: unknown;
  }
  interface FitsjsParser {
    hdus: FitsjsHdu[];
  }
  interface FitsjsNamespace {
    FITS: {
      new (arg: unknown, callback: (fits: FitsjsParser) => void): FitsjsParser;
      HeaderVerify: { VerifyFns: Record<string, (...args: unknown[]) => unknown> };
      Image: {
        prototype: {
          _getFrame(
            buffer: ArrayBuffer,
            bitpix: number,
            bzero: number,
            bscale: number,
          ): Int16Array | Int32Array | Uint16Array | Float32Array;
        };
      };
    };
  }
  const fitsjs: { astro: FitsjsNamespace };
  export default fitsjs;
}
