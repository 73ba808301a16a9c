import type { Command } from 'commander';

/** Registers the `search` command (not yet built). */
export function register(_program: Command): void {}
