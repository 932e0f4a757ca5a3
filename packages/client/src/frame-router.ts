import type {
  EventFrame,
  PresenceFrame,
  ResyncFrame,
  ServerFrame,
  SignalFrame,
  SnapshotFrame,
  UnsubscribedFrame,
} from '@sluice/protocol'
import type { AwaitedAnswers } from './awaited-answers'

/** The frames that belong to a topic rather than answer a command: routed by their `topic`. */
export type TopicFrame = EventFrame | SnapshotFrame | ResyncFrame | PresenceFrame | UnsubscribedFrame

/** Where the router sends what it reads. */
export interface FrameRoutes {
  answers: Pick<AwaitedAnswers, 'answer'>
  /** The topic frames, to the topic they name (ignored when the client no longer has it). */
  topic(frame: TopicFrame): void
  signal(frame: SignalFrame): void
  /** A `reconnect` frame's retryAfterMs: the floor of the delay of the reconnect that follows. */
  reconnectHint(retryAfterMs: number): void
}

/**
 * What happens to every frame of an open connection, in one place: the answers to commands go
 * to the command awaiting them by id ({@link createAwaitedAnswers}), topic frames to their
 * topic, signals to their handlers. The transport has already taken the `welcome` (which opens
 * it) and remembers an `error` without id (why the server is about to end the connection;
 * attempt.ts reports it with the close), and the connection counted the frame as a sign of life.
 *
 * @example
 * const route = createFrameRouter({ answers, topic, signal, reconnectHint })
 * for (const frame of frames) route(frame)
 */
export function createFrameRouter({ answers, topic, signal, reconnectHint }: FrameRoutes) {
  return (frame: ServerFrame): void => {
    switch (frame.type) {
      case 'event':
      case 'snapshot':
      case 'resync':
      case 'presence':
        topic(frame)
        return
      case 'unsubscribed':
        // With an id it answers our unsubscribe; without, the server ended the subscription itself.
        if (frame.id === undefined) topic(frame)
        else answers.answer(frame as typeof frame & { id: string })
        return
      case 'subscribed':
      case 'ack':
      case 'result':
      case 'pong':
      case 'history':
      case 'error':
        if (frame.id !== undefined) answers.answer(frame as typeof frame & { id: string })
        return
      case 'signal':
        signal(frame)
        return
      case 'reconnect':
        reconnectHint(frame.retryAfterMs)
        return
      // 'welcome' (a second one means nothing) and the server's 'ping' (the heartbeat: its
      // arrival was the sign of life) need nothing more.
    }
  }
}
