/**
 * Command-line arguments for every CLI (scripts/, bench/): one description of a command's options gives both the
 * parser (node:util parseArgs, strict) and its `--help` text. Numbers and choices are checked here, with messages
 * that name the flag and what it expects ("--chunk-size expects a whole number from 100 to 1000000"); any problem
 * is a ValidationError, which runCli prints as one line. Checks that relate two flags stay with the command.
 *
 * @example
 * const cli = defineCli({
 *   usage: 'npm run scan [-- options]',
 *   options: { full: { type: 'boolean', help: 'rescan every transaction' },
 *              'chunk-size': { type: 'integer', arg: 'N', min: 100, max: 1_000_000, help: 'rows per chunk' } },
 * });
 * const values = cli.parse(process.argv.slice(2)); // undefined after printing --help
 * if (values) await runScan({ mode: values.full ? 'full' : 'incremental', chunkSize: values['chunk-size'] });
 */
import { parseArgs } from 'node:util';
import { ValidationError } from '../errors.js';

interface CommonOption {
  /** One or more lines for --help. */
  help: string;
  /** A one-letter alias (`-x`). */
  short?: string;
  /** Left out of --help (an internal flag, e.g. between a benchmark and its child process). */
  hidden?: boolean;
}
/** Present or absent: true or false. */
export interface FlagOption extends CommonOption {
  type: 'boolean';
}
/** Any text, or text that matches `pattern` (`expects` says what in words). */
export interface TextOption extends CommonOption {
  type: 'string';
  /** How the value is shown in --help, e.g. `<key>`. */
  arg?: string;
  default?: string;
  pattern?: RegExp;
  expects?: string;
}
/** A whole number from `min` to `max`. */
export interface IntegerOption extends CommonOption {
  type: 'integer';
  arg?: string;
  min: number;
  max: number;
  default?: number;
}
/** Comma-separated whole numbers, each from `min` to `max`. */
export interface IntegerListOption extends CommonOption {
  type: 'integer-list';
  arg?: string;
  min: number;
  max: number;
  default?: readonly number[];
}
/** One of a few words. */
export interface ChoiceOption extends CommonOption {
  type: 'choice';
  choices: readonly string[];
  arg?: string;
  default?: string;
}
export type CliOption = FlagOption | TextOption | IntegerOption | IntegerListOption | ChoiceOption;

/** The parsed value of one option: defaulted options are never undefined. */
export type CliValue<O extends CliOption> = O extends FlagOption
  ? boolean
  : O extends IntegerOption
    ? O extends { default: number }
      ? number
      : number | undefined
    : O extends IntegerListOption
      ? O extends { default: readonly number[] }
        ? number[]
        : number[] | undefined
      : O extends { type: 'choice'; choices: readonly (infer C)[] }
        ? O extends { default: string }
          ? C
          : C | undefined
        : O extends { default: string }
          ? string
          : string | undefined;

export type CliValues<Options extends Record<string, CliOption>> = {
  -readonly [K in keyof Options]: CliValue<Options[K]>;
};

export interface CliSpec<Options extends Record<string, CliOption>> {
  /** After "Usage: ", e.g. `npm run scan [-- options]`. */
  usage: string;
  /** Paragraphs between the usage line and the options. */
  description?: string;
  /** What the command does with no option at all (shown as the first row, "(no option)"). */
  noOption?: string;
  options: Options;
  /** Paragraphs after the options (environment, examples). */
  notes?: string;
  /**
   * Stop at the first positional argument: it and everything after it are handed back unparsed in `rest` (a
   * sub-command and its own options, as `npm run bench -- scan --transactions 3000`). The command's own options
   * must then be flags (a value could not be told from the sub-command).
   */
  subcommand?: boolean;
}

export interface Cli<Options extends Record<string, CliOption>> {
  /** The --help text. */
  readonly help: string;
  /** Parses `args`; prints the help and returns undefined for -h / --help. Throws a ValidationError. */
  parse(args: readonly string[]): CliValues<Options> | undefined;
  /** As parse, also handing back the sub-command's arguments (`subcommand: true`). */
  parseWithRest(args: readonly string[]): { values: CliValues<Options>; rest: string[] } | undefined;
}

/** Left parts (`--name <arg>`) longer than this do not widen the help's first column. */
const MAX_LEFT = 24;

const HELP_OPTION: FlagOption = { type: 'boolean', short: 'h', help: 'this text' };

/** Describes a command's options once; see the file header. */
export function defineCli<const Options extends Record<string, CliOption>>(
  spec: CliSpec<Options>,
): Cli<Options> {
  const options = { ...spec.options, help: HELP_OPTION } as Record<string, CliOption>;
  const help = helpText(spec, options);
  const parseWithRest = (args: readonly string[]) => {
    const split = spec.subcommand ? args.findIndex((a) => !a.startsWith('-')) : -1;
    const own = split >= 0 ? args.slice(0, split) : [...args];
    const rest = split >= 0 ? args.slice(split) : [];
    const raw = parseStrict(own, options);
    if (raw.help) {
      console.log(help);
      return undefined;
    }
    const values: Record<string, unknown> = {};
    for (const [name, option] of Object.entries(spec.options))
      values[name] = convert(name, option, raw[name]);
    return { values: values as CliValues<Options>, rest };
  };
  return {
    help,
    parseWithRest,
    parse: (args) => parseWithRest(args)?.values,
  };
}

function parseStrict(
  args: string[],
  options: Record<string, CliOption>,
): Record<string, string | boolean | undefined> {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, option] of Object.entries(options)) {
    config[name] = { type: option.type === 'boolean' ? 'boolean' : 'string' };
    if (option.short) config[name].short = option.short;
  }
  try {
    return parseArgs({ args, options: config, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ValidationError(argumentProblem(error as Error & { code?: string }));
  }
}

/** node:util's parse errors, in this CLI's words. */
function argumentProblem(error: Error & { code?: string }): string {
  const quoted =
    /(--[A-Za-z0-9][\w-]*)/.exec(error.message)?.[1] ?? /'(-[^' ,]*)/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}; see --help`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${/'([^']*)'/.exec(error.message)?.[1] ?? ''}"; see --help`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return / argument missing|is ambiguous/.test(error.message)
        ? `${quoted} expects a value`
        : `${quoted} takes no value`;
    default:
      return error.message;
  }
}

function convert(name: string, option: CliOption, raw: string | boolean | undefined): unknown {
  const flag = `--${name}`;
  switch (option.type) {
    case 'boolean':
      return raw === true;
    case 'string': {
      const value = (raw as string | undefined) ?? option.default;
      if (value !== undefined && option.pattern && !option.pattern.test(value)) {
        throw new ValidationError(
          `${flag} expects ${option.expects ?? `a value matching ${option.pattern}`}`,
        );
      }
      return value;
    }
    case 'integer':
      return raw === undefined ? option.default : wholeNumber(flag, raw as string, option);
    case 'integer-list':
      if (raw === undefined) return option.default ? [...option.default] : undefined;
      return (raw as string).split(',').map((part) => {
        const n = Number(part.trim());
        if (!/^\s*-?\d+\s*$/.test(part) || !Number.isSafeInteger(n) || n < option.min || n > option.max) {
          throw new ValidationError(
            `${flag} expects comma-separated whole numbers, each from ${option.min} to ${option.max}`,
          );
        }
        return n;
      });
    case 'choice': {
      const value = (raw as string | undefined) ?? option.default;
      if (value !== undefined && !option.choices.includes(value)) {
        throw new ValidationError(`${flag} expects ${wordList(option.choices)}`);
      }
      return value;
    }
  }
}

function wholeNumber(flag: string, raw: string, { min, max }: { min: number; max: number }): number {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ValidationError(`${flag} expects a whole number from ${min} to ${max}`);
  }
  return n;
}

/** `a`, `a or b`, `a, b or c`. */
function wordList(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function helpText(spec: CliSpec<Record<string, CliOption>>, options: Record<string, CliOption>): string {
  const rows: Array<[string, string]> = [];
  if (spec.noOption) rows.push(['(no option)', spec.noOption]);
  for (const [name, option] of Object.entries(options)) {
    if (option.hidden) continue;
    const arg = option.type === 'boolean' ? '' : ` ${option.arg ?? defaultArg(option)}`;
    rows.push([`${option.short ? `-${option.short}, ` : ''}--${name}${arg}`, option.help]);
  }
  // The text column starts after the widest left part, unless that is an outlier (a long list of choices).
  const width = Math.max(...rows.map(([left]) => left.length).filter((n) => n <= MAX_LEFT)) + 3;
  const table = rows.flatMap(([left, text]) =>
    text.split('\n').map((line, i) => {
      const head = i > 0 ? '' : left.length < width ? left.padEnd(width) : `${left}   `;
      return `  ${head.padEnd(width)}${line}`.trimEnd();
    }),
  );
  return [`Usage: ${spec.usage}`, spec.description, table.join('\n'), spec.notes]
    .filter((part): part is string => part !== undefined && part !== '')
    .join('\n\n');
}

function defaultArg(option: Exclude<CliOption, FlagOption>): string {
  switch (option.type) {
    case 'integer':
      return '<n>';
    case 'integer-list':
      return '<n,n,…>';
    case 'choice':
      return `<${option.choices.join('|')}>`;
    default:
      return '<value>';
  }
}
