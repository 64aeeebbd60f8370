declare module '../../platform/db/schema.ts' {
  interface Database {
    media_files: MediaFilesTable;
  }
}

/** A file uploaded to Parley (`POST /v1/media`), kept to be sent on any channel. */
export interface MediaFilesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  /** `image`, `audio`, `video`, `document` or `sticker`: what the file is, by its bytes. */
  kind: string;
  mime_type: string;
  filename: string | null;
  size: number;
  sha256: string;
  content_base64: string;
  created_at: string;
}
