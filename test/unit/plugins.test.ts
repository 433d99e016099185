import {describe, expect, it} from '@jest/globals';
import {AUTOCOMPLETE_PLUGIN, pluginsFor} from '../../src/cli/plugins.js';

const own = new Set(['plan', 'apply', 'lab', 'policy']);

describe('pluginsFor', () => {
  it.each([
    [['plan', '-f', 'spec.yaml'], []],
    [['apply', '--help'], []],
    [['lab', 'up', '--nodes', '3'], []],
    [['lab:up'], []],
    [['policy', 'check'], []],
    [[], [AUTOCOMPLETE_PLUGIN]],
    [['--help'], [AUTOCOMPLETE_PLUGIN]],
    [['help'], [AUTOCOMPLETE_PLUGIN]],
    [['autocomplete', 'bash'], [AUTOCOMPLETE_PLUGIN]],
    [['autocomplete:script', 'zsh'], [AUTOCOMPLETE_PLUGIN]],
    // A mistyped command: oclif looks among every command, the plugin's included.
    [['plna'], [AUTOCOMPLETE_PLUGIN]],
  ])('%j needs %j', (args, plugins) => {
    expect(pluginsFor(args, own)).toEqual(plugins);
  });
});
