import type { SluiceClient, TopicSchema } from '@sluice/client'

/**
 * The part of a Sluice client the hooks use. A `createClient()` result fits; so does any
 * object with the same shape, which is how tests and wrappers stand in for a client.
 */
export type RealtimeClient<Schema extends TopicSchema = TopicSchema> = Pick<
  SluiceClient<Schema>,
  'subscribe' | '$connection'
>

/** The data type of `topic`: from the client's schema when it has one, else from the merge strategy. */
export type { TopicData } from '@sluice/client'

/**
 * A client-shaped object that is not a full client: a test double or a thin wrapper. Data types
 * come from the merge strategy. (A real client, typed or not, goes through the schema-aware
 * overload instead; excluding `call` keeps a schema-typed client from slipping past its schema.)
 */
export type StructuralClient = RealtimeClient & { readonly call?: never }
