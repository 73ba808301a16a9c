import type { Command } from 'commander';

/** Registers the `download` command (not yet built). */
export function register(_program: Command): void {}
