/** The chunked file reader is the conversion core's (one reader for the whole project): re-exported here. */
export { readFileChunks, readOpenFile } from '../core/bytes/file-chunks';
