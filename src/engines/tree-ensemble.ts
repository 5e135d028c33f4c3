import type { DenseMatrix } from '../contracts';
/**
 * An XGBoost gbtree regression model evaluated in JavaScript from the model's own JSON (the format every
 * engine here saves). Scoring one row walks a few hundred small trees in flat typed arrays: no call into a
 * native library, no DMatrix, no copy. The engine stays the reference: test/unit/tree-ensemble.test.ts
 * checks equal predictions within 1e-3 on every 2016 row.
 */

export class UnsupportedTreeModelError extends Error {
  override name = 'UnsupportedTreeModelError';
}

interface JsonTree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  default_left: number[];
  split_type?: number[];
}

interface JsonModel {
  learner: {
    learner_model_param: { base_score: string; num_class?: string; num_target?: string };
    objective: { name: string };
    gradient_booster: {
      name: string;
      model: { trees: JsonTree[]; tree_info: number[]; gbtree_model_param?: { num_parallel_tree?: string } };
    };
  };
}

export class TreeEnsemble {
  private constructor(
    private readonly base: number,
    private readonly roots: Int32Array,
    private readonly left: Int32Array,
    private readonly right: Int32Array,
    private readonly feature: Int32Array,
    /** Split threshold of an inner node, leaf value of a leaf (as XGBoost stores them). */
    private readonly value: Float32Array,
    private readonly defaultLeft: Uint8Array,
  ) {}

  /** Compiles a saved model; `rounds` keeps only the first rounds (as Engine.load does). */
  static fromJson(model: Buffer | string, rounds?: number): TreeEnsemble {
    const json = JSON.parse(typeof model === 'string' ? model : model.toString('utf8')) as JsonModel;
    const learner = json.learner;
    const booster = learner?.gradient_booster;
    if (booster?.name !== 'gbtree')
      throw new UnsupportedTreeModelError(`booster ${booster?.name} is not gbtree`);
    const objective = learner.objective?.name;
    if (objective !== 'reg:squarederror')
      throw new UnsupportedTreeModelError(`objective ${objective} is not reg:squarederror`);
    if (
      Number(learner.learner_model_param.num_class ?? 0) > 1 ||
      Number(learner.learner_model_param.num_target ?? 1) > 1
    )
      throw new UnsupportedTreeModelError('more than one output');
    const perRound = Number(booster.model.gbtree_model_param?.num_parallel_tree ?? 1) || 1;
    const all = booster.model.trees;
    const trees = rounds === undefined ? all : all.slice(0, rounds * perRound);
    let nodes = 0;
    for (const t of trees) {
      if (t.split_type?.some((s) => s !== 0)) throw new UnsupportedTreeModelError('categorical splits');
      nodes += t.left_children.length;
    }
    const roots = new Int32Array(trees.length);
    const left = new Int32Array(nodes);
    const right = new Int32Array(nodes);
    const feature = new Int32Array(nodes);
    const value = new Float32Array(nodes);
    const defaultLeft = new Uint8Array(nodes);
    let at = 0;
    trees.forEach((t, i) => {
      roots[i] = at;
      for (let n = 0; n < t.left_children.length; n++) {
        const l = t.left_children[n];
        left[at + n] = l < 0 ? -1 : at + l;
        right[at + n] = l < 0 ? -1 : at + t.right_children[n];
        feature[at + n] = t.split_indices[n];
        value[at + n] = t.split_conditions[n];
        defaultLeft[at + n] = t.default_left[n];
      }
      at += t.left_children.length;
    });
    return new TreeEnsemble(
      Math.fround(Number(learner.learner_model_param.base_score)),
      roots,
      left,
      right,
      feature,
      value,
      defaultLeft,
    );
  }

  /** The prediction of the row starting at `offset` in `data` (NaN is a missing value). */
  predictRow(data: Float32Array, offset: number): number {
    const { roots, left, right, feature, value, defaultLeft } = this;
    // Accumulated in float32 from the base score, tree by tree, as XGBoost's CPU predictor does.
    let sum = this.base;
    for (let t = 0; t < roots.length; t++) {
      let n = roots[t];
      while (left[n] >= 0) {
        const x = data[offset + feature[n]];
        n = x !== x ? (defaultLeft[n] ? left[n] : right[n]) : x < value[n] ? left[n] : right[n];
      }
      sum = Math.fround(sum + value[n]);
    }
    return sum;
  }

  predict(x: DenseMatrix): Float32Array {
    const out = new Float32Array(x.rows);
    for (let r = 0; r < x.rows; r++) out[r] = this.predictRow(x.data, r * x.cols);
    return out;
  }
}
