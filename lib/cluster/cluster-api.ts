import type { KubeClients } from './kube-clients.ts';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: any;
  status?: any;
};

const KUBEVIRT = { group: 'kubevirt.io', version: 'v1' };
const CDI = { group: 'cdi.kubevirt.io', version: 'v1beta1' };

/** Shortcuts for the objects kvmigrate reads and writes in one cluster. Failures are the client's ApiExceptions. */
export class ClusterApi {
  public constructor(public readonly clients: KubeClients) {}

  public get server(): string {
    return this.clients.server;
  }

  public getVirtualMachine(namespace: string, name: string): Promise<KubeObject> {
    return this.clients.custom.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachines', name }, this.clients.options);
  }

  public async listVirtualMachines(namespace?: string): Promise<KubeObject[]> {
    const list = namespace
      ? await this.clients.custom.listNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachines' }, this.clients.options)
      : await this.clients.custom.listClusterCustomObject({ ...KUBEVIRT, plural: 'virtualmachines' }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  public getDataVolume(namespace: string, name: string): Promise<KubeObject> {
    return this.clients.custom.getNamespacedCustomObject({ ...CDI, namespace, plural: 'datavolumes', name }, this.clients.options);
  }

  public getClaim(namespace: string, name: string) {
    return this.clients.core.readNamespacedPersistentVolumeClaim({ namespace, name }, this.clients.options);
  }

  /** An instancetype or preference: `namespace` for the namespaced kinds, none for the cluster-scoped ones. */
  public getInstancetype(kind: string, name: string, namespace?: string): Promise<KubeObject> {
    const type = { group: 'instancetype.kubevirt.io', version: 'v1beta1', plural: `${kind.toLowerCase()}s`, name };
    return namespace
      ? this.clients.custom.getNamespacedCustomObject({ ...type, namespace }, this.clients.options)
      : this.clients.custom.getClusterCustomObject(type, this.clients.options);
  }

  /** CSIDriver objects are named after the provisioner they serve. */
  public getCsiDriver(name: string) {
    return this.clients.storage.readCSIDriver({ name }, this.clients.options);
  }

  /** CDI's StorageProfile of a storage class (same name): the access and volume modes it supports. */
  public getStorageProfile(name: string): Promise<KubeObject> {
    return this.clients.custom.getClusterCustomObject({ ...CDI, plural: 'storageprofiles', name }, this.clients.options);
  }

  public getNamespace(name: string) {
    return this.clients.core.readNamespace({ name }, this.clients.options);
  }

  public async listNodes() {
    return (await this.clients.core.listNode({}, this.clients.options)).items;
  }

  public async listStorageClasses() {
    return (await this.clients.storage.listStorageClass({}, this.clients.options)).items;
  }

  public getStorageClass(name: string) {
    return this.clients.storage.readStorageClass({ name }, this.clients.options);
  }

  /** A bound token of a ServiceAccount (TokenRequest), valid for `seconds`. */
  public createToken(namespace: string, name: string, seconds: number) {
    return this.clients.core.createNamespacedServiceAccountToken(
      { namespace, name, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: seconds } } },
      this.clients.options,
    );
  }

  /** Creates a Secret, or replaces the one of that name. */
  public async applySecret(secret: KubeObject): Promise<'created' | 'replaced'> {
    const { name, namespace } = secret.metadata as { name: string; namespace: string };
    const existing = await this.clients.core.readNamespacedSecret({ namespace, name }, this.clients.options).catch((error: { code?: number }) => {
      if (error.code === 404) return undefined;
      throw error;
    });
    if (!existing) {
      await this.clients.core.createNamespacedSecret({ namespace, body: secret as never }, this.clients.options);
      return 'created';
    }
    await this.clients.core.replaceNamespacedSecret(
      { namespace, name, body: { ...(secret as Record<string, unknown>), metadata: { ...secret.metadata, resourceVersion: existing.metadata?.resourceVersion } } as never },
      this.clients.options,
    );
    return 'replaced';
  }

  public getSecret(namespace: string, name: string) {
    return this.clients.core.readNamespacedSecret({ namespace, name }, this.clients.options);
  }

  public getConfigMap(namespace: string, name: string) {
    return this.clients.core.readNamespacedConfigMap({ namespace, name }, this.clients.options);
  }

  public getServiceAccount(namespace: string, name: string) {
    return this.clients.core.readNamespacedServiceAccount({ namespace, name }, this.clients.options);
  }

  public getNetworkAttachmentDefinition(namespace: string, name: string): Promise<KubeObject> {
    return this.clients.custom.getNamespacedCustomObject(
      { group: 'k8s.cni.cncf.io', version: 'v1', namespace, plural: 'network-attachment-definitions', name },
      this.clients.options,
    );
  }

  public async listHyperConvergeds(namespace: string): Promise<KubeObject[]> {
    const list = await this.clients.custom.listNamespacedCustomObject({ group: 'hco.kubevirt.io', version: 'v1beta1', namespace, plural: 'hyperconvergeds' }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  /** Whether the current credentials may do `verb` on `resource` (SelfSubjectAccessReview). */
  public async canI(verb: string, group: string, resource: string, namespace: string): Promise<boolean> {
    const review = await this.clients.authorization.createSelfSubjectAccessReview(
      { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, group, resource, namespace } } } },
      this.clients.options,
    );
    return review.status?.allowed === true;
  }

  public getMigration(namespace: string, name: string): Promise<KubeObject> {
    return this.clients.custom.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstancemigrations', name }, this.clients.options);
  }

  /** The migrations of `namespace`, or of every namespace when none is given. */
  public async listMigrations(namespace?: string): Promise<KubeObject[]> {
    const plural = 'virtualmachineinstancemigrations';
    const list = namespace
      ? await this.clients.custom.listNamespacedCustomObject({ ...KUBEVIRT, namespace, plural }, this.clients.options)
      : await this.clients.custom.listClusterCustomObject({ ...KUBEVIRT, plural }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  /** Deletes a migration only if it is still the object of that uid (a precondition: never a namesake created since). */
  public deleteMigration(namespace: string, name: string, uid: string): Promise<KubeObject> {
    return this.clients.custom.deleteNamespacedCustomObject(
      { ...KUBEVIRT, namespace, plural: 'virtualmachineinstancemigrations', name, body: { preconditions: { uid } } },
      this.clients.options,
    );
  }

  /** The VM instances of every namespace. */
  public async listInstances(): Promise<KubeObject[]> {
    const list = await this.clients.custom.listClusterCustomObject({ ...KUBEVIRT, plural: 'virtualmachineinstances' }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  /** CDI's cluster-wide configuration (`CDIConfig` `config`): its status holds the filesystem overhead CDI applies. */
  public getCdiConfig(): Promise<KubeObject> {
    return this.clients.custom.getClusterCustomObject({ ...CDI, plural: 'cdiconfigs', name: 'config' }, this.clients.options);
  }

  public createMigration(namespace: string, body: KubeObject): Promise<KubeObject> {
    return this.clients.custom.createNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstancemigrations', body }, this.clients.options);
  }

  public getInstance(namespace: string, name: string): Promise<KubeObject> {
    return this.clients.custom.getNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'virtualmachineinstances', name }, this.clients.options);
  }

  /** CDI's own CR (cluster-scoped, one per cluster): its status.observedVersion is the running CDI's version. */
  public async listCdis(): Promise<KubeObject[]> {
    const list = await this.clients.custom.listClusterCustomObject({ ...CDI, plural: 'cdis' }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  public async listKubeVirts(namespace: string): Promise<KubeObject[]> {
    const list = await this.clients.custom.listNamespacedCustomObject({ ...KUBEVIRT, namespace, plural: 'kubevirts' }, this.clients.options);
    return (list as { items?: KubeObject[] }).items ?? [];
  }

  public getLease(namespace: string, name: string) {
    return this.clients.coordination.readNamespacedLease({ namespace, name }, this.clients.options);
  }

  public getPod(namespace: string, name: string) {
    return this.clients.core.readNamespacedPod({ namespace, name }, this.clients.options);
  }
}
