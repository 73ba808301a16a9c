// fits module: public, browser-safe exports.
export {};
