import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineCli } from '../../lib/cli/args.js';
import { ValidationError } from '../../lib/errors.js';

const cli = defineCli({
  usage: 'npm run example [-- options]',
  description: 'Does an example thing.',
  noOption: 'the example, incrementally',
  options: {
    full: { type: 'boolean', help: 'the whole example' },
    'chunk-size': {
      type: 'integer',
      arg: 'N',
      min: 100,
      max: 1_000_000,
      help: 'rows per chunk\n(incremental)',
    },
    rounds: { type: 'integer', min: 1, max: 20, default: 2, help: 'rounds' },
    sizes: { type: 'integer-list', min: 1, max: 1000, default: [10, 100], help: 'sizes' },
    only: { type: 'choice', choices: ['in-process', 'offline'], help: 'one half' },
    database: {
      type: 'string',
      arg: '<name>',
      default: 'fm_example',
      pattern: /^[a-z_]+$/,
      expects: 'lowercase letters and _',
      help: 'where',
    },
    key: { type: 'string', arg: '<key>', help: 'a key' },
    worker: { type: 'boolean', hidden: true, help: 'internal' },
  },
  notes: 'Database: MYSQL_URL.',
});

function problemOf(args: string[]): string {
  try {
    cli.parse(args);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('defineCli', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives every option its default when none is passed', () => {
    expect(cli.parse([])).toEqual({
      full: false,
      'chunk-size': undefined,
      rounds: 2,
      sizes: [10, 100],
      only: undefined,
      database: 'fm_example',
      key: undefined,
      worker: false,
    });
  });

  it('parses flags, numbers, lists, choices and text', () => {
    const values = cli.parse([
      '--full',
      '--chunk-size',
      '500',
      '--rounds=3',
      '--sizes',
      '1, 20,300',
      '--only',
      'offline',
      '--key',
      'backups/x.sql.gz',
    ]);
    expect(values).toMatchObject({
      full: true,
      'chunk-size': 500,
      rounds: 3,
      sizes: [1, 20, 300],
      only: 'offline',
      key: 'backups/x.sql.gz',
    });
  });

  it.each([
    [['--chunk-size', '99'], '--chunk-size expects a whole number from 100 to 1000000'],
    [['--chunk-size', '1e3'], '--chunk-size expects a whole number from 100 to 1000000'],
    [['--chunk-size', '500.5'], '--chunk-size expects a whole number from 100 to 1000000'],
    [['--sizes', '1,x'], '--sizes expects comma-separated whole numbers, each from 1 to 1000'],
    [['--only', 'both'], '--only expects in-process or offline'],
    [['--database', 'Bad-Name'], '--database expects lowercase letters and _'],
    [['--fast'], 'unknown option --fast; see --help'],
    [['-x'], 'unknown option -x; see --help'],
    [['extra'], 'unexpected argument "extra"; see --help'],
    [['--key'], '--key expects a value'],
    [['--key', '--full'], '--key expects a value'],
    [['--full=yes'], '--full takes no value'],
  ])('refuses %j: "%s"', (args, message) => {
    expect(problemOf(args)).toBe(message);
  });

  it('prints the help for -h and --help and parses nothing else', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(cli.parse(['--help'])).toBeUndefined();
    expect(cli.parse(['-h', '--chunk-size', '1'])).toBeUndefined();
    expect(log).toHaveBeenCalledTimes(2);
    expect(log).toHaveBeenCalledWith(cli.help);
  });

  it('writes the help from the options, aligned, without the hidden ones', () => {
    expect(cli.help).toBe(
      [
        'Usage: npm run example [-- options]',
        '',
        'Does an example thing.',
        '',
        '  (no option)         the example, incrementally',
        '  --full              the whole example',
        '  --chunk-size N      rows per chunk',
        '                      (incremental)',
        '  --rounds <n>        rounds',
        '  --sizes <n,n,…>     sizes',
        '  --only <in-process|offline>   one half',
        '  --database <name>   where',
        '  --key <key>         a key',
        '  -h, --help          this text',
        '',
        'Database: MYSQL_URL.',
      ].join('\n'),
    );
  });

  it('hands a sub-command its own arguments, unparsed', () => {
    const run = defineCli({ usage: 'npm run bench -- <name>', options: {}, subcommand: true });
    expect(run.parseWithRest(['scan', '--transactions', '3000', '--help'])).toEqual({
      values: {},
      rest: ['scan', '--transactions', '3000', '--help'],
    });
    expect(run.parseWithRest([])).toEqual({ values: {}, rest: [] });
    expect(() => run.parseWithRest(['--fast', 'scan'])).toThrow('unknown option --fast; see --help');
  });
});
