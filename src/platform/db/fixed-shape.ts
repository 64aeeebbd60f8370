import {
  BinaryOperationNode,
  FunctionNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  OperatorNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  ValueNode,
} from 'kysely';

/** Every value a string, or every value a finite number: what one typed array parameter carries. */
function arrayable(values: ReadonlyArray<unknown>): boolean {
  if (values.length === 0) return false;
  const kind = typeof values[0];
  if (kind === 'string') return values.every((v) => typeof v === 'string');
  if (kind === 'number') return values.every((v) => typeof v === 'number' && Number.isFinite(v));
  return false;
}

class InListToArray extends OperationNodeTransformer {
  protected override transformBinaryOperation(node: BinaryOperationNode): BinaryOperationNode {
    const out = super.transformBinaryOperation(node);
    if (!OperatorNode.is(out.operator) || !PrimitiveValueListNode.is(out.rightOperand)) return out;
    const op = out.operator.operator;
    if (op !== 'in' && op !== 'not in') return out;
    const { values } = out.rightOperand;
    if (!arrayable(values)) return out;
    return BinaryOperationNode.create(
      out.leftOperand,
      OperatorNode.create(op === 'in' ? '=' : '<>'),
      FunctionNode.create(op === 'in' ? 'any' : 'all', [ValueNode.create(values)]),
    );
  }
}

/**
 * PostgreSQL: `x in ($1, $2, …)` becomes `x = any($1)` with one array parameter (and `not in`
 * becomes `<> all($1)`), so a look-up of 1 id and one of 200 are the same statement. Each size of
 * an IN list was a statement of its own: planned afresh every time, and using up the pool's
 * budget of named prepared statements (see prepareRepeatedStatements) with sizes seen once.
 * Only lists of plain strings or plain numbers are rewritten (PostgreSQL types the array from
 * the column it is compared with); anything else compiles as written.
 */
export class FixedShapeInListsPlugin implements KyselyPlugin {
  readonly #transformer = new InListToArray();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
