import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';

/** The API clients of one cluster, with a per-request timeout so a hung API server cannot stall us forever. */
export interface KubeClients {
  /** Where these clients go, for messages. */
  readonly server: string;
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  /** Options to pass to every call: they carry the request timeout. */
  readonly options: ConfigurationOptions;
}

/**
 * Connects as a Kubernetes tool does: from `kubeconfigPath` when given, else `$KUBECONFIG`, `~/.kube/config`, or
 * the in-cluster service account.
 */
export function connect(kubeconfigPath: string | undefined, requestTimeoutMs: number): KubeClients {
  const config = new KubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  const timeout: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(requestTimeoutMs));
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
  const options: ConfigurationOptions = { middleware: [timeout], middlewareMergeStrategy: 'append' };
  return {
    server: config.getCurrentCluster()?.server ?? '(no cluster)',
    custom: config.makeApiClient(CustomObjectsApi),
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    options,
  };
}
