/** JSON columns are text on both storages. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback;
  return JSON.parse(text) as T;
}

export const bool = (v: number | boolean | null | undefined) => v === 1 || v === true;
export const int = (v: boolean | null | undefined) => (v ? 1 : 0);

/** A provider's answer as text and, when it is a JSON object, parsed (undefined when empty or not JSON). */
export async function answerOf(
  res: Response,
): Promise<{ text: string; json: Record<string, any> | undefined }> {
  const text = await res.text();
  try {
    return { text, json: text ? JSON.parse(text) : undefined };
  } catch {
    return { text, json: undefined };
  }
}
