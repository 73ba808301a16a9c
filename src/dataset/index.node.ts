// dataset module: Node-only exports (file system, processes).
export {};
