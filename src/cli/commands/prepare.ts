import type { Command } from 'commander';

/** Registers the `prepare` command (not yet built). */
export function register(_program: Command): void {}
