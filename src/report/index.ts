// report module: public, browser-safe exports.
export {};
