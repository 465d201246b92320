import { Construct } from 'constructs';

/**
 * A scope under `target` (a chart of another cluster) for objects that `owner` defines there. Its id is the owner's
 * path, so several owners can place objects in the same chart.
 */
export function remoteScope(owner: Construct, target: Construct): Construct {
  return new Construct(target, owner.node.path.replaceAll('/', '--'));
}
