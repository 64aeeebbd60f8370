/** The media module's public surface: what other modules may use. */
export {
  deleteMediaFiles,
  getMediaFile,
  type MediaObject,
  mediaFileInfo,
  presentMedia,
} from './media.service.ts';
export type { MediaFilesTable } from './media.tables.ts';
export { type MediaKind, mediaTypes, sniffMediaType } from './media.types.ts';
