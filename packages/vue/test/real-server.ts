/**
 * The repo's shared harness for composable tests against the real server on 127.0.0.1: servers
 * and clients that one `closeAll()` ends (call it after stopping the test's effect scopes), and
 * waits on reactive state and on a client's welcome. Re-exported so the tests import one module.
 */
export { closeAll, connect, opened, startServer } from '@sluice/test-support'
export { until } from '@sluice/test-support/vue'
