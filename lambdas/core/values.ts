/** Moved to model/type-lattice.ts: re-exported until the importers outside the core follow. */
export { joinTypes } from './model/type-lattice';
