import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { CONTROL_CHARACTERS } from './content-disposition.ts';

/** The one file part of a multipart upload, read whole, with the text fields sent before it. */
export interface UploadedFile {
  bytes: Buffer;
  filename: string | null;
  /** The part's declared Content-Type (what the sender says; the bytes decide). */
  declaredType: string | null;
  /** Text fields that came before the file part. */
  fields: Record<string, string>;
}

const tooLarge = (limitBytes: number) =>
  new ApiError(
    'payload_too_large',
    `The file is larger than this server accepts: at most ${limitBytes} bytes (PARLEY_UPLOAD_LIMIT_BYTES).`,
  );

/**
 * Reads the `file` part of a multipart request (the multipart plugin caps it at
 * PARLEY_UPLOAD_LIMIT_BYTES). A file over the cap is a 413 every time: busboy cuts it at the cap
 * and marks it truncated, and when the cut falls on a chunk's edge no error is raised while
 * reading, so the truncated flag is checked here (the cut file was stored and answered 201).
 * A file name with a control character (a NUL, which PostgreSQL cannot store) is a 400.
 */
export async function readUploadedFile(
  request: FastifyRequest,
  opts: { limitBytes: number; what?: string },
): Promise<UploadedFile> {
  let part: Awaited<ReturnType<FastifyRequest['file']>>;
  let bytes: Buffer;
  try {
    part = await request.file();
    if (!part)
      throw new ApiError(
        'validation_failed',
        `The multipart body has no file; send ${opts.what ?? 'it'} as the \`file\` part.`,
        { errors: [{ field: 'file', message: 'is required' }] },
      );
    bytes = await part.toBuffer();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const e = err as Error & { statusCode?: number; code?: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(opts.limitBytes);
    if (e.statusCode === 413)
      throw new ApiError(
        'payload_too_large',
        `The multipart body has too many parts or fields: ${e.message}.`,
      );
    throw new ApiError('validation_failed', `Malformed multipart body: ${e.message}`, {
      errors: [{ field: 'file', message: 'is not a readable multipart upload' }],
    });
  }
  if (part.file.truncated || bytes.length > opts.limitBytes) throw tooLarge(opts.limitBytes);
  const filename = part.filename || null;
  if (filename && CONTROL_CHARACTERS.test(filename))
    throw new ApiError(
      'validation_failed',
      'The file name has a control character (such as NUL); rename the file.',
      {
        errors: [{ field: 'file', message: 'has a control character in its name' }],
      },
    );
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(part.fields ?? {})) {
    const f = (Array.isArray(value) ? value[0] : value) as { type?: string; value?: unknown } | undefined;
    if (f?.type === 'field' && typeof f.value === 'string') fields[name] = f.value;
  }
  return { bytes, filename, declaredType: part.mimetype || null, fields };
}
