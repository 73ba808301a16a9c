import type { Command } from 'commander';

/** Registers the `files` command (not yet built). */
export function register(_program: Command): void {}
