// model module: public, browser-safe exports.
export {};
