import {
  BinaryOperationNode,
  FunctionNode,
  type KyselyPlugin,
  LimitNode,
  OperationNodeTransformer,
  OperatorNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  SelectQueryNode,
  type UnknownRow,
  ValueNode,
} from 'kysely';

/**
 * Page sizes written into the statement's text. A LIMIT or OFFSET sent as a parameter leaves
 * PostgreSQL's planner guessing that a tenth of the rows is wanted, so the generic plan of a
 * prepared page (a join read for 10,000 rows) always costs more than a plan made for the actual
 * values, and every run is planned anew: a page of the conversation list spent 0.3 ms planning
 * and 0.1 ms running. With the page size in the text and no OFFSET on a first page, the generic
 * plan's estimate is right and PostgreSQL keeps it. Only these sizes (what the clients and the
 * inbox ask for, and `limit 1`) are written in, so the texts stay few: any other size, and any
 * later page, is a parameter as before.
 */
const LITERAL_LIMITS = new Set([1, 5, 10, 20, 25, 50, 100]);

/** Every value a string, or every value a finite number: what one typed array parameter carries. */
function arrayable(values: ReadonlyArray<unknown>): boolean {
  if (values.length === 0) return false;
  const kind = typeof values[0];
  if (kind === 'string') return values.every((v) => typeof v === 'string');
  if (kind === 'number') return values.every((v) => typeof v === 'number' && Number.isFinite(v));
  return false;
}

class FixedShapes extends OperationNodeTransformer {
  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    const out = super.transformSelectQuery(node);
    const limit = out.limit?.limit;
    const offset = out.offset?.offset;
    const literalLimit =
      limit && ValueNode.is(limit) && !limit.immediate && LITERAL_LIMITS.has(limit.value as number);
    const noOffset = offset && ValueNode.is(offset) && offset.value === 0;
    if (!literalLimit && !noOffset) return out;
    const limited = literalLimit
      ? SelectQueryNode.cloneWithLimit(out, LimitNode.create(ValueNode.createImmediate(limit.value)))
      : out;
    return noOffset ? SelectQueryNode.cloneWithoutOffset(limited) : limited;
  }

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
 * the column it is compared with); anything else compiles as written. Common page sizes are
 * written into the text and a zero OFFSET is left out (see LITERAL_LIMITS).
 */
export class FixedShapeInListsPlugin implements KyselyPlugin {
  readonly #transformer = new FixedShapes();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
