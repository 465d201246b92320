import { argocdConfigMap, argocdOperatorPatch } from '../argocd/health-checks.ts';
import { manifestYaml } from '../synth/yaml-output.ts';
import { flag, stringOption, type CommandRun } from './command.ts';
import { expectPositionals } from './common-options.ts';
import { ExitCode, UsageError, type Streams } from './output.ts';

function runArgocdHealth(options: { namespace?: string; format?: string; output?: string; createList: boolean; applications: boolean }, streams: Streams): number {
  const format = options.format ?? 'configmap';
  if (format !== 'configmap' && format !== 'operator') throw new UsageError(`--format must be configmap or operator (got "${format}")`);
  const output = options.output ?? 'yaml';
  if (output !== 'yaml' && output !== 'json') throw new UsageError(`-o must be yaml or json (got "${output}")`);
  if (options.createList && format !== 'operator') throw new UsageError('--create-list goes with --format operator');
  const choice = { applications: options.applications };
  const document = format === 'configmap' ? argocdConfigMap(options.namespace ?? 'argocd', choice) : argocdOperatorPatch(options.createList, choice);
  streams.stdout(output === 'json' ? `${JSON.stringify(document, null, 2)}\n` : manifestYaml([document]));
  return ExitCode.OK;
}

export const argocdHealthCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'argocd-health', 0);
  return runArgocdHealth(
    { namespace: stringOption(args, 'namespace'), format: stringOption(args, 'format'), output: stringOption(args, 'output'), createList: flag(args, 'create-list'), applications: flag(args, 'applications') },
    streams,
  );
};
