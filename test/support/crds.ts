import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { CRD_DIRECTORY_ENV, crdDirectory } from '../../scripts/crd-directory.ts';

/** The shared CRDs the output is checked against; never copied into the project. */
const CRD_FILES = [
  'kubevirt.io_virtualmachines.yaml',
  'kubevirt.io_virtualmachineinstances.yaml',
  'kubevirt.io_virtualmachineinstancemigrations.yaml',
  'cdi.kubevirt.io_datavolumes.yaml',
  'instancetype.kubevirt.io_virtualmachineinstancetypes.yaml',
  'instancetype.kubevirt.io_virtualmachinepreferences.yaml',
  'argoproj.io_applications.yaml',
  'kustomize.toolkit.fluxcd.io_kustomizations.yaml',
  'source.toolkit.fluxcd.io_gitrepositories.yaml',
];

interface Crd {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: object } }[] };
}

/**
 * Where to get the CRDs. KubeVirt's and CDI's are not release assets: their operators generate them at install time
 * (kubevirt/kubevirt pkg/virt-operator/resource/generate/components/crds.go, CDI pkg/operator/resources/crds_generated.go),
 * so they are read from a cluster running those versions; Argo CD keeps its CRD in its repository.
 */
export const CRDS_MISSING_MESSAGE =
  `CRDs not found, so the CRD schema tests are skipped. Put these files in a folder and set ${CRD_DIRECTORY_ENV} to it ` +
  `(or use ../shared/crds beside the repository): ${CRD_FILES.join(', ')}. ` +
  'The KubeVirt (v1.9) and CDI (v1.66) ones from a cluster running them, each with ' +
  '`kubectl get crd <plural>.<group> -o yaml > <group>_<plural>.yaml` (kubectl get crd virtualmachines.kubevirt.io -o yaml > kubevirt.io_virtualmachines.yaml); ' +
  "Argo CD's from its repository at v3.5.1: manifests/crds/application-crd.yaml, saved as argoproj.io_applications.yaml";

function load(): Map<string, ValidateFunction> | undefined {
  const dir = crdDirectory();
  if (!dir) {
    console.warn(`\n*** ${CRDS_MISSING_MESSAGE} ***\n`);
    return undefined;
  }
  // OpenAPI schemas use Kubernetes keywords (x-kubernetes-*) and formats (int32, quantity...) that ajv does not know.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map<string, ValidateFunction>();
  for (const file of CRD_FILES) {
    const crd = parse(readFileSync(join(dir, file), 'utf8')) as Crd;
    for (const version of crd.spec.versions) {
      validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(version.schema.openAPIV3Schema));
    }
  }
  return validators;
}

/** Validators keyed `group/version/Kind`; undefined when the CRDs are absent (tests then skip, or fail under CI). */
export const crdValidators = load();

/** Whether `object` is of a kind whose CRD is among the shared ones (core kinds such as Job are not). */
export function hasCrd(object: { apiVersion?: string; kind?: string }): boolean {
  return /^(kubevirt\.io|cdi\.kubevirt\.io|instancetype\.kubevirt\.io|argoproj\.io|kustomize\.toolkit\.fluxcd\.io|source\.toolkit\.fluxcd\.io)\//.test(object.apiVersion ?? '');
}

/** Schema errors of `object` against its CRD, as readable strings; throws for a kind without a CRD. */
export function crdErrors(object: { apiVersion: string; kind: string }): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const validate = crdValidators?.get(key);
  if (!validate) throw new Error(`no CRD schema for ${key}`);
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e) => `${key}${e.instancePath}: ${e.message}`);
}
