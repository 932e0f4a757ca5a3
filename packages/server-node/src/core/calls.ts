import type { CallFrame, Json, ValidationIssue } from '@sluice/protocol'
import type { ProcedureContext, ResolvedOptions, StandardSchemaV1, ValidatedProcedure } from '../options'
import { grants } from '../permissions/access'
import { ServerError } from '../server-error'

/** Maps Standard Schema issues to the protocol's `{path?, message}` form. */
export function toValidationIssues(
  issues: ReadonlyArray<{
    message: string
    path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
  }>,
): ValidationIssue[] {
  return issues.map((issue) => {
    const out: ValidationIssue = { message: String(issue.message) }
    if (issue.path && issue.path.length > 0) {
      out.path = issue.path.map((segment) => {
        const key = typeof segment === 'object' && segment !== null ? segment.key : segment
        return typeof key === 'number' ? key : String(key)
      })
    }
    return out
  })
}

/** Runs a value through a Standard Schema; throws ServerError VALIDATION with the issues. */
export async function validateWith(schema: StandardSchemaV1, value: unknown): Promise<unknown> {
  const result = await schema['~standard'].validate(value)
  if (result.issues) {
    throw new ServerError('VALIDATION', 'arguments did not pass validation', {
      issues: toValidationIssues(result.issues),
    })
  }
  return result.value
}

/**
 * Runs a `call` frame's procedure and returns its result (undefined becomes no `result` field).
 * The caller must pass the procedure's guard, or else the first procedure rule matching its
 * name: a procedure is never callable just because it exists. The guard runs before the
 * arguments are validated, so a caller who may not call learns nothing of the schema.
 * Throws ServerError NOT_FOUND / FORBIDDEN / VALIDATION, or whatever the procedure throws.
 */
export async function runCall(
  options: Pick<ResolvedOptions, 'procedures' | 'rules'>,
  frame: CallFrame,
  ctx: ProcedureContext,
): Promise<Json | undefined> {
  const entry = options.procedures.get(frame.name)
  if (!entry) throw new ServerError('NOT_FOUND', `no procedure named ${JSON.stringify(frame.name)}`)
  if (!(await mayCall(options, frame.name, entry, ctx))) {
    throw new ServerError('FORBIDDEN', `not allowed to call ${frame.name}`)
  }
  const args = entry.input ? await validateWith(entry.input, frame.args) : frame.args
  const result = await entry.handler(args, ctx)
  return result === undefined ? undefined : (result as Json)
}

async function mayCall(
  options: Pick<ResolvedOptions, 'rules'>,
  name: string,
  entry: ValidatedProcedure,
  ctx: ProcedureContext,
): Promise<boolean> {
  const { guard } = entry
  if (typeof guard === 'function') return (await guard(ctx)) === true
  const access = guard ?? options.rules.procedure(name)
  return access !== undefined && grants(access, ctx.identity, undefined)
}
