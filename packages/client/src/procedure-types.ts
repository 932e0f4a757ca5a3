import type { JsonInput, Jsonified } from '@sluice/protocol'
import type { CallOptions } from './calls'
import type { SluiceClient } from './client'

/**
 * The procedure → definition map of a typed client: the type of the server's `procedures`
 * object (`typeof procedures`, imported with `import type`, so no server code reaches the
 * client bundle). Each definition is read structurally: a handler function, or an object with a
 * `handler` and optionally a Standard Schema `input` (what `defineProcedure` returns). With the
 * default (`Record<string, any>`) every name is allowed, arguments are any JSON and results
 * `unknown`.
 *
 * @example
 * // server.ts
 * export const procedures = defineProcedures({
 *   'todos.stats': defineProcedure({ input: z.object({ owner: z.string() }), guard: 'authenticated', handler: stats }),
 * })
 * // client.ts
 * import type { procedures } from './server'
 * const client = createClient<AppTopics, typeof procedures>({ url: '/realtime' })
 * const { open } = await client.call('todos.stats', { owner: 'ann' })
 */
// biome-ignore lint/suspicious/noExplicitAny: the untyped default must accept any procedure
export type ProcedureSchema = Record<string, any>

// biome-ignore lint/suspicious/noExplicitAny: matches a handler of any arguments
type Handler = (args: any, ...rest: any[]) => unknown

// The input type of a definition's Standard Schema, boxed (`[Input]`), or 'none' without one: a
// bare `never` or `unknown` here would match every pattern it is later tested against.
type InputOf<Definition> = Definition extends { readonly input?: infer Schema }
  ? NonNullable<Schema> extends { readonly '~standard': { readonly types?: infer Types } }
    ? NonNullable<Types> extends { readonly input: infer Input }
      ? [Input]
      : 'none'
    : 'none'
  : 'none'

type HandlerOf<Definition> = Definition extends Handler
  ? Definition
  : Definition extends { readonly handler: infer H extends Handler }
    ? H
    : never

/**
 * The arguments a procedure takes from the client: its `input` schema's input type, else its
 * handler's first parameter.
 */
export type ProcedureArgs<Definition> =
  InputOf<Definition> extends [infer Input] ? Input : Parameters<HandlerOf<Definition>>[0]

/**
 * What `call` resolves with: the handler's result after the JSON round trip (see
 * {@link Jsonified}); a handler that returns nothing answers null.
 */
export type ProcedureResult<Definition> = CallResult<Awaited<ReturnType<HandlerOf<Definition>>>>

// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing is typed `void`
type CallResult<R> = 0 extends 1 & R ? R : R extends undefined | void ? null : Jsonified<R>

// A procedure whose handler ignores its arguments (or takes `undefined`) is called without them.
type ArgsOptional<Args> = 0 extends 1 & Args ? true : undefined extends Args ? true : false

/** The procedure names of a schema. */
export type ProcedureName<Procedures extends ProcedureSchema> = keyof Procedures & string

/**
 * `client.call`'s parameters after the name: a typed procedure's arguments (optional when its
 * handler takes none), or for an untyped client any JSON (see {@link JsonCompatible}).
 */
export type CallParameters<
  Procedures extends ProcedureSchema,
  Name extends string,
  Args,
> = string extends keyof Procedures
  ? [args?: JsonInput<Args>, options?: CallOptions]
  : ArgsOptional<ProcedureArgs<Procedures[Name]>> extends true
    ? [args?: ProcedureArgs<Procedures[Name]>, options?: CallOptions]
    : [args: ProcedureArgs<Procedures[Name]>, options?: CallOptions]

/** What `client.call(name)` resolves with: a typed procedure's result, else `unknown`. */
export type CallResultOf<
  Procedures extends ProcedureSchema,
  Name extends string,
> = string extends keyof Procedures ? unknown : ProcedureResult<Procedures[Name]>

/** The procedure schema of a client type: `Procedures` of a `SluiceClient<Schema, Procedures>`, else untyped. */
export type ProceduresOf<Client> =
  Client extends SluiceClient<infer _, infer Procedures> ? Procedures : ProcedureSchema
