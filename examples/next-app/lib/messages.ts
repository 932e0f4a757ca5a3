import { latest } from '@sluice/client'

/** One message of the `messages` topic: an event's `data`. */
export type Message = { id: string; text: string }

/** How many messages the page shows; sluice.config.mjs keeps as many in the topic's log. */
export const MESSAGES_SHOWN = 50

/**
 * How events become the list: the data of the last {@link MESSAGES_SHOWN} events, oldest first.
 * Module level, because a strategy is read once per subscription (and a function cannot be a
 * prop from a server component).
 */
export const messagesMerge = latest<Message>({ size: MESSAGES_SHOWN })
