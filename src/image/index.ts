// image module: public, browser-safe exports.
export {};
