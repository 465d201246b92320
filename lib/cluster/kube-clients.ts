import {
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  StorageV1Api,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { ClusterFailure } from './cluster-failure.ts';

/** The API clients of one cluster, with a per-request timeout so a hung API server cannot stall us forever. */
export interface KubeClients {
  /** Where these clients go, for messages. */
  readonly server: string;
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  readonly storage: StorageV1Api;
  readonly authorization: AuthorizationV1Api;
  /** The loaded configuration, for watches. */
  readonly config: KubeConfig;
  /** Options to pass to every call: they carry the request timeout. */
  readonly options: ConfigurationOptions;
}

/** Where to find a cluster: a kubeconfig file and a context in it, each defaulting as kubectl does. */
export interface ClusterAccess {
  readonly kubeconfig?: string;
  readonly context?: string;
}

/**
 * Connects as a Kubernetes tool does: from the kubeconfig file when given, else `$KUBECONFIG`, `~/.kube/config`, or
 * the in-cluster service account; in the given context, else the current one.
 */
export function connect(access: ClusterAccess, requestTimeoutMs: number): KubeClients {
  const config = new KubeConfig();
  if (access.kubeconfig) config.loadFromFile(access.kubeconfig);
  else {
    config.loadFromDefault();
    // With nothing to load, the client falls back to an unauthenticated http://localhost:8080: say so instead.
    const fallback = config.getCurrentCluster();
    if (fallback?.name === 'cluster' && fallback.server === 'http://localhost:8080') {
      throw new ClusterFailure('no Kubernetes configuration: set KUBECONFIG, pass --kubeconfig, create ~/.kube/config, or run in a pod');
    }
  }
  if (access.context) {
    if (!config.getContextObject(access.context)) {
      throw new ClusterFailure(`context "${access.context}" is not in the kubeconfig (contexts: ${config.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    config.setCurrentContext(access.context);
  }
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
    storage: config.makeApiClient(StorageV1Api),
    authorization: config.makeApiClient(AuthorizationV1Api),
    config,
    options,
  };
}
