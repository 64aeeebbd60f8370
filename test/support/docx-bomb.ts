import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * A Word document built to inflate without end (a "zip bomb"): `[Content_Types].xml`, a
 * relationships part and a `word/document.xml` of `inflatedBytes` of valid, highly compressible
 * XML. One megabyte of paragraphs is deflated once and its deflate segment (ended by a full flush,
 * so segments chain) repeated, so a gigabyte's bomb of about a megabyte is made in a moment.
 * `declareBytes` writes another uncompressed size into the zip's headers: a bomb whose declared
 * sizes lie (what a bound trusting them lets through).
 */
export function docxBomb(inflatedBytes: number, opts: { declareBytes?: number } = {}): Buffer {
  const MB = 1024 * 1024;
  const head = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>',
  );
  const tail = Buffer.from('</w:body></w:document>');
  const paragraph = '<w:p><w:r><w:t>Haircut 500</w:t></w:r></w:p>';
  const unit = Buffer.from(paragraph.repeat(Math.floor(MB / paragraph.length)));
  const repeats = Math.max(1, Math.floor((inflatedBytes - head.length - tail.length) / unit.length));
  const flushed = (b: Buffer) => deflateRawSync(b, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const unitDeflated = flushed(unit);
  const data = Buffer.concat([
    flushed(head),
    ...Array.from({ length: repeats }, () => unitDeflated),
    deflateRawSync(tail),
  ]);
  let crc = crc32(head);
  for (let i = 0; i < repeats; i++) crc = crc32(unit, crc);
  crc = crc32(tail, crc);
  const size = head.length + unit.length * repeats + tail.length;
  const contentTypes =
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
  const rels =
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
  return writeZip([
    stored('[Content_Types].xml', Buffer.from(contentTypes)),
    stored('_rels/.rels', Buffer.from(rels)),
    { name: 'word/document.xml', method: 8, data, crc, size: opts.declareBytes ?? size },
  ]);
}

interface RawEntry {
  name: string;
  method: 0 | 8;
  data: Buffer;
  crc: number;
  /** The uncompressed size written in the headers. */
  size: number;
}

const stored = (name: string, data: Buffer): RawEntry => ({
  name,
  method: 0,
  data,
  crc: crc32(data),
  size: data.length,
});

/** A classic zip of entries already compressed, with the sizes given (true or not). */
function writeZip(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const header = (signature: number, extra: Buffer) => {
      const b = Buffer.alloc(signature === 0x04034b50 ? 30 : 46);
      b.writeUInt32LE(signature, 0);
      let at = 4;
      if (signature === 0x02014b50) at = b.writeUInt16LE(20, at); // version made by
      at = b.writeUInt16LE(20, at); // version needed
      at = b.writeUInt16LE(0, at); // flags
      at = b.writeUInt16LE(e.method, at);
      at = b.writeUInt32LE(0x00210000, at); // time and date: 1980-01-01
      at = b.writeUInt32LE(e.crc >>> 0, at);
      at = b.writeUInt32LE(e.data.length, at);
      at = b.writeUInt32LE(e.size, at);
      at = b.writeUInt16LE(name.length, at);
      at = b.writeUInt16LE(0, at); // extra length
      if (signature === 0x02014b50) {
        at = b.writeUInt16LE(0, at); // comment length
        at = b.writeUInt16LE(0, at); // disk
        at = b.writeUInt16LE(0, at); // internal attributes
        at = b.writeUInt32LE(0, at); // external attributes
        b.writeUInt32LE(offset, at);
      }
      return Buffer.concat([b, name, extra]);
    };
    const local = header(0x04034b50, Buffer.alloc(0));
    central.push(header(0x02014b50, Buffer.alloc(0)));
    parts.push(local, e.data);
    offset += local.length + e.data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}
