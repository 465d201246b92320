import { argocdConfigMap, argocdOperatorPatch } from '../argocd/health-checks.ts';
import { manifestYaml } from '../synth/yaml-output.ts';
import { flag, stringOption, type CliCommand } from './command.ts';
import { expectPositionals, OUTPUT_OPTION } from './common-options.ts';
import { ExitCode, UsageError, type Streams } from './output.ts';

const ARGOCD_HEALTH_HELP = `Usage: kvmigrate argocd-health [--namespace NS] [--format configmap|operator] [-o yaml|json]

Prints the Argo CD health checks that let kvmigrate's sync waves finish: DataVolume, VirtualMachine,
VirtualMachineInstance and VirtualMachineInstanceMigration. They replace Argo CD's bundled checks for these kinds
instance-wide, keeping the bundled behaviour for every state a migration does not create.

  --format configmap   an argocd-cm ConfigMap fragment (default); apply it with a field manager of its own, so it
                       adds its keys and leaves the rest of argocd-cm (and Argo CD's own install) alone:
                         kvmigrate argocd-health | kubectl apply --server-side --field-manager=kvmigrate -f -
  --format operator    a JSON patch appending to the argocd-operator's ArgoCD spec.resourceHealthChecks:
                         kubectl patch argocd argocd -n argocd --type json --patch "$(kvmigrate argocd-health --format operator -o json)"
                       (--create-list when the ArgoCD resource has no spec.resourceHealthChecks yet)

Options:
      --namespace NS   Argo CD's namespace (default argocd)
      --create-list    with --format operator: create spec.resourceHealthChecks first
  -o, --output FMT     yaml (default) or json
  -h, --help           show this help
`;

function runArgocdHealth(options: { namespace?: string; format?: string; output?: string; createList: boolean }, streams: Streams): number {
  const format = options.format ?? 'configmap';
  if (format !== 'configmap' && format !== 'operator') throw new UsageError(`--format must be configmap or operator (got "${format}")`);
  const output = options.output ?? 'yaml';
  if (output !== 'yaml' && output !== 'json') throw new UsageError(`-o must be yaml or json (got "${output}")`);
  if (options.createList && format !== 'operator') throw new UsageError('--create-list goes with --format operator');
  const document = format === 'configmap' ? argocdConfigMap(options.namespace ?? 'argocd') : argocdOperatorPatch(options.createList);
  streams.stdout(output === 'json' ? `${JSON.stringify(document, null, 2)}\n` : manifestYaml([document]));
  return ExitCode.OK;
}

export const argocdHealthCommand: CliCommand = {
  options: { ...OUTPUT_OPTION, namespace: { type: 'string' }, format: { type: 'string' }, 'create-list': { type: 'boolean' } },
  help: ARGOCD_HEALTH_HELP,
  run(args, streams) {
    expectPositionals(args, 'argocd-health', 0);
    return runArgocdHealth(
      { namespace: stringOption(args, 'namespace'), format: stringOption(args, 'format'), output: stringOption(args, 'output'), createList: flag(args, 'create-list') },
      streams,
    );
  },
};
