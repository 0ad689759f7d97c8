// What the containers give Node itself rather than pixmill: names that are not settings, and each service's V8 flags.
// compose and k8s set the flags (the tests hold them to this), and the benchmarks run the services with them.

/** Environment names for the runtime, allowed beside the settings. */
export const RUNTIME_ENV: readonly string[] = ['NODE_OPTIONS'];

/**
 * NODE_OPTIONS per deployed service. The gateway's old space is capped: without a cap V8 sizes its heap from the
 * machine's memory rather than the container's and lets garbage pile up under load (gateway peak RSS 250-311 MB in
 * `pnpm bench url-batch`, +180-230 MB through a 100,000-image export); at 128 MB its live heap (~50-60 MB) has room
 * and the same runs peak at ~220 MB, exports at +27-33 MB. The young generation is held at 4 MB a semi-space (V8
 * grows it to 16 MB): a 100,000-row CSV intake then peaks at ~200 MB instead of ~225 MB, for 1.2 s to 202 instead of 1.0.
 */
export const DEPLOYED_NODE_OPTIONS: Readonly<Record<string, string>> = {
  gateway: '--max-old-space-size=128 --max-semi-space-size=4',
};
