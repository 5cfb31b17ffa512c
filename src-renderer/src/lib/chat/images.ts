// Images attached to a chat message (file picker, paste, drop): scaled down in a canvas to a data URL
// small enough to keep with the conversation and to send again on every turn as an image_url part.

export interface ChatImage {
  /** data:image/…;base64,… */
  url: string;
  name: string;
}

export type ContentPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export const MAX_IMAGES = 4;
/** Longest side kept: enough for vision models (which resize to their own size) at a modest size. */
export const MAX_SIDE = 1024;
const ACCEPTED = /^image\/(png|jpeg|gif|webp)$/;

/** The image files among what was picked, pasted or dropped. */
export function imageFiles(files: Iterable<File> | ArrayLike<File> | null | undefined): File[] {
  return Array.from(files ?? []).filter((f) => ACCEPTED.test(f.type));
}

/** A user message's content for the API: plain text, or text then images as parts. */
export function userContent(text: string, images?: readonly ChatImage[]): string | ContentPart[] {
  if (!images?.length) return text;
  return [
    ...(text ? [{ type: 'text' as const, text }] : []),
    ...images.map((i) => ({ type: 'image_url' as const, image_url: { url: i.url } })),
  ];
}

/** The side lengths that fit `max` on the longer side, keeping the aspect ratio. */
export function fitted(width: number, height: number, max = MAX_SIDE): [number, number] {
  const scale = Math.min(1, max / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

function readAsDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(blob);
  });
}

/** One picked file as a ChatImage; a large picture is redrawn at MAX_SIDE (PNG stays PNG). */
export async function readImage(file: File): Promise<ChatImage> {
  if (!ACCEPTED.test(file.type))
    throw new Error(`${file.name} is not a PNG, JPEG, GIF or WebP image`);
  const bitmap = await createImageBitmap(file);
  try {
    const [w, h] = fitted(bitmap.width, bitmap.height);
    if (w === bitmap.width && h === bitmap.height)
      return { url: await readAsDataUrl(file), name: file.name };
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h);
    const type = file.type === 'image/png' ? 'image/png' : 'image/jpeg';
    return { url: canvas.toDataURL(type, 0.9), name: file.name };
  } finally {
    bitmap.close();
  }
}
