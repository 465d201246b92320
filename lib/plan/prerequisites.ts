import type { MigrationEntry } from '../config/load-config.ts';
import type { DiagnosticBag, Location } from '../diagnostics.ts';
import type { CloudInitSource } from '../kubevirt/api.ts';

/** One object the destination must already hold before the migration can start. */
export interface Prerequisite {
  readonly kind: 'Secret' | 'ConfigMap' | 'ServiceAccount' | 'NetworkAttachmentDefinition';
  /** Its namespace at the destination: the destination namespace, or the one a Multus `ns/name` names. */
  readonly namespace: string;
  readonly name: string;
  /** What in the VM refers to it, e.g. `volume "cloudinit"`. */
  readonly usedBy: string;
}

interface Found {
  readonly kind: Prerequisite['kind'];
  readonly name: string;
  readonly usedBy: string;
  /** Positions cost a second parse of the manifest: computed for the warning only. */
  readonly at: () => Location;
}

/** Cloud-config keys that carry a password in clear text. */
const PLAINTEXT_PASSWORD = /^\s*(password|plain_text_passwd|passwd)\s*:\s*\S/m;

function userDataOf(source: CloudInitSource): string | undefined {
  if (source.userData !== undefined) return source.userData;
  return source.userDataBase64 !== undefined ? Buffer.from(source.userDataBase64, 'base64').toString('utf8') : undefined;
}

/**
 * Finds what the migration carries by reference only (Secrets, ConfigMaps, ServiceAccounts, Multus networks), which
 * must exist at the destination or the target pod cannot start, and warns about each; also warns about plaintext
 * passwords in cloud-init user data, which the receiver VM puts into Git.
 */
export function checkPrerequisites(entry: MigrationEntry, bag: DiagnosticBag): Prerequisite[] {
  const { object, locate } = entry.source.virtualMachine;
  const spec = object.spec?.template?.spec;
  const found: Found[] = [];
  const base = ['spec', 'template', 'spec'];

  (spec?.volumes ?? []).forEach((volume, index) => {
    const at = () => locate([...base, 'volumes', index]);
    const usedBy = `volume "${volume.name}"`;
    const add = (kind: Prerequisite['kind'], name: string | undefined) => name && found.push({ kind, name, usedBy, at });
    add('Secret', volume.secret?.secretName);
    add('ConfigMap', volume.configMap?.name);
    add('ServiceAccount', volume.serviceAccount?.serviceAccountName);
    add('Secret', volume.containerDisk?.imagePullSecret);
    add('ConfigMap', volume.sysprep?.configMap?.name);
    add('Secret', volume.sysprep?.secret?.name);
    for (const cloudInit of [volume.cloudInitNoCloud, volume.cloudInitConfigDrive]) {
      if (!cloudInit) continue;
      add('Secret', cloudInit.userDataSecretRef?.name);
      add('Secret', cloudInit.networkDataSecretRef?.name);
      const userData = userDataOf(cloudInit);
      if (userData !== undefined && PLAINTEXT_PASSWORD.test(userData)) {
        bag.warning(
          `migration "${entry.name}": ${usedBy} has a plaintext password in its cloud-init userData, which the receiver VM commits to Git`,
          at(),
          'move the user data into a Secret (userDataSecretRef) or use SSH keys',
        );
      }
    }
  });
  (spec?.accessCredentials ?? []).forEach((credential, index) => {
    const c = credential as { sshPublicKey?: { source?: { secret?: { secretName?: string } } }; userPassword?: { source?: { secret?: { secretName?: string } } } };
    const name = c.sshPublicKey?.source?.secret?.secretName ?? c.userPassword?.source?.secret?.secretName;
    if (name) found.push({ kind: 'Secret', name, usedBy: 'accessCredentials', at: () => locate([...base, 'accessCredentials', index]) });
  });
  (spec?.networks ?? []).forEach((network, index) => {
    const name = network.multus?.networkName;
    if (name) found.push({ kind: 'NetworkAttachmentDefinition', name, usedBy: `network "${network.name}"`, at: () => locate([...base, 'networks', index]) });
  });

  const cluster = entry.destination.cluster ? ` of cluster "${entry.destination.cluster}"` : '';
  return found.map((p) => {
    const [namespace, name] = p.name.includes('/') ? (p.name.split('/', 2) as [string, string]) : [entry.destination.namespace, p.name];
    bag.warning(`migration "${entry.name}": ${p.kind} "${name}" (${p.usedBy}) must exist in namespace "${namespace}"${cluster} before the migration starts`, p.at());
    return { kind: p.kind, namespace, name, usedBy: p.usedBy };
  });
}
