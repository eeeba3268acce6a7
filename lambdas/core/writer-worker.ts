/*
 * The writer worker script's entry point (bundled as `dist/writer-worker.cjs`, the path the CLI, the tests
 * and the bench bundle): the thread itself is parallel/worker-entry.ts.
 */
import './parallel/worker-entry';
