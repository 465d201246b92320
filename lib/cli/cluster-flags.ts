// Kept apart from the cluster client code, so that parsing a command line loads no Kubernetes client.

/** The flags every cluster-facing command takes, as kubectl spells them. */
export const CLUSTER_FLAGS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'request-timeout': { type: 'string' },
} as const;

export const CLUSTER_FLAGS_HELP = `      --kubeconfig FILE          kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, in-cluster)
      --context NAME             context for every cluster without clusters.<name>.kubeContext in the config
      --request-timeout SECONDS  per API request (default 30)`;

export interface ClusterFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly 'request-timeout'?: string;
}
