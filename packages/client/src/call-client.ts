// The types the bindings' useCall shares: the part of a client it calls through, and the name
// parameter of its untyped overload. The hook's result and state are the framework's own.
import type { Json } from '@sluice/protocol'
import type { SluiceClient, TopicSchema } from './client'
import type { ProcedureName, ProcedureSchema, ProceduresOf } from './procedure-types'

/** The part of a client a binding's `useCall` needs. */
export type CallClient<Procedures extends ProcedureSchema = ProcedureSchema> = Pick<
  SluiceClient<TopicSchema, Procedures>,
  'call'
>

/** The JSON arguments an untyped procedure takes. */
export type CallArgs = Json | undefined

/**
 * The name an untyped client (no procedures given to `createClient`) may call: any string; for
 * a client typed with the server's procedures, `never`. An overload that takes this name leaves
 * typed clients to the overload that checks the name, arguments and result. Refusing the name,
 * not the client, puts every overload's error on the name, so TypeScript 6 and 7 alike report a
 * procedure the server lacks there, naming it.
 */
export type UntypedProcedureName<Client> = string extends ProcedureName<ProceduresOf<Client>> ? string : never
