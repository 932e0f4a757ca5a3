import type { CallFrame, Json, ValidationIssue } from '@sluice/protocol'
import type { ProcedureContext, ResolvedOptions, StandardSchemaV1 } from '../options'
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
 * Throws ServerError NOT_FOUND / VALIDATION, or whatever the procedure throws.
 */
export async function runCall(
  procedures: ResolvedOptions['procedures'],
  frame: CallFrame,
  ctx: ProcedureContext,
): Promise<Json | undefined> {
  const entry = procedures.get(frame.name)
  if (!entry) throw new ServerError('NOT_FOUND', `no procedure named ${JSON.stringify(frame.name)}`)
  const args = entry.input ? await validateWith(entry.input, frame.args) : frame.args
  const result = await entry.handler(args, ctx)
  return result === undefined ? undefined : (result as Json)
}
