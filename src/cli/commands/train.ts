import type { Command } from 'commander';

/** Registers the `train` command (not yet built). */
export function register(_program: Command): void {}
