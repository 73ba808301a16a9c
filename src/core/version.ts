/** The library's version, recorded in saved datasets and models. Kept equal to package.json by a test. */
export const VERSION = '0.1.0';
