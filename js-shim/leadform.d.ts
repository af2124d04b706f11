// Types for the API that js-shim/leadform.js puts on window.leadform.

export interface FormHandlerContext {
  submissionId: string;
  toolId: string;
  toolName: string;
  conversationId: string;
  /**
   * Field values by field name, as the visitor entered them: text (a `number` field's too,
   * as typed), `true` for a ticked checkbox or consent, the chosen options of a
   * `multiselect`; a file is a data URL `data:<type>;name=<encoded name>;base64,...`.
   * A field left empty (an unticked box too) is not there: test `formData.news === true`.
   */
  formData: Record<string, string | boolean | string[]>;
}

export interface FormHandlerResult {
  success: boolean;
  message?: string;
  data?: Record<string, unknown>;
}

export interface FormHandler {
  /**
   * May return a result or a Promise of one; `false`, a throw or a rejection counts as a
   * failure, anything else (no value, `true`) as a success.
   */
  onSubmit(context: FormHandlerContext): FormHandlerResult | boolean | void | Promise<FormHandlerResult | boolean | void>;
}

/**
 * `open` and `showForm` called before the widget has loaded (the loader fetches it when the
 * page is idle or the visitor reaches for the bubble) fetch it at once and run when it is
 * ready; they return undefined then.
 */
export interface Leadform {
  registerFormHandler(toolName: string, handler: FormHandler): void;
  /** Opens the chat panel. */
  open(): void;
  /** Opens the chat panel on the named form; false if the agent has no such form. */
  showForm(toolName: string): boolean | void;
  /**
   * What the page knows about its visitor (a signed-in user): prefills forms' fields by
   * name or by what they are (`email`, `name`, `phone`, `company`, …) and fills hidden
   * fields by name, on this page and the tab's later ones. `null` forgets it.
   */
  identify(visitor: Record<string, string> | null): void;
}

declare global {
  interface Window {
    leadform: Leadform;
  }
}
