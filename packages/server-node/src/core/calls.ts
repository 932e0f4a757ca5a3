import type { CallFrame, Json, ValidationIssue } from '@sluice/protocol'
import type { ProcedureContext, ResolvedOptions, StandardSchemaV1, ValidatedProcedure } from '../options'
import { grants } from '../permissions/access'
import { ServerError } from '../server-error'
import { type CallInvocation, runMiddleware } from './middleware'

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
 *
 * In order: the procedure must exist (NOT_FOUND); its own `rateLimit` is spent (RATE_LIMITED),
 * before the guard so that a guard that reads a database is behind the limit too; the caller
 * must pass the procedure's guard, or else the first procedure rule matching its name
 * (FORBIDDEN: a procedure is never callable just because it exists); the arguments must pass
 * the schema (VALIDATION; after the guard, so a caller who may not call learns nothing of the
 * schema); then the middleware, then the handler. Middleware comes after the guard and the
 * schema: it only ever sees calls that will run, with the arguments the procedure gets, and
 * cannot open what the guard closed.
 *
 * @throws ServerError NOT_FOUND / RATE_LIMITED / FORBIDDEN / VALIDATION, or whatever a middleware or the procedure throws
 */
export async function runCall(
  options: Pick<ResolvedOptions, 'procedures' | 'rules' | 'rateLimiter' | 'middleware'>,
  frame: CallFrame,
  ctx: ProcedureContext,
): Promise<Json | undefined> {
  const entry = options.procedures.get(frame.name)
  if (!entry) throw new ServerError('NOT_FOUND', `no procedure named ${JSON.stringify(frame.name)}`)
  if (entry.rateLimit !== undefined) await options.rateLimiter.forProcedure(frame.name, entry.rateLimit, ctx)
  if (!(await mayCall(options, frame.name, entry, ctx))) {
    throw new ServerError('FORBIDDEN', `not allowed to call ${frame.name}`)
  }
  const args = entry.input ? await validateWith(entry.input, frame.args) : frame.args
  const { middleware } = options
  if (middleware.length === 0) return asResult(await entry.handler(args, ctx))
  const invocation: CallInvocation = {
    type: 'call',
    name: frame.name,
    args,
    identity: ctx.identity,
    connectionId: ctx.connectionId,
    server: ctx.server,
    state: ctx.state,
  }
  await runMiddleware(middleware, invocation, async () => {
    invocation.result = await entry.handler(invocation.args, ctx)
  })
  return asResult(invocation.result)
}

function asResult(result: unknown): Json | undefined {
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
