/** The body Meta's template review takes (`POST /{waba_id}/message_templates`). Pure functions. */

type Values = string[] | Record<string, string | number>;

export interface TemplateDefinition {
  name: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  body: string;
  /** A text header's text. */
  header?: string | null;
  /** A media header (its sample is `examples.header_handle`). */
  headerFormat?: 'IMAGE' | 'VIDEO' | 'DOCUMENT';
  footer?: string | null;
  buttons?: Array<{ type?: string; text: string; url?: string; phone_number?: string }> | null;
  /** Sample values the caller gave (Meta requires one for every placeholder to review a template). */
  examples?: {
    header?: Values;
    body?: Values;
    buttons?: Array<{ index: number; value: string }>;
    header_handle?: string;
  } | null;
}

const placeholdersOf = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]);

/** The caller's sample for each placeholder (by name or position), a made-up one only as a last resort. */
function samplesFor(names: string[], given: Values | undefined): string[] {
  return names.map((name, i) => {
    const v = Array.isArray(given) ? (given[Number(name) - 1] ?? given[i]) : given?.[name];
    return v === undefined || String(v).trim() === '' ? `sample_${name}` : String(v);
  });
}

type TemplateButton = NonNullable<TemplateDefinition['buttons']>[number];

/** One button of a submission; a url button with a placeholder carries the whole sample URL. */
function buttonComponent(b: TemplateButton, given: string | undefined): Record<string, unknown> {
  const type = (b.type ?? (b.url ? 'URL' : b.phone_number ? 'PHONE_NUMBER' : 'QUICK_REPLY')).toUpperCase();
  const urlVars = b.url ? placeholdersOf(b.url) : [];
  const sample = given ?? 'sample';
  return {
    type,
    text: b.text,
    ...(b.url ? { url: b.url } : {}),
    // Meta wants the whole sample URL, the placeholder filled.
    ...(b.url && urlVars.length
      ? { example: [/^https?:\/\//.test(sample) ? sample : b.url.replace(/\{\{\s*[\w.]+\s*\}\}/, sample)] }
      : {}),
    ...(b.phone_number ? { phone_number: b.phone_number } : {}),
  };
}

/**
 * The body of `POST /{waba_id}/message_templates`: every component with the examples Meta's
 * review requires (header and body samples, the full sample URL of a url button with a
 * placeholder), and `parameter_format: "NAMED"` with named samples for `{{first_name}}` templates.
 */
export function buildTemplateSubmission(t: TemplateDefinition): Record<string, unknown> {
  const components: Array<Record<string, unknown>> = [];
  const bodyVars = placeholdersOf(t.body);
  const named =
    bodyVars.some((v) => !/^\d+$/.test(v)) ||
    (t.header ? placeholdersOf(t.header) : []).some((v) => !/^\d+$/.test(v));
  const examples = t.examples ?? {};
  if (t.headerFormat) {
    // Meta reviews a media header on a sample file uploaded with its Resumable Upload API.
    components.push({
      type: 'HEADER',
      format: t.headerFormat,
      ...(examples.header_handle ? { example: { header_handle: [examples.header_handle] } } : {}),
    });
  } else if (t.header) {
    const vars = placeholdersOf(t.header);
    const header: Record<string, unknown> = { type: 'HEADER', format: 'TEXT', text: t.header };
    if (vars.length) {
      const samples = samplesFor(vars, examples.header ?? (named ? examples.body : undefined));
      header.example = named
        ? { header_text_named_params: vars.map((v, i) => ({ param_name: v, example: samples[i] })) }
        : { header_text: samples };
    }
    components.push(header);
  }
  const bodyComponent: Record<string, unknown> = { type: 'BODY', text: t.body };
  if (bodyVars.length > 0) {
    const samples = samplesFor(bodyVars, examples.body);
    bodyComponent.example = named
      ? { body_text_named_params: bodyVars.map((v, i) => ({ param_name: v, example: samples[i] })) }
      : { body_text: [samples] };
  }
  components.push(bodyComponent);
  if (t.footer) components.push({ type: 'FOOTER', text: t.footer });
  if (t.buttons?.length) {
    components.push({
      type: 'BUTTONS',
      buttons: t.buttons.map((b, index) =>
        buttonComponent(b, examples.buttons?.find((e) => e.index === index)?.value),
      ),
    });
  }
  return {
    name: t.name,
    language: t.language,
    category: t.category.toUpperCase(),
    ...(named ? { parameter_format: 'NAMED' } : {}),
    components,
  };
}
