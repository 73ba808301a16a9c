// pipeline module: public, browser-safe exports.
export {};
