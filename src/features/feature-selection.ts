/**
 * Ablation: which inputs a training uses, from a feature set plus names to leave out (`--without`) and
 * raw columns to add (`--with`). Raw columns leave or join the schema's feature columns; v2's derived
 * calendar features are left out of the fitted pipeline.
 */
import { FEATURE_FIELDS } from '../data/dataset-schema';
import type { FeatureSet } from './feature-pipeline';
import { DERIVED_FEATURES_V2 } from './features-v2';

export interface FeatureSelection {
  columns: string[];
  /** Derived v2 features to leave out. */
  omitFeatures: string[];
}

/** Throws one line naming the first unknown or impossible name. */
export function selectFeatures(input: {
  features: FeatureSet;
  columns: readonly string[];
  without?: readonly string[];
  with?: readonly string[];
}): FeatureSelection {
  const columns = [...input.columns];
  for (const name of input.with ?? []) {
    if (!(FEATURE_FIELDS as readonly string[]).includes(name)) {
      throw new Error(`--with: unknown column "${name}": expected one of ${FEATURE_FIELDS.join(', ')}`);
    }
    if (name === 'weather_description' && input.features === 'v1') {
      throw new Error('--with weather_description needs --features v2 (v1 ignores that column)');
    }
    if (!columns.includes(name)) columns.push(name);
  }
  const omitFeatures: string[] = [];
  for (const name of input.without ?? []) {
    if ((input.with ?? []).includes(name)) throw new Error(`"${name}" is both in --with and in --without`);
    const column = columns.indexOf(name);
    if (column >= 0) {
      columns.splice(column, 1);
    } else if (DERIVED_FEATURES_V2.includes(name)) {
      if (input.features !== 'v2') {
        throw new Error(`--without ${name}: that feature belongs to --features v2`);
      }
      if (!omitFeatures.includes(name)) omitFeatures.push(name);
    } else {
      const known = [...columns, ...(input.features === 'v2' ? DERIVED_FEATURES_V2 : [])];
      throw new Error(`--without: unknown feature "${name}": expected one of ${known.join(', ')}`);
    }
  }
  if (columns.length === 0) throw new Error('--without leaves no input column');
  return { columns, omitFeatures };
}
