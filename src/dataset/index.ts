// dataset module: public, browser-safe exports.
export {};
