// archive module: public, browser-safe exports.
export {};
