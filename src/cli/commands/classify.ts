import type { Command } from 'commander';

/** Registers the `classify` command (not yet built). */
export function register(_program: Command): void {}
