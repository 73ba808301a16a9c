import type { Command } from 'commander';

/** Registers the `evaluate` command (not yet built). */
export function register(_program: Command): void {}
