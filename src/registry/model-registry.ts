import { z } from 'zod';
import type { BlobStore } from '../storage/blob-store';
import { CorruptRegistryRecordError, encodeRecord, readRecord } from './read-record';
import {
  AliasAction,
  AliasRecord,
  aliasRecordSchema,
  AliasState,
  ModelVersion,
  modelVersionSchema,
} from './records';
import {
  assertAliasName,
  assertModelName,
  assertVersionNumber,
  modelNamesOf,
  numberOfKey,
  registryKeys,
} from './registry-keys';

export type { AliasAction, AliasRecord, AliasState, ModelVersion } from './records';
export { CorruptRegistryRecordError } from './read-record';

export interface RegisterInput {
  entry: Omit<ModelVersion, 'version' | 'createdAt'>;
  createdAt: string;
}

export interface SetAliasInput {
  modelName: string;
  alias: string;
  version: number;
  /** The `seq` of the alias as last read, or undefined if it did not exist: the compare in compare-and-set. */
  expectedSeq: number | undefined;
  reason?: string;
  setAt: string;
  by?: string;
  runId?: string;
  action?: AliasAction;
  manual?: boolean;
}

/** Beyond this many lost races in one register() call something is wrong (or the registry is enormous). */
const MAX_REGISTER_ATTEMPTS = 1000;

function sameRun(a: Pick<ModelVersion, 'trainingWorkflowId' | 'trialId'>, b: typeof a): boolean {
  return a.trainingWorkflowId === b.trainingWorkflowId && a.trialId === b.trialId;
}

/**
 * A model registry in a blob store, in the manner of MLflow: numbered versions plus named aliases.
 * Every write is a create-only putIfAbsent, so concurrent writers on any number of processes neither
 * lose nor duplicate a version number, and alias moves are compare-and-set.
 */
export class ModelRegistry {
  constructor(private readonly store: BlobStore) {}

  /**
   * Allocates the next version number. Idempotent per (trainingWorkflowId, trialId): a retried activity gets
   * the version its earlier attempt created. That holds under concurrency too, because versions are created
   * without gaps and a writer inspects every number it loses on its way up.
   */
  async register(input: RegisterInput): Promise<ModelVersion> {
    const { modelName } = input.entry;
    assertModelName(modelName);
    const existing = await this.listVersions(modelName);
    const earlier = existing.find((v) => sameRun(v, input.entry));
    if (earlier) return earlier;

    let next = (existing.at(-1)?.version ?? 0) + 1;
    for (let attempt = 0; attempt < MAX_REGISTER_ATTEMPTS; attempt++, next++) {
      const { comparison } = input.entry;
      const candidate = validated(modelVersionSchema, `registry entry for model "${modelName}"`, {
        ...input.entry,
        version: next,
        createdAt: input.createdAt,
        // The comparison made before registration names this version as the challenger once it has a number.
        ...(comparison
          ? { comparison: { ...comparison, challenger: { ...comparison.challenger, version: next } } }
          : {}),
      });
      if (await this.store.putIfAbsent(registryKeys.version(modelName, next), encodeRecord(candidate))) {
        return candidate;
      }
      const taken = await this.getVersion(modelName, next);
      if (taken && sameRun(taken, input.entry)) return taken;
    }
    throw new Error(
      `could not allocate a version of model "${modelName}" after ${MAX_REGISTER_ATTEMPTS} attempts`,
    );
  }

  /** All versions, oldest first. */
  async listVersions(modelName: string): Promise<ModelVersion[]> {
    assertModelName(modelName);
    const prefix = registryKeys.versionsPrefix(modelName);
    const numbers = (await this.store.list(prefix))
      .map((info) => numberOfKey(prefix, info.key))
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
    const versions = await Promise.all(numbers.map((n) => this.getVersion(modelName, n)));
    return versions.filter((v): v is ModelVersion => v !== undefined);
  }

  async getVersion(modelName: string, version: number): Promise<ModelVersion | undefined> {
    assertModelName(modelName);
    assertVersionNumber(version);
    const key = registryKeys.version(modelName, version);
    const record = await readRecord(this.store, key, modelVersionSchema);
    if (record && (record.modelName !== modelName || record.version !== version)) {
      throw new CorruptRegistryRecordError(
        this.store.uri,
        key,
        `holds ${record.modelName} version ${record.version}, expected ${modelName} version ${version}`,
      );
    }
    return record;
  }

  async getAlias(modelName: string, alias: string): Promise<AliasState | undefined> {
    const record = await this.currentAliasRecord(modelName, alias);
    return record && aliasStateOf(record);
  }

  /**
   * The alias entry with sequence number `seq`, or undefined when the alias has not moved that often yet.
   * One read of one key: a cheap way to watch an alias, since entries are numbered without gaps.
   */
  async getAliasEntry(modelName: string, alias: string, seq: number): Promise<AliasState | undefined> {
    assertModelName(modelName);
    assertAliasName(alias);
    assertVersionNumber(seq);
    const record = await this.aliasRecordAt(modelName, alias, seq);
    return record && aliasStateOf(record);
  }

  /** Every move of the alias, oldest first (its append-only history). */
  async aliasHistory(modelName: string, alias: string): Promise<AliasState[]> {
    assertModelName(modelName);
    assertAliasName(alias);
    const prefix = registryKeys.aliasPrefix(modelName, alias);
    const seqs = (await this.store.list(prefix))
      .map((info) => numberOfKey(prefix, info.key))
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
    const records = await Promise.all(seqs.map((seq) => this.aliasRecordAt(modelName, alias, seq)));
    return records.filter((r): r is AliasRecord => r !== undefined).map(aliasStateOf);
  }

  /**
   * Points the alias at a version if its current seq still equals `expectedSeq`; false when another writer
   * moved it first. Repeating a call that already succeeded (same version, setAt and reason) returns true.
   */
  async setAlias(input: SetAliasInput): Promise<boolean> {
    const { modelName, alias, version, expectedSeq } = input;
    assertModelName(modelName);
    assertAliasName(alias);
    if (expectedSeq !== undefined && (!Number.isSafeInteger(expectedSeq) || expectedSeq < 1)) {
      throw new Error(`invalid expectedSeq ${expectedSeq} for alias "${alias}" of model "${modelName}"`);
    }
    if (!(await this.getVersion(modelName, version))) {
      throw new Error(
        `cannot point alias "${alias}" at version ${version}: model "${modelName}" has no such version`,
      );
    }
    const seq = (expectedSeq ?? 0) + 1;
    const record = validated(aliasRecordSchema, `alias "${alias}" of model "${modelName}"`, {
      modelName,
      alias,
      version,
      seq,
      setAt: input.setAt,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      ...(input.by === undefined ? {} : { by: input.by }),
      ...(input.runId === undefined ? {} : { runId: input.runId }),
      ...(input.action === undefined ? {} : { action: input.action }),
      ...(input.manual === undefined ? {} : { manual: input.manual }),
    });
    const current = await this.currentAliasRecord(modelName, alias);
    if (current?.seq !== expectedSeq) return current?.seq === seq && sameAliasWrite(current, record);
    if (await this.store.putIfAbsent(registryKeys.aliasEntry(modelName, alias, seq), encodeRecord(record))) {
      return true;
    }
    const winner = await this.aliasRecordAt(modelName, alias, seq);
    return winner !== undefined && sameAliasWrite(winner, record);
  }

  /** A version by number (or digit string), or the version an alias points at. */
  async resolve(modelName: string, ref: 'champion' | number | string): Promise<ModelVersion> {
    assertModelName(modelName);
    if (typeof ref === 'number' || /^\d+$/.test(ref)) {
      const version = Number(ref);
      const found = await this.getVersion(modelName, version);
      if (found) return found;
      throw new Error(`model "${modelName}" has no version ${version}${await this.latestHint(modelName)}`);
    }
    const alias = await this.getAlias(modelName, ref);
    if (!alias)
      throw new Error(`model "${modelName}" has no alias "${ref}"${await this.latestHint(modelName)}`);
    const found = await this.getVersion(modelName, alias.version);
    if (!found) {
      throw new Error(
        `alias "${ref}" of model "${modelName}" points at version ${alias.version}, which does not exist`,
      );
    }
    return found;
  }

  /** Names of all models with at least one version, sorted. */
  async listModels(): Promise<string[]> {
    return modelNamesOf((await this.store.list(registryKeys.root)).map((info) => info.key));
  }

  private async currentAliasRecord(modelName: string, alias: string): Promise<AliasRecord | undefined> {
    assertModelName(modelName);
    assertAliasName(alias);
    const prefix = registryKeys.aliasPrefix(modelName, alias);
    const seqs = (await this.store.list(prefix))
      .map((info) => numberOfKey(prefix, info.key))
      .filter((n): n is number => n !== undefined);
    if (seqs.length === 0) return undefined;
    const latest = Math.max(...seqs);
    const record = await this.aliasRecordAt(modelName, alias, latest);
    if (!record)
      throw new Error(`alias "${alias}" of model "${modelName}": entry ${latest} vanished while reading`);
    return record;
  }

  private async aliasRecordAt(
    modelName: string,
    alias: string,
    seq: number,
  ): Promise<AliasRecord | undefined> {
    const key = registryKeys.aliasEntry(modelName, alias, seq);
    const record = await readRecord(this.store, key, aliasRecordSchema);
    if (record && (record.modelName !== modelName || record.alias !== alias || record.seq !== seq)) {
      throw new CorruptRegistryRecordError(
        this.store.uri,
        key,
        `holds ${record.modelName}/${record.alias} seq ${record.seq}, expected ${modelName}/${alias} seq ${seq}`,
      );
    }
    return record;
  }

  private async latestHint(modelName: string): Promise<string> {
    const versions = await this.listVersions(modelName);
    return versions.length === 0
      ? ` (no versions are registered)`
      : ` (latest is version ${versions.at(-1)!.version})`;
  }
}

function validated<T>(schema: z.ZodType<T>, what: string, value: T): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function sameAliasWrite(a: AliasRecord, b: AliasRecord): boolean {
  return (
    a.version === b.version &&
    a.setAt === b.setAt &&
    a.reason === b.reason &&
    a.by === b.by &&
    a.runId === b.runId &&
    a.action === b.action
  );
}

/** The record without its model and alias names, and without the optional fields it does not have. */
function aliasStateOf(record: AliasRecord): AliasState {
  const { modelName: _model, alias: _alias, ...state } = record;
  for (const key of ['reason', 'by', 'runId', 'action'] as const) {
    if (state[key] === undefined) delete state[key];
  }
  return state;
}
