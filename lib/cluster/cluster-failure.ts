/** A failure that ends a cluster command with its message and exit code 1 (the cluster is not as needed), not a bug. */
export class ClusterFailure extends Error {
  public override readonly name = 'ClusterFailure';

  public constructor(
    message: string,
    /** Set when no usable API server answered at all: nothing else can be read from there either. */
    public readonly reach?: 'unreachable' | 'not-kubernetes',
  ) {
    super(message);
  }
}
