// Minimal typing of the parts of fitsjs 0.6.6 that test/helpers/fitsjs.ts uses.
declare module 'fitsjs' {
  /** fitsjs's header object: the parsed cards. */
  export interface FitsjsHeader {
    get(key: string): unknown;
    getDataType(): string | null;
  }
  /** What fitsjs's parser holds once it has walked a file. */
  export interface FitsjsParser {
    hdus: { header: FitsjsHeader }[];
  }
  interface FitsjsNamespace {
    FITS: {
      new (arg: unknown, callback: (fits: FitsjsParser) => void): FitsjsParser;
      /** The card checks each new Header copies (CoffeeScript `VerifyFns`). */
      HeaderVerify: { VerifyFns: Record<string, (...args: unknown[]) => unknown> };
      /** `Base.prototype` (CoffeeScript's link to the parent class), holding `invoke`. */
      __super__: { invoke: (...args: unknown[]) => unknown };
      /** A header parsed from its text (cards, END and padding). */
      Header: new (text: string) => FitsjsHeader;
      /** The image data unit; `_getFrame` decodes big-endian pixels (and swaps `buffer` in place). */
      Image: {
        prototype: {
          _getFrame(
            buffer: ArrayBuffer,
            bitpix: number,
            bzero: number,
            bscale: number,
          ): ArrayLike<number>;
        };
      };
    };
  }
  const fitsjs: { astro: FitsjsNamespace };
  export default fitsjs;
}
