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
import { CheckedHttpLibrary } from './http-transport.ts';
import { registerCredential } from './printable.ts';

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
 * Loads a kubeconfig, failing in one line that quotes none of it: the YAML parser's message carries an excerpt of
 * the file, which may be a token or a key.
 */
function loadKubeconfig(file: string, load: () => void): void {
  try {
    load();
  } catch (error) {
    const { reason, mark, code } = error as { reason?: string; mark?: { line: number; column: number }; code?: string };
    const why = reason ? `not valid YAML: ${reason}${mark ? ` (line ${mark.line + 1}, column ${mark.column + 1})` : ''}` : code ?? (error instanceof Error ? error.name : 'unreadable');
    throw new ClusterFailure(`kubeconfig ${file}: ${why}`);
  }
}

/**
 * Connects as a Kubernetes tool does: from the kubeconfig file when given, else `$KUBECONFIG`, `~/.kube/config`, or
 * the in-cluster service account; in the given context, else the current one.
 */
export function connect(access: ClusterAccess, requestTimeoutMs: number): KubeClients {
  const config = new KubeConfig();
  if (access.kubeconfig) loadKubeconfig(access.kubeconfig, () => config.loadFromFile(access.kubeconfig!));
  else {
    loadKubeconfig(process.env.KUBECONFIG ?? '~/.kube/config', () => config.loadFromDefault());
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
  // Every call through kvmigrate's HTTP layer: no redirects, bounded and checked answers (http-transport.ts).
  const options: ConfigurationOptions = { middleware: [timeout], middlewareMergeStrategy: 'append', httpApi: new CheckedHttpLibrary() };
  const user = config.getCurrentUser();
  for (const secret of [user?.token, user?.password]) if (secret) registerCredential(secret);
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
