// The response check's folder for the run (set by response-check.reporter.js beside it), as settings or environment to hand
// to a gateway a test builds or a pixmill process it starts: answers there are checked too.
export const responseCheckEnv = (): { RESPONSE_CHECK_DIR?: string } =>
  process.env.RESPONSE_CHECK_DIR ? { RESPONSE_CHECK_DIR: process.env.RESPONSE_CHECK_DIR } : {};
