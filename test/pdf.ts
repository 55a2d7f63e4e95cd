/**
 * A PDF file written by hand from its objects (object i+1 is `objects[i]`; object 1 the catalog):
 * the header, the objects, a cross-reference table with their offsets and the trailer, to which
 * `trailer` adds entries (an /Encrypt dictionary, say).
 */
export function pdfFile(objects: readonly string[], trailer = ''): Buffer {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${trailer} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
