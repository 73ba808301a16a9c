import type { Command } from 'commander';

/** Registers the `report` command (not yet built). */
export function register(_program: Command): void {}
