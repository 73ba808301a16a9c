import type { Command } from 'commander';

/** Registers the `classify-archive` command (not yet built). */
export function register(_program: Command): void {}
