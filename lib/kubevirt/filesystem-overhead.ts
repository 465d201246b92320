// How CDI sizes the disk image of a Filesystem volume, for a target disk image that provably holds the source disk.

/** CDI's global `filesystemOverhead` when its CDIConfig sets none (`DefaultGlobalOverhead`, CDI pkg/common/common.go). */
export const DEFAULT_FILESYSTEM_OVERHEAD = '0.06';

/** CDI's `DefaultAlignBlockSize` (pkg/util/util.go): images are sized in whole MiB. */
const ALIGN = 1024 * 1024;

/**
 * The disk image size CDI leaves in `availableSpace` bytes of a Filesystem volume: CDI's `GetUsableSpace`
 * (pkg/util/util.go), with Go's float64 arithmetic, which JavaScript numbers share.
 */
export function usableSpace(filesystemOverhead: number, availableSpace: number): number {
  const withoutOverhead = Math.ceil(availableSpace / (1 + filesystemOverhead));
  return Math.floor(withoutOverhead / ALIGN) * ALIGN;
}

/** CDI's `GetRequiredSpace` (pkg/util/util.go): the space that holds an image of `requestedSpace` bytes. */
function requiredSpace(filesystemOverhead: number, requestedSpace: number): number {
  const aligned = Math.ceil(requestedSpace / ALIGN) * ALIGN;
  return Math.ceil(aligned * (1 + filesystemOverhead));
}

/**
 * The smallest request, in whole MiB, whose Filesystem disk image holds `sourceBytes`. CDI inflates a `storage:`
 * DataVolume's claim by its overhead (`InflateSizeWithOverhead`, `GetRequiredSpace`), and the blank importer then
 * creates `disk.img` with `GetUsableSpace` of the space it finds (`createBlankImage`, cmd/cdi-importer): when the
 * filesystem takes the overhead CDI reserved, that space is the request, and the image is smaller than it.
 */
export function filesystemRequestFor(sourceBytes: bigint, filesystemOverhead: string): string {
  const overhead = Number(filesystemOverhead);
  const holds = (request: number) => BigInt(usableSpace(overhead, request)) >= sourceBytes;
  // CDI's inverse as the first guess, then whole MiB steps: the smallest request CDI's own arithmetic accepts.
  let request = Math.ceil(requiredSpace(overhead, Number(sourceBytes)) / ALIGN) * ALIGN;
  while (request > ALIGN && holds(request - ALIGN)) request -= ALIGN;
  while (!holds(request)) request += ALIGN;
  return `${request / ALIGN}Mi`;
}
