/** What the server child drives, whichever library is behind it. */
export interface TargetServer {
  readonly port: number
  /**
   * Publishes event number `i` to every subscriber of the bench topic.
   * @param sentAt the timestamp to put in the payload (default: now)
   */
  publish(i: number, sentAt?: number): Promise<unknown> | undefined
  /** Publishes event number `i` to any topic (Sluice only: the publish-throughput runs use it). */
  publishTo?(topic: string, i: number): Promise<unknown>
  /** How many subscribers the server has registered, or null when it cannot tell. */
  subscriberCount(): number | null
  close(): Promise<void>
}

export interface TargetOptions {
  /** Set for scenarios that push far more than a realistic burst (Sluice's slow-consumer cap). */
  maxBufferedBytes?: number
  /**
   * Sluice on the Redis engine instead of the memory one: nodes with the same URL and prefix
   * form one deployment.
   */
  redis?: { url: string; prefix: string }
}
