/**
 * Runs stay startable on a namespace that lacks the project's search attributes (Temporal Cloud creates
 * them only in its console or with `tcld`): the start is retried without typed attributes, once per
 * process with a warning that names exactly what to create.
 */
import { SearchAttributeType } from '@temporalio/common';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { logger } from '../common/logger';

const TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** The attributes to create, by name and type, and where. */
export function missingSearchAttributesHelp(namespace: string): string {
  const list = CUSTOM_SEARCH_ATTRIBUTES.map((k) => `${k.name} (${TYPE_NAMES[k.type]})`).join(', ');
  return (
    `could not register search attributes on namespace ${namespace}; create ${list} ` +
    '(Temporal Cloud: the namespace\'s "Search Attributes" page or `tcld namespace search-attributes add`); ' +
    'until then runs start without them and the Web UI cannot filter by model, trigger or RMSE'
  );
}

/** The server's refusal of a start whose typed search attributes the namespace does not define. */
export function isUnknownSearchAttributeError(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
  return /search attribute/i.test(text) && /not defined|no mapping|unknown|invalid|not found/i.test(text);
}

let warned = false;

/** Starts (a run, a schedule) with typed search attributes; when the namespace lacks them, warns once and starts without. */
export async function withSearchAttributeFallback<T>(
  namespace: string,
  start: (withSearchAttributes: boolean) => Promise<T>,
): Promise<T> {
  try {
    return await start(true);
  } catch (err) {
    if (!isUnknownSearchAttributeError(err)) throw err;
    if (!warned) logger.warn(missingSearchAttributesHelp(namespace));
    warned = true;
    return start(false);
  }
}
