/** A failure that ends a cluster command with its message and exit code 1 (the cluster is not as needed), not a bug. */
export class ClusterFailure extends Error {
  public override readonly name = 'ClusterFailure';
}
