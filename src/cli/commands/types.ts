import type { Command } from 'commander';

/** A CLI command module registers its subcommand(s) on the program. */
export type RegisterCommand = (program: Command) => void;
